using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using M2MSec.Pki;
using M2MSec.Pki.Ocsp;
using M2MSec.Tests.Support;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Ocsp;

namespace M2MSec.Tests.Pki.Ocsp;

/// <summary>
/// The responder's OCSPRequest decoder (System.Formats.Asn1, DER; issue 19): requests of an independent client (OpenSSL's CLI, tests/vectors/
/// ocsp-openssl) and of ours read field by field, and — on every one-octet change and every truncation of them — never accepting what
/// BouncyCastle's OcspReq, the parser it replaced, refuses, nor reading anything else from what both accept.
/// </summary>
public sealed class OcspRequestDecoderTests
{
    private const string Sha1 = "1.3.14.3.2.26";
    private const string Sha256 = "2.16.840.1.101.3.4.2.1";

    private static byte[] Vector(string name) => File.ReadAllBytes(TestVectors.PathOf(Path.Combine("ocsp-openssl", name)));

    private static X509Certificate2 Cert(string name) => X509Certificate2.CreateFromPem(File.ReadAllText(TestVectors.PathOf(Path.Combine("ocsp-openssl", name))));

    [Theory]
    [InlineData("req-sha1-two-nonce.der", Sha1, new[] { "01111111", "02222222" }, true)]
    [InlineData("req-sha256-one.der", Sha256, new[] { "01111111" }, false)]
    [InlineData("req-signed-nonce.der", Sha1, new[] { "02222222" }, true)]
    public void OpenSslRequests_EachCertIdAndTheNonce(string file, string hashOid, string[] serials, bool withNonce)
    {
        using var ca = Cert("ca.pem");
        var der = Vector(file);
        var hash = hashOid == Sha1 ? HashAlgorithmName.SHA1 : HashAlgorithmName.SHA256;

        Assert.True(OcspRequestDecoder.TryDecode(der, 16, out var requests, out var nonce));

        Assert.Equal(serials, requests.Select(r => r.SerialHex));
        foreach (var r in requests)
        {
            Assert.Equal(hashOid, r.HashOid);
            Assert.Equal(Hash(hash, ca.SubjectName.RawData), r.IssuerNameHash.ToArray());
            Assert.Equal(Hash(hash, ca.PublicKey.EncodedKeyValue.RawData), r.IssuerKeyHash.ToArray());
        }
        Assert.Equal(withNonce ? 16 : 0, nonce?.Length ?? 0);
        Assert.Equal(Reference(der, 16), Ours(der, 16));
    }

    [Fact]
    public void OurClientsRequests_ReadAsBouncyCastleReadsThem()
    {
        using var pki = OcspTestPki.Create();
        using var leaf = pki.IssueLeaf();
        foreach (var der in new[]
        {
            OcspRequestBuilder.Build(leaf, pki.Issuing).Der,
            OcspRequestBuilder.Build(OcspCertId.For(leaf, pki.Issuing, HashAlgorithmName.SHA256), nonce: null).Der,
        })
        {
            Assert.NotNull(Ours(der, 16));
            Assert.Equal(Reference(der, 16), Ours(der, 16));
        }
    }

    /// <param name="file">A request of tests/vectors/ocsp-openssl.</param>
    /// <param name="skipped">Where the request's requestorName and optionalSignature are (offsets): the responder serves anyone and reads
    /// neither (RFC 6960 §4.1.2) — a change there that BouncyCastle refused but the decoder skips must leave every CertID and the nonce as they were.</param>
    [Theory]
    [InlineData("req-sha1-two-nonce.der", new int[0])]
    [InlineData("req-sha256-one.der", new int[0])]
    [InlineData("req-signed-nonce.der", new[] { 7, 44, 148, 561 })]
    public void EveryOctetChangedAndEveryTruncation_NeverAcceptsWhatBouncyCastleRefuses_NorReadsOtherwise_MalformedRequestThreat(string file, int[] skipped)
    {
        var original = Vector(file);
        var asSent = Ours(original, 16);
        var accepted = 0;
        foreach (var (mutant, at) in Mutants(original))
        {
            var ours = Ours(mutant, 16);
            if (ours is null)
                continue;
            accepted++;
            if (Reference(mutant, 16) is { } reference)
            {
                Assert.Equal(reference, ours);
                continue;
            }
            Assert.True(Enumerable.Range(0, skipped.Length / 2).Any(r => at >= skipped[2 * r] && at < skipped[2 * r + 1]),
                $"octet {at} changed: accepted, BouncyCastle refused it");
            Assert.Equal(asSent, ours);
        }
        // Changes inside hashes, serials and the nonce keep a request well-formed: those must still be read (and read alike).
        Assert.True(accepted > original.Length / 4, $"{accepted} of the mutants accepted");
    }

    [Fact]
    public void NotOneDerRequest_Refused()
    {
        var der = Vector("req-sha256-one.der");
        Assert.False(OcspRequestDecoder.TryDecode(der.Append((byte)0x00).ToArray(), 16, out _, out _)); // trailing octets
        Assert.False(OcspRequestDecoder.TryDecode(Array.Empty<byte>(), 16, out _, out _));
        // The same request with an indefinite length (BER, not DER: RFC 6960 A.1 sends DER).
        var ber = new byte[der.Length + 2];
        ber[0] = 0x30;
        ber[1] = 0x80;
        der.AsSpan(2).CopyTo(ber.AsSpan(2));
        Assert.Equal(0x30, der[0]);
        Assert.True(der[1] < 0x80, "a short-form length");
        Assert.False(OcspRequestDecoder.TryDecode(ber, 16, out _, out _));
    }

    [Fact]
    public void TooManyCertIds_OrNone_Refused()
    {
        var der = Vector("req-sha1-two-nonce.der");
        Assert.True(OcspRequestDecoder.TryDecode(der, 2, out _, out _));
        Assert.False(OcspRequestDecoder.TryDecode(der, 1, out _, out _));
        var empty = new DerSequence(new DerSequence(new DerSequence())).GetEncoded(Asn1Encodable.Der);
        Assert.False(OcspRequestDecoder.TryDecode(empty, 16, out _, out _));
    }

    [Fact]
    public void RepeatedNonceExtension_Refused_AmbiguousNonceThreat()
    {
        using var pki = OcspTestPki.Create();
        using var leaf = pki.IssueLeaf();
        // OCSPRequest { TBSRequest { requestList, [2] { nonce } } } of our client, its Extensions given a second nonce.
        var tbs = (Asn1Sequence)Asn1Sequence.GetInstance(OcspRequestBuilder.Build(leaf, pki.Issuing).Der)[0];
        var nonce = ((Asn1Sequence)((Asn1TaggedObject)tbs[1]).GetExplicitBaseObject())[0];
        var other = new DerSequence(new DerObjectIdentifier("1.3.6.1.5.5.7.48.1.2"), new DerOctetString(new DerOctetString(new byte[8])));
        var twice = new DerSequence(
            new DerSequence(tbs[0], new DerTaggedObject(true, 2, new DerSequence(nonce, other)))).GetEncoded(Asn1Encodable.Der);

        Assert.False(OcspRequestDecoder.TryDecode(twice, 16, out _, out _));
        Assert.Null(Reference(twice, 16));
    }

    /// <summary>Each octet xor 0x01, 0x80 and 0xFF, then each prefix; with the offset of the first octet changed (a prefix: its length).</summary>
    private static IEnumerable<(byte[] Mutant, int At)> Mutants(byte[] original)
    {
        for (var i = 0; i < original.Length; i++)
        {
            foreach (var flip in new byte[] { 0x01, 0x80, 0xFF })
            {
                var m = (byte[])original.Clone();
                m[i] ^= flip;
                yield return (m, i);
            }
        }
        for (var n = 0; n < original.Length; n++)
            yield return (original[..n], n);
    }

    /// <summary>What the decoder reads, as text; null when it refuses.</summary>
    private static string? Ours(byte[] der, int max) =>
        OcspRequestDecoder.TryDecode(der, max, out var requests, out var nonce)
            ? Describe(requests.Select(r => (Convert.ToHexString(r.Der.Span), r.HashOid, Convert.ToHexString(r.IssuerNameHash.Span),
                Convert.ToHexString(r.IssuerKeyHash.Span), r.SerialHex)), nonce)
            : null;

    /// <summary>What BouncyCastle's OcspReq — the responder's parser before issue 19's change — reads; null when the responder refused.</summary>
    private static string? Reference(byte[] der, int max)
    {
        try
        {
            var request = new OcspReq(der);
            var list = request.GetRequestList();
            if (list.Length == 0 || list.Length > max)
                return null;
            var presence = OcspNonce.TryRead(request.RequestExtensions, out var nonce);
            if (presence == OcspNonce.Presence.Invalid)
                return null;
            return Describe(list.Select(r => r.GetCertID()).Select(id => (Convert.ToHexString(id.ToAsn1Object().GetEncoded(Asn1Encodable.Der)), id.HashAlgOid,
                Convert.ToHexString(id.GetIssuerNameHash()), Convert.ToHexString(id.GetIssuerKeyHash()), CertificateSerial.ToHex(id.SerialNumber.ToByteArray()))),
                presence == OcspNonce.Presence.Valid ? nonce : null);
        }
#pragma warning disable CA1031 // Whatever BouncyCastle throws on undecodable bytes: the responder answered malformedRequest.
        catch (Exception)
#pragma warning restore CA1031
        {
            return null;
        }
    }

    private static string Describe(IEnumerable<(string Der, string Oid, string Name, string Key, string Serial)> ids, byte[]? nonce) =>
        string.Join("; ", ids.Select(i => $"{i.Der} {i.Oid} {i.Name} {i.Key} {i.Serial}")) + " nonce " + (nonce is null ? "-" : Convert.ToHexString(nonce));

    private static byte[] Hash(HashAlgorithmName hash, byte[] data) => hash == HashAlgorithmName.SHA1 ? SHA1.HashData(data) : SHA256.HashData(data);
}
