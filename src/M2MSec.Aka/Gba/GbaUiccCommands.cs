namespace M2MSec.Aka.Gba;

/// <summary>What the UICC's GBA security context answered (TS 31.102 §7.1.2: status words 90 00, 98 62 on a MAC failure).</summary>
public enum GbaUiccTag : byte
{
    /// <summary>Successful: RES (bootstrapping mode) or Ks_ext_NAF (NAF derivation mode).</summary>
    Success = 0xDB,

    /// <summary>Synchronisation failure: AUTS (bootstrapping mode).</summary>
    SynchronisationFailure = 0xDC,
}

/// <summary>
/// The data of AUTHENTICATE in the GBA security context (P2 '84', TS 31.102 §7.1.1.2, §7.1.2.4): bootstrapping mode
/// 'DD' ‖ L ‖ RAND ‖ L ‖ AUTN*; NAF derivation mode 'DE' ‖ L ‖ NAF_ID ‖ L ‖ IMPI; answers 'DB' ‖ L ‖ RES / Ks_ext_NAF or
/// 'DC' ‖ L ‖ AUTS. Lengths are one octet. I/O-free.
/// </summary>
public static class GbaUiccCommands
{
    /// <summary>P2 of AUTHENTICATE for the GBA security context.</summary>
    public const byte GbaContextP2 = 0x84;

    public const byte BootstrappingTag = 0xDD;

    public const byte NafDerivationTag = 0xDE;

    /// <summary>SW1 SW2 of a MAC failure in the GBA context ("authentication error, incorrect MAC").</summary>
    public const ushort IncorrectMac = 0x9862;

    public static byte[] EncodeBootstrapping(ReadOnlySpan<byte> rand, ReadOnlySpan<byte> autn) => Encode(BootstrappingTag, rand, autn);

    public static byte[] EncodeNafDerivation(ReadOnlySpan<byte> nafId, string impi) => Encode(NafDerivationTag, nafId, System.Text.Encoding.UTF8.GetBytes(impi));

    public static byte[] EncodeResponse(GbaUiccTag tag, ReadOnlySpan<byte> value)
    {
        if (value.Length > byte.MaxValue)
            throw new ArgumentException("A GBA context value is at most 255 octets.", nameof(value));
        return [(byte)tag, (byte)value.Length, .. value];
    }

    /// <summary>Splits a command: its mode tag and its two length-prefixed values; false when malformed or trailing octets remain.</summary>
    public static bool TryDecodeCommand(ReadOnlySpan<byte> data, out byte mode, out byte[] first, out byte[] second)
    {
        mode = 0;
        first = second = [];
        if (data.Length < 3 || data[0] is not (BootstrappingTag or NafDerivationTag))
            return false;
        mode = data[0];
        var l1 = data[1];
        if (data.Length < 2 + l1 + 1)
            return false;
        var l2 = data[2 + l1];
        if (data.Length != 3 + l1 + l2)
            return false;
        first = data.Slice(2, l1).ToArray();
        second = data.Slice(3 + l1, l2).ToArray();
        return true;
    }

    public static bool TryDecodeResponse(ReadOnlySpan<byte> data, out GbaUiccTag tag, out byte[] value)
    {
        tag = 0;
        value = [];
        if (data.Length < 2 || data[0] is not ((byte)GbaUiccTag.Success or (byte)GbaUiccTag.SynchronisationFailure) || data.Length != 2 + data[1])
            return false;
        tag = (GbaUiccTag)data[0];
        value = data[2..].ToArray();
        return true;
    }

    private static byte[] Encode(byte tag, ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        if (a.Length > byte.MaxValue || b.Length > byte.MaxValue)
            throw new ArgumentException("A GBA context value is at most 255 octets.");
        return [tag, (byte)a.Length, .. a, (byte)b.Length, .. b];
    }
}
