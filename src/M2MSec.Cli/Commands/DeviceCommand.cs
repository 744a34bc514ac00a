using System.CommandLine;
using M2MSec.Cli.Internal;
using M2MSec.Device.M2me;

namespace M2MSec.Cli.Commands;

/// <summary>
/// `m2msec device create|show|tamper`: manufacture a simulated M2ME, look at it (never a
/// secret), and tamper with it for demonstrations. DIR is the device's own directory; the
/// emulated fuse lives apart from it (--fuse-dir or M2MSEC_FUSE_DIR).
/// </summary>
internal static class DeviceCommand
{
    public static Command Create()
    {
        var command = new Command("device", "Simulated M2M equipment (ME + TRE)");
        var data = CliArgs.Text("--data", "the device's own directory", "a directory");
        var fuse = CliArgs.Text("--fuse-dir", $"the emulated hardware fuse and replay-protected memory, apart from --data (default: ${M2meDevice.FuseEnvironmentVariable})", "a directory");
        var json = CliArgs.Flag("--json", "print one JSON object");

        var pcid = CliArgs.Text("--pcid", "Provisional Connectivity ID (IMSI format, 6–15 digits)", "6 to 15 decimal digits");
        var treId = CliArgs.Text("--tre-id", "TRE identity (default: a random TRE-… id)", "a text");
        var kind = CliArgs.Choice<M2meKind>("--kind", "uicc: TR 33.868, USIM on a UICC; tre: TR 33.812, MCIM in the TRE; default tre", M2meKind.Tre);
        var create = new Command("create", "Manufacture a device: identities, TRE keys, firmware measurements") { data, fuse, pcid, treId, kind, json };
        CliArgs.Required(create, data, pcid);
        create.Validators.Add(r =>
        {
            if (r.GetValue(pcid) is { } p && !M2MSec.Storage.Hss.Imsi.IsValid(p))
                r.AddError($"--pcid: expected 6 to 15 decimal digits, got {p.Length} characters");
        });
        create.SetAction(r => Run(r, fuse, fuseDir =>
        {
            var device = M2meDevice.Create(r.GetRequiredValue(data), fuseDir, r.GetRequiredValue(pcid), r.GetValue(kind), r.GetValue(treId));
            Print(r, r.GetValue(json), device.Status);
            return ExitCodes.Success;
        }));

        var show = new Command("show", "State, identities, lockdown, clock — never a secret") { data, fuse, json };
        CliArgs.Required(show, data);
        show.SetAction(r => Run(r, fuse, fuseDir =>
        {
            Print(r, r.GetValue(json), M2meDevice.Open(r.GetRequiredValue(data), fuseDir).Status);
            return ExitCodes.Success;
        }));

        var what = CliArgs.Choice<TamperKind>("--what", "store: flip a bit of the sealed store; rollback: put an older copy back; firmware: change an image");
        var tamper = new Command("tamper", "Tamper with a device, for demonstrations and tests") { data, fuse, what };
        CliArgs.Required(tamper, data, what);
        tamper.SetAction(r => Run(r, fuse, fuseDir =>
        {
            r.InvocationConfiguration.Output.WriteLine(M2meDevice.Tamper(r.GetRequiredValue(data), fuseDir, r.GetValue(what)));
            return ExitCodes.Success;
        }));

        var rootFile = CliArgs.Text("--root", "the root certificate (PEM or DER) the device will trust for its DM server", "a file path");
        var trust = new Command("trust-root", "Provision the DM server's root into the TRE's sealed storage (factory step; replaced later only by a rollover the root signs)") { data, fuse, rootFile };
        CliArgs.Required(trust, data, rootFile);
        trust.SetAction(r => Run(r, fuse, fuseDir =>
        {
            using var root = System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadCertificateFromFile(r.GetRequiredValue(rootFile));
            var device = M2meDevice.Open(r.GetRequiredValue(data), fuseDir);
            device.Tre.ProvisionTrustAnchor(M2MSec.Device.Tre.TreCaller.Manufacturer, DmRootName, root);
            r.InvocationConfiguration.Output.WriteLine($"{device.Info.TreId}: trusts {root.Subject} (sha256 {root.GetCertHashString(System.Security.Cryptography.HashAlgorithmName.SHA256).ToLowerInvariant()}) for its DM server");
            return ExitCodes.Success;
        }));

        command.Subcommands.Add(create);
        command.Subcommands.Add(show);
        command.Subcommands.Add(trust);
        command.Subcommands.Add(tamper);
        return command;
    }

    /// <summary>The name of the DM server's root in the TRE (trust/root/dm).</summary>
    public const string DmRootName = "dm";

    private static int Run(ParseResult r, Option<string> fuse, Func<string, int> action)
    {
        var fuseDir = r.GetValue(fuse) ?? Environment.GetEnvironmentVariable(M2meDevice.FuseEnvironmentVariable);
        if (string.IsNullOrEmpty(fuseDir))
        {
            CliOutput.Error(r, $"--fuse-dir: required (or set {M2meDevice.FuseEnvironmentVariable}): where the emulated hardware fuse lives, apart from --data");
            return ExitCodes.BadArguments;
        }
        try
        {
            return action(Path.GetFullPath(fuseDir));
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or IOException or InvalidDataException
            or System.Security.Cryptography.CryptographicException)
        {
            CliOutput.Error(r, e.Message);
            return ExitCodes.BadArguments;
        }
    }

    private static void Print(ParseResult r, bool json, M2meStatus s)
    {
        var t = s.Tre;
        CliOutput.Write(r, json,
        [
            new("kind", s.Info.Kind.ToString().ToLowerInvariant()),
            new("pcid", s.Info.Pcid),
            new("tre_id", s.Info.TreId),
            new("state", t.Locked ? "lockdown" : "operational"),
            new("lockdown_reason", t.LockdownReason?.ToString()),
            new("sealed_store_version", t.StoreVersion),
            new("secure_clock", t.Clock?.ToString("O", System.Globalization.CultureInfo.InvariantCulture)),
            new("clock_rollback_attempts", t.ClockRollbackAttempts),
            new("subscriptions", t.Subscriptions),
            new("manufactured_at", s.Info.ManufacturedAt.ToString("O", System.Globalization.CultureInfo.InvariantCulture)),
        ]);
    }
}
