using System.CommandLine;
using M2MSec.Cli.Internal;
using M2MSec.Device.Dm;
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
        var dmServer = CliArgs.Text("--dm-server", "a DM-session trigger runs a DM session with the device's account of this ServerID (else it is only named)",
            "a DM ServerID");
        var json = CliArgs.Flag("--json", "print one JSON object (snake_case)");
        var command = new Command("paging", "Check the triggers waiting on the paging channel (before any connection); exit 1 if one was refused")
        {
            data, fuse, endpoints, imsi, dmServer, json,
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
                // Issue 20: a UICC-based device made by `device run --kind uicc` carries its card; an OTA-job trigger opens its SCP81 session.
                var card = device.Info.Kind == M2meKind.Uicc && File.Exists(Path.Combine(dataDir, "uicc", "card.bin"))
                    ? M2MSec.Device.Uicc.SimulatedUicc.Load(dataDir, fuseDir, device.Info.TreId) : null;
                var identity = r.GetValue(imsi) ?? device.Tre.InstalledMcims().ActiveImsi ?? card?.Imsi
                    ?? throw CliExitException.Bad("--imsi: the device has no active MCIM; name the IMSI");
                var battery = BatteryLog.Load(dataDir);
                var actions = new RecordingTriggerActions();
                // Issue 17: with --dm-server a DM-session trigger runs the session itself (the server's certificate checked against
                // the operator root with the TRE's secure clock), instead of the package-0 notification over SMS.
                DmHttpTransport? transport = null;
                DmTriggerActions? dm = null;
                if (r.GetValue(dmServer) is { } serverId)
                {
                    var account = DmClientAccounts.Load(device, serverId) ?? throw CliExitException.Bad($"--dm-server: the device has no DM account for '{serverId}'");
                    var dmRoot = services.OperatorRoot ?? device.Tre.TrustAnchor(M2MSec.Device.Tre.TreCaller.DeviceManagement, "dm")
                        ?? throw CliExitException.Bad("--endpoints: no operator root to check the DM server with");
                    var checker = new M2MSec.Pki.Validation.ServerCertificateChecker(dmRoot, device.Tre.TrustedClock(M2MSec.Device.Tre.TreCaller.DeviceManagement),
                        new M2MSec.Pki.Validation.CheckPolicy { MaxValidity = TimeSpan.FromDays(400) });
                    transport = new DmHttpTransport(account.ServerUri, checker, M2MSec.Pki.Validation.CheckMode.SecureClock);
                    dm = new DmTriggerActions(device, account, transport.ExchangeAsync, battery, actions);
                }
                OtaTriggerActions? ota = null;
                if (card is { Scp81Psk: { } scp81Psk } && services.Find("ota-scp81") is { } scp81Url
                    && System.Net.IPAddress.TryParse(scp81Url.Host, out var scp81Address))
                {
                    ota = new OtaTriggerActions(card.Card, card.Iccid, scp81Psk.Identity, scp81Psk.Psk, new System.Net.IPEndPoint(scp81Address, scp81Url.Port),
                        battery, (ITriggerActions?)dm ?? actions);
                }
                IReadOnlyList<TriggerOutcome> outcomes;
                using (transport)
                using (var http = services.OperatorRoot is { } root ? RoProvisioningClient.Client(vno, root) : new HttpClient { BaseAddress = vno })
                {
                    try
                    {
                        outcomes = ServingNetworkClient.ReceiveAsync(http, identity, new TriggerReceiver(context, battery), (ITriggerActions?)ota ?? (ITriggerActions?)dm ?? actions, CancellationToken.None)
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
                    new("actions", (List<string>)[.. actions.Done, .. (dm?.Sessions ?? []).Select(d => "dm-session: " + (d.Completed ? "completed" : d.Detail)),
                        .. (ota?.Sessions ?? []).Select(o => $"ota-job:{o.JobId}: {CliOutput.Name(o.Status)} ({o.ScriptsExecuted} scripts)")]),
                    new("connection_setups", reading.ConnectionSetups), new("bytes_sent", reading.BytesSent), new("consumed_j", Math.Round(reading.ConsumedJoules, 6)),
                ]);
                return !outcomes.All(o => o.IsAccepted) ? ExitCodes.SecurityRefused
                    : dm is not null && !dm.Sessions.All(d => d.Completed) ? ExitCodes.Partial
                    : ota is not null && ota.Sessions.Any(o => o.Status is OtaSessionStatus.Failed or OtaSessionStatus.BadJobId) ? ExitCodes.Partial
                    : ExitCodes.Success;
            });
        });
        return command;
    }
}
