using System.Security.Cryptography;
using M2MSec.Aka;

namespace M2MSec.Nas.Group;

/// <summary>
/// The keys of MTC group messaging (docs/decisions/028): each member's own key-wrapping key K_GRP from its AKA context, the group
/// key, and the network's signing key. K_GRP = KDF(K_ASME, FC = 0xF1, P0 = "mtc-group-key-wrap") with the generic KDF of
/// TS 33.220 Annex B.2 (FC 0xF1 is the project's, docs/decisions/017): the member and the serving network both hold K_ASME after
/// the attach, so each member's group-key delivery is protected under a key no other member has.
/// </summary>
public static class GroupKeys
{
    /// <summary>FC of K_GRP (decision 017): the project's own range from the top (after K_RO's 0xF0), clear of TS 33.401's 0x10–0x1F series.</summary>
    public const byte MemberKeyFc = 0xF1;

    /// <summary>AES-256: the group key and K_GRP.</summary>
    public const int KeySize = 32;

    /// <summary>An uncompressed P-256 point (0x04 ‖ X ‖ Y): the network's group-message verification key.</summary>
    public const int PublicKeySize = 65;

    /// <summary>IEEE P1363 r ‖ s of ECDSA P-256.</summary>
    public const int SignatureSize = 64;

    private static readonly byte[] Label = Kdf3gpp.Utf8("mtc-group-key-wrap");

    /// <summary>K_GRP of one member from its K_ASME (32 octets).</summary>
    public static byte[] MemberKey(ReadOnlySpan<byte> kasme)
    {
        if (kasme.Length != 32)
            throw new ArgumentException("K_ASME is 32 octets.", nameof(kasme));
        return Kdf3gpp.Derive(kasme, MemberKeyFc, Label);
    }

    /// <summary>A fresh group key (one per epoch).</summary>
    public static byte[] NewGroupKey() => RandomNumberGenerator.GetBytes(KeySize);

    /// <summary>The network's public key as sent to members (uncompressed point).</summary>
    public static byte[] PublicKeyOf(ECDsa key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var p = key.ExportParameters(false);
        return [0x04, .. p.Q.X!, .. p.Q.Y!];
    }

    /// <summary>A verification-only key from an uncompressed P-256 point; null if it is not one.</summary>
    public static ECDsa? ImportPublicKey(ReadOnlySpan<byte> point)
    {
        if (point.Length != PublicKeySize || point[0] != 0x04)
            return null;
        try
        {
            return ECDsa.Create(new ECParameters { Curve = ECCurve.NamedCurves.nistP256, Q = new ECPoint { X = point[1..33].ToArray(), Y = point[33..].ToArray() } });
        }
        catch (CryptographicException)
        {
            return null;
        }
    }
}
