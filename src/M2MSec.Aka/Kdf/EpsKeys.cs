using System.Security.Cryptography;

namespace M2MSec.Aka;

/// <summary>
/// K_ASME = KDF(CK || IK, FC = 0x10, SN id, SQN ⊕ AK) (TS 33.401 Annex A.2): the key the
/// serving network receives instead of CK and IK.
/// </summary>
public static class EpsKeys
{
    public const byte KasmeFc = 0x10;

    public static byte[] Kasme(ReadOnlySpan<byte> ck, ReadOnlySpan<byte> ik, ReadOnlySpan<byte> servingNetworkId, ReadOnlySpan<byte> sqnXorAk)
    {
        if (ck.Length != 16 || ik.Length != 16)
            throw new ArgumentException("CK and IK are 16 octets each.");
        if (servingNetworkId.Length != 3)
            throw new ArgumentException("The SN id is the 3-octet PLMN identity (MCC || MNC).", nameof(servingNetworkId));
        if (sqnXorAk.Length != 6)
            throw new ArgumentException("SQN ⊕ AK is 6 octets.", nameof(sqnXorAk));
        Span<byte> key = stackalloc byte[32];
        ck.CopyTo(key);
        ik.CopyTo(key[16..]);
        try
        {
            return Kdf3gpp.Derive(key, KasmeFc, servingNetworkId.ToArray(), sqnXorAk.ToArray());
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }
}
