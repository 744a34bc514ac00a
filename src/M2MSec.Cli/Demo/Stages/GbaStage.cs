using M2MSec.Device.Gba;
using M2MSec.Device.M2me;

namespace M2MSec.Cli.Demo.Stages;

/// <summary>
/// Issue 18 (TS 33.220, TS 33.222 §5.4; docs/decisions/030): every device bootstraps with the BSF over Ub — a UICC-based device
/// GBA_U (its GUSS says so; Ks stays in the UICC, the ME gets Ks_ext_NAF), a TRE-based one GBA_ME with its MCIM (Ks stays in the
/// TRE) — then opens a TLS 1.2 PSK session with the MTC server (the NAF) with its NAF key; the NAF gets the same key over Zn.
/// </summary>
internal sealed class GbaStage : IDemoStage
{
    public const string GbaMeEvent = "gba_me";
    public const string GbaUEvent = "gba_u";

    public string Name => "GBA + PSK-TLS";

    public bool AppliesTo(DemoDevice device) => device.Kind == M2meKind.Uicc ? device.Usim is not null : device.M2me is not null && device.ProvisionedImsi is not null;

    public async Task<bool> RunAsync(DemoDevice device, DemoEnvironment environment, DemoReport report, CancellationToken cancellationToken)
    {
        IGbaAuthenticator authenticator;
        if (device.Kind == M2meKind.Uicc)
        {
            await environment.HssAdmin.SetGbaTypeAsync(device.Imsi, "gba_u", cancellationToken);
            authenticator = new UiccGbaAuthenticator(device.Usim!);
        }
        else
        {
            authenticator = new TreGbaAuthenticator(device.M2me!.Tre, device.ProvisionedImsi!);
        }
        IGbaKeyHolder keys;
        try
        {
            keys = await GbaBootstrapClient.BootstrapAsync(environment.BsfDevice, authenticator, cancellationToken);
        }
        catch (GbaBootstrapException e)
        {
            return Fail(device, $"bootstrapping refused: {e.Message}");
        }
        var naf = environment.Naf;
        var session = await UaClient.HelloAsync(naf.EndPoint, naf.Options.Fqdn, keys, cancellationToken);
        if (session.Outcome != UaOutcome.Connected || session.Hello?.BTid != keys.BTid)
            return Fail(device, $"PSK-TLS with the MTC server: {session.Outcome} ({session.Alert})");
        report.Event(keys.GbaType == "gba_u" ? GbaUEvent : GbaMeEvent);
        return true;
    }

    private static bool Fail(DemoDevice device, string reason)
    {
        device.FailureReason = reason;
        return false;
    }
}
