using M2MSec.Device.Power;
using M2MSec.Nas.Trigger;

namespace M2MSec.Device.Triggering;

/// <summary>
/// The stored context a device checks triggers against (seed 002 §6.1.2: "a MTC device and network entities should store the
/// last security context used when the MTC device was attached"; "a MTC device should store the last attached network
/// identity"): K_NASint, the last accepted downlink NAS COUNT and the last attached PLMN. A TRE device keeps it in the TRE, a
/// UICC device in the ME's stored EPS NAS security context (issue 17).
/// </summary>
public interface ITriggerContext
{
    string AttachedPlmn { get; }

    uint? LastDownlinkCount { get; }

    /// <summary>Verifies <paramref name="message"/> under the stored K_NASint (which never leaves the holder).</summary>
    TriggerVerification Verify(ReadOnlySpan<byte> message);

    /// <summary>Stores <paramref name="count"/> as the last accepted downlink COUNT (only after a verified trigger).</summary>
    void Accept(uint count);

    /// <summary>
    /// Issue 17: a device state report protected with the stored context (K_NASint, the next NAS uplink COUNT — moved forward durably
    /// before the message is returned).
    /// </summary>
    byte[] ProtectReport(DeviceReport report);
}

/// <summary>
/// What the device does with a trigger at its paging occasion (issue 17, docs/decisions/025 and 026): it wakes, checks the
/// trigger without any connection (shape, network identity, one MAC), and only a verified trigger costs a radio connection.
/// <see cref="Protected"/> false models a device without the protection: every well-formed trigger is acted on — the
/// comparison the battery figures show. No I/O.
/// </summary>
public sealed class TriggerReceiver(ITriggerContext context, BatteryMeter battery, bool @protected = true)
{
    public bool Protected { get; } = @protected;

    /// <summary>The stored context the device checks triggers against and protects its state reports with.</summary>
    public ITriggerContext Context => context;

    /// <summary>What the device's radio events and sent bytes cost (decision 026).</summary>
    public BatteryMeter Battery => battery;

    /// <summary>Checks one trigger; the verified indication (or, unprotected, any well-formed one) when the device connects.</summary>
    public TriggerVerification Receive(ReadOnlySpan<byte> message) => Receive(message, connected: false);

    /// <summary>
    /// Issue 17, seed 002 §5.1.1: <paramref name="connected"/> — the trigger came over the device's data connection (delivery
    /// "direct"): the device is awake and connected, so it is checked the same way but costs no wake-up, paging check or set-up.
    /// Otherwise (paged, or queued for an offline device) it wakes, checks, and connects only for a verified trigger.
    /// </summary>
    public TriggerVerification Receive(ReadOnlySpan<byte> message, bool connected)
    {
        if (!connected)
        {
            battery.Record(BatteryEvent.WakeUp);
            battery.Record(BatteryEvent.PagingCheck);
        }
        TriggerVerification result;
        if (Protected)
        {
            result = context.Verify(message);
            if (result.IsAccepted)
                context.Accept(result.Count);
        }
        else
        {
            result = ReadUnprotected(message);
        }
        if (result.IsAccepted && !connected)
            battery.Record(BatteryEvent.ConnectionSetup);
        return result;
    }

    /// <summary>A device without the protection: takes the plain message, or the one inside a protected header, unchecked.</summary>
    private static TriggerVerification ReadUnprotected(ReadOnlySpan<byte> message)
    {
        var plain = message.Length > 0 && message[0] == ProtectedTrigger.IntegrityProtectedHeader && message.Length >= ProtectedTrigger.HeaderLength
            ? message[ProtectedTrigger.HeaderLength..]
            : message;
        try
        {
            return new TriggerVerification(TriggerVerification.Accepted, TriggerIndicationCodec.Decode(plain), 0, "accepted without protection", 0);
        }
        catch (TriggerFormatException e)
        {
            return new TriggerVerification(TriggerVerification.Malformed, null, 0, e.Message, 0);
        }
    }
}

/// <summary>A trigger context held in memory (tests, and the ME's stored NAS context once loaded); K_NASint stays inside.</summary>
public sealed class InMemoryTriggerContext(byte[] knasInt, string attachedPlmn, uint? lastDownlinkCount = null) : ITriggerContext
{
    private readonly byte[] _knasInt = (byte[])knasInt.Clone();
    private readonly Lock _lock = new();
    private uint _nextUplink;

    public byte[] ProtectReport(DeviceReport report)
    {
        lock (_lock)
            return DeviceReportProtection.Protect(_knasInt, _nextUplink++, report);
    }

    public string AttachedPlmn { get; } = attachedPlmn;

    public uint? LastDownlinkCount { get; private set; } = lastDownlinkCount;

    public TriggerVerification Verify(ReadOnlySpan<byte> message)
    {
        lock (_lock)
            return ProtectedTrigger.Verify(_knasInt, LastDownlinkCount, AttachedPlmn, message);
    }

    public void Accept(uint count)
    {
        lock (_lock)
        {
            if (LastDownlinkCount is { } last && count <= last)
                throw new InvalidOperationException("the downlink COUNT only moves forward");
            LastDownlinkCount = count;
        }
    }
}
