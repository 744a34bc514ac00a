using System.Security.Cryptography;

namespace M2MSec.Aka;

/// <summary>GBA key derivations of TS 33.220 (§4.5.2, §5.3.2, Annex B.3).</summary>
public static class GbaKeys
{
    /// <summary>FC value of the NAF key derivation (TS 33.220 Annex B.3).</summary>
    public const byte NafFc = 0x01;

    /// <summary>Size of the Ua security protocol identifier (TS 33.220 Annex H).</summary>
    public const int UaProtocolIdSize = 5;

    /// <summary>
    /// Ks_(ext)_NAF = KDF(Ks, "gba-me", RAND, IMPI, NAF_Id) with Ks = CK || IK (GBA_ME, and
    /// Ks_ext_NAF of GBA_U).
    /// </summary>
    public static byte[] KsNaf(ReadOnlySpan<byte> ck, ReadOnlySpan<byte> ik, ReadOnlySpan<byte> rand, string impi, ReadOnlySpan<byte> nafId) =>
        Derive("gba-me", ck, ik, rand, impi, nafId);

    /// <summary>Ks_int_NAF = KDF(Ks, "gba-u", RAND, IMPI, NAF_Id): GBA_U, kept inside the UICC.</summary>
    public static byte[] KsIntNaf(ReadOnlySpan<byte> ck, ReadOnlySpan<byte> ik, ReadOnlySpan<byte> rand, string impi, ReadOnlySpan<byte> nafId) =>
        Derive("gba-u", ck, ik, rand, impi, nafId);

    /// <summary>NAF_Id = the NAF's FQDN (UTF-8) || the Ua security protocol identifier (§4.5.2).</summary>
    public static byte[] NafId(string nafFqdn, ReadOnlySpan<byte> uaProtocolId)
    {
        ArgumentException.ThrowIfNullOrEmpty(nafFqdn);
        if (uaProtocolId.Length != UaProtocolIdSize)
            throw new ArgumentException($"The Ua security protocol identifier is {UaProtocolIdSize} octets.", nameof(uaProtocolId));
        return [.. Kdf3gpp.Utf8(nafFqdn), .. uaProtocolId];
    }

    private static byte[] Derive(string label, ReadOnlySpan<byte> ck, ReadOnlySpan<byte> ik, ReadOnlySpan<byte> rand, string impi, ReadOnlySpan<byte> nafId)
    {
        if (ck.Length != Milenage.CkSize || ik.Length != Milenage.IkSize)
            throw new ArgumentException("CK and IK are 16 octets each.");
        if (rand.Length != Milenage.RandSize)
            throw new ArgumentException("RAND is 16 octets.", nameof(rand));
        ArgumentException.ThrowIfNullOrEmpty(impi);
        if (nafId.Length <= UaProtocolIdSize)
            throw new ArgumentException("NAF_Id is the FQDN followed by the 5-octet Ua protocol identifier.", nameof(nafId));
        Span<byte> ks = stackalloc byte[32];
        ck.CopyTo(ks);
        ik.CopyTo(ks[16..]);
        try
        {
            return Kdf3gpp.Derive(ks, NafFc, Kdf3gpp.Utf8(label), rand.ToArray(), Kdf3gpp.Utf8(impi), nafId.ToArray());
        }
        finally
        {
            CryptographicOperations.ZeroMemory(ks);
        }
    }
}
