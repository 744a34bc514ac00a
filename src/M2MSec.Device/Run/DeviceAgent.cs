using System.Threading.Channels;
using M2MSec.Device.Dm;
using M2MSec.Device.Gba;
using M2MSec.Device.M2me;
using M2MSec.Device.Power;
using M2MSec.Device.Provisioning;
using M2MSec.Device.Tre;
using M2MSec.Device.Triggering;
using M2MSec.Nas.Trigger;

namespace M2MSec.Device.Run;

/// <summary>
/// Issue 20 (docs/decisions/033): one TRE-based device living on its own against running services (`m2msec device run`). It starts
/// where its TRE stands — the whole remote provisioning of TR 33.812 §5.1.3.6.2 (steps 1–21, <see cref="M2meProvisioning"/>, resumed
/// across restarts) when it holds no MCIM, else only the attach with its MCIM — and then, until stopped: takes its short messages from
/// the SMSC (a DM notification, package 0, checked by <see cref="DmClient.RunNotifiedSessionAsync"/> before it opens the session),
/// reads the VNO's paging channel at each paging occasion (triggers checked in the TRE before any connection), runs a client-initiated
/// DM session with its DPF every <see cref="DeviceRunOptions.DmInterval"/>, re-attaches when the VNO lost its context or the DPF moved it
/// to another MCIM, and renews its GBA key and B-TID before they expire. Everything that touches the TRE runs on one loop, one thing
/// at a time; only the SMS long poll runs beside it. Everything it keeps is in its directory and TRE, so a restart continues.
/// </summary>
public sealed class DeviceAgent : IRunningDevice, ITriggerActions
{
    private readonly M2meDevice _device;
    private readonly DeviceRunOptions _options;
    private readonly Action<DeviceRunEvent> _report;
    private readonly HttpClient _vno;
    private readonly System.Security.Cryptography.X509Certificates.X509Certificate2 _root;
    private readonly Channel<ReceivedSms> _sms = Channel.CreateUnbounded<ReceivedSms>(new UnboundedChannelOptions { SingleReader = true });
    private readonly BatteryMeter _battery;
    private readonly DeviceDmSessions _dm;

    public DeviceAgent(M2meDevice device, DeviceRunOptions options, Action<DeviceRunEvent> report)
    {
        _device = device ?? throw new ArgumentNullException(nameof(device));
        _options = options ?? throw new ArgumentNullException(nameof(options));
        _report = report ?? throw new ArgumentNullException(nameof(report));
        if (device.Info.Kind != M2meKind.Tre)
            throw new ArgumentException("a UICC-based device: its subscription is on its UICC, not provisioned into a TRE", nameof(device));
        _root = device.Tre.TrustAnchor(TreCaller.DeviceManagement, "dm")
            ?? throw new RoProvisioningException("no-dm-root", "the TRE holds no DM root (trust/root/dm): the device was not manufactured for provisioning");
        _vno = RoProvisioningClient.Client(options.Endpoints.VnoDevice, _root);
        _battery = BatteryLog.Load(device.DataDirectory);
        _dm = new DeviceDmSessions(device, options.Endpoints.DpfServerId, _root, options.Endpoints, _battery, Client, Report);
    }

    public string TreId => _device.Info.TreId;

    public string Pcid => _device.Info.Pcid;

    /// <summary>The IMSI the device is attached with (its active MCIM), once started.</summary>
    public string? Imsi { get; private set; }

    /// <summary>DM sessions this run completed (any initiation).</summary>
    public int DmSessionsCompleted => _dm.Completed;

    public string StopSummary => $"{DmSessionsCompleted} DM sessions completed this run; state kept in the device directory";

    /// <summary>
    /// Provisioning (or, provisioned before, nothing of it) and the attach with the active MCIM. Throws what ended it: a
    /// <see cref="RoProvisioningException"/> (a refusal, the deadline) or, for a network that never answered, an <see cref="HttpRequestException"/>.
    /// </summary>
    public async Task StartAsync(CancellationToken ct)
    {
        AttachOutcome attach;
        if (_device.Tre.InstalledMcims().ActiveImsi is { } active)
        {
            Report("resumed", $"imsi {active}: provisioned before; no new provisioning, attach with the MCIM");
            attach = await AttachWithRetryAsync(active, _options.ProvisioningDeadline, ct).ConfigureAwait(false);
        }
        else
        {
            using var provisioning = new M2meProvisioning(_device, _options.Endpoints,
                new McimDownloadOptions { PollInterval = TimeSpan.FromMilliseconds(250), Deadline = _options.ProvisioningDeadline, Time = _options.Time });
            Report("provisioning", $"pcid {Pcid}: from {Name(provisioning.ResumePoint())} (TR 33.812 steps 1–21)");
            attach = await provisioning.RunResumableAsync(_options.ProvisioningDeadline, null, ct).ConfigureAwait(false);
            var sho = new TreProvisioning(_device.Tre).DesignatedSho;
            Report("provisioned", $"imsi {attach.Identity} from sho {sho}; {provisioning.DmSessions} DM sessions with the DPF");
        }
        Attached(attach);
    }

    /// <summary>Until <paramref name="ct"/> is cancelled (SIGINT/SIGTERM): the device's life. Returns normally when stopped.</summary>
    public async Task RunAsync(CancellationToken ct)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var poller = _options.ReceiveSms is null ? Task.CompletedTask : Task.Run(() => PollSmsAsync(stop.Token), CancellationToken.None);
        var time = _options.Time;
        var nextPaging = time.GetUtcNow();
        var nextDm = time.GetUtcNow() + _options.DmInterval;
        var nextGba = _options.BsfDevice is null ? DateTimeOffset.MaxValue : time.GetUtcNow();
        var nextBattery = time.GetUtcNow();
        var pagingBackOff = _options.BackOff;
        var dmBackOff = _options.BackOff;
        var gbaBackOff = _options.BackOff;
        try
        {
            while (!ct.IsCancellationRequested)
            {
                while (_sms.Reader.TryRead(out var sms))
                    await StepAsync(() => NotificationAsync(sms, ct), "dm", ct).ConfigureAwait(false);
                if (time.GetUtcNow() >= nextPaging)
                {
                    var ok = await StepAsync(() => PagingAsync(ct), "vno", ct).ConfigureAwait(false);
                    (nextPaging, pagingBackOff) = Next(ok, _options.PagingInterval, pagingBackOff);
                }
                if (time.GetUtcNow() >= nextDm)
                {
                    var ok = await StepAsync(() => DmSessionAsync("scheduled", ct), "dm", ct).ConfigureAwait(false);
                    (nextDm, dmBackOff) = Next(ok, _options.DmInterval, dmBackOff);
                }
                if (time.GetUtcNow() >= nextGba)
                {
                    var ok = await StepAsync(() => GbaAsync(ct), "bsf", ct).ConfigureAwait(false);
                    var record = GbaRecord();
                    var renewAt = record is null ? time.GetUtcNow() : record.Expires - _options.GbaRenewBefore;
                    (nextGba, gbaBackOff) = ok ? (Max(renewAt, time.GetUtcNow() + TimeSpan.FromSeconds(30)), _options.BackOff) : Next(false, TimeSpan.Zero, gbaBackOff);
                }
                if (Imsi is not null && time.GetUtcNow() >= nextBattery)
                {
                    // Issue 20: the battery figure to the VNO (report kind 5 under the TRE's NAS context).
                    var ok = await StepAsync(() => DeviceBatteryReport.SendAsync(_vno, Imsi, new TreNasContextHolder(_device.Tre), _battery, Report, ct), "vno", ct)
                        .ConfigureAwait(false);
                    nextBattery = time.GetUtcNow() + (ok ? _options.BatteryInterval : _options.BackOff);
                }
                var wake = Min(Min(Min(nextPaging, nextDm), nextGba), nextBattery) - time.GetUtcNow();
                if (wake <= TimeSpan.Zero)
                    continue;
                await DeviceRunStep.WaitForSmsAsync(_sms.Reader, wake, ct).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        finally
        {
            await DeviceRunStep.StopPollerAsync(stop, poller).ConfigureAwait(false);
            if (Imsi is { } imsi)
                await DeviceBatteryReport.SendAtStopAsync(_vno, imsi, new TreNasContextHolder(_device.Tre), _battery, Report).ConfigureAwait(false);
            BatteryLog.Save(_device.DataDirectory, _battery);
        }
        (DateTimeOffset, TimeSpan) Next(bool ok, TimeSpan interval, TimeSpan backOff) => ok
            ? (time.GetUtcNow() + interval, _options.BackOff)
            : (time.GetUtcNow() + backOff, TimeSpan.FromTicks(Math.Min(backOff.Ticks * 2, _options.MaxBackOff.Ticks)));
    }

    /// <summary>One step of the loop (<see cref="DeviceRunStep"/>).</summary>
    private Task<bool> StepAsync(Func<Task> step, string peer, CancellationToken ct) => DeviceRunStep.RunAsync(step, peer, Report, ct);

    /// <summary>The SMSC's device listener, long-polled for the PCID (the DevId of the DPF's account: where `dm notify` sends by default).</summary>
    private async Task PollSmsAsync(CancellationToken ct)
    {
        var backOff = _options.BackOff;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                foreach (var m in await _options.ReceiveSms!(Pcid, ct).ConfigureAwait(false))
                    await _sms.Writer.WriteAsync(m, ct).ConfigureAwait(false);
                backOff = _options.BackOff;
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is HttpRequestException or IOException or OperationCanceledException or System.Text.Json.JsonException)
            {
                Report("unreachable", "smsc: could not be reached; trying again later");
                await Task.Delay(backOff, _options.Time, ct).ConfigureAwait(false);
                backOff = TimeSpan.FromTicks(Math.Min(backOff.Ticks * 2, _options.MaxBackOff.Ticks));
            }
        }
    }

    /// <summary>
    /// A short message for the device: only a WAP push of a DM notification is acted on, and only when its digest verifies under the
    /// DPF account's server password and the nonce the device gave that server last (OMA-TS-DM_Notification-V1_2 §6) and it is not a
    /// replay — else nothing is opened.
    /// </summary>
    private async Task NotificationAsync(ReceivedSms sms, CancellationToken ct)
    {
        if (DmPushReceiver.Package0(sms.Tpdus, out var why) is not { } package0)
        {
            Report("sms-ignored", $"from {sms.From}: not a DM notification ({why})");
            return;
        }
        if (await _dm.NotifiedAsync(sms.From, package0, ct).ConfigureAwait(false) is not null)
            AfterSession();
    }

    /// <summary>A client-initiated DM session with the DPF (Alert 1201): queued jobs run, the nonces move on.</summary>
    private async Task DmSessionAsync(string why, CancellationToken ct)
    {
        if (await _dm.SessionAsync(why, ct).ConfigureAwait(false) is not null)
            AfterSession();
    }

    private void AfterSession()
    {
        // The DPF may have moved the device to another MCIM (a change of subscription, decision 021): attach with it.
        if (_device.Tre.InstalledMcims().ActiveImsi is { } now && now != Imsi)
        {
            Report("subscription-changed", $"imsi {Imsi} → {now}");
            Imsi = null;
        }
    }

    /// <summary>The paging occasion: triggers checked in the TRE before any connection; the VNO having lost the context means attach again.</summary>
    private async Task PagingAsync(CancellationToken ct)
    {
        if (Imsi is null)
        {
            Attached(await AttachWithRetryAsync(_device.Tre.InstalledMcims().ActiveImsi ?? throw new RoProvisioningException("no-mcim", "no active MCIM"),
                TimeSpan.Zero, ct).ConfigureAwait(false));
            return;
        }
        IReadOnlyList<TriggerOutcome> outcomes;
        try
        {
            outcomes = await ServingNetworkClient.ReceiveAsync(_vno, Imsi, new TriggerReceiver(new TreNasContextHolder(_device.Tre), _battery), this, ct).ConfigureAwait(false);
        }
        catch (HttpRequestException e) when (e.StatusCode is System.Net.HttpStatusCode.NotFound)
        {
            Report("context-lost", "vno: holds no NAS context for the device; attaching again");
            Imsi = null;
            return;
        }
        foreach (var o in outcomes)
        {
            Report(o.IsAccepted ? "trigger" : "trigger-refused", o.IsAccepted
                ? $"{o.Action} ({o.Delivery}, reference {o.Reference}): verified in the TRE"
                : $"{o.Code} ({o.Delivery}): {o.Detail}; nothing done");
        }
        if (outcomes.Count > 0)
            BatteryLog.Save(_device.DataDirectory, _battery);
    }

    /// <summary>GBA_ME with the BSF (Ub, Digest AKA); run again before the key's lifetime ends. Ks stays in the TRE.</summary>
    private async Task GbaAsync(CancellationToken ct)
    {
        if (Imsi is null || _options.BsfDevice is not { } bsf)
            return;
        var record = GbaRecord();
        if (record is not null && record.Imsi == Imsi && record.Expires - _options.GbaRenewBefore > _options.Time.GetUtcNow())
            return;
        using var http = RoProvisioningClient.Client(bsf, _root);
        var keys = await GbaBootstrapClient.BootstrapAsync(http, new TreGbaAuthenticator(_device.Tre, Imsi, _options.Time), ct).ConfigureAwait(false);
        new GbaBootstrapRecord(keys.BTid, keys.Expires, keys.Impi, Imsi).Save(_device.DataDirectory);
        Report(record is null ? "gba-bootstrapped" : "gba-renewed", $"b_tid {keys.BTid}, key lifetime until {keys.Expires.UtcDateTime:yyyy-MM-dd'T'HH:mm:ss'Z'}");
    }

    /// <summary>The last bootstrapping kept in the directory; a damaged record counts as none (the device bootstraps again).</summary>
    private GbaBootstrapRecord? GbaRecord()
    {
        try
        {
            return GbaBootstrapRecord.Load(_device.DataDirectory);
        }
        catch (InvalidDataException)
        {
            return null;
        }
    }

    public async Task StartDmSessionAsync(TriggerIndication indication, CancellationToken cancellationToken) =>
        await DmSessionAsync("triggered", cancellationToken).ConfigureAwait(false);

    public Task FetchOtaJobAsync(string jobId, CancellationToken cancellationToken)
    {
        // A TRE-based device has no UICC for an OTA job (its configuration comes by DM): named, not run.
        Report("ota-job", $"{jobId}: asked for; a TRE-based device has no UICC to run it (its configuration comes by DM)");
        return Task.CompletedTask;
    }

    public Task DeliverAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        Report("application-data", $"{payload.Length} octets: {Convert.ToHexStringLower(payload.Span)}");
        return Task.CompletedTask;
    }

    private void Attached(AttachOutcome attach)
    {
        Imsi = attach.Identity;
        Report("attached", $"imsi {attach.Identity}, address {attach.IpAddress}, plmn {attach.ServingPlmn}");
    }

    private async Task<AttachOutcome> AttachWithRetryAsync(string imsi, TimeSpan deadline, CancellationToken ct)
    {
        var start = _options.Time.GetUtcNow();
        var pause = TimeSpan.FromMilliseconds(100);
        while (true)
        {
            try
            {
                return await RoProvisioningClient.AttachAsync(_device, imsi, _vno, ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is HttpRequestException or IOException or RoProvisioningException { Code: "attach-refused" or "aka-failed" }
                && !ct.IsCancellationRequested && _options.Time.GetUtcNow() - start + pause < deadline)
            {
                await Task.Delay(pause, _options.Time, ct).ConfigureAwait(false);
                pause = TimeSpan.FromTicks(Math.Min(pause.Ticks * 2, TimeSpan.FromSeconds(2).Ticks));
            }
        }
    }

    /// <summary>As the provisioning sessions: the PCID as DevId, the provisioning objects in the tree (the DPF may still send instructions).</summary>
    private DmClient Client(DmClientAccount account)
    {
        var objects = new M2MProvisioningObjects(new TreProvisioning(_device.Tre));
        return new DmClient(_device, account) { DevId = Pcid, PrepareTree = t => objects.Attach(t, account.ServerId) };
    }

    private void Report(string name, string detail) => _report(new DeviceRunEvent(_options.Time.GetUtcNow(), TreId, Pcid, name, detail));

    private static string Name(ProvisioningResumePoint point) => point switch
    {
        ProvisioningResumePoint.AttachWithPcid => "the attach with the PCID",
        ProvisioningResumePoint.DmSessions => "DM sessions with the DPF (bootstrapped before)",
        _ => "the attach with the MCIM",
    };

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;

    public void Dispose() => _vno.Dispose();
}
