using M2MSec.Aka.Integrity;

namespace M2MSec.Nas.Trigger;

/// <summary>
/// A trigger indication protected with the last security context the network and the device share (seed 002 §6.1 solution 2;
/// docs/decisions/025): an integrity-protected NAS message (TS 24.301 §9.3.1, security header type 2) — 0x27, MAC (4), NAS
/// sequence number (1), the plain message — whose MAC is 128-EIA2 under K_NASint over the sequence number and the message
/// with COUNT = the NAS downlink COUNT, BEARER 0, DIRECTION downlink (TS 33.401 §8.1, Annex B.2.3). The device checks,
/// cheapest first and before any radio connection: shape, network identity (solution 1), then one MAC; a replay (a COUNT not
/// above the last accepted) is refused. No I/O.
/// </summary>
public static class ProtectedTrigger
{
    public const byte IntegrityProtectedHeader = 0x27;
    public const int HeaderLength = 6;

    /// <summary>The NAS COUNT is 24 bits: 16 overflow, 8 sequence number (TS 24.301 §4.4.3.1).</summary>
    public const uint MaxCount = 0xFFFFFF;

    /// <summary>Protects <paramref name="indication"/> under <paramref name="knasInt"/> with downlink COUNT <paramref name="count"/>.</summary>
    public static byte[] Protect(ReadOnlySpan<byte> knasInt, uint count, TriggerIndication indication)
    {
        if (count > MaxCount)
            throw new ArgumentOutOfRangeException(nameof(count), "the NAS COUNT is 24 bits; re-authenticate (a new context) before it wraps");
        var plain = TriggerIndicationCodec.Encode(indication);
        var m = new byte[HeaderLength + plain.Length];
        m[0] = IntegrityProtectedHeader;
        m[5] = (byte)count;
        plain.CopyTo(m, HeaderLength);
        Eia2.Compute(knasInt, count, 0, Eia2.Downlink, m.AsSpan(5), m.AsSpan(1, Eia2.MacLength));
        return m;
    }

    /// <summary>
    /// Checks a protected trigger against the device's context: <paramref name="lastCount"/> is the last downlink COUNT the device
    /// accepted (null: none yet), <paramref name="attachedPlmn"/> the network it last attached to. Never throws for bad input.
    /// </summary>
    public static TriggerVerification Verify(ReadOnlySpan<byte> knasInt, uint? lastCount, string attachedPlmn, ReadOnlySpan<byte> message)
    {
        if (message.Length < HeaderLength || message[0] != IntegrityProtectedHeader)
            return TriggerVerification.Refused(TriggerVerification.Unprotected, "not an integrity-protected NAS message (security header type 2)", 0);
        TriggerIndication indication;
        try
        {
            indication = TriggerIndicationCodec.Decode(message[HeaderLength..]);
        }
        catch (TriggerFormatException e)
        {
            return TriggerVerification.Refused(TriggerVerification.Malformed, e.Message, 0);
        }
        // Solution 1: the network identity the indication names must be the one the device last attached to.
        if (indication.Plmn != attachedPlmn)
            return TriggerVerification.Refused(TriggerVerification.WrongNetwork, $"from PLMN {indication.Plmn}, last attached to {attachedPlmn}", 0);

        // The receiver's COUNT estimate (TS 24.301 §4.4.3.1): the lowest COUNT above the last accepted with this sequence number.
        var sqn = message[5];
        var next = lastCount is { } last ? (last & ~0xFFu) | sqn : sqn;
        if (lastCount is { } l && next <= l)
            next += 0x100;
        var mac = message.Slice(1, Eia2.MacLength);
        var signed = message[5..];
        if (next <= MaxCount && Eia2.Verify(knasInt, next, 0, Eia2.Downlink, signed, mac))
            return new TriggerVerification(TriggerVerification.Accepted, indication, next, "accepted", 1);
        // Told apart only on the failure path: the MAC verifies under a COUNT already used — a replay.
        if (lastCount is { } used && next - 0x100 <= used && Eia2.Verify(knasInt, next - 0x100, 0, Eia2.Downlink, signed, mac))
            return TriggerVerification.Refused(TriggerVerification.Replayed, $"COUNT {next - 0x100} is not above the last accepted ({used})", 2);
        return TriggerVerification.Refused(TriggerVerification.BadMac, "the MAC does not verify under the stored security context", lastCount is null ? 1 : 2);
    }
}

/// <summary>What the device's check of a trigger found; <see cref="MacsComputed"/> is what it cost (for the battery model).</summary>
public sealed record TriggerVerification(string Code, TriggerIndication? Indication, uint Count, string Detail, int MacsComputed)
{
    public const string Accepted = "accepted";
    public const string Unprotected = "unprotected";
    public const string Malformed = "malformed";
    public const string WrongNetwork = "wrong-plmn";
    public const string Replayed = "replayed";
    public const string BadMac = "bad-mac";

    public bool IsAccepted => Code == Accepted;

    internal static TriggerVerification Refused(string code, string detail, int macs) => new(code, null, 0, detail, macs);
}
