using System.CommandLine;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text.Json;
using M2MSec.Cli.Internal;
using M2MSec.Device.M2me;
using M2MSec.Device.Provisioning;
using M2MSec.Device.Run;
using M2MSec.NetworkFunctions.Ccif;
using M2MSec.NetworkFunctions.Smsc;
using M2MSec.Pki.Authority;

namespace M2MSec.Cli.Commands;

/// <summary>
/// `m2msec device run --data DEVICE-DIR --endpoints FILE [--count N] [--json]` (issue 20, docs/decisions/033): one simulated TRE-based
/// device — or N in one process — living against running services until SIGINT/SIGTERM (<see cref="DeviceAgent"/>): provisioned through
/// the 21 steps unless its TRE already holds an MCIM, attached, answering DM notifications (SMS from the SMSC's device listener, long
/// polled), triggers (the VNO's paging channel) and its DPF's DM jobs, renewing its GBA key. A device directory without a device is
/// manufactured first through the CCIF of FILE (administrator credentials beside it), as `ccif manufacture` does; with --count N the
/// devices live in DEVICE-DIR/device-1 … device-N. One line per event (JSON lines with --json), never a secret. Exit 0 when stopped
/// by a signal; 1 a security check refused every device's start; 2 bad arguments; 3 some devices could not start (or provisioning ran
/// past --timeout); 4 a service or the device directory could not be reached or is in use.
/// </summary>
internal static class DeviceRunCommand
{
    /// <summary>The lock a running device holds in its directory, so that two processes never drive one TRE.</summary>
    public const string LockFile = "run.lock";

    public static Command Create()
    {
        var data = CliArgs.Directory("--data", "the device's directory (made, and the device manufactured through the CCIF, if it holds none); with --count N the parent of device-1 … device-N");
        var fuse = CliArgs.Directory("--fuse-dir", $"the emulated hardware fuses, apart from --data (default: ${M2meDevice.FuseEnvironmentVariable}, else $XDG_DATA_HOME/m2msec/fuses)");
        var endpoints = CliArgs.ExistingFile("--endpoints", "endpoints.json of running services (serve all): vno-device, drf-device, smsc-device, bsf-device, ocsp (uicc: hss, ota, ota-scp81, dm, dm-admin)");
        var count = CliArgs.Int("--count", "how many devices this process runs (DEVICE-DIR/device-1 … device-N)", 1, 1000, 1);
        var timeout = CliArgs.Int("--timeout", "seconds a device may take to get provisioned before it gives up", 5, 86_400, 300);
        var dmInterval = CliArgs.Int("--dm-interval", "seconds between two client-initiated DM sessions with the device's DM server (the DPF; uicc: the DM server), for jobs queued without a notification", 1, 86_400, 300);
        var pagingInterval = CliArgs.Int("--paging-interval", "seconds between two paging occasions (reads of the VNO's paging channel)", 1, 3600, 2);
        var json = CliArgs.Flag("--json", "one JSON object per line and event: time, tre_id, pcid, event, detail");
        var kind = CliArgs.Choice<M2meKind>("--kind", "tre: TR 33.812, provisioned into the TRE; uicc: TR 33.868, USIM on a UICC, configured over the air", M2meKind.Tre);
        var command = new Command("run", "Run simulated device(s) against running services until SIGINT/SIGTERM: provisioning, DM, triggers, SMS, renewals")
        {
            data, fuse, endpoints, count, timeout, dmInterval, pagingInterval, kind, json,
        };
        CliArgs.Required(command, data, endpoints);
        command.SetAction(async (r, invocationToken) =>
        {
            // SIGINT and SIGTERM stop the devices cleanly (their state is in their directories): exit 0, not the signal's 130/143.
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(invocationToken);
            void Stop(PosixSignalContext context)
            {
                context.Cancel = true;
                stop.Cancel();
            }
            using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
            using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
            var ct = stop.Token;
            var services = RunningServices.Load("--endpoints", r.GetRequiredValue(endpoints));
            var uicc = CliArgs.ChoiceValue(r, kind) == M2meKind.Uicc;
            var vno = services.Require("--endpoints", "vno-device");
            var drf = uicc ? null : services.Require("--endpoints", "drf-device");
            var smsc = uicc ? services.Require("--endpoints", "smsc-device") : services.Find("smsc-device");
            var scp81 = uicc ? DeviceRunUicc.Scp81(services) : null;
            var operatorRoot = uicc ? services.OperatorRoot ?? throw CliExitException.Bad("--endpoints: no operator root (root.pem) beside it to check the services with") : null;
            var bsf = services.Find("bsf-device");
            var ocsp = services.Find("ocsp");
            var (fuseDir, named) = CliDefaults.FuseDirectory(r.GetValue(fuse));
            var root = CliPaths.Check("--data", r.GetRequiredValue(data), PathKind.Directory);
            fuseDir = CliPaths.Check("--fuse-dir", fuseDir, PathKind.Directory);
            var n = r.GetValue(count);
            if (M2meDevice.Exists(root) && n > 1)
                throw CliExitException.Bad($"--count: {root} holds one device; give a directory for device-1 … device-{n}");
            string[] dirs = n == 1 ? [root] : [.. Enumerable.Range(1, n).Select(i => Path.Combine(root, $"device-{i}"))];
            if (!named)
                CliDefaults.EnsureDefaultFuseDirectory(r.InvocationConfiguration.Error);
            await ReachableAsync(vno, "vno-device", ct);
            if (drf is not null)
                await ReachableAsync(drf, "drf-device", ct);
            if (smsc is not null)
                await ReachableAsync(smsc, "smsc-device", ct);

            var output = new EventWriter(r.InvocationConfiguration.Output, r.GetValue(json));
            var locks = new List<FileStream>();
            var agents = new List<IRunningDevice>();
            var clients = new List<HttpClient>();
            using var ocspHttp = new HttpClient { Timeout = TimeSpan.FromSeconds(6) };
            try
            {
                foreach (var dir in dirs)
                {
                    M2meDevice device;
                    M2MSec.Device.Uicc.SimulatedUicc? card = null;
                    if (uicc)
                    {
                        bool created;
                        (device, card, created) = DeviceRunUicc.OpenOrCreate(r.InvocationConfiguration.Error, services, dir, fuseDir, ct);
                        if (created)
                            output.Write(new DeviceRunEvent(DateTimeOffset.UtcNow, device.Info.TreId, device.Info.Pcid, "created",
                                $"imsi {card.Imsi}, iccid {card.Iccid}: subscriber registered at the HSS, card at the OTA server"
                                + (M2MSec.Device.Dm.DmClientAccounts.Load(device, M2MSec.NetworkFunctions.Dm.DmAccountEndpoints.ServerId) is null ? ""
                                    : $", DM account {M2MSec.NetworkFunctions.Dm.DmAccountEndpoints.ServerId} by bootstrap from the DM server")));
                    }
                    else
                    {
                        device = OpenOrManufacture(r, services, dir, fuseDir);
                    }
                    locks.Add(Lock(dir));
                    var root2 = operatorRoot ?? device.Tre.TrustAnchor(M2MSec.Device.Tre.TreCaller.DeviceManagement, DeviceCommand.DmRootName)
                        ?? throw CliExitException.Bad($"--data: {dir}: the TRE holds no DM root (not manufactured for provisioning)");
                    SmscClient? sms = null;
                    Func<string, string, byte[], CancellationToken, Task>? submit = null;
                    if (smsc is not null)
                    {
                        var http = RoProvisioningClient.Client(smsc, root2);
                        clients.Add(http);
                        var client = sms = new SmscClient(http, "sms/");
                        submit = async (to, from, userData, token) => await client.SubmitAsync(new SmsMessage(to, from, null, Convert.ToHexStringLower(userData)), token);
                    }
                    var options = new DeviceRunOptions(new ProvisioningEndpoints(vno, drf ?? vno, ocsp,
                        ocsp is null ? null : (url, der, _) => Task.FromResult(M2MSec.NetworkFunctions.Ocsp.OcspEndpoints.Query(ocspHttp, url, der))))
                    {
                        BsfDevice = uicc ? null : bsf,
                        SubmitSms = submit,
                        Scp81 = scp81,
                        ProvisioningDeadline = TimeSpan.FromSeconds(r.GetValue(timeout)),
                        DmInterval = TimeSpan.FromSeconds(r.GetValue(dmInterval)),
                        PagingInterval = TimeSpan.FromSeconds(r.GetValue(pagingInterval)),
                        ReceiveSms = sms is null ? null : async (address, token) =>
                            [.. (await sms.DeliverAsync(address, 25, token)).Where(m => m.Tpdus is not null)
                                .Select(m => new ReceivedSms(m.From, [.. m.Tpdus!.Where(IsHex).Select(Convert.FromHexString)]))],
                    };
                    agents.Add(card is not null ? new UiccDeviceAgent(device, card, root2, options, output.Write) : new DeviceAgent(device, options, output.Write));
                }
                return await RunAsync(agents, output, ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return ExitCodes.Success; // stopped while a device was being made or checked
            }
            finally
            {
                foreach (var a in agents)
                    a.Dispose();
                foreach (var c in clients)
                    c.Dispose();
                foreach (var l in locks)
                    l.Dispose();
            }
        });
        return command;
    }

    /// <summary>Starts every device (provisioning or resuming), then runs those that started until the signal.</summary>
    private static async Task<int> RunAsync(List<IRunningDevice> agents, EventWriter output, CancellationToken ct)
    {
        var started = await Task.WhenAll(agents.Select(async Task<(IRunningDevice Agent, int Code)> (a) =>
        {
            try
            {
                await a.StartAsync(ct);
                return (a, ExitCodes.Success);
            }
            catch (RoProvisioningException e)
            {
                output.Write(new DeviceRunEvent(DateTimeOffset.UtcNow, a.TreId, a.Pcid, "failed", $"{e.Code}: {e.Message}"));
                return (a, e.Code == "deadline" ? ExitCodes.Partial : ExitCodes.SecurityRefused);
            }
            catch (Exception e) when (e is HttpRequestException or IOException || (e is OperationCanceledException && !ct.IsCancellationRequested))
            {
                output.Write(new DeviceRunEvent(DateTimeOffset.UtcNow, a.TreId, a.Pcid, "failed", "a service could not be reached"));
                return (a, ExitCodes.CouldNotRun);
            }
            catch (OperationCanceledException)
            {
                return (a, ExitCodes.Success);
            }
        }));
        var running = started.Where(s => s.Code == ExitCodes.Success).Select(s => s.Agent).ToList();
        if (running.Count == 0 && !ct.IsCancellationRequested)
            return started.Max(s => s.Code);
        await Task.WhenAll(running.Select(a => a.RunAsync(ct)));
        foreach (var a in running)
            output.Write(new DeviceRunEvent(DateTimeOffset.UtcNow, a.TreId, a.Pcid, "stopped", a.StopSummary));
        return running.Count == agents.Count ? ExitCodes.Success : ExitCodes.Partial;
    }

    /// <summary>The device in <paramref name="dir"/>, or a new one made and registered through the CCIF (the factory line of `ccif manufacture`).</summary>
    private static M2meDevice OpenOrManufacture(ParseResult r, RunningServices services, string dir, string fuseDir)
    {
        if (M2meDevice.Exists(dir))
        {
            DeviceCommand.CheckExisting(dir, fuseDir);
            var existing = M2meDevice.Open(dir, fuseDir);
            return existing.Info.Kind == M2meKind.Tre ? existing
                : throw CliExitException.Bad($"--kind: {dir} is a UICC-based device; run it with --kind uicc");
        }
        using var ccif = services.AdminClient("--endpoints", "ccif");
        KeyAlgorithms.TryParse("ec-p256", out var platformKey);
        // A PCID of the Registration Operator's range (MCC+MNC 001 90, docs/provisioning.md), random like the TRE id.
        var pcid = "00190" + RandomNumberGenerator.GetInt32(0, 1_000_000_000).ToString("D10", System.Globalization.CultureInfo.InvariantCulture);
        var treId = "TRE-" + Convert.ToHexString(RandomNumberGenerator.GetBytes(8));
        var device = DeviceCommand.CreateOrUndo(dir, fuseDir, () =>
        {
            var made = M2meDevice.Create(dir, fuseDir, pcid, M2meKind.Tre, treId, platformKey: platformKey);
            CcifCommand.Inject(made, CcifCommand.Register(new CcifClient(ccif), made, platformKey, null));
            return made;
        });
        r.InvocationConfiguration.Error.WriteLine($"manufactured {treId} (pcid {pcid}) in {dir} through the CCIF");
        return device;
    }

    /// <summary>One process per device directory: exit 4 when another holds it.</summary>
    private static FileStream Lock(string dir)
    {
        try
        {
            return new FileStream(Path.Combine(dir, LockFile), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.DeleteOnClose);
        }
        catch (IOException)
        {
            throw new CliExitException(ExitCodes.CouldNotRun, $"--data: {dir} is run by another process ({LockFile} is held)");
        }
    }

    /// <summary>A listener that accepts no connection is exit 4 before anything starts (a device would otherwise wait for it).</summary>
    private static async Task ReachableAsync(Uri url, string name, CancellationToken ct)
    {
        using var tcp = new TcpClient();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(5));
        try
        {
            await tcp.ConnectAsync(url.Host, url.Port, timeout.Token);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException && !ct.IsCancellationRequested)
        {
            throw new CliExitException(ExitCodes.CouldNotRun, $"--endpoints: {name} ({url}) could not be reached");
        }
    }

    private static bool IsHex(string s) => s.Length % 2 == 0 && s.All(Uri.IsHexDigit);

    /// <summary>One line per event, whole lines only (devices of one process write from several threads).</summary>
    private sealed class EventWriter(TextWriter output, bool json)
    {
        private readonly Lock _lock = new();

        public void Write(DeviceRunEvent e)
        {
            var line = json
                ? JsonSerializer.Serialize(new Dictionary<string, string>
                {
                    ["time"] = e.At.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture),
                    ["tre_id"] = e.TreId,
                    ["pcid"] = e.Pcid,
                    ["event"] = e.Event,
                    ["detail"] = e.Detail,
                })
                : $"{e.At.UtcDateTime:HH:mm:ss} {e.Pcid} {e.Event}: {e.Detail}";
            lock (_lock)
            {
                output.WriteLine(line);
                output.Flush();
            }
        }
    }
}
