using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.Ocsp;
using Org.BouncyCastle.Asn1.X509;

namespace M2MSec.Pki.Ocsp;

/// <summary>
/// The id-pkix-ocsp-nonce extension (RFC 6960 §4.4.1, updated by RFC 9654): its extnValue holds
/// <c>Nonce ::= OCTET STRING (SIZE(1..128))</c>.
/// </summary>
internal static class OcspNonce
{
    public const int MinLength = 1;
    public const int MaxLength = 128;

    public enum Presence
    {
        Absent,
        Valid,
        Invalid,
    }

    /// <summary>Reads the nonce from request or response extensions.</summary>
    public static Presence TryRead(X509Extensions? extensions, out byte[] nonce)
    {
        nonce = [];
        var extension = extensions?.GetExtension(OcspObjectIdentifiers.PkixOcspNonce);
        if (extension is null)
            return Presence.Absent;
        try
        {
            var inner = Asn1Object.FromByteArray(extension.Value.GetOctets());
            if (inner is not Asn1OctetString octets)
                return Presence.Invalid;
            nonce = octets.GetOctets();
        }
        catch (IOException)
        {
            return Presence.Invalid;
        }
        catch (ArgumentException)
        {
            return Presence.Invalid;
        }
        // RFC 9654 §2.1: 0 octets or more than 128 octets is malformed.
        return nonce.Length is >= MinLength and <= MaxLength ? Presence.Valid : Presence.Invalid;
    }

    /// <summary>Extensions carrying exactly this nonce, non-critical as RFC 6960 §4.4.1 uses it.</summary>
    public static X509Extensions Extensions(byte[] nonce)
    {
        var generator = new X509ExtensionsGenerator();
        generator.AddExtension(OcspObjectIdentifiers.PkixOcspNonce, false, new DerOctetString(nonce));
        return generator.Generate();
    }
}
