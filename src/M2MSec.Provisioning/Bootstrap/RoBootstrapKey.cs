using System.Security.Cryptography;
using M2MSec.Aka;

namespace M2MSec.Provisioning.Bootstrap;

/// <summary>
/// The Registration Operator's bootstrap key (issue 15, docs/decisions/017):
/// K_RO = KDF(CK ‖ IK, FC = 0xF0, P0 = PCID (UTF-8 digits), L0, P1 = RAND, L1) with the generic KDF of TS 33.220 Annex B.2
/// (HMAC-SHA-256). The ICF (the AuC for PCIDs) and the TRE compute it from the AKA of step 5; the VNO receives only K_ASME
/// (FC 0x10, TS 33.401 A.2), from which K_RO cannot be computed, so only the RO can key the Bootstrap message (steps 9–11).
/// I/O-free.
/// </summary>
public static class RoBootstrapKey
{
    /// <summary>Our FC value, from the top of the single-octet space 3GPP has not allocated (docs/decisions/017).</summary>
    public const byte Fc = 0xF0;

    /// <summary>K_RO is the KDF's full 256-bit output.</summary>
    public const int Size = Kdf3gpp.OutputSize;

    /// <summary>Derives K_RO. Caller mistakes (sizes, a PCID that is not 6–15 digits) throw.</summary>
    public static byte[] Derive(ReadOnlySpan<byte> ck, ReadOnlySpan<byte> ik, string pcid, ReadOnlySpan<byte> rand)
    {
        if (ck.Length != Milenage.CkSize || ik.Length != Milenage.IkSize)
            throw new ArgumentException("CK and IK are 16 octets each.");
        if (rand.Length != Milenage.RandSize)
            throw new ArgumentException("RAND is 16 octets.", nameof(rand));
        if (pcid is not { Length: >= 6 and <= 15 } || !pcid.All(char.IsAsciiDigit))
            throw new ArgumentException("A PCID is in IMSI format: 6 to 15 decimal digits.", nameof(pcid));
        Span<byte> key = stackalloc byte[32];
        ck.CopyTo(key);
        ik.CopyTo(key[16..]);
        try
        {
            return Kdf3gpp.Derive(key, Fc, Kdf3gpp.Utf8(pcid), rand.ToArray());
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }
}
