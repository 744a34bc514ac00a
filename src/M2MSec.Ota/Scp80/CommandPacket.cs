namespace M2MSec.Ota.Scp80;

/// <summary>
/// A secured command packet (TS 102 225 §5.1.1) as the role logic sees it: no bytes of framing,
/// no padding, no checksum. <see cref="CommandPacketCodec"/> turns it into bytes and back.
/// </summary>
public sealed record CommandPacket(Spi Spi, byte Kic, byte Kid, byte[] Tar, ulong Counter, byte[] SecuredData)
{
    public const ulong MaxCounter = (1UL << 40) - 1;
}

/// <summary>What a card learns from a command packet's clear header before any key is used.</summary>
public sealed record CommandHeader(Spi Spi, byte Kic, byte Kid, byte[] Tar);

/// <summary>The outcome of opening a command packet: the packet, or the PoR status to answer with.</summary>
public sealed record CommandOpenResult(PorStatus Status, CommandPacket? Packet, string? Reason)
{
    public bool IsOk => Status == PorStatus.PorOk;
}
