using System.CommandLine;
using System.Net;
using M2MSec.Aka.Gba;
using M2MSec.Cli.Internal;
using M2MSec.NetworkFunctions.Hosting;
using M2MSec.NetworkFunctions.Naf;

namespace M2MSec.Cli.Commands;

/// <summary>
/// `m2msec gba naf-key --endpoints FILE --b-tid B-TID [--json]` (issue 18, docs/decisions/030): the NAF side — as the administrator,
/// has the running NAF (the MTC server) ask the BSF over Zn for its key of a B-TID, and prints what the NAF learnt: IMPI, GBA type,
/// NAF_Id, bootstrapping time and key lifetime. Never the key: the NAF's API does not give it out (a lab derives it with `kdf ks-naf`).
/// Exit 1 when the BSF refuses the B-TID (unknown, expired) or the NAF (not authorised).
/// </summary>
internal static class GbaNafKeyCommand
{
    /// <summary>Adds `naf-key` under the root's `gba` command (made here when absent).</summary>
    public static void AddTo(RootCommand root)
    {
        ArgumentNullException.ThrowIfNull(root);
        var gba = root.Subcommands.FirstOrDefault(c => c.Name == "gba");
        if (gba is null)
        {
            gba = new Command("gba", "GBA: bootstrapping with the BSF and NAF keys (TS 33.220, issue 18)");
            root.Subcommands.Add(gba);
        }
        gba.Subcommands.Add(Create());
    }

    public static Command Create()
    {
        var endpoints = CliArgs.ExistingFile("--endpoints", "endpoints.json of a running `m2msec serve all` (admin credentials beside it)");
        var bTid = CliArgs.Text("--b-tid", "the B-TID a device bootstrapped (base64(RAND)@BSF domain)", "a B-TID");
        var json = CliArgs.Flag("--json", "print one JSON object (snake_case)");
        var command = new Command("naf-key", "As the administrator: the NAF asks the BSF over Zn for its key of a B-TID; prints IMPI, GBA type and lifetime, never the key")
        {
            endpoints, bTid, json,
        };
        CliArgs.Required(command, endpoints, bTid);
        command.Validators.Add(r =>
        {
            if (r.GetValue(bTid) is { } b && !UaPskTls.IsBTid(b))
                r.AddError("--b-tid: expected 1 to 255 printable ASCII characters without spaces");
        });
        command.SetAction(async (r, ct) =>
        {
            var services = RunningServices.Load("--endpoints", r.GetRequiredValue(endpoints));
            using var http = services.AdminClient("--endpoints", NafFunction.RoleName);
            NafKeyInfo info;
            try
            {
                info = await JsonApiClient.PostAsync<NafKeyQuery, NafKeyInfo>(http, "naf-keys", new NafKeyQuery(r.GetRequiredValue(bTid)), ct);
            }
            catch (PeerRequestException e) when (e.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Gone
                || e.ProblemType == "naf-not-authorised")
            {
                CliOutput.Error(r, $"naf: refused ({e.ProblemType})");
                return ExitCodes.SecurityRefused;
            }
            catch (HttpRequestException e)
            {
                throw RunningServices.Refusal(NafFunction.RoleName, e);
            }
            CliOutput.Write(r, r.GetValue(json),
            [
                new("b_tid", info.BTid), new("impi", info.Impi), new("gba_type", info.GbaType), new("naf_id", info.NafId),
                new("bootstrapping_time", ZnClient.Rfc3339(info.BootstrappingTime)), new("key_lifetime", ZnClient.Rfc3339(info.KeyLifetime)),
            ]);
            return ExitCodes.Success;
        });
        return command;
    }
}
