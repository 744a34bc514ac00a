using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using M2MSec.Pki;
using M2MSec.Provisioning.Validation;

namespace M2MSec.Tests.Pki;

/// <summary>docs/decisions/048: certificates decoded once per distinct encoding, each caller owning its own object.</summary>
public sealed class DerCertificatesTests
{
    private static X509Certificate2 SelfSigned(string name, X509KeyUsageFlags usage, out ECDsa key)
    {
        key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=" + name, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509KeyUsageExtension(usage, critical: true));
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddDays(1));
    }

    [Fact]
    public void TheSameEncoding_GivesEqualCertificates_WithoutItsPrivateKey()
    {
        using var original = SelfSigned("same", X509KeyUsageFlags.DigitalSignature, out var key);
        using var _ = key;
        using var first = DerCertificates.Load(original.RawData);
        using var second = DerCertificates.Load(original.RawData);
        Assert.NotSame(first, second);
        Assert.Equal(original.RawData, first.RawData);
        Assert.Equal(original.RawData, second.RawData);
        Assert.Equal(original.Thumbprint, second.Thumbprint);
        Assert.False(second.HasPrivateKey);
    }

    [Fact]
    public void DisposingALoadedCertificate_LeavesEveryOtherHolderIntact_UseAfterFreeThreat()
    {
        using var original = SelfSigned("shared", X509KeyUsageFlags.DigitalSignature, out var key);
        using var _ = key;
        var first = DerCertificates.Load(original.RawData);
        using var second = DerCertificates.Load(original.RawData);
        first.Dispose();
        using var third = DerCertificates.Load(original.RawData);
        // The survivors still reach their decoded key and extensions.
        var digest = SHA256.HashData("m2msec"u8);
        var signature = key.SignHash(digest);
        using var publicKey = second.GetECDsaPublicKey()!;
        Assert.True(publicKey.VerifyHash(digest, signature));
        Assert.Single(third.Extensions.OfType<X509KeyUsageExtension>());
    }

    [Fact]
    public void AnEncodingOneOctetApart_IsDecodedOnItsOwn_NeverServedTheCachedOne_CachePoisoningThreat()
    {
        using var original = SelfSigned("poison", X509KeyUsageFlags.DigitalSignature, out var key);
        using var _ = key;
        using var cached = DerCertificates.Load(original.RawData);
        var tampered = original.RawData;
        tampered[^1] ^= 0x01; // inside the signature value: still decodes, no longer verifies
        using var other = DerCertificates.Load(tampered);
        Assert.Equal(tampered, other.RawData);
        Assert.NotEqual(cached.RawData, other.RawData);
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(original);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        Assert.True(chain.Build(cached));
        Assert.False(chain.Build(other));
    }

    [Fact]
    public void WhatDoesNotDecode_Throws_AsTheLoaderDoes_AndIsNotKept()
    {
        Assert.ThrowsAny<CryptographicException>(() => DerCertificates.Load([0x30, 0x03, 0x02, 0x01, 0x00]));
        Assert.ThrowsAny<CryptographicException>(() => DerCertificates.Load([]));
        var oversized = new byte[DerCertificates.MaxCachedLength + 1];
        Assert.ThrowsAny<CryptographicException>(() => DerCertificates.Load(oversized));
    }

    [Fact]
    public void ManyDistinctCertificates_TheCacheStaysBounded_MemoryExhaustionThreat()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=flood", key, HashAlgorithmName.SHA256);
        using var template = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddDays(1));
        var der = template.RawData;
        // Distinct encodings that decode: the last octet of the signature value varied (the decoder does not verify).
        for (var i = 0; i < DerCertificates.Capacity + 100; i++)
        {
            var variant = (byte[])der.Clone();
            variant[^1] = (byte)i;
            variant[^2] = (byte)(i >> 8);
            using var loaded = DerCertificates.Load(variant);
            Assert.True(DerCertificates.Count <= DerCertificates.Capacity);
        }
        Assert.True(DerCertificates.Count <= DerCertificates.Capacity);
    }

    [Fact]
    public void PlatformSignature_UnderTheCertificate_AgreesWithItsSpki_AndAKeyAgreementKeyDoesNotVerify_KeyMisuseThreat()
    {
        using var signing = SelfSigned("attestation", X509KeyUsageFlags.DigitalSignature, out var signingKey);
        using var _ = signingKey;
        var data = "attestation statement"u8.ToArray();
        var signature = PlatformSignature.Sign(signingKey, data);
        using var loaded = DerCertificates.Load(signing.RawData);
        Assert.True(PlatformSignature.Verify(loaded, SignatureScheme.EcdsaP256Sha256, data, signature));
        Assert.True(PlatformSignature.Verify(loaded.PublicKey.ExportSubjectPublicKeyInfo(), SignatureScheme.EcdsaP256Sha256, data, signature));
        data[0] ^= 1;
        Assert.False(PlatformSignature.Verify(loaded, SignatureScheme.EcdsaP256Sha256, data, signature));
        data[0] ^= 1;
        Assert.False(PlatformSignature.Verify(loaded, SignatureScheme.RsaPssSha256, data, signature));

        // The PfC's encryption certificate (key agreement only) must not pass for the attestation key.
        using var agreementKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=encryption", agreementKey, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyAgreement, critical: true));
        using var agreement = request.Create(signing.SubjectName, X509SignatureGenerator.CreateForECDsa(signingKey), DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddDays(1), [1, 2, 3]);
        var signedByAgreementKey = PlatformSignature.Sign(agreementKey, data);
        Assert.True(PlatformSignature.Verify(agreement.PublicKey.ExportSubjectPublicKeyInfo(), SignatureScheme.EcdsaP256Sha256, data, signedByAgreementKey));
        Assert.False(PlatformSignature.Verify(agreement, SignatureScheme.EcdsaP256Sha256, data, signedByAgreementKey));
    }
}
