using System.Security.Cryptography;
using M2MSec.Pki;
using M2MSec.Pki.Ocsp;
using Microsoft.Extensions.Time.Testing;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.Ocsp;
using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.Ocsp;

namespace M2MSec.Tests.Pki.Ocsp;

/// <summary>
/// Decision 044: the responder encodes its answers with System.Formats.Asn1. Each answer's signed ResponseData must be byte for byte
/// what BouncyCastle's generator makes from the same inputs, the rest of the envelope what BouncyCastle and OpenSSL
/// (<see cref="OcspOpenSslClientTests"/>) read back.
/// </summary>
public sealed class OcspResponseWriterTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds()).AddMilliseconds(750);

    public static TheoryData<TestKeyKind, string, bool> Cases => new()
    {
        { TestKeyKind.P256, "SHA1", true },
        { TestKeyKind.P256, "SHA256", false },
        { TestKeyKind.P384, "SHA256", true },
        { TestKeyKind.Rsa2048, "SHA1", true },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task ResponseData_IsBouncyCastlesByteForByte_EveryStatus(TestKeyKind kind, string hash, bool withNonce)
    {
        using var pki = OcspTestPki.Create(kind);
        using var other = OcspTestPki.Create(TestKeyKind.P256, "Another CA");
        using var good = pki.IssueLeaf("good.m2msec.invalid");
        using var revoked = pki.IssueLeaf("revoked.m2msec.invalid");
        using var revokedNoReason = pki.IssueLeaf("revoked2.m2msec.invalid");
        using var unknown = pki.IssueLeaf("unknown.m2msec.invalid");
        using var foreign = other.IssueLeaf("foreign.m2msec.invalid");
        var revokedAt = Now.AddDays(-3).AddMilliseconds(-420);
        var statuses = new Dictionary<string, OcspCertificateStatus>
        {
            [CertificateSerial.Of(good)] = OcspCertificateStatus.Good,
            [CertificateSerial.Of(revoked)] = OcspCertificateStatus.Revoked(revokedAt, 4),
            [CertificateSerial.Of(revokedNoReason)] = OcspCertificateStatus.Revoked(revokedAt),
        };
        var name = new HashAlgorithmName(hash);
        OcspCertId[] ids = [OcspCertId.For(good, pki.Issuing, name), OcspCertId.For(revoked, pki.Issuing, name), OcspCertId.For(revokedNoReason, pki.Issuing, name),
            OcspCertId.For(unknown, pki.Issuing, name), OcspCertId.For(foreign, other.Issuing, name)];
        var nonce = withNonce ? RandomNumberGenerator.GetBytes(32) : null;
        var request = OcspRequestBuilder.Build(ids, nonce);
        using var responder = new OcspResponder(pki.Issuing, pki.Signer,
            (serial, _) => ValueTask.FromResult(statuses.GetValueOrDefault(serial, OcspCertificateStatus.Unknown)), new FakeTimeProvider(Now));

        var response = new OcspResp(await responder.RespondAsync(request.Der, TestContext.Current.CancellationToken));
        Assert.Equal(OcspRespStatus.Successful, response.Status);
        var ours = (BasicOcspResp)response.GetResponseObject();

        // BouncyCastle's generator from the same inputs (what the responder used before decision 044).
        var signer = new Org.BouncyCastle.X509.X509CertificateParser().ReadCertificate(pki.Signer.RawData);
        var generator = new BasicOcspRespGenerator(new RespID(signer.GetPublicKey()));
        var thisUpdate = Whole(Now);
        var nextUpdate = Whole(Now.AddHours(1));
        var bcRevokedAt = Whole(revokedAt);
        CertificateStatus[] expected = [CertificateStatus.Good, new RevokedStatus(bcRevokedAt, 4), new RevokedStatus(bcRevokedAt), new UnknownStatus(), new UnknownStatus()];
        for (var i = 0; i < ids.Length; i++)
            generator.AddResponse(ids[i].Inner, expected[i], thisUpdate, nextUpdate, null);
        if (nonce is not null)
        {
            var extensions = new X509ExtensionsGenerator();
            extensions.AddExtension(OcspObjectIdentifiers.PkixOcspNonce, false, new DerOctetString(nonce));
            generator.SetResponseExtensions(extensions.Generate());
        }
        var reference = generator.Generate(new FixedSignature(SignatureAlgorithm(ours).Algorithm.Id), [signer], thisUpdate);

        Assert.Equal(reference.GetTbsResponseData(), ours.GetTbsResponseData());
        Assert.Equal(pki.Signer.RawData, Assert.Single(ours.GetCerts()).GetEncoded());
        Assert.Equal(kind is TestKeyKind.Rsa2048 ? "1.2.840.113549.1.1.11" : kind is TestKeyKind.P384 ? "1.2.840.10045.4.3.3" : "1.2.840.10045.4.3.2", SignatureAlgorithm(ours).Algorithm.Id);
        // RSA's AlgorithmIdentifier carries NULL parameters, ECDSA's none (RFC 4055 §5, RFC 5758 §3.2).
        Assert.Equal(SignatureAlgorithm(reference).GetDerEncoded(), SignatureAlgorithm(ours).GetDerEncoded());
        Assert.True(ours.Verify(signer.GetPublicKey()));
    }

    [Fact]
    public async Task Answer_IsDer_EveryLengthDefinite_AndReadByTheVerifier()
    {
        using var pki = OcspTestPki.Create();
        using var leaf = pki.IssueLeaf();
        var request = OcspRequestBuilder.Build(leaf, pki.Issuing);
        using var responder = new OcspResponder(pki.Issuing, pki.Signer, (_, _) => ValueTask.FromResult(OcspCertificateStatus.Good), new FakeTimeProvider(Now));

        var der = await responder.RespondAsync(request.Der, TestContext.Current.CancellationToken);

        // System.Formats.Asn1's DER reader refuses anything but DER (indefinite lengths, non-minimal encodings, unsorted sets).
        var reader = new System.Formats.Asn1.AsnReader(der, System.Formats.Asn1.AsnEncodingRules.DER);
        _ = reader.ReadSequence();
        Assert.False(reader.HasData);
        var result = OcspResponseVerifier.Verify(der, request.CertId, pki.Issuing, request.Nonce, new() { Now = Now });
        Assert.Equal(OcspStatus.Good, result.Status);
        Assert.Equal(new DateTimeOffset(Whole(Now)), result.ProducedAt);
    }

    private static AlgorithmIdentifier SignatureAlgorithm(BasicOcspResp response) =>
        BasicOcspResponse.GetInstance(Asn1Object.FromByteArray(response.GetEncoded())).SignatureAlgorithm;

    private static DateTime Whole(DateTimeOffset t) => new(t.UtcTicks - t.UtcTicks % TimeSpan.TicksPerSecond, DateTimeKind.Utc);

    /// <summary>A signature factory for the reference: the signature value is not compared (ECDSA signatures are randomised).</summary>
    private sealed class FixedSignature(string oid) : Org.BouncyCastle.Crypto.ISignatureFactory
    {
        public object AlgorithmDetails => oid == "1.2.840.113549.1.1.11"
            ? new AlgorithmIdentifier(new DerObjectIdentifier(oid), DerNull.Instance)
            : new AlgorithmIdentifier(new DerObjectIdentifier(oid));

        public Org.BouncyCastle.Crypto.IStreamCalculator<Org.BouncyCastle.Crypto.IBlockResult> CreateCalculator() => new Calculator();

        private sealed class Calculator : Org.BouncyCastle.Crypto.IStreamCalculator<Org.BouncyCastle.Crypto.IBlockResult>
        {
            public Stream Stream { get; } = new MemoryStream();

            public Org.BouncyCastle.Crypto.IBlockResult GetResult() => new Org.BouncyCastle.Crypto.SimpleBlockResult(new byte[64]);
        }
    }
}
