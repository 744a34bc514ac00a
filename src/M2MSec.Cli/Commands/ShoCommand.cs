using System.CommandLine;
using System.Globalization;
using System.Net.Http.Json;
using M2MSec.Cli.Internal;
using M2MSec.NetworkFunctions.Hosting;
using M2MSec.NetworkFunctions.Sho;

namespace M2MSec.Cli.Commands;

/// <summary>
/// `m2msec sho subscription list --endpoints FILE [--json]` (issue 15): the subscriptions of a running SHO — PCID, TRE, state, IMSI,
/// why it failed — and its IMSI pool, never K or OPc. The SHO is found in FILE (the endpoints.json `serve all` writes); the
/// administrator's credentials beside it (admin.crt, admin.key, chain.pem, root.pem) open its mutual-TLS admin API.
/// </summary>
internal static class ShoCommand
{
    public static Command Create()
    {
        var command = new Command("sho", "The Selected Home Operator: subscriptions provisioned to M2MEs (TR 33.812)");
        var subscription = new Command("subscription", "Subscriptions of a running SHO");
        subscription.Subcommands.Add(List());
        command.Subcommands.Add(subscription);
        var authToken = new Command("auth-token", "Device-specific authorisation tokens (seed 003)");
        authToken.Subcommands.Add(SetToken());
        command.Subcommands.Add(authToken);
        command.Subcommands.Add(ShoChangeCommand.Create()); // issue 16
        command.Subcommands.Add(ShoPrepareCommand.Create()); // issue 16: bulk preparation
        return command;
    }

    private static Command List()
    {
        var list = new Command("list", "Every subscription of a running SHO (PCID, TRE, state, IMSI) and its IMSI pool — never K or OPc");
        var endpoints = CliArgs.ExistingFile("--endpoints", "the endpoints.json of the running services (admin credentials beside it)");
        var json = CliArgs.Flag("--json", "print one JSON object (snake_case fields)");
        list.Options.Add(endpoints);
        list.Options.Add(json);
        CliArgs.Required(list, endpoints);
        list.SetAction(async (r, ct) =>
        {
            var services = RunningServices.Load("--endpoints", r.GetRequiredValue(endpoints));
            using var http = services.AdminClient("--endpoints", "sho");
            ShoSubscriptionList result;
            try
            {
                result = await new ShoClient(http).ListSubscriptionsAsync(ct);
            }
            catch (HttpRequestException e)
            {
                throw RunningServices.Refusal("sho", e);
            }
            var rows = result.Subscriptions.Select(s => new Dictionary<string, object?>
            {
                ["pcid"] = s.Pcid,
                ["tre_id"] = s.TreId,
                ["state"] = s.State,
                ["imsi"] = s.Imsi,
                ["reason"] = s.Reason,
                ["updated_at"] = s.UpdatedAt.ToString("O", CultureInfo.InvariantCulture),
                ["expires_at"] = s.ExpiresAt?.ToString("O", CultureInfo.InvariantCulture), // a prepared MCIM's (issue 16)
            }).ToArray();
            if (r.GetValue(json))
            {
                CliOutput.Write(r, true, [new("sho_id", result.ShoId), new("subscriptions", rows), new("pool", result.Pool)]);
                return ExitCodes.Success;
            }
            StoreListCommands.Print(r, false, "subscriptions", rows, "no subscriptions");
            r.InvocationConfiguration.Output.WriteLine(
                $"pool: {string.Join(", ", result.Pool.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Value} {p.Key}"))} (sho {result.ShoId})");
            return ExitCodes.Success;
        });
        return list;
    }

    /// <summary>
    /// `sho auth-token set --endpoints FILE --pcid IMSI --auth-token SECRET`: the device-specific authorisation token the M2ME's
    /// user hands the SHO (seed 003); the SHO seals it into the device's MCIM, and the TRE refuses an MCIM without it.
    /// </summary>
    private static Command SetToken()
    {
        var set = new Command("set", "Hand the SHO a device's authorisation token (shipped with the device); it travels inside the sealed MCIM");
        var endpoints = CliArgs.ExistingFile("--endpoints", "the endpoints.json of the running services (admin credentials beside it)");
        var pcid = CliArgs.Text("--pcid", "the device's PCID", "6 to 15 decimal digits");
        var token = CliSecret.Text("--auth-token", "the authorisation token shipped with the device (as given to `ccif manufacture --auth-token`)", "1 to 64 characters");
        var json = CliArgs.Flag("--json", "print one JSON object (snake_case fields; never the token)");
        var sho = CliArgs.Text("--sho", "which SHO of endpoints.json gets the token (default sho; e.g. sho-b before a change of subscription)", "an SHO id");
        foreach (var o in new Option[] { endpoints, pcid, token, json, sho })
            set.Options.Add(o);
        CliArgs.Required(set, endpoints, pcid, token);
        set.Validators.Add(r =>
        {
            if (r.GetValue(pcid) is { } p && !M2MSec.Storage.Hss.Imsi.IsValid(p))
                r.AddError($"--pcid: expected 6 to 15 decimal digits, got {p.Length} characters");
            if (r.GetValue(token) is { } t && t.Length is 0 or > 64)
                r.AddError("--auth-token: expected 1 to 64 characters");
        });
        set.SetAction(async (r, ct) =>
        {
            var services = RunningServices.Load("--endpoints", r.GetRequiredValue(endpoints));
            var shoId = r.GetValue(sho) ?? "sho";
            using var http = services.AdminClient(r.GetValue(sho) is null ? "--endpoints" : "--sho", shoId);
            var hex = Convert.ToHexStringLower(System.Text.Encoding.UTF8.GetBytes(r.GetRequiredValue(token)));
            try
            {
                using var response = await http.PutAsJsonAsync($"authorisation-tokens/{r.GetRequiredValue(pcid)}", new AuthorisationTokenRequest(hex),
                    NetworkFunctionHost.JsonOptions, ct);
                if (!response.IsSuccessStatusCode)
                    throw new PeerRequestException(response.StatusCode, await response.Content.ReadAsStringAsync(ct));
            }
            catch (HttpRequestException e)
            {
                throw RunningServices.Refusal(shoId, e);
            }
            CliOutput.Write(r, r.GetValue(json), [new("pcid", r.GetRequiredValue(pcid)), new("auth_token", "handed to the SHO (never shown)")]);
            return ExitCodes.Success;
        });
        return set;
    }
}
