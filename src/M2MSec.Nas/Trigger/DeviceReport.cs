using System.Buffers.Binary;
using M2MSec.Aka.Integrity;

namespace M2MSec.Nas.Trigger;

/// <summary>What a device tells the serving network about its state (issue 17, docs/decisions/027): detach, a data connection set up or released, triggers held.</summary>
public enum DeviceReportKind : byte
{
    Detach = 1,
    DataSessionOpen = 2,
    DataSessionClose = 3,

    /// <summary>The device holds every trigger up to the downlink COUNT in <see cref="DeviceReport.Value"/>.</summary>
    PagingAck = 4,

    /// <summary>Issue 20 (decision 033): the device's battery, <see cref="DeviceReport.Value"/> its remaining charge in per mille (0–1000).</summary>
    Battery = 5,
}

/// <summary>
/// A device state report: its kind and value (the acknowledged downlink COUNT for <see cref="DeviceReportKind.PagingAck"/>, the remaining
/// charge in per mille for <see cref="DeviceReportKind.Battery"/>, else 0).
/// </summary>
public sealed record DeviceReport(DeviceReportKind Kind, uint Value);

/// <summary>
/// Issue 17: a device state report as an uplink NAS message protected with the device's EPS NAS security context — security header
/// type 1 (integrity protected, TS 24.301 §9.3.1): <c>17 | MAC (4) | SQN (1) | 07 F2 | kind (1) | value (4)</c>, MAC = 128-EIA2 under
/// K_NASint over SQN ‖ message with COUNT = the NAS uplink COUNT, BEARER 0, DIRECTION uplink (TS 33.401 §8.1, Annex B.2.3). Message
/// type 0xF2 is not allocated in TS 24.301 Table 9.8.1 and marks an MTC device report (like 0xF1 marks a trigger container). The
/// receiver estimates the COUNT from the 8-bit SQN above the last one it accepted (TS 24.301 §4.4.3.1); a COUNT not above it is a
/// replay. No I/O.
/// </summary>
public static class DeviceReportProtection
{
    public const byte IntegrityProtectedHeader = 0x17;
    public const byte MessageType = 0xF2;
    public const int Length = 6 + 7;

    /// <summary>Protects <paramref name="report"/> under <paramref name="knasInt"/> with uplink COUNT <paramref name="count"/>.</summary>
    public static byte[] Protect(ReadOnlySpan<byte> knasInt, uint count, DeviceReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        if (count > ProtectedTrigger.MaxCount)
            throw new ArgumentOutOfRangeException(nameof(count), "the NAS COUNT is 24 bits; attach again (a new context) before it wraps");
        var m = new byte[Length];
        m[0] = IntegrityProtectedHeader;
        m[5] = (byte)count;
        m[6] = 0x07;
        m[7] = MessageType;
        m[8] = (byte)report.Kind;
        BinaryPrimitives.WriteUInt32BigEndian(m.AsSpan(9), report.Value);
        Eia2.Compute(knasInt, count, 0, Eia2.Uplink, m.AsSpan(5), m.AsSpan(1, Eia2.MacLength));
        return m;
    }

    /// <summary>
    /// Checks a report against the network's copy of the context (<paramref name="lastCount"/>: the last uplink COUNT accepted, null
    /// none yet). Never throws for bad input; the caller stores the new COUNT only if it is still above the stored one (atomically).
    /// </summary>
    public static DeviceReportVerification Verify(ReadOnlySpan<byte> knasInt, uint? lastCount, ReadOnlySpan<byte> message)
    {
        if (message.Length != Length || message[0] != IntegrityProtectedHeader || message[6] != 0x07 || message[7] != MessageType
            || !Enum.IsDefined((DeviceReportKind)message[8]))
            return new(DeviceReportVerification.Malformed, null, 0);
        var report = new DeviceReport((DeviceReportKind)message[8], BinaryPrimitives.ReadUInt32BigEndian(message[9..]));
        var sqn = message[5];
        var next = lastCount is { } last ? (last & ~0xFFu) | sqn : sqn;
        if (lastCount is { } l && next <= l)
            next += 0x100;
        var mac = message.Slice(1, Eia2.MacLength);
        if (next <= ProtectedTrigger.MaxCount && Eia2.Verify(knasInt, next, 0, Eia2.Uplink, message[5..], mac))
            return new(DeviceReportVerification.Accepted, report, next);
        if (lastCount is { } used && next - 0x100 <= used && Eia2.Verify(knasInt, next - 0x100, 0, Eia2.Uplink, message[5..], mac))
            return new(DeviceReportVerification.Replayed, null, next - 0x100);
        return new(DeviceReportVerification.BadMac, null, 0);
    }
}

/// <summary>The outcome of a report's check: accepted (with its report and uplink COUNT), malformed, bad-mac or replayed.</summary>
public sealed record DeviceReportVerification(string Code, DeviceReport? Report, uint Count)
{
    public const string Accepted = "accepted";
    public const string Malformed = "malformed";
    public const string BadMac = "bad-mac";
    public const string Replayed = "replayed";

    public bool IsAccepted => Code == Accepted;
}
