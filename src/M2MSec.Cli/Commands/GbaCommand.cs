using System.CommandLine;
using System.Globalization;
using M2MSec.Cli.Internal;
using M2MSec.Device.Gba;
using M2MSec.Device.M2me;
using M2MSec.Device.Provisioning;

namespace M2MSec.Cli.Commands;

/// <summary>
/// `m2msec gba bootstrap --data DEVICE-DIR --bsf URL [--trust-root FILE] [--json]` (issue 18, docs/decisions/029): the device
/// bootstraps with the BSF over Ub (HTTP Digest AKA) — GBA_ME, Ks kept in its TRE — checks the BSF's rspauth, and prints the B-TID
/// and the key lifetime (never Ks), kept in DEVICE-DIR/gba.json. Exit 0 bootstrapped, 1 a security check refused (the network's
/// AUTN, the BSF's rspauth, the BSF refused the response), 2 bad arguments (a UICC-based device: its GBA_U runs on the UICC), 4 the
/// BSF could not be reached.
/// </summary>
internal static class GbaCommand
{
    public static Command Create()
    {
        var command = new Command("gba", "Generic Bootstrapping Architecture (TS 33.220): the device side of Ub");
        var data = CliArgs.ExistingDirectory("--data", "the device's own directory (a TRE-based device with an active MCIM)");
        var fuse = CliArgs.ExistingDirectory("--fuse-dir", $"the emulated hardware fuse, apart from --data (default: ${M2meDevice.FuseEnvironmentVariable}, else $XDG_DATA_HOME/m2msec/fuses)");
        var bsf = CliArgs.Text("--bsf", "the BSF's device listener (endpoints.json: bsf-device), https://IP:PORT", "an http(s) URL");
        var trustRoot = CliArgs.ExistingFile("--trust-root", "the root the BSF's certificate must chain to (PEM; default: the DM root in the device's TRE)");
        var imsi = CliArgs.Text("--imsi", "the subscription in the TRE to bootstrap with (default: the TRE's active MCIM)", "6 to 15 decimal digits");
        var json = CliArgs.Flag("--json", "print one JSON object (snake_case)");
        var bootstrap = new Command("bootstrap", "Bootstrap with the BSF (Digest AKA); prints the B-TID and the key lifetime, never Ks")
        {
            data, fuse, bsf, trustRoot, imsi, json,
        };
        CliArgs.Required(bootstrap, data, bsf);
        bootstrap.SetAction(r =>
        {
            if (!Uri.TryCreate(r.GetRequiredValue(bsf), UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
                throw CliExitException.Bad("--bsf: expected http(s)://IP:PORT (bsf-device in endpoints.json)");
            var root = r.GetValue(trustRoot) is { } file ? CliPaths.LoadCertificate("--trust-root", file) : null;
            return DeviceCommand.Run(r, data, fuse, creates: false, (dataDir, fuseDir) =>
            {
                var device = M2meDevice.Open(dataDir, fuseDir);
                if (device.Info.Kind != M2meKind.Tre)
                    throw CliExitException.Bad($"--data: {dataDir} is a UICC-based device; GBA_U runs in its UICC, not in a device directory's TRE");
                var subscription = r.GetValue(imsi) ?? device.Tre.InstalledMcims().ActiveImsi
                    ?? throw CliExitException.Bad($"--data: {dataDir} has no active MCIM (provision the device first, or name --imsi)");
                if (!M2MSec.Storage.Hss.Imsi.IsValid(subscription))
                    throw CliExitException.Bad("--imsi: expected 6 to 15 decimal digits");
                root ??= device.Tre.TrustAnchor(Device.Tre.TreCaller.DeviceManagement, DeviceCommand.DmRootName);
                if (url.Scheme == "https" && root is null)
                    throw CliExitException.Bad("--trust-root: required (the device's TRE holds no DM root to check the BSF with)");
                using var http = url.Scheme == "https" ? RoProvisioningClient.Client(url, root!) : new HttpClient { BaseAddress = url, Timeout = TimeSpan.FromSeconds(30) };
                IGbaKeyHolder keys;
                try
                {
                    keys = GbaBootstrapClient.BootstrapAsync(http, new TreGbaAuthenticator(device.Tre, subscription), CancellationToken.None).GetAwaiter().GetResult();
                }
                catch (GbaBootstrapException e)
                {
                    CliOutput.Error(r, $"bsf: {e.Message}");
                    return ExitCodes.SecurityRefused;
                }
                catch (HttpRequestException e)
                {
                    CliOutput.Error(r, $"bsf: could not be reached ({e.Message.Split('\n')[0]})");
                    return ExitCodes.CouldNotRun;
                }
                catch (InvalidOperationException e) when (e.Message.StartsWith("no subscription", StringComparison.Ordinal))
                {
                    throw CliExitException.Bad($"--imsi: the TRE holds no subscription {subscription}");
                }
                catch (TaskCanceledException)
                {
                    CliOutput.Error(r, "bsf: did not answer in time");
                    return ExitCodes.CouldNotRun;
                }
                new GbaBootstrapRecord(keys.BTid, keys.Expires, keys.Impi, subscription).Save(dataDir);
                CliOutput.Write(r, r.GetValue(json),
                [
                    new("b_tid", keys.BTid), new("key_lifetime", keys.Expires.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture)),
                    new("impi", keys.Impi), new("gba_type", keys.GbaType),
                ]);
                return ExitCodes.Success;
            });
        });
        command.Subcommands.Add(bootstrap);
        return command;
    }
}
