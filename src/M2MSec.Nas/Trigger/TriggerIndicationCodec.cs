using System.Buffers.Binary;

namespace M2MSec.Nas.Trigger;

/// <summary>
/// The plain NAS message that carries a trigger (docs/decisions/025): DOWNLINK GENERIC NAS TRANSPORT (TS 24.301 §8.2.31) —
/// protocol discriminator EMM, message type 0x68, generic message container type <see cref="ContainerType"/> (ours), the
/// container as LV-E — whose container is: version 1, PLMN identity (3, TS 24.008), reference (4, big-endian), action (1),
/// payload (the rest). No I/O; every field checked on decode.
/// </summary>
public static class TriggerIndicationCodec
{
    public const byte EmmProtocolDiscriminator = 0x07;
    public const byte DownlinkGenericNasTransport = 0x68;

    /// <summary>Generic message container type for an MTC trigger: not allocated in TS 24.301 Table 9.9.3.42.1 (ours, decision 025).</summary>
    public const byte ContainerType = 0xF1;

    public const byte Version = 1;
    private const int HeaderLength = 5; // PD, type, container type, LV-E length
    private const int ContainerFixedLength = 1 + PlmnIdentity.Length + 4 + 1;

    /// <summary>Largest plain message this codec makes or accepts.</summary>
    public const int MaxLength = HeaderLength + ContainerFixedLength + TriggerIndication.MaxPayloadLength;

    public static byte[] Encode(TriggerIndication indication)
    {
        ArgumentNullException.ThrowIfNull(indication);
        if (!PlmnIdentity.IsValid(indication.Plmn))
            throw new ArgumentException("Plmn: MCC (3 digits) + MNC (2 or 3 digits).", nameof(indication));
        if (!Enum.IsDefined(indication.Action))
            throw new ArgumentException("Action: dm-session, ota-job or application-data.", nameof(indication));
        if (indication.Payload.Length > TriggerIndication.MaxPayloadLength)
            throw new ArgumentException($"Payload: at most {TriggerIndication.MaxPayloadLength} octets.", nameof(indication));
        var containerLength = ContainerFixedLength + indication.Payload.Length;
        var m = new byte[HeaderLength + containerLength];
        m[0] = EmmProtocolDiscriminator;
        m[1] = DownlinkGenericNasTransport;
        m[2] = ContainerType;
        BinaryPrimitives.WriteUInt16BigEndian(m.AsSpan(3), (ushort)containerLength);
        var c = m.AsSpan(HeaderLength);
        c[0] = Version;
        PlmnIdentity.Encode(indication.Plmn).CopyTo(c[1..]);
        BinaryPrimitives.WriteUInt32BigEndian(c[4..], indication.Reference);
        c[8] = (byte)indication.Action;
        indication.Payload.Span.CopyTo(c[9..]);
        return m;
    }

    /// <summary>Decodes a plain trigger message; throws <see cref="TriggerFormatException"/> naming what is wrong.</summary>
    public static TriggerIndication Decode(ReadOnlySpan<byte> message)
    {
        if (message.Length < HeaderLength + ContainerFixedLength)
            throw new TriggerFormatException($"{message.Length} octets, shorter than the {HeaderLength + ContainerFixedLength} of an empty trigger", 0);
        if (message.Length > MaxLength)
            throw new TriggerFormatException($"{message.Length} octets, over the {MaxLength} allowed", 0);
        if (message[0] != EmmProtocolDiscriminator)
            throw new TriggerFormatException($"protocol discriminator/security header 0x{message[0]:X2}, expected plain EMM 0x07", 0);
        if (message[1] != DownlinkGenericNasTransport)
            throw new TriggerFormatException($"message type 0x{message[1]:X2}, expected DOWNLINK GENERIC NAS TRANSPORT 0x68", 1);
        if (message[2] != ContainerType)
            throw new TriggerFormatException($"generic message container type 0x{message[2]:X2} is not an MTC trigger", 2);
        var length = BinaryPrimitives.ReadUInt16BigEndian(message[3..]);
        if (length != message.Length - HeaderLength)
            throw new TriggerFormatException($"container length {length}, but {message.Length - HeaderLength} octets follow (optional IEs are not taken)", 3);
        var c = message[HeaderLength..];
        if (c[0] != Version)
            throw new TriggerFormatException($"container version {c[0]}, expected {Version}", HeaderLength);
        if (!PlmnIdentity.TryDecode(c.Slice(1, PlmnIdentity.Length), out var plmn))
            throw new TriggerFormatException("PLMN identity: not BCD digits", HeaderLength + 1);
        var reference = BinaryPrimitives.ReadUInt32BigEndian(c[4..]);
        var action = (TriggerAction)c[8];
        if (!Enum.IsDefined(action))
            throw new TriggerFormatException($"action {c[8]} is not dm-session (1), ota-job (2) or application-data (3)", HeaderLength + 8);
        return new TriggerIndication(plmn, reference, action, c[9..].ToArray());
    }
}
