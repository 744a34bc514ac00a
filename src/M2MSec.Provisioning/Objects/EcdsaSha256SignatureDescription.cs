using System.Security.Cryptography;
using M2MSec.Crypto.Metering;

namespace M2MSec.Provisioning.Objects;

/// <summary>
/// ECDSA with SHA-256 for XML Signature (RFC 6931 §2.3.6, http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256): the
/// SignatureValue is r ‖ s, each the field size (RFC 4050 §3.3), which is .NET's IEEE P1363 format. Registered with
/// <see cref="CryptoConfig"/> so <c>SignedXml</c> finds it by URI.
/// </summary>
public sealed class EcdsaSha256SignatureDescription : SignatureDescription
{
    public const string Url = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256";

    private static readonly Lazy<bool> Registration = new(() =>
    {
        CryptoConfig.AddAlgorithm(typeof(EcdsaSha256SignatureDescription), Url);
        return true;
    });

    public EcdsaSha256SignatureDescription()
    {
        KeyAlgorithm = typeof(ECDsa).AssemblyQualifiedName;
        DigestAlgorithm = typeof(SHA256).AssemblyQualifiedName;
        FormatterAlgorithm = typeof(Formatter).AssemblyQualifiedName;
        DeformatterAlgorithm = typeof(Deformatter).AssemblyQualifiedName;
    }

    /// <summary>Registers the description once per process.</summary>
    public static void Register() => _ = Registration.Value;

    public override HashAlgorithm CreateDigest() => SHA256.Create();

    public override AsymmetricSignatureFormatter CreateFormatter(AsymmetricAlgorithm key) =>
        new Formatter(key as ECDsa ?? throw new CryptographicException("ecdsa-sha256 needs an ECDSA key"));

    public override AsymmetricSignatureDeformatter CreateDeformatter(AsymmetricAlgorithm key) =>
        new Deformatter(key as ECDsa ?? throw new CryptographicException("ecdsa-sha256 needs an ECDSA key"));

    private sealed class Formatter(ECDsa key) : AsymmetricSignatureFormatter
    {
        private ECDsa _key = key;

        public override void SetKey(AsymmetricAlgorithm key) => _key = (ECDsa)key;

        public override void SetHashAlgorithm(string strName)
        {
        }

        public override byte[] CreateSignature(byte[] rgbHash)
        {
            OperationMeter.Count(MeteredOperation.EcdsaSign);
            return _key.SignHash(rgbHash, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        }
    }

    private sealed class Deformatter(ECDsa key) : AsymmetricSignatureDeformatter
    {
        private ECDsa _key = key;

        public override void SetKey(AsymmetricAlgorithm key) => _key = (ECDsa)key;

        public override void SetHashAlgorithm(string strName)
        {
        }

        public override bool VerifySignature(byte[] rgbHash, byte[] rgbSignature)
        {
            OperationMeter.Count(MeteredOperation.EcdsaVerify);
            return _key.VerifyHash(rgbHash, rgbSignature, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        }
    }
}
