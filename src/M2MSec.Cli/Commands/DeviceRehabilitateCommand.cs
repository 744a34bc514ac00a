using System.CommandLine;
using M2MSec.Cli.Internal;
using M2MSec.Device.M2me;
using M2MSec.Device.Provisioning;

namespace M2MSec.Cli.Commands;

/// <summary>
/// `m2msec device rehabilitate --data DEVICE-DIR --endpoints FILE [--json]` (issue 16, docs/decisions/020): a TRE locked down for a
/// firmware measurement mismatch sends fresh evidence over its own nonce through the DPF's device listener to the PVA; the TRE
/// accepts the signed statement only if the PVA judged the firmware a registered update. Then the device attaches again with its
/// active MCIM (the VNO's device listener), the subscription it held before. Exit 0 rehabilitated (or not locked), 1 refused or a
/// lockdown that cannot be rehabilitated (the TRE stays locked), 2 bad arguments, 4 the DPF or the VNO could not be reached.
/// </summary>
internal static class DeviceRehabilitateCommand
{
    public static Command Create(Option<string> data, Option<string> fuse)
    {
        var endpoints = CliArgs.ExistingFile("--endpoints", "endpoints.json of running services (serve all): dpf-device, vno-device");
        var json = CliArgs.Flag("--json", "print one JSON object (snake_case): pcid, tre_id, result, code, detail, imsi, ip_address");
        var command = new Command("rehabilitate", "Rehabilitate a TRE locked down for a firmware change, through the DPF and the PVA; then attach again")
        {
            data, fuse, endpoints, json,
        };
        CliArgs.Required(command, data, endpoints);
        command.SetAction(r =>
        {
            var services = RunningServices.Load("--endpoints", r.GetRequiredValue(endpoints));
            var dpfUrl = services.Require("--endpoints", "dpf-device");
            var vnoUrl = services.Require("--endpoints", "vno-device");
            return DeviceCommand.Run(r, data, fuse, creates: false, (dataDir, fuseDir) =>
            {
                var device = M2meDevice.Open(dataDir, fuseDir);
                if (device.Info.Kind != M2meKind.Tre)
                    throw CliExitException.Bad($"--data: {dataDir} is a UICC-based device; it has no TRE to rehabilitate");
                RehabilitationOutcome outcome;
                AttachOutcome? attach = null;
                string? imsi = null;
                try
                {
                    using (var dpf = TreRehabilitationClient.DpfClient(device, dpfUrl))
                        outcome = TreRehabilitationClient.RehabilitateAsync(device, dpf).GetAwaiter().GetResult();
                    // Decision 020 step 6: the store was kept, so the subscription the TRE held is usable again: attach with it.
                    if (outcome.IsRehabilitated && device.Tre.InstalledMcims().ActiveImsi is { } active)
                    {
                        imsi = active;
                        using var vno = RoProvisioningClient.Client(vnoUrl, device.Tre.TrustAnchor(Device.Tre.TreCaller.DeviceManagement, "dm")!);
                        attach = RoProvisioningClient.AttachAsync(device, active, vno).GetAwaiter().GetResult();
                    }
                }
                catch (RoProvisioningException e)
                {
                    CliOutput.Error(r, $"rehabilitate: {e.Code}: {e.Message}");
                    return e.Code == "no-dm-root" ? ExitCodes.BadArguments : ExitCodes.SecurityRefused;
                }
                catch (HttpRequestException e)
                {
                    CliOutput.Error(r, $"rehabilitate: a service could not be reached ({e.Message.Split('\n')[0]})");
                    return ExitCodes.CouldNotRun;
                }
                CliOutput.Write(r, r.GetValue(json),
                [
                    new("pcid", device.Info.Pcid), new("tre_id", device.Info.TreId), new("result", outcome.Result), new("code", outcome.Code),
                    new("detail", outcome.Detail), new("imsi", imsi), new("ip_address", attach?.IpAddress),
                ]);
                return outcome.Result is RehabilitationOutcome.Rehabilitated or RehabilitationOutcome.NotLocked ? ExitCodes.Success : ExitCodes.SecurityRefused;
            });
        });
        return command;
    }
}
