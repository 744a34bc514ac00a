using System.Security.Cryptography;
using M2MSec.Aka;
using M2MSec.Cli.Internal;
using M2MSec.NetworkFunctions.Hss;

namespace M2MSec.Cli.Demo.Stages;

/// <summary>
/// AKA for each device (TS 33.102 §6.3) as E-UTRAN runs it (TS 33.401 §6.1), the demo playing the serving network (role
/// vno): fetch an EPS vector from the HSS over HTTP (K_ASME, never CK/IK: docs/decisions/002), challenge the USIM (UICC
/// devices) or the TRE (TRE devices) with RAND and AUTN (separation bit required), compare RES with XRES in fixed time and
/// the K_ASME the device side derives with the HSS's; on a synchronisation failure hand AUTS to the HSS and retry once.
/// </summary>
internal sealed class AkaStage : IDemoStage
{
    public const string ResyncEvent = "resync";

    public string Name => "AKA over HTTP";

    /// <summary>UICC-based devices; a TRE-based device runs AKA with its MCIM when it attaches through the VNO (<see cref="ProvisioningStage"/>).</summary>
    public bool AppliesTo(DemoDevice device) => device.Kind == Device.M2me.M2meKind.Uicc;

    /// <summary>The demo's serving network: PLMN 001/02 (TS 24.008 §10.5.1.13 encoding), a VNO beside the SHO's 001/01.</summary>
    internal const string ServingNetworkId = "00f120";

    public async Task<bool> RunAsync(DemoDevice device, DemoEnvironment environment, DemoReport report, CancellationToken cancellationToken)
    {
        var answer = await environment.ServingNetwork.GetVectorsAsync(device.Imsi, servingNetworkId: ServingNetworkId, ct: cancellationToken);
        var vector = answer.Vectors[0];
        var result = device.Authenticate(Convert.FromHexString(vector.Rand), Convert.FromHexString(vector.Autn));
        if (result.Status == UsimAuthenticationStatus.SynchronisationFailure)
        {
            report.Event(ResyncEvent);
            var resync = new ResyncInfo(vector.Rand, Convert.ToHexStringLower(result.Auts!));
            answer = await environment.ServingNetwork.GetVectorsAsync(device.Imsi, resync: resync, servingNetworkId: ServingNetworkId, ct: cancellationToken);
            if (!answer.Resynchronised)
                return Fail(device, "the HSS did not resynchronise from AUTS");
            vector = answer.Vectors[0];
            result = device.Authenticate(Convert.FromHexString(vector.Rand), Convert.FromHexString(vector.Autn));
        }
        if (!result.IsSuccess)
            return Fail(device, $"USIM answered {CliOutput.Name(result.Status)}");
        if (!CryptographicOperations.FixedTimeEquals(result.Res, Convert.FromHexString(vector.Xres)))
            return Fail(device, "RES ≠ XRES");
        // The ME's side of TS 33.401 A.2: K_ASME from the CK/IK the USIM/TRE returned, SN id and SQN ⊕ AK.
        var kasme = EpsKeys.Kasme(result.Ck, result.Ik, Convert.FromHexString(ServingNetworkId), Convert.FromHexString(vector.Autn).AsSpan(0, 6));
        var same = vector.Kasme is not null && CryptographicOperations.FixedTimeEquals(kasme, Convert.FromHexString(vector.Kasme));
        CryptographicOperations.ZeroMemory(kasme);
        if (!same)
            return Fail(device, "K_ASME differs between the device and the HSS");
        return true;
    }

    private static bool Fail(DemoDevice device, string reason)
    {
        device.FailureReason = reason;
        return false;
    }
}
