using System.CommandLine;
using M2MSec.Cli.Internal;
using M2MSec.Device.M2me;

namespace M2MSec.Cli.Commands;

/// <summary>
/// `m2msec device create|show|tamper`: manufacture a simulated M2ME, look at it (never a
/// secret), and tamper with it for demonstrations. DIR is the device's own directory; the
/// emulated fuse lives apart from it (--fuse-dir, else M2MSEC_FUSE_DIR, else the per-user
/// default of <see cref="CliDefaults"/>, made by `device create` on first use).
/// </summary>
internal static class DeviceCommand
{
    public static Command Create()
    {
        var command = new Command("device", "Simulated M2M equipment (ME + TRE)");
        var newData = CliArgs.Directory("--data", "the device's own directory (created if missing)");
        var newFuse = CliArgs.Directory("--fuse-dir", $"the emulated hardware fuse and replay-protected memory, apart from --data (default: ${M2meDevice.FuseEnvironmentVariable}, else $XDG_DATA_HOME/m2msec/fuses)");
        var data = CliArgs.ExistingDirectory("--data", "the device's own directory");
        var fuse = CliArgs.ExistingDirectory("--fuse-dir", $"the emulated hardware fuse and replay-protected memory, apart from --data (default: ${M2meDevice.FuseEnvironmentVariable}, else $XDG_DATA_HOME/m2msec/fuses)");
        var json = CliArgs.Flag("--json", "print one JSON object");

        var pcid = CliArgs.Text("--pcid", "Provisional Connectivity ID (IMSI format, 6–15 digits)", "6 to 15 decimal digits");
        var treId = CliArgs.Text("--tre-id", "TRE identity (default: a random TRE-… id)", "a text");
        var kind = CliArgs.Choice<M2meKind>("--kind", "uicc: TR 33.868, USIM on a UICC; tre: TR 33.812, MCIM in the TRE", M2meKind.Tre);
        var create = new Command("create", "Manufacture a device: identities, TRE keys, firmware measurements") { newData, newFuse, pcid, treId, kind, json };
        CliArgs.Required(create, newData, pcid);
        create.Validators.Add(r =>
        {
            if (r.GetValue(pcid) is { } p && !M2MSec.Storage.Hss.Imsi.IsValid(p))
                r.AddError($"--pcid: expected 6 to 15 decimal digits, got {p.Length} characters");
        });
        create.SetAction(r => Run(r, newData, newFuse, creates: true, (dataDir, fuseDir) =>
        {
            if (r.GetValue(treId) is { } id && M2meDevice.FuseBurnt(fuseDir, id))
                throw CliExitException.Bad($"--tre-id: the fuses of TRE {id} are already burnt in {fuseDir}");
            var device = CreateOrUndo(dataDir, fuseDir, () => M2meDevice.Create(dataDir, fuseDir, r.GetRequiredValue(pcid), CliArgs.ChoiceValue(r, kind), r.GetValue(treId)));
            Print(r, r.GetValue(json), device.Status);
            return ExitCodes.Success;
        }));

        var show = new Command("show", "State, identities, lockdown, clock — never a secret") { data, fuse, json };
        CliArgs.Required(show, data);
        show.SetAction(r => Run(r, data, fuse, creates: false, (dataDir, fuseDir) =>
        {
            Print(r, r.GetValue(json), M2meDevice.Open(dataDir, fuseDir).Status);
            return ExitCodes.Success;
        }));

        var what = CliArgs.Choice<TamperKind>("--what", "store: flip a bit of the sealed store; rollback: put an older copy back; firmware: change an image");
        var tamper = new Command("tamper", "Tamper with a device, for demonstrations and tests") { data, fuse, what, json };
        CliArgs.Required(tamper, data, what);
        tamper.SetAction(r => Run(r, data, fuse, creates: false, (dataDir, fuseDir) =>
        {
            var done = M2meDevice.Tamper(dataDir, fuseDir, r.GetValue(what));
            CliOutput.Write(r, r.GetValue(json), [new("tampered", CliOutput.Name(r.GetValue(what))), new("detail", done)]);
            return ExitCodes.Success;
        }));

        var rootFile = CliArgs.ExistingFile("--trust-root", "the root certificate (PEM or DER) the device will trust for its DM server");
        var rootOld = CliArgs.HiddenAlias(CliArgs.ExistingFile("--root", "old name of --trust-root"));
        var trust = new Command("trust-root", "Provision the DM server's root into the TRE's sealed storage (factory step; replaced later only by a rollover the root signs)") { data, fuse, rootFile, rootOld };
        CliArgs.Required(trust, data);
        CliArgs.RequiredEither(trust, rootFile, rootOld);
        trust.SetAction(r => Run(r, data, fuse, creates: false, (dataDir, fuseDir) =>
        {
            using var root = CliPaths.LoadCertificate("--trust-root", CliArgs.Either(r, rootFile, rootOld)!);
            var device = M2meDevice.Open(dataDir, fuseDir);
            device.Tre.ProvisionTrustAnchor(M2MSec.Device.Tre.TreCaller.Manufacturer, DmRootName, root);
            r.InvocationConfiguration.Output.WriteLine($"{device.Info.TreId}: trusts {root.Subject} (sha256 {root.GetCertHashString(System.Security.Cryptography.HashAlgorithmName.SHA256).ToLowerInvariant()}) for its DM server");
            return ExitCodes.Success;
        }));

        command.Subcommands.Add(create);
        command.Subcommands.Add(show);
        command.Subcommands.Add(trust);
        command.Subcommands.Add(tamper);
        command.Subcommands.Add(DeviceProvisionCommand.Create(data, fuse));
        command.Subcommands.Add(DeviceRehabilitateCommand.Create(data, fuse));
        command.Subcommands.Add(DeviceBatteryCommand.Create(data));
        command.Subcommands.Add(DevicePagingCommand.Create(data, fuse));
        command.Subcommands.Add(DeviceRunCommand.Create());
        return command;
    }

    /// <summary>The name of the DM server's root in the TRE (trust/root/dm).</summary>
    public const string DmRootName = "dm";

    /// <summary>
    /// Checks --data and --fuse-dir (the variable too) before anything is touched, then runs the action; a device
    /// error is one line naming the option it concerns (exit 2), an I/O failure exit 4.
    /// </summary>
    internal static int Run(ParseResult r, Option<string> data, Option<string> fuse, bool creates, Func<string, string, int> action)
    {
        var (fuseDir, named) = CliDefaults.FuseDirectory(r.GetValue(fuse));
        var kind = creates ? PathKind.Directory : PathKind.ExistingDirectory;
        var dataDir = CliPaths.Check("--data", r.GetRequiredValue(data), kind);
        fuseDir = CliPaths.Check("--fuse-dir", fuseDir, kind);
        if (IsWithin(fuseDir, dataDir) || IsWithin(dataDir, fuseDir))
            throw CliExitException.Bad($"--fuse-dir: {fuseDir} must be apart from the device directory {dataDir}");
        if (creates && M2meDevice.Exists(dataDir))
            throw CliExitException.Bad($"--data: {dataDir} already holds a device");
        if (!creates)
            CheckExisting(dataDir, fuseDir);
        else if (!named)
            CliDefaults.EnsureDefaultFuseDirectory(r.InvocationConfiguration.Error);
        try
        {
            return action(dataDir, fuseDir);
        }
        catch (UnauthorizedAccessException)
        {
            throw new CliExitException(ExitCodes.CouldNotRun, $"--data/--fuse-dir: {dataDir}, {fuseDir}: permission denied");
        }
        catch (IOException e) when (e is not FileNotFoundException and not DirectoryNotFoundException)
        {
            throw new CliExitException(ExitCodes.CouldNotRun, $"--data/--fuse-dir: {dataDir}, {fuseDir}: I/O error");
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or InvalidDataException or System.Security.Cryptography.CryptographicException)
        {
            // The device's own refusals (a locked TRE, a root already provisioned, damaged state): its message, one line.
            CliOutput.Error(r, $"--data: {e.Message}");
            return ExitCodes.BadArguments;
        }
        catch (ArgumentException e)
        {
            CliOutput.Error(r, $"--data: {e.Message.Replace($" (Parameter '{e.ParamName}')", "", StringComparison.Ordinal)}");
            return ExitCodes.BadArguments;
        }
    }

    /// <summary>
    /// Manufactures, and on any failure removes what this run created (the directories that did not exist before,
    /// or the firmware/ and tre/ inside an existing one), so that a refused `device create` leaves nothing behind.
    /// </summary>
    internal static M2meDevice CreateOrUndo(string dataDir, string fuseDir, Func<M2meDevice> create)
    {
        string[] created = [.. new[] { dataDir, Path.Combine(dataDir, "firmware"), Path.Combine(dataDir, "tre"), fuseDir }
            .Where(d => !Directory.Exists(d))];
        try
        {
            return create();
        }
        catch
        {
            foreach (var d in created.Where(Directory.Exists))
            {
                try
                {
                    Directory.Delete(d, recursive: true);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    // Best effort: the original error is what the user needs to see.
                }
            }
            throw;
        }
    }

    private static bool IsWithin(string path, string directory) =>
        (path.TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar).StartsWith(
            directory.TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar, StringComparison.Ordinal);

    /// <summary>Refuses (exit 2 naming the option) a --data that holds no readable device, or a --fuse-dir without its fuse.</summary>
    internal static void CheckExisting(string dataDir, string fuseDir)
    {
        if (!M2meDevice.Exists(dataDir))
            throw CliExitException.Bad($"--data: {dataDir} holds no device (no device.json)");
        var info = CliPaths.Guard("--data", dataDir, () =>
        {
            try
            {
                return M2meDevice.ReadInfo(dataDir);
            }
            catch (InvalidDataException)
            {
                throw CliExitException.Bad($"--data: {dataDir} holds a damaged device.json");
            }
        });
        if (!M2meDevice.FuseBurnt(fuseDir, info.TreId))
            throw CliExitException.Bad($"--fuse-dir: {fuseDir} holds no fuse for TRE {info.TreId}");
    }

    /// <summary>A device error of <c>pki check --data</c>: one line naming --data, exit 2 (4 for an I/O failure).</summary>
    internal static int Refuse(ParseResult r, Exception e)
    {
        if (e is IOException and not FileNotFoundException and not DirectoryNotFoundException)
            throw new CliExitException(ExitCodes.CouldNotRun, "--data: I/O error reading the device");
        CliOutput.Error(r, $"--data: {e.Message}");
        return ExitCodes.BadArguments;
    }

    private static void Print(ParseResult r, bool json, M2meStatus s)
    {
        var t = s.Tre;
        CliOutput.Write(r, json,
        [
            new("kind", CliOutput.Name(s.Info.Kind)),
            new("pcid", s.Info.Pcid),
            new("tre_id", s.Info.TreId),
            new("state", t.Locked ? "lockdown" : "operational"),
            new("lockdown_reason", t.LockdownReason is { } reason ? CliOutput.Name(reason) : null),
            new("sealed_store_version", t.StoreVersion),
            new("secure_clock", t.Clock?.ToString("O", System.Globalization.CultureInfo.InvariantCulture)),
            new("clock_rollback_attempts", t.ClockRollbackAttempts),
            new("subscriptions", t.Subscriptions),
            new("manufactured_at", s.Info.ManufacturedAt.ToString("O", System.Globalization.CultureInfo.InvariantCulture)),
        ]);
    }
}
