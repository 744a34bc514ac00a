using System.CommandLine;
using System.Globalization;
using M2MSec.Cli.Internal;
using M2MSec.Nas.Group;
using M2MSec.NetworkFunctions.Vno.Groups;

namespace M2MSec.Cli.Commands;

/// <summary>
/// `m2msec group create|add|remove|list|send|features --endpoints FILE … [--json]` (issue 17, TR 33.868 §5.2, docs/decisions/028):
/// the operator's MTC groups at the running VNO, over its mutual-TLS admin API with the administrator's credentials beside FILE.
/// Every membership change rekeys the group (a new epoch); `send` protects the payload under the group key and the network's
/// signature; `features` sets the MTC features of a subscription (clause 4: group-messaging, triggering).
/// </summary>
internal static class GroupCommand
{
    private const string Role = "vno";

    public static Command Create()
    {
        var command = new Command("group", "MTC groups at the serving network (TR 33.868 §5.2): membership, rekeying, signed group messages");
        command.Subcommands.Add(CreateGroup());
        command.Subcommands.Add(Change("add", "Add a device to a group (its subscription must hold group-messaging); rekeys the group"));
        command.Subcommands.Add(Change("remove", "Remove a device from a group; rekeys it so the device cannot read later messages"));
        command.Subcommands.Add(List());
        command.Subcommands.Add(Send());
        command.Subcommands.Add(Features());
        return command;
    }

    private static Option<string> Endpoints() => CliArgs.ExistingFile("--endpoints", "the endpoints.json of the running services (admin credentials beside it)");

    private static Option<string> GroupId(string description = "the External Group Identifier, local@domain (TS 23.003 §19.7.3)") =>
        CliArgs.Text("--group-id", description, "local@domain");

    private static Option<string> Identity() => CliArgs.Text("--identity", "the device's IMSI (or PCID) as it attaches", "6 to 15 decimal digits");

    private static Option<bool> Json() => CliArgs.Flag("--json", "print one JSON object (snake_case fields)");

    private static void ValidateGroupId(Command command, Option<string> groupId) =>
        command.Validators.Add(r =>
        {
            if (r.GetValue(groupId) is { } g && !ExternalGroupId.TryNormalise(g, out _, out var reason))
                r.AddError($"--group-id: {reason}");
        });

    private static void ValidateIdentity(Command command, Option<string> identity) =>
        command.Validators.Add(r =>
        {
            if (r.GetValue(identity) is { } i && !M2MSec.Storage.Hss.Imsi.IsValid(i))
                r.AddError($"--identity: expected 6 to 15 decimal digits, got {i.Length} characters");
        });

    private static async Task<T> CallAsync<T>(ParseResult r, Option<string> endpoints, Func<VnoGroupClient, Task<T>> call)
    {
        var services = RunningServices.Load("--endpoints", r.GetRequiredValue(endpoints));
        using var http = services.AdminClient("--endpoints", Role);
        try
        {
            return await call(new VnoGroupClient(http));
        }
        catch (HttpRequestException e)
        {
            throw RunningServices.Refusal(Role, e);
        }
    }

    private static Command CreateGroup()
    {
        var create = new Command("create", "Create an MTC group at key epoch 1");
        var (endpoints, groupId, json) = (Endpoints(), GroupId(), Json());
        foreach (var o in new Option[] { endpoints, groupId, json })
            create.Options.Add(o);
        CliArgs.Required(create, endpoints, groupId);
        ValidateGroupId(create, groupId);
        create.SetAction(async (r, ct) =>
        {
            var g = await CallAsync(r, endpoints, c => c.CreateAsync(r.GetRequiredValue(groupId), ct));
            CliOutput.Write(r, r.GetValue(json), [new("group_id", g.GroupId), new("epoch", g.Epoch), new("member_count", g.MemberCount)]);
            return ExitCodes.Success;
        });
        return create;
    }

    private static Command Change(string name, string description)
    {
        var change = new Command(name, description);
        var (endpoints, groupId, identity, json) = (Endpoints(), GroupId(), Identity(), Json());
        foreach (var o in new Option[] { endpoints, groupId, identity, json })
            change.Options.Add(o);
        CliArgs.Required(change, endpoints, groupId, identity);
        ValidateGroupId(change, groupId);
        ValidateIdentity(change, identity);
        change.SetAction(async (r, ct) =>
        {
            var (g, i) = (r.GetRequiredValue(groupId), r.GetRequiredValue(identity));
            var result = await CallAsync(r, endpoints, c => name == "add" ? c.AddAsync(g, i, ct) : c.RemoveAsync(g, i, ct));
            CliOutput.Write(r, r.GetValue(json), [new("group_id", result.GroupId), new("identity", result.Identity), new("change", result.Change), new("epoch", result.Epoch)]);
            return ExitCodes.Success;
        });
        return change;
    }

    private static Command List()
    {
        var list = new Command("list", "Every group (epoch, last sequence, member count); with --group-id, that group's members");
        var (endpoints, groupId, json) = (Endpoints(), GroupId("show this group's members"), Json());
        foreach (var o in new Option[] { endpoints, groupId, json })
            list.Options.Add(o);
        CliArgs.Required(list, endpoints);
        ValidateGroupId(list, groupId);
        list.SetAction(async (r, ct) =>
        {
            if (r.GetValue(groupId) is { } g)
            {
                var group = await CallAsync(r, endpoints, c => c.GetAsync(g, ct));
                var members = (group.Members ?? []).Select(m => new Dictionary<string, object?> { ["identity"] = m.Identity, ["acked_epoch"] = m.AckedEpoch }).ToArray();
                if (r.GetValue(json))
                {
                    CliOutput.Write(r, true, [new("group_id", group.GroupId), new("epoch", group.Epoch), new("sequence", group.Sequence), new("members", members)]);
                    return ExitCodes.Success;
                }
                r.InvocationConfiguration.Output.WriteLine($"group {group.GroupId}: epoch {group.Epoch}, sequence {group.Sequence}");
                StoreListCommands.Print(r, false, "members", members, "no members");
                return ExitCodes.Success;
            }
            var all = await CallAsync(r, endpoints, c => c.ListAsync(ct));
            var rows = all.Groups.Select(x => new Dictionary<string, object?>
            {
                ["group_id"] = x.GroupId,
                ["epoch"] = x.Epoch,
                ["sequence"] = x.Sequence,
                ["member_count"] = x.MemberCount,
                ["created_at"] = x.CreatedAt.ToString("O", CultureInfo.InvariantCulture),
            }).ToArray();
            StoreListCommands.Print(r, r.GetValue(json), "groups", rows, "no groups");
            return ExitCodes.Success;
        });
        return list;
    }

    private static Command Send()
    {
        var send = new Command("send", "Send a group message: encrypted under the group key (AES-256-GCM), signed by the network (ECDSA P-256)");
        var (endpoints, groupId, json) = (Endpoints(), GroupId(), Json());
        var payload = CliArgs.HexRange("--payload", 0, GroupMessage.MaxPayload, "the application payload");
        foreach (var o in new Option[] { endpoints, groupId, payload, json })
            send.Options.Add(o);
        CliArgs.Required(send, endpoints, groupId, payload);
        ValidateGroupId(send, groupId);
        send.SetAction(async (r, ct) =>
        {
            var sent = await CallAsync(r, endpoints, c => c.SendAsync(r.GetRequiredValue(groupId), r.GetRequiredValue(payload), ct));
            CliOutput.Write(r, r.GetValue(json),
                [new("group_id", sent.GroupId), new("epoch", sent.Epoch), new("sequence", sent.Sequence), new("members", sent.Members), new("message", sent.Message)]);
            return ExitCodes.Success;
        });
        return send;
    }

    private static Command Features()
    {
        var features = new Command("features", "Show, or with --set replace, the MTC features of a subscription (clause 4)");
        var (endpoints, identity, json) = (Endpoints(), Identity(), Json());
        var set = CliArgs.Text("--set", $"comma-separated features ({string.Join(", ", MtcFeatures.All)}); \"none\" clears them", "a feature list");
        foreach (var o in new Option[] { endpoints, identity, set, json })
            features.Options.Add(o);
        CliArgs.Required(features, endpoints, identity);
        ValidateIdentity(features, identity);
        features.Validators.Add(r =>
        {
            if (r.GetValue(set) is { } s && s != "none" && s.Split(',').FirstOrDefault(f => !MtcFeatures.All.Contains(f)) is { } bad)
                r.AddError($"--set: '{bad}' is not one of {string.Join(", ", MtcFeatures.All)} (or none)");
        });
        features.SetAction(async (r, ct) =>
        {
            var i = r.GetRequiredValue(identity);
            var result = r.GetValue(set) is { } s
                ? await CallAsync(r, endpoints, c => c.SetFeaturesAsync(i, s == "none" ? [] : s.Split(','), ct))
                : await CallAsync(r, endpoints, c => c.GetFeaturesAsync(i, ct));
            CliOutput.Write(r, r.GetValue(json), [new("identity", result.Identity), new("features", r.GetValue(json) ? result.Features : string.Join(",", result.Features))]);
            return ExitCodes.Success;
        });
        return features;
    }
}
