using System.CommandLine;
using M2MSec.Cli.Internal;
using M2MSec.Device.Dm;
using M2MSec.Device.M2me;
using M2MSec.Device.Provisioning;

namespace M2MSec.Cli.Commands;

/// <summary>
/// `m2msec device provision --data DEVICE-DIR --endpoints FILE [--timeout S] [--json]` (issue 15): the device side of remote
/// MCIM provisioning, steps 1–21 of TR 33.812 §5.1.3.6.2, against running services (the VNO's and DRF's device listeners from
/// endpoints.json; the DPF's address comes in the Bootstrap message), then the attach with the new IMSI. The device checks
/// every server against the DM root its TRE holds, the DPF's certificate by OCSP with a nonce. Exit 1 when a security check
/// refused (the network, the TRE), 3 when the network did not finish in time, 4 when a service could not be reached.
/// </summary>
internal static class DeviceProvisionCommand
{
    public static Command Create(Option<string> data, Option<string> fuse)
    {
        var endpoints = CliArgs.ExistingFile("--endpoints", "endpoints.json of running services (serve all): vno-device, drf-device, ocsp");
        var timeout = CliArgs.Int("--timeout", "seconds to wait for each phase's answer from the network (DM polling)", 5, 3600, 120);
        var json = CliArgs.Flag("--json", "print one JSON object (snake_case): pcid, tre_id, imsi, sho_id, dm_sessions, phases");
        var command = new Command("provision", "Remote MCIM provisioning of a TRE-based device (TR 33.812 steps 1–21), then attach with the new IMSI")
        {
            data, fuse, endpoints, timeout, json,
        };
        CliArgs.Required(command, data, endpoints);
        command.SetAction(r =>
        {
            var services = RunningServices.Load("--endpoints", r.GetRequiredValue(endpoints));
            var vno = services.Require("--endpoints", "vno-device");
            var drf = services.Require("--endpoints", "drf-device");
            var ocsp = services.Find("ocsp");
            return DeviceCommand.Run(r, data, fuse, creates: false, (dataDir, fuseDir) =>
            {
                var device = M2meDevice.Open(dataDir, fuseDir);
                if (device.Info.Kind != M2meKind.Tre)
                    throw CliExitException.Bad($"--data: {dataDir} is a UICC-based device; its subscription is on its UICC, not provisioned into a TRE");
                using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
                var endpointSet = new ProvisioningEndpoints(vno, drf, ocsp,
                    ocsp is null ? null : (url, der, _) => Task.FromResult(M2MSec.NetworkFunctions.Ocsp.OcspEndpoints.Query(http, url, der)));
                // Issue 16: a device already provisioned picks up a change of subscription (or whatever its DPF has pending).
                if (device.Tre.InstalledMcims().Mcims.Count > 0 && DmClientAccounts.Load(device, M2meSubscriptionChange.DefaultDpfServerId) is not null)
                    return RunChange(r, device, endpointSet, r.GetValue(timeout), r.GetValue(json));
                var phases = new Dictionary<string, object?>(StringComparer.Ordinal);
                using var provisioning = new M2meProvisioning(device, endpointSet, new McimDownloadOptions
                {
                    PollInterval = TimeSpan.FromMilliseconds(250),
                    Deadline = TimeSpan.FromSeconds(r.GetValue(timeout)),
                });
                try
                {
                    provisioning.RunAsync((phase, elapsed) =>
                    {
                        phases[CliOutput.Name(phase)] = Math.Round(elapsed.TotalSeconds, 3);
                        if (!r.GetValue(json))
                            r.InvocationConfiguration.Error.WriteLine($"  {CliOutput.Name(phase),-22} {elapsed.TotalSeconds,7:0.000} s");
                    }, CancellationToken.None).GetAwaiter().GetResult();
                }
                catch (RoProvisioningException e)
                {
                    CliOutput.Error(r, $"provisioning stopped after {phases.Count} of 5 phases: {e.Code}: {e.Message}");
                    return e.Code == "deadline" ? ExitCodes.Partial : e.Code == "no-dm-root" ? ExitCodes.BadArguments : ExitCodes.SecurityRefused;
                }
                catch (HttpRequestException e)
                {
                    CliOutput.Error(r, $"provisioning stopped after {phases.Count} of 5 phases: a service could not be reached ({e.Message.Split('\n')[0]})");
                    return ExitCodes.CouldNotRun;
                }
                CliOutput.Write(r, r.GetValue(json),
                [
                    new("pcid", device.Info.Pcid), new("tre_id", device.Info.TreId), new("imsi", provisioning.Download?.Imsi),
                    new("sho_id", provisioning.Bootstrap?.ShoId), new("ip_address", provisioning.Attach?.IpAddress), new("dm_sessions", provisioning.DmSessions),
                    new("phases", phases),
                ]);
                return ExitCodes.Success;
            });
        });
        return command;
    }

    /// <summary>
    /// Issue 16: an already provisioned device runs DM sessions with its DPF until nothing is pending — a change of subscription's
    /// designation, validation and new MCIM, then the old SHO's disable and delete — and attaches with the active MCIM's IMSI.
    /// </summary>
    private static int RunChange(System.CommandLine.ParseResult r, M2meDevice device, ProvisioningEndpoints endpoints, int timeoutSeconds, bool json)
    {
        using var change = new M2meSubscriptionChange(device, endpoints, new McimDownloadOptions
        {
            PollInterval = TimeSpan.FromMilliseconds(250),
            Deadline = TimeSpan.FromSeconds(timeoutSeconds),
        });
        SubscriptionChangeResult result;
        AttachOutcome? attach = null;
        try
        {
            result = change.RunSessionsAsync(CancellationToken.None).GetAwaiter().GetResult();
            if (result.Outcome == "refused")
            {
                CliOutput.Error(r, $"change of subscription refused by the TRE: {result.Detail}");
                return ExitCodes.SecurityRefused;
            }
            if (result.Outcome == "deadline")
            {
                CliOutput.Error(r, $"the DPF did not finish within {timeoutSeconds} s ({result.Sessions} DM sessions; last: {result.Detail})");
                return ExitCodes.Partial;
            }
            attach = change.AttachAsync(CancellationToken.None).GetAwaiter().GetResult();
        }
        catch (RoProvisioningException e)
        {
            CliOutput.Error(r, $"change of subscription stopped: {e.Code}: {e.Message}");
            return ExitCodes.SecurityRefused;
        }
        catch (HttpRequestException e)
        {
            CliOutput.Error(r, $"a service could not be reached ({e.Message.Split('\n')[0]})");
            return ExitCodes.CouldNotRun;
        }
        CliOutput.Write(r, json,
        [
            new("pcid", device.Info.Pcid), new("tre_id", device.Info.TreId), new("outcome", result.Outcome), new("imsi", result.NewImsi),
            new("previous_imsi", result.OldImsi), new("old_deleted", result.OldDeleted), new("ip_address", attach?.IpAddress), new("dm_sessions", result.Sessions),
        ]);
        return ExitCodes.Success;
    }
}
