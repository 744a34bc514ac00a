using System.CommandLine;
using M2MSec.Cli.Internal;
using M2MSec.NetworkFunctions.Hosting;
using M2MSec.NetworkFunctions.MtcIwf;

namespace M2MSec.Cli.Commands;

/// <summary>
/// `m2msec trigger send|grant` (issue 17, docs/decisions/027): an MTC server triggers a device through the running MTC-IWF
/// (mutual TLS with an mtc-server certificate: by default the mtc-server.crt/.key `serve all` writes beside endpoints.json), and
/// the administrator grants an MTC server the right to trigger a device.
/// </summary>
internal static class TriggerCommand
{
    public static Command Create()
    {
        var command = new Command("trigger", "Device triggering through the MTC-IWF (issue 17)");
        var endpoints = CliArgs.ExistingFile("--endpoints", "endpoints.json of a running `m2msec serve all` (credentials beside it)");
        var json = CliArgs.Flag("--json", "print one JSON object (snake_case)");
        var device = CliArgs.Text("--device", "the device's external identifier the grant names (e.g. sensor-1@mtc.example)", "an external identifier");

        var payload = CliArgs.Text("--payload", "application data for the device (hex, at most 1024 octets)", "hex");
        var dmSession = CliArgs.Flag("--dm-session", "wake the device for an OMA DM session with its server");
        var otaJob = CliArgs.Text("--ota-job", "wake the device to fetch this OTA job", "a job id");
        var cert = CliArgs.ExistingFile("--cert", "the MTC server's certificate (PEM, role mtc-server; default: mtc-server.crt beside --endpoints)");
        var key = CliArgs.ExistingFile("--key", "its private key (PEM; default: mtc-server.key beside --endpoints)");
        var send = new Command("send", "Trigger a device as an MTC server: exit 0 handed over for paging or direct delivery, 3 queued (offline), 1 refused")
        {
            endpoints, device, payload, dmSession, otaJob, cert, key, json,
        };
        CliArgs.Required(send, endpoints, device);
        send.Validators.Add(r =>
        {
            var given = (r.GetValue(payload) is not null ? 1 : 0) + (r.GetValue(dmSession) ? 1 : 0) + (r.GetValue(otaJob) is not null ? 1 : 0);
            if (given != 1)
                r.AddError("--payload/--dm-session/--ota-job: give exactly one");
            if (r.GetValue(payload) is { } p && (p.Length % 2 != 0 || !p.All(Uri.IsHexDigit) || p.Length > 2048))
                r.AddError("--payload: expected hex digits in pairs, at most 1024 octets");
            if (r.GetValue(device) is { } d && !MtcIdentifier.IsValid(d))
                r.AddError("--device: expected 1 to 128 of letters, digits and . _ - @");
            if (r.GetValue(otaJob) is { } j && !MtcIdentifier.IsValid(j))
                r.AddError("--ota-job: expected 1 to 128 of letters, digits and . _ - @");
            if ((r.GetValue(cert) is null) != (r.GetValue(key) is null))
                r.AddError("--cert/--key: give both or neither");
        });
        send.SetAction(async (r, ct) =>
        {
            var services = RunningServices.Load("--endpoints", r.GetRequiredValue(endpoints));
            using var http = MtcServerClient(services, r.GetValue(cert), r.GetValue(key));
            var action = r.GetValue(dmSession) ? "dm-session" : r.GetValue(otaJob) is not null ? "ota-job" : "application-data";
            MtcTriggerAccepted accepted;
            try
            {
                accepted = await JsonApiClient.PostAsync<MtcTriggerRequest, MtcTriggerAccepted>(http, "triggers",
                    new MtcTriggerRequest(r.GetRequiredValue(device), action, r.GetValue(payload)?.ToLowerInvariant(), r.GetValue(otaJob)), ct);
            }
            catch (HttpRequestException e)
            {
                throw RunningServices.Refusal(MtcIwfFunction.RoleName, e);
            }
            CliOutput.Write(r, r.GetValue(json),
            [
                new("trigger_id", accepted.TriggerId), new("device", accepted.Device), new("action", accepted.Action), new("reference", accepted.Reference),
                new("delivery", accepted.Delivery), new("serving_node", accepted.ServingNode),
            ]);
            // Queued: the device is offline; the serving node delivers it at its next paging occasion or attach.
            return accepted.Delivery == "queued" ? ExitCodes.Partial : ExitCodes.Success;
        });

        var server = CliArgs.Text("--mtc-server", "the MTC server's id: the CN of its mtc-server certificate (serve all: mtc-server)", "a name");
        var imsi = CliArgs.Text("--imsi", "the device's IMSI (what the external identifier maps to)", "6 to 15 decimal digits");
        var grant = new Command("grant", "As the administrator: let an MTC server trigger a device") { endpoints, server, device, imsi, json };
        CliArgs.Required(grant, endpoints, server, device, imsi);
        grant.Validators.Add(r =>
        {
            if (r.GetValue(server) is { } s && !MtcIdentifier.IsValid(s))
                r.AddError("--mtc-server: expected 1 to 128 of letters, digits and . _ - @");
            if (r.GetValue(device) is { } d && !MtcIdentifier.IsValid(d))
                r.AddError("--device: expected 1 to 128 of letters, digits and . _ - @");
            if (r.GetValue(imsi) is { } i && !M2MSec.Storage.Hss.Imsi.IsValid(i))
                r.AddError($"--imsi: expected 6 to 15 decimal digits, got {i.Length} characters");
        });
        grant.SetAction(async (r, ct) =>
        {
            var services = RunningServices.Load("--endpoints", r.GetRequiredValue(endpoints));
            using var http = services.AdminClient("--endpoints", MtcIwfFunction.RoleName);
            MtcGrant granted;
            try
            {
                granted = await JsonApiClient.PostAsync<MtcGrantRequest, MtcGrant>(http, "authorisations",
                    new MtcGrantRequest(r.GetRequiredValue(server), r.GetRequiredValue(device), r.GetRequiredValue(imsi)), ct);
            }
            catch (HttpRequestException e)
            {
                throw RunningServices.Refusal(MtcIwfFunction.RoleName, e);
            }
            CliOutput.Write(r, r.GetValue(json),
                [new("mtc_server", granted.MtcServer), new("device", granted.Device), new("imsi", granted.Imsi), new("granted_by", granted.GrantedBy)]);
            return ExitCodes.Success;
        });
        command.Subcommands.Add(send);
        command.Subcommands.Add(grant);
        return command;
    }

    /// <summary>The MTC server's client: its certificate (or serve all's mtc-server.crt/.key beside FILE), the operator root beside FILE.</summary>
    private static HttpClient MtcServerClient(RunningServices services, string? certFile, string? keyFile)
    {
        var address = services.Require("--endpoints", MtcIwfFunction.RoleName);
        if (address.Scheme != "https")
            return new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(60) };
        var dir = Path.GetDirectoryName(services.File)!;
        certFile ??= Path.Combine(dir, AdminCredentials.MtcServerFile + ".crt");
        keyFile ??= Path.Combine(dir, AdminCredentials.MtcServerFile + ".key");
        if (!File.Exists(certFile) || !File.Exists(keyFile))
            throw CliExitException.Bad($"--cert/--key: no MTC server credentials (mtc-server.crt, mtc-server.key) beside {services.File}");
        var root = Path.Combine(dir, "root.pem");
        if (!File.Exists(root))
            throw CliExitException.Bad($"--endpoints: no root.pem beside {services.File}");
        var tls = CliPaths.Guard("--cert", certFile, () => NetworkFunctionTls.Load(certFile, keyFile, Path.Combine(dir, "chain.pem"), root));
        return tls.CreateClient(address, TimeSpan.FromSeconds(60));
    }
}
