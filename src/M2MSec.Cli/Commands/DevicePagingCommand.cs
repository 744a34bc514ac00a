using System.CommandLine;
using M2MSec.Cli.Internal;
using M2MSec.Device.M2me;
using M2MSec.Device.Power;
using M2MSec.Device.Provisioning;
using M2MSec.Device.Triggering;

namespace M2MSec.Cli.Commands;

/// <summary>
/// `m2msec device paging --data DIR --endpoints FILE` (issue 17): the device's paging occasion — it reads the VNO's paging channel
/// (vno-device in FILE), checks each trigger against the context in its TRE (a UICC device: the ME's stored context) before any
/// connection, and names what each valid one asks for; the battery meter's totals are kept in DIR (`device battery`).
/// </summary>
internal static class DevicePagingCommand
{
    public static Command Create(Option<string> data, Option<string> fuse)
    {
        var endpoints = CliArgs.ExistingFile("--endpoints", "endpoints.json of running services (serve all): vno-device");
        var imsi = CliArgs.Text("--imsi", "the IMSI paged (default: the TRE's active MCIM)", "6 to 15 decimal digits");
        var json = CliArgs.Flag("--json", "print one JSON object (snake_case)");
        var command = new Command("paging", "Check the triggers waiting on the paging channel (before any connection); exit 1 if one was refused")
        {
            data, fuse, endpoints, imsi, json,
        };
        CliArgs.Required(command, data, endpoints);
        command.SetAction(r =>
        {
            var services = RunningServices.Load("--endpoints", r.GetRequiredValue(endpoints));
            var vno = services.Require("--endpoints", "vno-device");
            return DeviceCommand.Run(r, data, fuse, creates: false, (dataDir, fuseDir) =>
            {
                var device = M2meDevice.Open(dataDir, fuseDir);
                INasContextHolder context = device.Info.Kind == M2meKind.Tre
                    ? new TreNasContextHolder(device.Tre)
                    : new MeNasContextHolder(Path.Combine(dataDir, MeNasContextHolder.FileName));
                if (!context.HasContext)
                    throw CliExitException.Bad($"--data: {dataDir} holds no EPS NAS security context (the device never attached with a subscription)");
                var identity = r.GetValue(imsi) ?? device.Tre.InstalledMcims().ActiveImsi
                    ?? throw CliExitException.Bad("--imsi: the device has no active MCIM; name the IMSI");
                var battery = BatteryLog.Load(dataDir);
                var actions = new RecordingTriggerActions();
                IReadOnlyList<TriggerOutcome> outcomes;
                using (var http = services.OperatorRoot is { } root ? RoProvisioningClient.Client(vno, root) : new HttpClient { BaseAddress = vno })
                {
                    try
                    {
                        outcomes = ServingNetworkClient.ReceiveAsync(http, identity, new TriggerReceiver(context, battery), actions, CancellationToken.None)
                            .GetAwaiter().GetResult();
                    }
                    catch (HttpRequestException e)
                    {
                        throw new CliExitException(e.StatusCode is null or >= System.Net.HttpStatusCode.InternalServerError ? ExitCodes.CouldNotRun : ExitCodes.BadArguments,
                            $"vno: {e.Message.Split('\n')[0]}");
                    }
                    finally
                    {
                        BatteryLog.Save(dataDir, battery);
                    }
                }
                var reading = battery.Reading;
                CliOutput.Write(r, r.GetValue(json),
                [
                    new("imsi", identity), new("attached_plmn", context.AttachedPlmn),
                    new("triggers", outcomes.Select(o => $"{o.Code} ({o.Delivery}){(o.Action is null ? "" : ": " + o.Action)}").ToList()),
                    new("actions", actions.Done), new("connection_setups", reading.ConnectionSetups), new("consumed_j", Math.Round(reading.ConsumedJoules, 6)),
                ]);
                return outcomes.All(o => o.IsAccepted) ? ExitCodes.Success : ExitCodes.SecurityRefused;
            });
        });
        return command;
    }
}
