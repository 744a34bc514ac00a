using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Text.Json;
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
            var file = Path.GetFullPath(r.GetRequiredValue(endpoints));
            Uri? sho;
            try
            {
                var map = JsonSerializer.Deserialize<Dictionary<string, string>>(await File.ReadAllTextAsync(file, ct));
                sho = map is not null && map.TryGetValue("sho", out var url) && Uri.TryCreate(url, UriKind.Absolute, out var u) ? u : null;
            }
            catch (JsonException)
            {
                CliOutput.Error(r, "--endpoints: not an endpoints.json (a JSON object of role → URL)");
                return ExitCodes.BadArguments;
            }
            catch (IOException e)
            {
                CliOutput.Error(r, $"--endpoints: cannot read it: {e.Message}");
                return ExitCodes.CouldNotRun;
            }
            if (sho is null)
            {
                CliOutput.Error(r, "--endpoints: lists no sho (start it with `m2msec serve all` or `serve sho`)");
                return ExitCodes.BadArguments;
            }
            var dir = Path.GetDirectoryName(file)!;
            using var http = Client(dir, sho, out var problem);
            if (http is null)
            {
                CliOutput.Error(r, problem!);
                return ExitCodes.BadArguments;
            }
            ShoSubscriptionList result;
            try
            {
                result = await new ShoClient(http).ListSubscriptionsAsync(ct);
            }
            catch (PeerRequestException e) when (e.StatusCode == HttpStatusCode.Forbidden)
            {
                CliOutput.Error(r, $"the SHO at {sho} refused the administrator's certificate ({e.ProblemType ?? "forbidden"})");
                return ExitCodes.SecurityRefused;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                CliOutput.Error(r, $"could not reach the SHO at {sho}: {e.Message}");
                return ExitCodes.CouldNotRun;
            }
            var rows = result.Subscriptions.Select(s => new Dictionary<string, object?>
            {
                ["pcid"] = s.Pcid,
                ["tre_id"] = s.TreId,
                ["state"] = s.State,
                ["imsi"] = s.Imsi,
                ["reason"] = s.Reason,
                ["updated_at"] = s.UpdatedAt.ToString("O", CultureInfo.InvariantCulture),
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

    /// <summary>Over https with the administrator's credentials beside the endpoints file; plain http (a loopback development host) without.</summary>
    private static HttpClient? Client(string dir, Uri sho, out string? problem)
    {
        problem = null;
        var crt = Path.Combine(dir, "admin.crt");
        if (sho.Scheme == Uri.UriSchemeHttps)
        {
            if (!File.Exists(crt) || !File.Exists(Path.Combine(dir, "admin.key")) || !File.Exists(Path.Combine(dir, "root.pem")))
            {
                problem = $"--endpoints: the SHO serves https but there is no admin.crt, admin.key and root.pem beside {Path.Combine(dir, "endpoints.json")}";
                return null;
            }
            var chain = Path.Combine(dir, "chain.pem");
            var tls = NetworkFunctionTls.Load(crt, Path.Combine(dir, "admin.key"), File.Exists(chain) ? chain : null, Path.Combine(dir, "root.pem"));
            return tls.CreateClient(sho, TimeSpan.FromSeconds(30));
        }
        return new HttpClient { BaseAddress = sho, Timeout = TimeSpan.FromSeconds(30) };
    }
}
