using System.Security.Cryptography;
using M2MSec.Aka;
using M2MSec.Cli.Internal;
using M2MSec.NetworkFunctions.Hss;

namespace M2MSec.Cli.Demo.Stages;

/// <summary>
/// UMTS AKA for each device (TS 33.102 §6.3), the demo playing the serving network: fetch a
/// vector from the HSS over HTTP, challenge the USIM (UICC devices) or the TRE (TRE devices)
/// with RAND and AUTN, compare RES with XRES
/// in fixed time; on a synchronisation failure hand AUTS to the HSS and retry once.
/// </summary>
internal sealed class AkaStage : IDemoStage
{
    public const string ResyncEvent = "resync";

    public string Name => "AKA over HTTP";

    public async Task<bool> RunAsync(DemoDevice device, DemoEnvironment environment, DemoReport report, CancellationToken cancellationToken)
    {
        var answer = await environment.ServingNetwork.GetVectorsAsync(device.Imsi, ct: cancellationToken);
        var vector = answer.Vectors[0];
        var result = device.Authenticate(Convert.FromHexString(vector.Rand), Convert.FromHexString(vector.Autn));
        if (result.Status == UsimAuthenticationStatus.SynchronisationFailure)
        {
            report.Event(ResyncEvent);
            var resync = new ResyncInfo(vector.Rand, Convert.ToHexStringLower(result.Auts!));
            answer = await environment.ServingNetwork.GetVectorsAsync(device.Imsi, resync: resync, ct: cancellationToken);
            if (!answer.Resynchronised)
                return Fail(device, "the HSS did not resynchronise from AUTS");
            vector = answer.Vectors[0];
            result = device.Authenticate(Convert.FromHexString(vector.Rand), Convert.FromHexString(vector.Autn));
        }
        if (!result.IsSuccess)
            return Fail(device, $"USIM answered {CliOutput.Name(result.Status)}");
        if (!CryptographicOperations.FixedTimeEquals(result.Res, Convert.FromHexString(vector.Xres)))
            return Fail(device, "RES ≠ XRES");
        if (!CryptographicOperations.FixedTimeEquals(result.Ck, Convert.FromHexString(vector.Ck!))
            || !CryptographicOperations.FixedTimeEquals(result.Ik, Convert.FromHexString(vector.Ik!)))
            return Fail(device, "CK/IK differ between USIM and HSS");
        return true;
    }

    private static bool Fail(DemoDevice device, string reason)
    {
        device.FailureReason = reason;
        return false;
    }
}
