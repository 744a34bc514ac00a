using System.CommandLine;
using System.Text;
using System.Text.Json;
using M2MSec.Cli.Internal;
using M2MSec.Storage.Dm;

namespace M2MSec.Cli.Commands;

/// <summary>
/// `m2msec dm account add`, `m2msec dm job add|show|retry`, `m2msec dm device show` (<see cref="DmDeviceCommand"/>) and `m2msec dm bootstrap` (<see cref="DmBootstrapCommand"/>):
/// what the DM server does in its device's next session (OMA DM 1.2). Operators script these; the option and JSON names are a contract.
/// </summary>
internal static class DmCommand
{
    /// <summary>The command options of `dm job add`, in the DM verbs they become.</summary>
    private static readonly (string Option, string Verb, bool Value, bool ValueRequired)[] Verbs =
    [
        ("--get", "get", false, false), ("--replace", "replace", true, true), ("--add", "add", true, false),
        ("--delete", "delete", false, false), ("--exec", "exec", false, false),
    ];

    public static Command Create()
    {
        var command = new Command("dm", "The OMA DM server's accounts and jobs");
        var account = new Command("account", "DM accounts: the credentials device and server use towards each other");
        account.Subcommands.Add(AccountAdd());
        account.Subcommands.Add(StoreListCommands.DmAccountList());
        var job = new Command("job", "DM jobs: commands for a device's next session");
        job.Subcommands.Add(JobAdd());
        job.Subcommands.Add(JobShow());
        job.Subcommands.Add(JobRetry());
        command.Subcommands.Add(account);
        command.Subcommands.Add(job);
        command.Subcommands.Add(DmDeviceCommand.Create());
        command.Subcommands.Add(DmNotifyCommand.Create());
        command.Subcommands.Add(DmBootstrapCommand.Create());
        return command;
    }

    private static Command AccountAdd()
    {
        var add = new Command("add", "Register a device's DM account (passwords wrapped under the key ring)");
        var store = new StoreArgs(createsStore: true);
        var devId = CliArgs.Text("--dev-id", "the device's DevId (./DevInfo/DevId)", "a DevId");
        var serverId = CliArgs.Text("--server-id", "the DM server's ServerID", "a name");
        var clientUser = CliArgs.Text("--client-user", "the name the device authenticates with", "a name");
        var clientPassword = CliSecret.Text("--client-password", "the device's password towards the server", "a password");
        var serverPassword = CliSecret.Text("--server-password", "the server's password towards the device", "a password");
        var clientAuth = CliArgs.OneOf("--client-auth", "how the device authenticates", ["basic", "md5", "hmac"], "md5");
        var serverAuth = CliArgs.OneOf("--server-auth", "how the server authenticates", ["md5", "hmac"], "md5");
        var json = CliArgs.Flag("--json", "print one JSON object (snake_case fields, never a password)");
        store.AddTo(add);
        foreach (var o in new Option[] { devId, serverId, clientUser, clientPassword, serverPassword, clientAuth, serverAuth, json })
            add.Options.Add(o);
        CliArgs.Required(add, store.Data, devId, serverId, clientUser, clientPassword, serverPassword);
        add.Validators.Add(r =>
        {
            foreach (var o in new[] { devId, serverId, clientUser })
            {
                if (r.GetValue(o) is { } v && (v.Length is 0 or > 128 || v.Any(char.IsControl)))
                    r.AddError($"{o.Name}: expected 1 to 128 printable characters");
            }
            foreach (var o in new[] { clientPassword, serverPassword })
            {
                if (r.GetValue(o) is { } v && (v.Length is < 6 or > 128)) // 6: the interop client's test account uses "srvpwd"
                    r.AddError($"{o.Name}: expected 6 to 128 characters");
            }
        });
        add.SetAction((r, ct) => store.RunAsync(r, async state =>
        {
            var dev = r.GetRequiredValue(devId);
            var record = new DmAccount(dev, r.GetRequiredValue(serverId), r.GetRequiredValue(clientUser),
                Encoding.UTF8.GetBytes(r.GetRequiredValue(clientPassword)), Encoding.UTF8.GetBytes(r.GetRequiredValue(serverPassword)),
                r.GetRequiredValue(clientAuth).ToLowerInvariant(), r.GetRequiredValue(serverAuth).ToLowerInvariant(), DateTimeOffset.UtcNow);
            if (!await state.Dm.AddAccountAsync(record, ct))
            {
                CliOutput.Error(r, $"--dev-id: {dev} already has a DM account");
                return ExitCodes.BadArguments;
            }
            await state.Audit.AppendAsync("cli", "dm.account.add", dev, $"client {record.ClientAuth}, server {record.ServerAuth}", ct);
            if (r.GetValue(json))
                CliOutput.Write(r, true, [new("dev_id", dev), new("server_id", record.ServerId), new("client_user", record.ClientUser), new("client_auth", record.ClientAuth), new("server_auth", record.ServerAuth)]);
            else
                r.InvocationConfiguration.Output.WriteLine($"DM account for {dev}: client auth {record.ClientAuth}, server auth {record.ServerAuth} ({state.Description})");
            return ExitCodes.Success;
        }, ct));
        return add;
    }

    private static Command JobAdd()
    {
        var add = new Command("add", "Queue DM commands for the devices' next session (in the order given); one job per --dev-id");
        var store = new StoreArgs();
        var devIds = new Option<string[]>("--dev-id") { Description = "the device's DevId (repeatable: the same job for each device)", AllowMultipleArgumentsPerToken = false };
        store.AddTo(add);
        add.Options.Add(devIds);
        var verbOptions = Verbs.Select(v => new Option<string[]>(v.Option)
        {
            Description = v.Value ? (v.ValueRequired ? $"{v.Verb} URI=VALUE (repeatable)" : $"{v.Verb} URI[=VALUE] (repeatable)") : $"{v.Verb} URI (repeatable)",
            AllowMultipleArgumentsPerToken = false,
        }).ToArray();
        foreach (var o in verbOptions)
            add.Options.Add(o);
        var nas = new Option<string[]>(NasOption)
        {
            Description = "a TS 24.368 NAS configuration value, LEAF=VALUE (repeatable): Replace of ./NASConfig/LEAF, checked against the NAS model, read back",
            AllowMultipleArgumentsPerToken = false,
        };
        add.Options.Add(nas);
        var verify = CliArgs.Flag("--verify", "read every written value back (a Get after the writes); the job is done only if all match");
        add.Options.Add(verify);
        var json = CliArgs.Flag("--json", "print one JSON object: the jobs queued (snake_case fields)");
        add.Options.Add(json);
        CliArgs.Required(add, store.Data, devIds);
        add.Validators.Add(r =>
        {
            foreach (var d in r.GetValue(devIds) ?? [])
            {
                if (d.Length is 0 or > 128 || d.Any(char.IsControl))
                    r.AddError($"--dev-id: expected 1 to 128 printable characters, got '{d}'");
            }
        });
        add.SetAction((r, ct) =>
        {
            if (!TryReadCommands(r, out var commands, out var error))
            {
                CliOutput.Error(r, error);
                return Task.FromResult(ExitCodes.BadArguments);
            }
            if (r.GetValue(verify) || commands.Any(c => c.FromNas))
                commands = [.. M2MSec.NetworkFunctions.Dm.DmJobReadBack.WithReadBack([.. commands.Select(c => (c.Verb, c.Uri, c.Value))]).Select(c => (c.Verb, c.Uri, c.Value, false))];
            return AddJobsAsync(r, store, [.. r.GetRequiredValue(devIds).Distinct(StringComparer.Ordinal)], [.. commands.Select(c => (c.Verb, c.Uri, c.Value))], r.GetValue(json), ct);
        });
        return add;
    }

    private static Task<int> AddJobsAsync(ParseResult r, StoreArgs store, IReadOnlyList<string> devs, List<(string Verb, string Uri, string? Value)> commands, bool json, CancellationToken ct) =>
        store.RunAsync(r, async state =>
        {
            // Every device must have an account before anything is queued for any of them.
            foreach (var dev in devs)
            {
                if (await state.Dm.FindAccountAsync(dev, ct) is null)
                {
                    CliOutput.Error(r, $"--dev-id: {dev} has no DM account; run `m2msec dm account add` first");
                    return ExitCodes.BadArguments;
                }
            }
            var queued = new List<Dictionary<string, object>>();
            foreach (var dev in devs)
            {
                var job = await M2MSec.NetworkFunctions.Dm.DmJobQueue.AddAsync(state.Dm, state.Audit, "cli", dev, commands, DateTimeOffset.UtcNow, ct);
                var id = job.Id;
                if (json)
                    queued.Add(new() { ["id"] = id, ["dev_id"] = dev, ["state"] = job.State, ["commands"] = commands.Count });
                else
                    r.InvocationConfiguration.Output.WriteLine($"job {id} for {dev}: {commands.Count} command(s) queued for its next session");
            }
            if (json)
                CliOutput.Write(r, true, [new("jobs", queued)]);
            return ExitCodes.Success;
        }, ct);

    private static Command JobShow()
    {
        var show = new Command("show", "A device's jobs: each command with its DM status code and any Results data");
        var store = new StoreArgs();
        var devId = CliArgs.Text("--dev-id", "the device's DevId", "a DevId");
        var json = CliArgs.Flag("--json", "one JSON object");
        store.AddTo(show);
        show.Options.Add(devId);
        show.Options.Add(json);
        CliArgs.Required(show, store.Data, devId);
        show.SetAction((r, ct) => store.RunAsync(r, async state =>
        {
            var dev = r.GetRequiredValue(devId);
            var jobs = await state.Dm.ListJobsAsync(dev, ct);
            var output = r.InvocationConfiguration.Output;
            if (r.GetValue(json))
            {
                output.WriteLine(JsonSerializer.Serialize(new
                {
                    dev_id = dev,
                    jobs = jobs.Select(j => new
                    {
                        id = j.Id,
                        state = j.State,
                        reason = j.Reason,
                        created_at = j.CreatedAt,
                        updated_at = j.UpdatedAt,
                        commands = j.Commands.Select(c => new
                        {
                            seq = c.Seq,
                            verb = c.Verb,
                            uri = c.Uri,
                            value = c.Value,
                            status = c.Status,
                            results = c.Results,
                            verified = M2MSec.NetworkFunctions.Dm.DmJobReadBack.Verified(j, c),
                            superseded_by = M2MSec.NetworkFunctions.Dm.DmJobReadBack.SupersededBy(j, c)?.Seq,
                            delivery = c.Delivery,
                        }),
                    }),
                }));
                return ExitCodes.Success;
            }
            if (jobs.Count == 0)
                output.WriteLine($"{dev}: no DM jobs");
            foreach (var j in jobs)
            {
                output.WriteLine($"job {j.Id} ({j.State}{(j.Reason is null ? "" : ": " + j.Reason)}, queued {j.CreatedAt:O})");
                foreach (var c in j.Commands)
                    output.WriteLine($"  {c.Seq,3} {c.Verb,-7} {c.Uri}{(c.Value is null ? "" : " = " + c.Value)}  status {c.Status?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-"}{(c.Results is null ? "" : "  results " + c.Results)}{(j.State == "failed" && c.Status is null ? "  " + c.Delivery : "")}{ReadBack(j, c)}");
            }
            return ExitCodes.Success;
        }, ct));
        return show;
    }

    /// <summary>What `job show` says of a write's read-back: equal, DIFFERS, or which later write of the URI the Get read instead.</summary>
    private static string ReadBack(DmJobRecord job, DmCommandRecord command) =>
        M2MSec.NetworkFunctions.Dm.DmJobReadBack.SupersededBy(job, command) is { } later
            ? $"  read back: superseded by {later.Seq.ToString(System.Globalization.CultureInfo.InvariantCulture)}"
            : M2MSec.NetworkFunctions.Dm.DmJobReadBack.Verified(job, command) switch { true => "  read back: equal", false => "  read back: DIFFERS", null => "" };

    /// <summary>`dm job retry`: a new job with the commands of a failed job that the device never acknowledged (unknown or never sent), in order.</summary>
    private static Command JobRetry()
    {
        var retry = new Command("retry", "Queue again what a failed job did not get acknowledged (e.g. after session-expired)");
        var store = new StoreArgs();
        var jobId = CliArgs.Text("--job", "the failed job's id", "a job id");
        var devId = CliArgs.Text("--dev-id", "or: the device whose latest failed job to retry", "a DevId");
        store.AddTo(retry);
        retry.Options.Add(jobId);
        retry.Options.Add(devId);
        CliArgs.Required(retry, store.Data);
        CliArgs.ExactlyOne(retry, jobId, devId);
        retry.SetAction((r, ct) => store.RunAsync(r, async state =>
        {
            var option = r.GetValue(jobId) is not null ? "--job" : "--dev-id";
            var failed = r.GetValue(jobId) is { } id
                ? await state.Dm.FindJobAsync(id, ct)
                : (await state.Dm.ListJobsAsync(r.GetRequiredValue(devId), ct)).LastOrDefault(j => j.State == "failed");
            if (failed is null)
            {
                CliOutput.Error(r, option == "--job" ? "--job: no such DM job" : "--dev-id: the device has no failed DM job");
                return ExitCodes.BadArguments;
            }
            if (failed.State != "failed")
            {
                CliOutput.Error(r, $"--job: job {failed.Id} is {failed.State}; only a failed job can be retried");
                return ExitCodes.BadArguments;
            }
            var again = failed.Commands.Where(c => c.Status is null).ToList();
            if (again.Count == 0)
            {
                CliOutput.Error(r, $"{option}: every command of job {failed.Id} was acknowledged; queue a new job with `dm job add`");
                return ExitCodes.BadArguments;
            }
            var newId = "dm-" + Guid.NewGuid().ToString("N")[..16];
            var now = DateTimeOffset.UtcNow;
            await state.Dm.AddJobAsync(new DmJobRecord(newId, failed.DevId, "queued", now, now,
                [.. again.Select((c, i) => new DmCommandRecord(newId, i + 1, c.Verb, c.Uri, c.Value, null, null))]), ct);
            await state.Audit.AppendAsync("cli", "dm.job.retry", failed.DevId, $"{newId}: {again.Count} unacknowledged commands of {failed.Id}", ct);
            r.InvocationConfiguration.Output.WriteLine(
                $"job {newId} for {failed.DevId}: {again.Count} command(s) of {failed.Id} queued again ({again.Count(c => c.SentAt is not null)} sent without an answer, {again.Count(c => c.SentAt is null)} never sent)");
            return ExitCodes.Success;
        }, ct));
        return retry;
    }

    /// <summary>The verb options in command-line order (System.CommandLine groups values per option, so the tokens are read).</summary>
    private static bool TryReadCommands(ParseResult r, out List<(string Verb, string Uri, string? Value, bool FromNas)> commands, out string error)
    {
        commands = [];
        error = "";
        var tokens = r.Tokens;
        for (var i = 0; i < tokens.Count; i++)
        {
            if (tokens[i].Value == NasOption && tokens[i].Type == System.CommandLine.Parsing.TokenType.Option)
            {
                if (i + 1 >= tokens.Count || !TryNas(tokens[++i].Value, out var nasUri, out var nasValue, out error))
                {
                    error = error.Length > 0 ? error : $"{NasOption}: expected LEAF=VALUE";
                    return false;
                }
                commands.Add(("replace", nasUri, nasValue, true));
                continue;
            }
            var spec = Verbs.FirstOrDefault(v => v.Option == tokens[i].Value);
            if (spec.Option is null || tokens[i].Type != System.CommandLine.Parsing.TokenType.Option)
                continue;
            if (i + 1 >= tokens.Count)
            {
                error = $"{spec.Option}: expected a value";
                return false;
            }
            var text = tokens[++i].Value;
            var eq = spec.Value ? text.IndexOf('=', StringComparison.Ordinal) : -1;
            var uri = eq < 0 ? text : text[..eq];
            string? value = eq < 0 ? null : text[(eq + 1)..];
            if (spec.ValueRequired && value is null)
            {
                error = $"{spec.Option}: expected URI=VALUE, got '{text}'";
                return false;
            }
            if (!IsDmUri(uri))
            {
                error = $"{spec.Option}: expected a DM tree URI like ./NASConfig/NAS_SignallingPriority (at most 255 characters, no '..' or empty segments), got '{uri}'";
                return false;
            }
            commands.Add((spec.Verb, uri, value, false));
        }
        if (commands.Count == 0)
            error = "--get/--replace/--add/--delete/--exec/--nas: expected at least one command";
        if (commands.Count > 128)
            error = "--get/--replace/--add/--delete/--exec/--nas: at most 128 commands per job";
        return error.Length == 0;
    }

    private const string NasOption = "--nas";

    /// <summary>LEAF=VALUE of the NAS configuration MO, checked against the NAS model (TS 24.368 types and ranges) before anything is queued.</summary>
    private static bool TryNas(string text, out string uri, out string value, out string error)
    {
        var eq = text.IndexOf('=', StringComparison.Ordinal);
        (uri, value, error) = ("", "", "");
        if (eq <= 0)
        {
            error = $"{NasOption}: expected LEAF=VALUE, got '{text}'";
            return false;
        }
        var leaf = text[..eq];
        value = text[(eq + 1)..];
        try
        {
            M2MSec.Nas.NasConfigMo.ApplyLeaf(M2MSec.Nas.NasConfiguration.Empty, leaf, value);
        }
        catch (M2MSec.Nas.NasConfigurationException e)
        {
            error = $"{NasOption}: {e.Message}";
            return false;
        }
        uri = $"{M2MSec.Nas.NasConfigMo.DefaultRoot}/{leaf}";
        return true;
    }

    /// <summary>OMA DM TND §6 URIs: "./" then '/'-separated segments, no "." or ".." segment, no empty segment.</summary>
    private static bool IsDmUri(string uri) =>
        uri.Length is > 2 and <= 255 && uri.StartsWith("./", StringComparison.Ordinal)
        && uri[2..].Split('/').All(s => s.Length > 0 && s != "." && s != ".." && !s.Any(char.IsControl) && !s.Contains('?', StringComparison.Ordinal));
}
