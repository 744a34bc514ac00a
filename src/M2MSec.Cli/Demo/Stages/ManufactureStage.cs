using System.Security.Cryptography;
using M2MSec.Device.M2me;
using M2MSec.Device.Tre;
using M2MSec.Device.Uicc;

namespace M2MSec.Cli.Demo.Stages;

/// <summary>
/// Manufacture each M2ME (ME + TRE: fuse, keys, identities, firmware measurements) in its own
/// directory, its fuse apart from it; check that the TRE authenticates its TRE id and PCID by
/// signature. TRE-based devices get their subscription injected into the TRE here — the stand-in
/// for MCIM provisioning, which the provisioning work replaces with the 21-step flow.
/// </summary>
internal sealed class ManufactureStage : IDemoStage
{
    public string Name => "Manufacture ME + TRE";

    public Task<bool> RunAsync(DemoDevice device, DemoEnvironment environment, DemoReport report, CancellationToken cancellationToken)
    {
        var dir = Path.Combine(environment.DataDirectory, "devices", device.Imsi);
        var m2me = M2meDevice.Create(dir, environment.FuseDirectory, device.Imsi, device.Kind);
        var challenge = RandomNumberGenerator.GetBytes(32);
        if (!m2me.Tre.AuthenticateIdentities(TreCaller.Platform, challenge).Verify(m2me.Tre.IdentityPublicKey()))
        {
            device.FailureReason = "TRE identity assertion does not verify";
            return Task.FromResult(false);
        }
        if (device.Kind == M2meKind.Tre)
            m2me.Tre.InstallSubscription(TreCaller.Provisioning, device.Imsi, device.K, device.Opc);
        else
            device.Uicc = SimulatedUicc.Issue(dir, environment.FuseDirectory, m2me.Info.TreId, device.Iccid, device.Imsi);
        device.M2me = m2me;
        return Task.FromResult(true);
    }
}
