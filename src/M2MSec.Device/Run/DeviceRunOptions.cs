using M2MSec.Device.Provisioning;

namespace M2MSec.Device.Run;

/// <summary>
/// One short message as the ME takes it from the SMSC's device listener: the SMS-DELIVER TPDUs of one submission (a concatenated
/// message arrives as several).
/// </summary>
public sealed record ReceivedSms(string From, IReadOnlyList<byte[]> Tpdus);

/// <summary>
/// Issue 20 (docs/decisions/033): where a running device reaches the network and how often it acts on its own. The transports are the
/// host's: <see cref="ReceiveSms"/> is the long poll of the SMSC's device listener (GET /sms/deliver?to=ADDR&amp;wait=S), held open by
/// the SMSC until a message arrives or the wait ends.
/// </summary>
public sealed record DeviceRunOptions(ProvisioningEndpoints Endpoints)
{
    /// <summary>The SMSC's long poll for one address (null: the device takes no SMS).</summary>
    public Func<string, CancellationToken, Task<IReadOnlyList<ReceivedSms>>>? ReceiveSms { get; init; }

    /// <summary>
    /// A mobile-originated short message (the SMSC's POST /sms/submit): to, from, user data (a UICC device's PoR, TS 102 225 §5.2 with the
    /// SMS PoR header); null: the device sends none.
    /// </summary>
    public Func<string, string, byte[], CancellationToken, Task>? SubmitSms { get; init; }

    /// <summary>The OTA server's SMS address, where a UICC device's PoRs go (serve all: "ota").</summary>
    public string OtaAddress { get; init; } = "ota";

    /// <summary>
    /// The ServerID of a UICC-based device's DM account (the DM server of `serve all` makes its accounts under it); a TRE-based device's
    /// DM server is its DPF (<see cref="ProvisioningEndpoints.DpfServerId"/>).
    /// </summary>
    public string DmServerId { get; init; } = "m2msec-dm";

    /// <summary>The OTA server's SCP81 admin listener (ota-scp81), where an OTA-job trigger's PSK-TLS session goes (UICC devices).</summary>
    public System.Net.IPEndPoint? Scp81 { get; init; }

    /// <summary>The BSF's device listener (bsf-device), for GBA bootstrapping and its renewal; null: no GBA.</summary>
    public Uri? BsfDevice { get; init; }

    /// <summary>How long remote provisioning (steps 1–21, resumed across transient failures) may take before the device gives up.</summary>
    public TimeSpan ProvisioningDeadline { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>The paging occasion: how often the device reads the VNO's paging channel (a DRX cycle's order of magnitude).</summary>
    public TimeSpan PagingInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>A client-initiated DM session (Alert 1201) this often, which also renews the DM nonces the server's notifications are keyed by.</summary>
    public TimeSpan DmInterval { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Issue 20: the battery figure is reported to the VNO this often (and once attached, and at the stop).</summary>
    public TimeSpan BatteryInterval { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>The GBA key (Ks) and B-TID are renewed this long before their lifetime ends (TS 33.220 §4.5.2: a new run before expiry).</summary>
    public TimeSpan GbaRenewBefore { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Pause after a failed step (a role away or restarting) before the device tries it again; it doubles up to <see cref="MaxBackOff"/>.</summary>
    public TimeSpan BackOff { get; init; } = TimeSpan.FromSeconds(1);

    public TimeSpan MaxBackOff { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Seconds the SMSC may hold the long poll open (the SMSC caps it at 30).</summary>
    public int SmsWaitSeconds { get; init; } = 25;

    public TimeProvider Time { get; init; } = TimeProvider.System;
}

/// <summary>
/// One thing a running device did or met (issue 20): <see cref="Event"/> a short kebab-case name (<c>provisioned</c>, <c>attached</c>,
/// <c>dm-session</c>, <c>notification-refused</c>, <c>trigger</c>, …), <see cref="Detail"/> a line of text — never a key, password or
/// session token.
/// </summary>
public sealed record DeviceRunEvent(DateTimeOffset At, string TreId, string Pcid, string Event, string Detail);
