namespace M2MSec.Ota.SmsPp;

/// <summary>
/// A TP address (TS 23.040 §9.1.2.5): number of useful semi-octets, type of address
/// (1 ‖ TON ‖ NPI), digits in swapped BCD with an 'F' filler. Alphanumeric addresses (TON 5) keep
/// their packed octets as they are.
/// </summary>
public sealed record AddressField(string Digits, byte Ton, byte Npi, byte[]? Packed = null, int SemiOctets = 0)
{
    public const byte TonUnknown = 0, TonInternational = 1, TonAlphanumeric = 5;
    public const byte NpiUnknown = 0, NpiIsdn = 1;

    public byte[] Encode()
    {
        if (Ton == TonAlphanumeric)
        {
            // Alphanumeric (GSM 7-bit packed) originators are carried through as received.
            if (Packed is null)
                throw new NotSupportedException("alphanumeric originators are re-encoded only as received");
            return [(byte)SemiOctets, (byte)(0x80 | Ton << 4 | Npi), .. Packed];
        }
        if (Digits.Length > 20 || !Digits.All(c => char.IsAsciiDigit(c) || c is '*' or '#' or 'a' or 'b' or 'c'))
            throw new ArgumentException("An address is at most 20 digits (0-9, *, #, a, b, c).");
        var bytes = new byte[2 + (Digits.Length + 1) / 2];
        bytes[0] = (byte)Digits.Length;
        bytes[1] = (byte)(0x80 | (Ton & 0x07) << 4 | (Npi & 0x0F));
        for (var i = 0; i < Digits.Length; i++)
        {
            var nibble = Nibble(Digits[i]);
            bytes[2 + i / 2] |= (byte)(i % 2 == 0 ? nibble : nibble << 4);
        }
        if (Digits.Length % 2 == 1)
            bytes[^1] |= 0xF0;
        return bytes;
    }

    /// <summary>Decodes an address at the start of <paramref name="source"/>; <paramref name="consumed"/> octets.</summary>
    public static AddressField Decode(ReadOnlySpan<byte> source, out int consumed)
    {
        if (source.Length < 2)
            throw new FormatException("TP address: truncated");
        var semiOctets = source[0];
        var octets = (semiOctets + 1) / 2;
        if (semiOctets > 20 || source.Length < 2 + octets)
            throw new FormatException($"TP address: {semiOctets} semi-octets do not fit");
        var ton = (byte)(source[1] >> 4 & 0x07);
        var npi = (byte)(source[1] & 0x0F);
        consumed = 2 + octets;
        var packed = source.Slice(2, octets).ToArray();
        if (ton == TonAlphanumeric)
            return new AddressField("", ton, npi, packed, semiOctets);
        var digits = new char[semiOctets];
        for (var i = 0; i < semiOctets; i++)
            digits[i] = Digit((byte)(i % 2 == 0 ? packed[i / 2] & 0x0F : packed[i / 2] >> 4));
        return new AddressField(new string(digits), ton, npi, packed);
    }

    private static int Nibble(char c) => c switch { '*' => 10, '#' => 11, 'a' => 12, 'b' => 13, 'c' => 14, _ => c - '0' };

    private static char Digit(byte n) => n switch { < 10 => (char)('0' + n), 10 => '*', 11 => '#', 12 => 'a', 13 => 'b', 14 => 'c', _ => throw new FormatException("TP address: filler inside the digits") };
}
