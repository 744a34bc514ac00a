using System.Security.Cryptography;

namespace M2MSec.Aka.Gba;

/// <summary>
/// GBA_U's AUTN* (TS 33.220 §5.3.2 step 3; TS 31.102 §7.1.2.4 bootstrapping mode): AUTN* = SQN ⊕ AK ‖ AMF ‖ MAC* with
/// MAC* = MAC ⊕ Trunc(SHA-1(IK)), Trunc(x) being the first 64 bits (octets 1..8) of SHA-1(IK) (docs/decisions/029). The same XOR undoes
/// it, so the UICC recovers MAC with IK from its own f4. An ME that is not GBA_U-aware fails MAC on AUTN*: Ks cannot end up in the ME.
/// </summary>
public static class GbaUAutn
{
    /// <summary>AUTN → AUTN* (the BSF) and AUTN* → AUTN (the UICC): MAC ⊕ Trunc(SHA-1(IK)).</summary>
    public static byte[] Transform(ReadOnlySpan<byte> autn, ReadOnlySpan<byte> ik)
    {
        if (autn.Length != AkaVectors.AutnSize || ik.Length != Milenage.IkSize)
            throw new ArgumentException("AUTN and IK are 16 octets each.");
        Span<byte> hash = stackalloc byte[SHA1.HashSizeInBytes];
#pragma warning disable CA5350 // SHA-1 is what TS 33.220 §5.3.2 prescribes for MAC*; collision resistance plays no part.
        SHA1.HashData(ik, hash);
#pragma warning restore CA5350
        var result = autn.ToArray();
        for (var i = 0; i < Milenage.MacSize; i++)
            result[AkaVectors.AutnSize - Milenage.MacSize + i] ^= hash[i];
        CryptographicOperations.ZeroMemory(hash);
        return result;
    }
}
