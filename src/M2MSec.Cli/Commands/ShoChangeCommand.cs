using System.CommandLine;
using M2MSec.Cli.Internal;
using M2MSec.Dm.Bootstrap;
using M2MSec.NetworkFunctions.Sho;

namespace M2MSec.Cli.Commands;

/// <summary>
/// `m2msec sho change --data DIR --pcid PCID|--imsi IMSI --to SHO [--endpoints FILE] [--json]` (issue 16, docs/decisions/021): the new
/// SHO (<c>--to</c>, an SHO instance of the running `serve all` in DIR) takes the device over — it asks the RO, which re-assigns the
/// PCID and has the DPF open the change's provisioning; the device picks it up in its next DM sessions (`device provision`). The
/// device's owner hands the new SHO the authorisation token first (`sho auth-token set --sho SHO`).
/// </summary>
internal static class ShoChangeCommand
{
    public static Command Create()
    {
        var change = new Command("change", "Move a device to another running SHO (change of subscription): the new SHO asks the RO, the device is provisioned again");
        var data = CliArgs.ExistingDirectory("--data", "the data directory of the running `serve all` (its endpoints.json and administrator credentials)");
        var endpoints = CliArgs.ExistingFile("--endpoints", "the endpoints.json of the running services (default: DIR/endpoints.json)");
        var pcid = CliArgs.Text("--pcid", "the device's PCID", "6 to 15 decimal digits");
        var imsi = CliArgs.Text("--imsi", "the device's current IMSI at its old SHO (the RO resolves the PCID)", "6 to 15 decimal digits");
        var to = CliArgs.Text("--to", "the new SHO: its id, the instance name in endpoints.json (e.g. sho-b)", "an SHO id");
        var json = CliArgs.Flag("--json", "print one JSON object (snake_case fields)");
        foreach (var o in new Option[] { data, endpoints, pcid, imsi, to, json })
            change.Options.Add(o);
        CliArgs.Required(change, data, to);
        CliArgs.ExactlyOne(change, pcid, imsi);
        change.Validators.Add(r =>
        {
            if (r.GetValue(pcid) is { } p && !M2MSec.Storage.Hss.Imsi.IsValid(p))
                r.AddError($"--pcid: expected 6 to 15 decimal digits, got {p.Length} characters");
            if (r.GetValue(imsi) is { } i && !M2MSec.Storage.Hss.Imsi.IsValid(i))
                r.AddError($"--imsi: expected 6 to 15 decimal digits, got {i.Length} characters");
            if (r.GetValue(to) is { } t && !BootstrapM2MContext.IsValidShoId(t))
                r.AddError("--to: expected an SHO id, 1 to 64 of A-Z a-z 0-9 . _ -");
        });
        change.SetAction(async (r, ct) =>
        {
            var dir = CliPaths.Check("--data", r.GetRequiredValue(data), PathKind.ExistingDirectory);
            var (option, file) = r.GetValue(endpoints) is { } e ? ("--endpoints", e) : ("--data", Path.Combine(dir, "endpoints.json"));
            var services = RunningServices.Load(option, file);
            var shoId = r.GetRequiredValue(to);
            if (services.Find(shoId) is null)
                throw CliExitException.Bad($"--to: {services.File} lists no SHO '{shoId}'");
            using var http = services.AdminClient("--to", shoId);
            ChangeAccepted accepted;
            try
            {
                accepted = await new ShoClient(http).RequestChangeAsync(new ShoChangeRequest(r.GetValue(pcid), r.GetValue(imsi)), ct);
            }
            catch (HttpRequestException ex)
            {
                throw RunningServices.Refusal(shoId, ex);
            }
            CliOutput.Write(r, r.GetValue(json),
            [
                new("pcid", accepted.Pcid), new("from_sho", accepted.FromSho), new("to_sho", accepted.ToSho), new("state", accepted.State),
                new("next", "the device picks the change up in its next DM sessions (device provision)"),
            ]);
            return ExitCodes.Success;
        });
        return change;
    }
}
