using System.CommandLine;
using System.Text.Json;
using M2MSec.Cli.Internal;
using M2MSec.Dm.Notification;
using M2MSec.NetworkFunctions.Dm;
using M2MSec.NetworkFunctions.Hosting;
using M2MSec.NetworkFunctions.Smsc;

namespace M2MSec.Cli.Commands;

/// <summary>
/// `m2msec dm notify --data DIR --dev-id ID [--smsc URL [--cert --key --trust-root]] [--to ADDR] [--from ADDR] [--ui-mode M] [--json]`:
/// a server-initiated session — package 0 for the device, as WAP push over SMS through the SMSC (or printed,
/// for the operator's own SMS gateway).
/// </summary>
internal static class DmNotifyCommand
{
    private static readonly string[] UiModes = ["not-specified", "background", "informative", "interactive"];

    public static Command Create()
    {
        var notify = new Command("notify", "Ask a device to open a DM session: package 0 (with its digest) as WAP push over SMS");
        var store = new StoreArgs();
        var devId = CliArgs.Text("--dev-id", "the device's DevId", "a DevId");
        var smsc = CliArgs.Text("--smsc", "the SMSC to submit to (without it the TPDUs are only printed)", "a URL");
        var to = CliArgs.Text("--to", "the device's SMS address (default: its DevId)", "an address");
        var from = CliArgs.Text("--from", "the DM server's SMS address (digits)", "digits");
        from.DefaultValueFactory = _ => "4930000000";
        var uiMode = CliArgs.OneOf("--ui-mode", "what the user sees before the session", UiModes, "background");
        var cert = CliArgs.ExistingFile("--cert", "client certificate towards an SMSC under mutual TLS (PEM)");
        var key = CliArgs.ExistingFile("--key", "its private key (PEM)");
        var trustRoot = CliArgs.ExistingFile("--trust-root", "the root the SMSC's certificate must chain to (PEM)");
        var json = CliArgs.Flag("--json", "one JSON object");
        store.AddTo(notify);
        foreach (var o in new Option[] { devId, smsc, to, from, uiMode, cert, key, trustRoot, json })
            notify.Options.Add(o);
        CliArgs.Required(notify, store.Data, devId);
        notify.Validators.Add(r =>
        {
            if (r.GetValue(smsc) is { } s && !Uri.TryCreate(s, UriKind.Absolute, out _))
                r.AddError($"--smsc: expected an absolute URL, got '{s}'");
            if (r.GetValue(from) is { } f && (f.Length is 0 or > 20 || !f.All(char.IsAsciiDigit)))
                r.AddError($"--from: expected 1 to 20 digits, got '{f}'");
            if ((r.GetValue(cert) is null) != (r.GetValue(key) is null) || (r.GetValue(cert) is null) != (r.GetValue(trustRoot) is null))
                r.AddError("--cert/--key/--trust-root: expected all three or none");
        });
        notify.SetAction((r, ct) => store.RunAsync(r, async state =>
        {
            var dev = r.GetRequiredValue(devId);
            var mode = (DmUiMode)Array.IndexOf(UiModes, r.GetRequiredValue(uiMode).ToLowerInvariant());
            var push = await DmNotifications.CreateAsync(state.Dm, dev, mode, r.GetRequiredValue(from), TimeProvider.System, ct);
            if (push is null)
            {
                CliOutput.Error(r, $"--dev-id: {dev} has no DM account; run `m2msec dm account add` first");
                return ExitCodes.BadArguments;
            }
            var address = r.GetValue(to) ?? dev;
            var tpdus = push.Tpdus.Select(Convert.ToHexStringLower).ToList();
            if (r.GetValue(smsc) is { } smscUrl)
            {
                var baseUri = new Uri(smscUrl.EndsWith('/') ? smscUrl : smscUrl + "/");
                using var http = r.GetValue(cert) is { } certFile
                    ? NetworkFunctionTls.Load(certFile, r.GetRequiredValue(key), null, r.GetRequiredValue(trustRoot)).CreateClient(baseUri, TimeSpan.FromSeconds(10))
                    : new HttpClient { BaseAddress = baseUri, Timeout = TimeSpan.FromSeconds(10) };
                try
                {
                    await new SmscClient(http).SubmitAsync(new SmsMessage(address, r.GetRequiredValue(from), tpdus, null), ct);
                }
                catch (HttpRequestException e) when (e.HttpRequestError == HttpRequestError.SecureConnectionError && e.InnerException is not IOException) // an EOF or reset: unreachable, exit 4
                {
                    // The peer's certificate does not chain to the trust root (or the TLS handshake failed): a refusal, exit 1.
                    var anchor = r.GetValue(trustRoot) is null ? "the system's trust store (no --trust-root given)" : "--trust-root";
                    throw new CliExitException(ExitCodes.SecurityRefused, $"--smsc: TLS with {baseUri} refused: its certificate is not trusted by {anchor}, or the handshake failed; nothing was submitted");
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
                {
                    // The peer, not the input: exit 4, one line, without the runtime's message.
                    var status = e is HttpRequestException { StatusCode: { } code } ? $"answered HTTP {(int)code}" : "could not be reached";
                    throw new CliExitException(ExitCodes.CouldNotRun, $"--smsc: {baseUri} {status}; nothing was submitted");
                }
            }
            await state.Audit.AppendAsync("cli", "dm.notify", dev, $"session {push.Notification.SyncMlSessionId}, {push.Tpdus.Count} SMS", ct);
            var output = r.InvocationConfiguration.Output;
            if (r.GetValue(json))
            {
                output.WriteLine(JsonSerializer.Serialize(new
                {
                    dev_id = dev,
                    server_id = push.Notification.ServerId,
                    session_id = push.Notification.SyncMlSessionId,
                    ui_mode = UiModes[(int)mode],
                    to = address,
                    submitted = r.GetValue(smsc) is not null,
                    package0 = Convert.ToHexStringLower(push.Package0),
                    tpdus,
                }));
            }
            else
            {
                output.WriteLine($"package 0 for {dev} (server {push.Notification.ServerId}, session {push.Notification.SyncMlSessionId}): "
                    + (r.GetValue(smsc) is null ? $"{tpdus.Count} SMS-DELIVER TPDU(s), not submitted:" : $"submitted to {address} in {tpdus.Count} SMS"));
                if (r.GetValue(smsc) is null)
                    tpdus.ForEach(output.WriteLine);
            }
            return ExitCodes.Success;
        }, ct));
        return notify;
    }
}
