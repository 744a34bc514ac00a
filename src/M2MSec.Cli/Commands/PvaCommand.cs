using System.CommandLine;
using M2MSec.Cli.Internal;
using M2MSec.NetworkFunctions.Pva;

namespace M2MSec.Cli.Commands;

/// <summary>`m2msec pva show --pcid`: a PCID's reference and platform validations at the running PVA (issue 15). No secret.</summary>
internal static class PvaCommand
{
    public static Command Create()
    {
        var command = new Command("pva", "The Platform Validation Authority");
        var pcid = CliArgs.Text("--pcid", "the device's PCID", "6 to 15 decimal digits");
        var endpoints = CliArgs.ExistingFile("--endpoints", "endpoints.json of a running `m2msec serve all` (administrator credentials beside it)");
        var json = CliArgs.Flag("--json", "print one JSON object (snake_case)");
        var show = new Command("show", "A PCID's reference and validations: state, reason, when") { pcid, endpoints, json };
        CliArgs.Required(show, pcid, endpoints);
        show.Validators.Add(r =>
        {
            if (r.GetValue(pcid) is { } p && !M2MSec.Storage.Hss.Imsi.IsValid(p))
                r.AddError($"--pcid: expected 6 to 15 decimal digits, got {p.Length} characters");
        });
        show.SetAction(async (r, ct) =>
        {
            var services = RunningServices.Load("--endpoints", r.GetRequiredValue(endpoints));
            using var http = services.AdminClient("--endpoints", "pva");
            ValidationList list;
            try
            {
                list = await new PvaClient(http).ListValidationsAsync(r.GetRequiredValue(pcid), ct);
            }
            catch (HttpRequestException e)
            {
                throw RunningServices.Refusal("pva", e);
            }
            var asJson = r.GetValue(json);
            object validations = asJson
                ? list.Validations.Select(v => new Dictionary<string, object?>
                {
                    ["validation_id"] = v.ValidationId,
                    ["state"] = v.State,
                    ["reason"] = v.Reason,
                    ["requested_by"] = v.RequestedBy,
                    ["created_at"] = v.CreatedAt,
                    ["expires_at"] = v.ExpiresAt,
                    ["completed_at"] = v.CompletedAt,
                    ["pfc_fingerprint"] = v.PfcFingerprint,
                }).ToList()
                : list.Validations.Select(v => new KeyValuePair<string, object?>(v.ValidationId,
                    $"{v.State}{(v.Reason is null ? "" : " (" + v.Reason + ")")} at {v.CompletedAt ?? v.CreatedAt:u} for {v.RequestedBy}")).ToList();
            CliOutput.Write(r, asJson,
            [
                new("pcid", list.Pcid), new("reference_registered", list.ReferenceRegistered), new("tre_id", list.TreId),
                new("latest", list.Validations.Count == 0 ? null : list.Validations[^1].State), new("validations", validations),
            ]);
            return ExitCodes.Success;
        });
        command.Subcommands.Add(show);
        return command;
    }
}
