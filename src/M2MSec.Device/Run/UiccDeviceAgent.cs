using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Threading.Channels;
using M2MSec.Device.Dm;
using M2MSec.Device.M2me;
using M2MSec.Device.Power;
using M2MSec.Device.Provisioning;
using M2MSec.Device.Tre;
using M2MSec.Device.Triggering;
using M2MSec.Device.Uicc;
using M2MSec.Nas.Trigger;
using M2MSec.Ota.Scp80;

namespace M2MSec.Device.Run;

/// <summary>
/// Issue 20 (docs/decisions/033): one UICC-based device (TR 33.868: the USIM on a UICC) living on its own against running services. It
/// attaches with its USIM (AKA through the VNO, the ME keeping the EPS NAS security context, decision 025), then until stopped: takes the
/// short messages addressed to its ICCID from the SMSC and hands each to the card in an ENVELOPE (SMS-PP download, TS 31.111 §7.1.1) — the
/// card checks the secured packet (TS 102 225 §5: KIc, KID, CNTR) and only a verified one changes it; its PoR goes back by SMS MO to the
/// OTA server — and reads the VNO's paging channel at each paging occasion, where an OTA-job trigger, checked against the NAS context
/// first, opens the SCP81 PSK-TLS admin session (<see cref="OtaTriggerActions"/>). With a DM account (installed at creation by a MAC-checked
/// DM bootstrap from the DM server, sealed in the TRE) it also runs DM sessions: every <see cref="DeviceRunOptions.DmInterval"/>, on a
/// DM-session trigger, and on a DM notification (package 0 by WAP push, taken at the same address as SMS-PP and told apart by its WDP
/// port) whose digest verifies (<see cref="DeviceDmSessions"/>). One loop drives the card and the DM client; the SMS long poll runs beside.
/// </summary>
public sealed class UiccDeviceAgent : IRunningDevice
{
    private readonly M2meDevice _device;
    private readonly SimulatedUicc _uicc;
    private readonly DeviceRunOptions _options;
    private readonly Action<DeviceRunEvent> _report;
    private readonly HttpClient _vno;
    private readonly MeNasContextHolder _context;
    private readonly BatteryMeter _battery;
    private readonly DeviceDmSessions _dm;
    private readonly Channel<ReceivedSms> _sms = Channel.CreateUnbounded<ReceivedSms>(new UnboundedChannelOptions { SingleReader = true });
    private Task<int>? _pushedSession;

    public UiccDeviceAgent(M2meDevice device, SimulatedUicc uicc, X509Certificate2 operatorRoot, DeviceRunOptions options, Action<DeviceRunEvent> report)
    {
        _device = device ?? throw new ArgumentNullException(nameof(device));
        _uicc = uicc ?? throw new ArgumentNullException(nameof(uicc));
        _options = options ?? throw new ArgumentNullException(nameof(options));
        _report = report ?? throw new ArgumentNullException(nameof(report));
        if (!uicc.IsPersonalised)
            throw new ArgumentException("the card holds no USIM subscription or SCP81 PSK", nameof(uicc));
        _vno = RoProvisioningClient.Client(options.Endpoints.VnoDevice, operatorRoot);
        _context = new MeNasContextHolder(Path.Combine(device.DataDirectory, MeNasContextHolder.FileName));
        _battery = BatteryLog.Load(device.DataDirectory);
        // The DM server's certificate is checked against the root the TRE was given at creation (the operator's), as the demo's devices do.
        var dmRoot = device.Tre.TrustAnchor(TreCaller.DeviceManagement, "dm") ?? operatorRoot;
        _dm = new DeviceDmSessions(device, options.DmServerId, dmRoot, options.Endpoints, _battery, account => new DmClient(device, account) { DevId = uicc.Iccid }, Report);
        // A verified SCP80 push with Administration Session Triggering Parameters (GP Amendment B): the card's agent opens the session.
        _uicc.Card.AdminSessionRequested += trigger =>
        {
            var (identity, psk) = _uicc.Scp81Psk!.Value;
            _pushedSession = new M2MSec.Ota.Scp81.Scp81CardAgent(identity, psk, trigger.AgentId, _uicc.Card.RunAdminScript) { Sent = _battery.RecordSent }
                .RunSessionAsync(trigger.Server, CancellationToken.None);
        };
    }

    public string TreId => _device.Info.TreId;

    /// <summary>A UICC-based device's PCID is its IMSI (device.json), as the demo makes them.</summary>
    public string Pcid => _device.Info.Pcid;

    public string Imsi => _uicc.Imsi;

    public string Iccid => _uicc.Iccid;

    /// <summary>OTA command packets the card verified and executed this run (SMS or SCP81 session).</summary>
    public int OtaCommandsVerified { get; private set; }

    /// <summary>DM sessions this run completed (any initiation).</summary>
    public int DmSessionsCompleted => _dm.Completed;

    public string StopSummary => $"{OtaCommandsVerified} OTA command packets verified, {DmSessionsCompleted} DM sessions completed this run; state kept in the device directory";

    /// <summary>Whether the device attached (and so holds a NAS context) at least once.</summary>
    public bool HasAttachedBefore => _context.HasContext;

    /// <summary>The attach with the USIM (TS 33.401 §6.1): AKA through the VNO, a new NAS security context in the ME.</summary>
    public async Task StartAsync(CancellationToken ct)
    {
        if (_context.HasContext)
            Report("resumed", $"imsi {Imsi}, iccid {Iccid}: attached before; attach again with the USIM"
                + (_dm.Account() is { } account ? $"; DM account for {account.ServerId} kept" : ""));
        await AttachAsync(_options.ProvisioningDeadline, ct).ConfigureAwait(false);
    }

    private Task BatteryAsync(CancellationToken ct) => DeviceBatteryReport.SendAsync(_vno, Imsi, _context, _battery, Report, ct);

    public async Task RunAsync(CancellationToken ct)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var poller = _options.ReceiveSms is null ? Task.CompletedTask : Task.Run(() => DeviceSmsPoller.RunAsync(_options, Iccid, _sms.Writer, Report, stop.Token), CancellationToken.None);
        var time = _options.Time;
        var nextPaging = time.GetUtcNow();
        var nextBattery = time.GetUtcNow();
        var nextDm = _dm.Account() is null ? DateTimeOffset.MaxValue : time.GetUtcNow() + _options.DmInterval;
        var backOff = _options.BackOff;
        var dmBackOff = _options.BackOff;
        var attached = true;
        try
        {
            while (!ct.IsCancellationRequested)
            {
                while (_sms.Reader.TryRead(out var sms))
                {
                    // One address for SMS-PP and WAP push (TS 23.040): a WDP datagram for port 2948 is for the DM client, the rest for the card.
                    var package0 = DmPushReceiver.Package0(sms.Tpdus, out _);
                    await DeviceRunStep.RunAsync(() => package0 is null ? ShortMessageAsync(sms, ct) : NotificationAsync(sms.From, package0, ct),
                        package0 is null ? "ota" : "dm", Report, ct).ConfigureAwait(false);
                }
                if (time.GetUtcNow() >= nextPaging)
                {
                    var ok = await DeviceRunStep.RunAsync(async () => attached = attached ? await PagingAsync(ct).ConfigureAwait(false)
                        : await AttachAsync(TimeSpan.Zero, ct).ConfigureAwait(false), "vno", Report, ct).ConfigureAwait(false);
                    (nextPaging, backOff) = ok ? (time.GetUtcNow() + _options.PagingInterval, _options.BackOff)
                        : (time.GetUtcNow() + backOff, TimeSpan.FromTicks(Math.Min(backOff.Ticks * 2, _options.MaxBackOff.Ticks)));
                }
                if (attached && time.GetUtcNow() >= nextBattery)
                {
                    var ok = await DeviceRunStep.RunAsync(() => BatteryAsync(ct), "vno", Report, ct).ConfigureAwait(false);
                    nextBattery = time.GetUtcNow() + (ok ? _options.BatteryInterval : backOff);
                }
                if (time.GetUtcNow() >= nextDm)
                {
                    var ok = await DeviceRunStep.RunAsync(() => _dm.SessionAsync("scheduled", ct), "dm", Report, ct).ConfigureAwait(false);
                    (nextDm, dmBackOff) = ok ? (time.GetUtcNow() + _options.DmInterval, _options.BackOff)
                        : (time.GetUtcNow() + dmBackOff, TimeSpan.FromTicks(Math.Min(dmBackOff.Ticks * 2, _options.MaxBackOff.Ticks)));
                }
                var wake = Min(Min(nextPaging, nextBattery), nextDm) - time.GetUtcNow();
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
            if (attached)
                await DeviceBatteryReport.SendAtStopAsync(_vno, Imsi, _context, _battery, Report).ConfigureAwait(false);
            BatteryLog.Save(_device.DataDirectory, _battery);
        }
    }

    /// <summary>
    /// A short message for the ICCID: each TPDU goes to the card in an ENVELOPE. Only a command packet the card verified (KID's MAC,
    /// KIc's cipher, CNTR higher than the last) changes it and is answered by SMS MO with its PoR; a forged or replayed one is an event,
    /// and the ME sends nothing for it (decision 033).
    /// </summary>
    private async Task ShortMessageAsync(ReceivedSms sms, CancellationToken ct)
    {
        foreach (var tpdu in sms.Tpdus)
        {
            CardOtaOutcome? outcome;
            try
            {
                outcome = _uicc.Card.Envelope(M2MSec.Ota.SmsPp.OtaSms.SmsPpDownloadEnvelope(tpdu));
            }
            catch (FormatException e)
            {
                Report("sms-ignored", $"from {sms.From}: not an OTA secured packet ({e.Message})");
                continue;
            }
            if (outcome is null)
                continue; // a segment of a concatenated packet; the card waits for the rest
            if (outcome.Status != PorStatus.PorOk)
            {
                Report("ota-refused", $"from {sms.From}: {Name(outcome.Status)}{(outcome.Reason is null ? "" : $" ({outcome.Reason})")}; nothing changed on the card");
                continue;
            }
            OtaCommandsVerified++;
            Report("ota-sms", $"from {sms.From}: verified, {outcome.CommandsExecuted} commands executed");
            if (outcome.Por is { } por && _options.SubmitSms is { } submit)
            {
                _battery.RecordSent(por.Length);
                await submit(_options.OtaAddress, Iccid, [.. ResponsePacketCodec.SmsPorHeader, .. por], ct).ConfigureAwait(false);
                Report("por-sent", $"to {_options.OtaAddress}: PoR {Name(outcome.Status)} by SMS MO");
            }
            if (_pushedSession is { } session)
            {
                _pushedSession = null;
                await ScpSessionAsync("push", async () => await session.ConfigureAwait(false)).ConfigureAwait(false);
            }
        }
    }

    /// <summary>A DM notification: a session only when its digest verifies and it is no replay; else an event, nothing opened.</summary>
    private async Task NotificationAsync(string from, byte[] package0, CancellationToken ct)
    {
        if (await _dm.NotifiedAsync(from, package0, ct).ConfigureAwait(false) is not null)
            BatteryLog.Save(_device.DataDirectory, _battery);
    }

    /// <summary>The paging occasion: each trigger checked against the ME's NAS context before any connection; false when the VNO lost the context.</summary>
    private async Task<bool> PagingAsync(CancellationToken ct)
    {
        var (identity, psk) = _uicc.Scp81Psk!.Value;
        var actions = new OtaTriggerActions(_uicc.Card, Iccid, identity, psk, _options.Scp81 ?? new IPEndPoint(IPAddress.Loopback, 1), _battery, new Delivered(this));
        IReadOnlyList<TriggerOutcome> outcomes;
        try
        {
            outcomes = await ServingNetworkClient.ReceiveAsync(_vno, Imsi, new TriggerReceiver(_context, _battery), actions, ct).ConfigureAwait(false);
        }
        catch (HttpRequestException e) when (e.StatusCode is HttpStatusCode.NotFound)
        {
            Report("context-lost", "vno: holds no NAS context for the device; attaching again");
            return false;
        }
        foreach (var o in outcomes)
        {
            Report(o.IsAccepted ? "trigger" : "trigger-refused", o.IsAccepted
                ? $"{o.Action} ({o.Delivery}, reference {o.Reference}): verified against the NAS context"
                : $"{o.Code} ({o.Delivery}): {o.Detail}; nothing done");
        }
        foreach (var s in actions.Sessions)
        {
            OtaCommandsVerified += s.ScriptsExecuted;
            Report(s.Status is OtaSessionStatus.Completed or OtaSessionStatus.NothingQueued ? "ota-job" : "ota-job-failed", $"{s.JobId}: SCP81 session {Name(s.Status)}, {s.ScriptsExecuted} scripts executed"
                + (s.Detail is null ? "" : $" ({s.Detail})"));
        }
        if (outcomes.Count > 0)
            BatteryLog.Save(_device.DataDirectory, _battery);
        return true;
    }

    private async Task ScpSessionAsync(string why, Func<Task<int>> session)
    {
        try
        {
            var scripts = await session().ConfigureAwait(false);
            OtaCommandsVerified += scripts;
            Report("ota-job", $"{why}: SCP81 session, {scripts} scripts executed");
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or InvalidDataException)
        {
            Report("ota-job-failed", $"{why}: SCP81 session failed ({e.Message.Split('\n')[0]})");
        }
    }

    private async Task<bool> AttachAsync(TimeSpan deadline, CancellationToken ct)
    {
        var start = _options.Time.GetUtcNow();
        var pause = TimeSpan.FromMilliseconds(100);
        while (true)
        {
            try
            {
                var attach = await ServingNetworkClient.AttachAsync(_vno, Imsi, _uicc.Authenticate, _context, ct).ConfigureAwait(false);
                Report("attached", $"imsi {attach.Identity}, iccid {Iccid}, address {attach.IpAddress}, plmn {attach.ServingPlmn}");
                return true;
            }
            catch (Exception e) when (e is HttpRequestException or IOException or RoProvisioningException { Code: "attach-refused" or "aka-failed" }
                && !ct.IsCancellationRequested && _options.Time.GetUtcNow() - start + pause < deadline)
            {
                await Task.Delay(pause, _options.Time, ct).ConfigureAwait(false);
                pause = TimeSpan.FromTicks(Math.Min(pause.Ticks * 2, TimeSpan.FromSeconds(2).Ticks));
            }
        }
    }

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;

    private void Report(string name, string detail) => _report(new DeviceRunEvent(_options.Time.GetUtcNow(), TreId, Pcid, name, detail));

    private static string Name<T>(T value) where T : struct, Enum =>
        string.Concat(value.ToString().Select((c, i) => char.IsUpper(c) && i > 0 ? "-" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()));

    public void Dispose() => _vno.Dispose();

    /// <summary>A DM-session trigger (a session with the DM server; named when the device has no DM account) and application data (printed).</summary>
    private sealed class Delivered(UiccDeviceAgent agent) : ITriggerActions
    {
        public async Task StartDmSessionAsync(TriggerIndication indication, CancellationToken cancellationToken)
        {
            if (await agent._dm.SessionAsync("triggered", cancellationToken).ConfigureAwait(false) is null)
                agent.Report("dm-session", "triggered: not run (the device has no DM account; its configuration comes over the air)");
        }

        public Task FetchOtaJobAsync(string jobId, CancellationToken cancellationToken) => Task.CompletedTask;

        public Task DeliverAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
        {
            agent.Report("application-data", $"{payload.Length} octets: {Convert.ToHexStringLower(payload.Span)}");
            return Task.CompletedTask;
        }
    }
}
