using System.CommandLine;
using System.Globalization;
using M2MSec.Cli.Internal;
using M2MSec.Device.M2me;
using M2MSec.Device.Tre;
using M2MSec.NetworkFunctions.Ocsp;
using M2MSec.Pki;
using M2MSec.Pki.Validation;

namespace M2MSec.Cli.Commands;

/// <summary>
/// `m2msec pki check`: the device's check of a server certificate, as its DM client runs it —
/// by OCSP with a nonce, by the secure clock, or by a staple. Exit 0 accepted, 1 refused.
/// </summary>
internal static class PkiCheckCommand
{
    public static Command Create()
    {
        var check = new Command("check", "Check a server certificate as a device does (provisioned root only)");
        var cert = CliArgs.ExistingFile("--cert", "the server certificate (PEM or DER)");
        var root = CliArgs.ExistingFile("--trust-root", "the provisioned root (PEM or DER); the system store is never used");
        var rootOld = CliArgs.HiddenAlias(CliArgs.ExistingFile("--root", "old name of --trust-root"));
        var chain = CliArgs.ExistingFile("--chain", "intermediate certificates (PEM)");
        var mode = CliArgs.OneOf("--mode", "how to check", CheckModes.Names);
        var ocspUrl = CliArgs.Text("--ocsp-url", "OCSP responder (default: the certificate's AIA)", "an http URL");
        var staple = CliArgs.ExistingFile("--staple", "a stapled OCSP response (DER), for --mode stapled");
        var data = CliArgs.ExistingDirectory("--data", "a device directory: its TRE supplies the secure clock (and takes the responder's time)");
        var fuse = CliArgs.ExistingDirectory("--fuse-dir", $"the device's emulated fuse, apart from --data (default: ${M2meDevice.FuseEnvironmentVariable}, else $XDG_DATA_HOME/m2msec/fuses)");
        var maxValidity = CliArgs.Text("--max-validity", "secure-clock: longest validity accepted, e.g. 7d, 36h, 90m (default 7d)", "a duration");
        var json = CliArgs.Flag("--json", "one JSON object");
        foreach (var o in new Option[] { cert, root, rootOld, chain, mode, ocspUrl, staple, data, fuse, maxValidity, json })
            check.Options.Add(o);
        CliArgs.Required(check, cert, mode);
        CliArgs.RequiredEither(check, root, rootOld);
        check.Validators.Add(r =>
        {
            if (r.GetValue(maxValidity) is { } d && !TryParseDuration(d, out _))
                r.AddError($"--max-validity: expected a positive duration like 7d, 36h, 90m or 600s, got '{d}'");
            if (r.GetValue(ocspUrl) is { } u && !(Uri.TryCreate(u, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"))
                r.AddError($"--ocsp-url: expected an http URL, got '{u}'");
            var stapled = string.Equals(r.GetValue(mode), "stapled", StringComparison.OrdinalIgnoreCase);
            if (r.GetResult(staple) is not null && !stapled)
                r.AddError("--staple: only with --mode stapled");
            // This command fetches no staple from a live server: stapled mode checks the one given.
            if (r.GetResult(staple) is null && stapled)
                r.AddError("--staple: required with --mode stapled, expected a file path (a DER OCSP response)");
        });
        check.SetAction(async (r, ct) =>
        {
            var leaf = CliPaths.LoadCertificate("--cert", r.GetRequiredValue(cert));
            var anchor = CliPaths.LoadCertificate("--trust-root", CliArgs.Either(r, root, rootOld)!);
            var intermediates = r.GetValue(chain) is { } chainFile ? CliPaths.LoadPemCertificates("--chain", chainFile) : [];
            var stapleBytes = r.GetValue(staple) is { } stapleFile ? CliPaths.ReadAllBytes("--staple", stapleFile) : null;
            CheckModes.TryParse(r.GetRequiredValue(mode), out var checkMode);
            var policy = new CheckPolicy();
            if (r.GetValue(maxValidity) is { } mv && TryParseDuration(mv, out var max))
                policy = policy with { MaxValidity = max };

            ITrustedClock clock;
            string clockName;
            if (r.GetValue(data) is { } deviceDir)
            {
                var fuseDir = CliDefaults.FuseDirectory(r.GetValue(fuse)).Path;
                var dataPath = CliPaths.Check("--data", deviceDir, PathKind.ExistingDirectory);
                var fusePath = CliPaths.Check("--fuse-dir", fuseDir, PathKind.ExistingDirectory);
                DeviceCommand.CheckExisting(dataPath, fusePath);
                try
                {
                    var device = M2meDevice.Open(dataPath, fusePath);
                    clock = device.Tre.TrustedClock(TreCaller.DeviceManagement);
                    clockName = $"tre:{device.Info.TreId}";
                    // The device trusts the root in its TRE and nothing else: --trust-root must be that one.
                    if (device.Tre.TrustAnchor(TreCaller.DeviceManagement, DeviceCommand.DmRootName) is { } provisioned
                        && !provisioned.RawData.AsSpan().SequenceEqual(anchor.RawData))
                    {
                        CliOutput.Error(r, $"--trust-root: differs from the root provisioned in the device's TRE ({provisioned.Subject})");
                        return ExitCodes.BadArguments;
                    }
                }
                catch (Exception e) when (e is IOException or InvalidOperationException or TreLockedException or System.Text.Json.JsonException
                    or InvalidDataException or System.Security.Cryptography.CryptographicException)
                {
                    return DeviceCommand.Refuse(r, e);
                }
            }
            else
            {
                clock = new HostTrustedClock(TimeProvider.System);
                clockName = "host (no TRE: not a secure clock)";
            }

            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
            var checker = new ServerCertificateChecker(anchor, clock, policy, (url, der, c) => OcspEndpoints.QueryAsync(http, url, der, c));
            var url = r.GetValue(ocspUrl) is { } o ? new Uri(o) : null;
            var verdict = await checker.CheckAsync(checkMode, leaf, [.. intermediates], stapleBytes, url, ct);
            CliOutput.Write(r, r.GetValue(json),
            [
                new("verdict", verdict.Accepted ? "accepted" : "refused"),
                new("mode", checkMode.Name()),
                new("reason", verdict.Accepted ? null : verdict.ReasonName),
                new("detail", verdict.Detail),
                new("trusted_time", verdict.TrustedTime?.ToString("O", CultureInfo.InvariantCulture)),
                new("clock", clockName),
                new("subject", leaf.Subject),
                new("serial", CertificateSerial.Of(leaf)),
            ]);
            return verdict.Accepted ? ExitCodes.Success : ExitCodes.SecurityRefused;
        });
        return check;
    }

    internal static bool TryParseDuration(string text, out TimeSpan duration)
    {
        duration = default;
        if (text.Length < 2 || !long.TryParse(text.AsSpan(0, text.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n <= 0 || n > 100_000_000)
            return false;
        duration = text[^1] switch
        {
            'd' => TimeSpan.FromDays(n),
            'h' => TimeSpan.FromHours(n),
            'm' => TimeSpan.FromMinutes(n),
            's' => TimeSpan.FromSeconds(n),
            _ => default,
        };
        return duration > TimeSpan.Zero;
    }
}
