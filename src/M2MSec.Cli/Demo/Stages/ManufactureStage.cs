using System.Security.Cryptography;
using M2MSec.Device.M2me;
using M2MSec.Device.Tre;
using M2MSec.Device.Uicc;

namespace M2MSec.Cli.Demo.Stages;

/// <summary>
/// Manufacture each M2ME (ME + TRE: fuse, keys, identities, firmware measurements) in its own
/// directory, its fuse apart from it; check that the TRE authenticates its TRE id and PCID by
/// signature. TRE-based devices are registered at the CCIF and get their PCID's temporary credential, their PfC and
/// their roots; their subscription comes later, by remote MCIM provisioning (<see cref="ProvisioningStage"/>).
/// </summary>
internal sealed class ManufactureStage : IDemoStage
{
    public string Name => "Manufacture ME + TRE";

    public async Task<bool> RunAsync(DemoDevice device, DemoEnvironment environment, DemoReport report, CancellationToken cancellationToken)
    {
        var dir = Path.Combine(environment.DataDirectory, "devices", device.Imsi);
        var m2me = M2meDevice.Create(dir, environment.FuseDirectory, device.Imsi, device.Kind, platformKey: M2MSec.Pki.Authority.KeyAlgorithm.EcP256);
        var challenge = RandomNumberGenerator.GetBytes(32);
        if (!m2me.Tre.AuthenticateIdentities(TreCaller.Platform, challenge).Verify(m2me.Tre.IdentityPublicKey()))
        {
            device.FailureReason = "TRE identity assertion does not verify";
            return false;
        }
        if (device.Kind == M2meKind.Tre)
        {
            // The factory line registers the device at the CCIF (PfC, temporary credential, reference measurements to the PVA)
            // and injects what it answers: the PCID's temporary credential, the PfC, the DM and SHO signing roots.
            // Issue 16: a device the demo will move to the second SHO ships with its owner's authorisation token, handed to the first SHO.
            device.AuthToken = ChangeOfSubscriptionStage.Moves(device) ? RandomNumberGenerator.GetBytes(16) : null;
            var answer = await environment.Ccif.ManufactureAsync(Commands.CcifCommand.Request(m2me, M2MSec.Pki.Authority.KeyAlgorithm.EcP256, device.AuthToken),
                cancellationToken);
            Commands.CcifCommand.Inject(m2me, answer, device.AuthToken);
            if (device.AuthToken is { } token)
                await environment.SetAuthorisationTokenAsync("sho", device.Imsi, token, cancellationToken);
        }
        else
        {
            device.Uicc = SimulatedUicc.Issue(dir, environment.FuseDirectory, m2me.Info.TreId, device.Iccid, device.Imsi);
        }
        device.M2me = m2me;
        return true;
    }
}
