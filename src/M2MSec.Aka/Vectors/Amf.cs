namespace M2MSec.Aka;

/// <summary>
/// The Authentication Management Field (TS 33.102 §6.3.2, Annex F; TS 33.401 §6.1.1, Annex H):
/// bit 0 — the most significant bit of the first octet — is the "separation bit", set in
/// vectors meant for E-UTRAN so that a UMTS vector cannot be used to derive an EPS K_ASME.
/// </summary>
public static class Amf
{
    public const byte SeparationBitMask = 0x80;

    public static bool HasSeparationBit(ReadOnlySpan<byte> amf) => Check(amf)[0] >= SeparationBitMask;

    public static byte[] WithSeparationBit(ReadOnlySpan<byte> amf, bool set)
    {
        var r = Check(amf).ToArray();
        r[0] = set ? (byte)(r[0] | SeparationBitMask) : (byte)(r[0] & ~SeparationBitMask);
        return r;
    }

    private static ReadOnlySpan<byte> Check(ReadOnlySpan<byte> amf) =>
        amf.Length == Milenage.AmfSize ? amf : throw new ArgumentException($"AMF must be 2 octets, got {amf.Length}.", nameof(amf));
}
