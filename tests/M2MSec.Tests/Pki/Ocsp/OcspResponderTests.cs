using System.Security.Cryptography;
using M2MSec.Pki;
using M2MSec.Pki.Ocsp;
using M2MSec.Pki.Validation;
using Microsoft.Extensions.Time.Testing;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.Ocsp;
using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.Ocsp;

namespace M2MSec.Tests.Pki.Ocsp;

/// <summary>Our client against our responder, in process: statuses, RFC 9654 nonce rules, refusals.</summary>
public sealed class OcspResponderTests : IDisposable
{
    // Whole seconds (GeneralizedTime), inside the test certificates' validity.
    private static readonly DateTimeOffset Start = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds());

    private readonly OcspTestPki _pki = OcspTestPki.Create();
    private readonly FakeTimeProvider _time = new(Start);
    private readonly Dictionary<string, OcspCertificateStatus> _statuses = [];
    private readonly OcspResponder _responder;

    public OcspResponderTests() => _responder = NewResponder(_pki);

    public void Dispose()
    {
        _responder.Dispose();
        _pki.Dispose();
    }

    [Fact]
    public async Task Good_certificate_with_nonce_is_acceptable()
    {
        using var leaf = _pki.IssueLeaf();
        _statuses[CertificateSerial.Of(leaf)] = OcspCertificateStatus.Good;
        var request = OcspRequestBuilder.Build(leaf, _pki.Issuing);

        var response = await _responder.RespondAsync(request.Der, TestContext.Current.CancellationToken);
        var result = OcspResponseVerifier.Verify(response, request.CertId, _pki.Issuing, request.Nonce, new() { Now = Start });

        Assert.Equal(RefusalReason.None, result.Reason);
        Assert.Equal(OcspStatus.Good, result.Status);
        Assert.Equal(Start, result.ProducedAt);
        Assert.Equal(Start, result.ThisUpdate);
        Assert.Equal(Start.AddHours(1), result.NextUpdate);
        Assert.Equal(32, request.Nonce!.Length);
    }

    [Fact]
    public async Task Responder_includes_its_certificate_and_identifies_by_key()
    {
        using var leaf = _pki.IssueLeaf();
        var request = OcspRequestBuilder.Build(leaf, _pki.Issuing);
        var basic = Basic(await _responder.RespondAsync(request.Der, TestContext.Current.CancellationToken));

        Assert.Equal(_pki.Signer.RawData, Assert.Single(basic.GetCerts()).GetEncoded());
        Assert.NotNull(basic.ResponderId.ToAsn1Object().GetKeyHash());
        Assert.Null(basic.ResponderId.ToAsn1Object().Name);
    }

    [Fact]
    public async Task Revoked_certificate_is_refused_with_time_and_reason()
    {
        using var leaf = _pki.IssueLeaf();
        var revokedAt = Start.AddDays(-2);
        _statuses[CertificateSerial.Of(leaf)] = OcspCertificateStatus.Revoked(revokedAt, 1);
        var request = OcspRequestBuilder.Build(leaf, _pki.Issuing);

        var result = OcspResponseVerifier.Verify(await _responder.RespondAsync(request.Der, TestContext.Current.CancellationToken),
            leaf, _pki.Issuing, request.Nonce, new() { Now = Start });

        Assert.Equal(RefusalReason.Revoked, result.Reason);
        Assert.Equal(OcspStatus.Revoked, result.Status);
        Assert.Equal(revokedAt, result.RevokedAt);
        Assert.Equal(1, result.RevocationReason);
    }

    [Fact]
    public async Task Unknown_serial_is_refused_as_unknown_certificate()
    {
        using var leaf = _pki.IssueLeaf();
        var request = OcspRequestBuilder.Build(leaf, _pki.Issuing);

        var result = OcspResponseVerifier.Verify(await _responder.RespondAsync(request.Der, TestContext.Current.CancellationToken),
            request.CertId, _pki.Issuing, request.Nonce);

        Assert.Equal(RefusalReason.UnknownCertificate, result.Reason);
        Assert.Equal(OcspStatus.Unknown, result.Status);
    }

    [Fact]
    public async Task Sha256_cert_id_is_answered_with_the_same_cert_id()
    {
        using var leaf = _pki.IssueLeaf();
        _statuses[CertificateSerial.Of(leaf)] = OcspCertificateStatus.Good;
        var request = OcspRequestBuilder.Build(OcspCertId.For(leaf, _pki.Issuing, HashAlgorithmName.SHA256), [1, 2, 3]);

        var response = await _responder.RespondAsync(request.Der, TestContext.Current.CancellationToken);

        Assert.True(OcspResponseVerifier.Verify(response, request.CertId, _pki.Issuing, request.Nonce).IsAcceptable);
        Assert.True(OcspResponseVerifier.Verify(response, leaf, _pki.Issuing, request.Nonce).IsAcceptable);
        // A SHA-1 CertID of the same certificate is a different CertID.
        Assert.Equal(RefusalReason.UnknownCertificate,
            OcspResponseVerifier.Verify(response, OcspCertId.For(leaf, _pki.Issuing), _pki.Issuing, request.Nonce).Reason);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(129)]
    public async Task Nonce_of_0_or_more_than_128_octets_is_malformed_request(int length)
    {
        using var leaf = _pki.IssueLeaf();
        var response = await _responder.RespondAsync(RequestWithNonce(leaf, new byte[length]), TestContext.Current.CancellationToken);

        Assert.Equal(OcspRespStatus.MalformedRequest, new OcspResp(response).Status);
        Assert.Equal(RefusalReason.ResponderError, OcspResponseVerifier.Verify(response, leaf, _pki.Issuing, new byte[1]).Reason);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(16)]
    [InlineData(128)]
    public async Task Nonce_of_1_to_128_octets_is_echoed(int length)
    {
        using var leaf = _pki.IssueLeaf();
        _statuses[CertificateSerial.Of(leaf)] = OcspCertificateStatus.Good;
        var nonce = RandomNumberGenerator.GetBytes(length);

        var response = await _responder.RespondAsync(RequestWithNonce(leaf, nonce), TestContext.Current.CancellationToken);

        Assert.True(OcspResponseVerifier.Verify(response, leaf, _pki.Issuing, nonce).IsAcceptable);
    }

    [Fact]
    public async Task Nonce_extension_that_is_not_an_octet_string_is_malformed_request()
    {
        using var leaf = _pki.IssueLeaf();
        var extensions = new X509ExtensionsGenerator();
        extensions.AddExtension(OcspObjectIdentifiers.PkixOcspNonce, false, DerInteger.ValueOf(5));

        var response = await _responder.RespondAsync(Request(leaf, extensions.Generate()), TestContext.Current.CancellationToken);

        Assert.Equal(OcspRespStatus.MalformedRequest, new OcspResp(response).Status);
    }

    [Theory]
    [InlineData(new byte[0])]
    [InlineData(new byte[] { 0x30, 0x03, 0x02, 0x01 })]
    [InlineData(new byte[] { 0x04, 0x02, 0xab, 0xcd })]
    public async Task Garbage_request_is_malformed_request(byte[] garbage)
    {
        var response = await _responder.RespondAsync(garbage, TestContext.Current.CancellationToken);

        Assert.Equal(OcspRespStatus.MalformedRequest, new OcspResp(response).Status);
    }

    [Fact]
    public async Task More_than_16_cert_ids_is_malformed_request_and_16_is_answered()
    {
        using var leaf = _pki.IssueLeaf();
        var id = OcspCertId.For(leaf, _pki.Issuing).Inner;
        byte[] RequestFor(int count)
        {
            var generator = new OcspReqGenerator();
            for (var i = 0; i < count; i++)
                generator.AddRequest(id);
            return generator.Generate().GetEncoded();
        }

        var sixteen = await _responder.RespondAsync(RequestFor(16), TestContext.Current.CancellationToken);
        var seventeen = await _responder.RespondAsync(RequestFor(17), TestContext.Current.CancellationToken);

        Assert.Equal(16, Basic(sixteen).Responses.Length);
        Assert.Equal(OcspRespStatus.MalformedRequest, new OcspResp(seventeen).Status);
    }

    [Fact]
    public async Task Only_another_cas_certificates_is_unauthorized_and_mixed_gets_unknown_for_them()
    {
        using var other = OcspTestPki.Create(name: "Other");
        using var ours = _pki.IssueLeaf();
        using var theirs = other.IssueLeaf();
        _statuses[CertificateSerial.Of(ours)] = OcspCertificateStatus.Good;

        var onlyTheirs = await _responder.RespondAsync(OcspRequestBuilder.Build(theirs, other.Issuing).Der, TestContext.Current.CancellationToken);
        var generator = new OcspReqGenerator();
        generator.AddRequest(OcspCertId.For(ours, _pki.Issuing).Inner);
        generator.AddRequest(OcspCertId.For(theirs, other.Issuing).Inner);
        var mixed = Basic(await _responder.RespondAsync(generator.Generate().GetEncoded(), TestContext.Current.CancellationToken));

        Assert.Equal(OcspRespStatus.Unauthorized, new OcspResp(onlyTheirs).Status);
        Assert.Null(mixed.Responses[0].GetCertStatus()); // good
        Assert.IsType<UnknownStatus>(mixed.Responses[1].GetCertStatus());
    }

    /// <summary>
    /// Issue 19: the OCSP endpoint's metrics decoded every DER response again (a quarter of its CPU over HTTP); the
    /// responder now says what it signed. What it says must be exactly what the DER says: good, revoked, unknown in
    /// request order, and the error responseStatus with no single responses.
    /// </summary>
    [Fact]
    public async Task Answer_states_what_the_signed_response_says_so_metrics_need_not_decode_it_IssueNineteen()
    {
        using var other = OcspTestPki.Create(name: "Other");
        using var good = _pki.IssueLeaf();
        using var revoked = _pki.IssueLeaf();
        using var theirs = other.IssueLeaf();
        _statuses[CertificateSerial.Of(good)] = OcspCertificateStatus.Good;
        _statuses[CertificateSerial.Of(revoked)] = OcspCertificateStatus.Revoked(Start.AddHours(-1), 1);
        var generator = new OcspReqGenerator();
        generator.AddRequest(OcspCertId.For(revoked, _pki.Issuing).Inner);
        generator.AddRequest(OcspCertId.For(theirs, other.Issuing).Inner);
        generator.AddRequest(OcspCertId.For(good, _pki.Issuing).Inner);

        var answer = await _responder.AnswerAsync(generator.Generate().GetEncoded(), TestContext.Current.CancellationToken);
        var basic = Basic(answer.Der);

        Assert.Equal(OcspRespStatus.Successful, answer.ResponseStatus);
        Assert.Equal([OcspStatus.Revoked, OcspStatus.Unknown, OcspStatus.Good], answer.CertStatuses);
        Assert.IsType<RevokedStatus>(basic.Responses[0].GetCertStatus());
        Assert.IsType<UnknownStatus>(basic.Responses[1].GetCertStatus());
        Assert.Null(basic.Responses[2].GetCertStatus());

        var malformed = await _responder.AnswerAsync(new byte[] { 0x30, 0x03, 0x02, 0x01, 0x00 }, TestContext.Current.CancellationToken);
        Assert.Equal(OcspRespStatus.MalformedRequest, malformed.ResponseStatus);
        Assert.Equal(OcspRespStatus.MalformedRequest, new OcspResp(malformed.Der).Status);
        Assert.Empty(malformed.CertStatuses);
    }

    [Fact]
    public async Task Failing_status_lookup_is_internal_error()
    {
        using var failing = new OcspResponder(_pki.Issuing, _pki.Signer,
            (_, _) => throw new InvalidOperationException("database down"), _time);
        using var leaf = _pki.IssueLeaf();

        var response = await failing.RespondAsync(OcspRequestBuilder.Build(leaf, _pki.Issuing).Der, TestContext.Current.CancellationToken);

        Assert.Equal(OcspRespStatus.InternalError, new OcspResp(response).Status);
    }

    [Fact]
    public async Task Tampered_signature_is_bad_signature()
    {
        using var leaf = _pki.IssueLeaf();
        _statuses[CertificateSerial.Of(leaf)] = OcspCertificateStatus.Good;
        var request = OcspRequestBuilder.Build(leaf, _pki.Issuing);
        var response = await _responder.RespondAsync(request.Der, TestContext.Current.CancellationToken);

        var signature = Basic(response).GetSignature();
        var at = response.AsSpan().IndexOf(signature);
        response[at + signature.Length / 2] ^= 0x01;

        Assert.Equal(RefusalReason.BadSignature, OcspResponseVerifier.Verify(response, leaf, _pki.Issuing, request.Nonce).Reason);
    }

    [Fact]
    public async Task Tampered_response_data_is_bad_signature()
    {
        using var leaf = _pki.IssueLeaf();
        _statuses[CertificateSerial.Of(leaf)] = OcspCertificateStatus.Good;
        var request = OcspRequestBuilder.Build(leaf, _pki.Issuing, 16);
        var response = await _responder.RespondAsync(request.Der, TestContext.Current.CancellationToken);

        // Flip a bit inside the echoed nonce (inside tbsResponseData) and verify against the flipped nonce.
        var at = response.AsSpan().IndexOf(request.Nonce);
        response[at] ^= 0x01;
        var flipped = request.Nonce!.ToArray();
        flipped[0] ^= 0x01;

        Assert.Equal(RefusalReason.BadSignature, OcspResponseVerifier.Verify(response, leaf, _pki.Issuing, flipped).Reason);
    }

    [Fact]
    public async Task Signer_certified_by_another_ca_is_unauthorised_responder()
    {
        using var other = OcspTestPki.Create(name: "Other");
        using var impostor = new OcspResponder(_pki.Issuing, other.Signer, (_, _) => ValueTask.FromResult(OcspCertificateStatus.Good), _time);
        using var leaf = _pki.IssueLeaf();
        var request = OcspRequestBuilder.Build(leaf, _pki.Issuing);

        var response = await impostor.RespondAsync(request.Der, TestContext.Current.CancellationToken);

        Assert.Equal(RefusalReason.UnauthorisedResponder, OcspResponseVerifier.Verify(response, leaf, _pki.Issuing, request.Nonce).Reason);
    }

    [Fact]
    public async Task Leaf_without_ocsp_signing_as_signer_is_unauthorised_responder()
    {
        using var notASigner = _pki.IssueLeaf("not-a-signer");
        using var responder = new OcspResponder(_pki.Issuing, notASigner, (_, _) => ValueTask.FromResult(OcspCertificateStatus.Good), _time);
        using var leaf = _pki.IssueLeaf();
        var request = OcspRequestBuilder.Build(leaf, _pki.Issuing);

        var response = await responder.RespondAsync(request.Der, TestContext.Current.CancellationToken);

        Assert.Equal(RefusalReason.UnauthorisedResponder, OcspResponseVerifier.Verify(response, leaf, _pki.Issuing, request.Nonce).Reason);
    }

    [Fact]
    public async Task Delegated_signer_outside_its_validity_at_produced_at_is_unauthorised_responder()
    {
        using var leaf = _pki.IssueLeaf();
        _statuses[CertificateSerial.Of(leaf)] = OcspCertificateStatus.Good;
        _time.Advance(TimeSpan.FromDays(31)); // the test signer is valid for 30 days
        var request = OcspRequestBuilder.Build(leaf, _pki.Issuing);

        var response = await _responder.RespondAsync(request.Der, TestContext.Current.CancellationToken);

        Assert.Equal(RefusalReason.UnauthorisedResponder,
            OcspResponseVerifier.Verify(response, leaf, _pki.Issuing, request.Nonce, new() { Now = _time.GetUtcNow() }).Reason);
    }

    [Fact]
    public void Responder_id_not_naming_the_signer_is_unauthorised_responder()
    {
        using var leaf = _pki.IssueLeaf();
        var certId = OcspCertId.For(leaf, _pki.Issuing);
        var signer = new Org.BouncyCastle.X509.X509CertificateParser().ReadCertificate(_pki.Signer.RawData);
        var issuer = new Org.BouncyCastle.X509.X509CertificateParser().ReadCertificate(_pki.Issuing.RawData);
        using var signature = DotNetSignatureFactory.For(_pki.Signer);
        var generator = new BasicOcspRespGenerator(new RespID(issuer.GetPublicKey())); // claims to be the CA
        generator.AddResponse(certId.Inner, CertificateStatus.Good);
        var basic = generator.Generate(signature, [signer], Start.UtcDateTime);
        var response = new OCSPRespGenerator().Generate(OcspRespStatus.Successful, basic).GetEncoded();

        Assert.Equal(RefusalReason.UnauthorisedResponder, OcspResponseVerifier.Verify(response, certId, _pki.Issuing, null).Reason);
    }

    [Fact]
    public async Task Issuing_ca_signing_itself_is_authorised()
    {
        using var ca = new OcspResponder(_pki.Issuing, _pki.Issuing, (_, _) => ValueTask.FromResult(OcspCertificateStatus.Good), _time);
        using var leaf = _pki.IssueLeaf();
        var request = OcspRequestBuilder.Build(leaf, _pki.Issuing);

        var response = await ca.RespondAsync(request.Der, TestContext.Current.CancellationToken);

        Assert.True(OcspResponseVerifier.Verify(response, leaf, _pki.Issuing, request.Nonce).IsAcceptable);
    }

    [Fact]
    public async Task Missing_nonce_is_no_nonce_and_other_nonce_is_nonce_mismatch()
    {
        using var leaf = _pki.IssueLeaf();
        _statuses[CertificateSerial.Of(leaf)] = OcspCertificateStatus.Good;
        var withoutNonce = OcspRequestBuilder.Build(leaf, _pki.Issuing, nonceLength: null);
        var withNonce = OcspRequestBuilder.Build(leaf, _pki.Issuing);

        var noNonce = await _responder.RespondAsync(withoutNonce.Der, TestContext.Current.CancellationToken);
        var echoed = await _responder.RespondAsync(withNonce.Der, TestContext.Current.CancellationToken);

        Assert.Null(withoutNonce.Nonce);
        Assert.True(OcspResponseVerifier.Verify(noNonce, leaf, _pki.Issuing, sentNonce: null).IsAcceptable);
        Assert.Equal(RefusalReason.NoNonce, OcspResponseVerifier.Verify(noNonce, leaf, _pki.Issuing, RandomNumberGenerator.GetBytes(32)).Reason);
        Assert.Equal(RefusalReason.NonceMismatch, OcspResponseVerifier.Verify(echoed, leaf, _pki.Issuing, RandomNumberGenerator.GetBytes(32)).Reason);
    }

    [Fact]
    public async Task Response_past_next_update_future_or_older_than_max_age_is_stale()
    {
        using var leaf = _pki.IssueLeaf();
        _statuses[CertificateSerial.Of(leaf)] = OcspCertificateStatus.Good;
        var request = OcspRequestBuilder.Build(leaf, _pki.Issuing);
        var response = await _responder.RespondAsync(request.Der, TestContext.Current.CancellationToken);
        OcspVerification At(DateTimeOffset now, TimeSpan? maxAge = null) =>
            OcspResponseVerifier.Verify(response, leaf, _pki.Issuing, request.Nonce, new() { Now = now, MaxAge = maxAge });

        Assert.True(At(Start.AddMinutes(64)).IsAcceptable); // within nextUpdate + 5 min skew
        Assert.Equal(RefusalReason.StaleResponse, At(Start.AddMinutes(66)).Reason);
        Assert.True(At(Start.AddMinutes(-4)).IsAcceptable);
        Assert.Equal(RefusalReason.StaleResponse, At(Start.AddMinutes(-6)).Reason);
        Assert.Equal(RefusalReason.StaleResponse, At(Start.AddMinutes(30), maxAge: TimeSpan.FromMinutes(10)).Reason);
    }

    [Fact]
    public async Task Signed_request_is_answered_without_checking_its_signature()
    {
        using var leaf = _pki.IssueLeaf();
        _statuses[CertificateSerial.Of(leaf)] = OcspCertificateStatus.Good;
        var generator = new OcspReqGenerator();
        generator.AddRequest(OcspCertId.For(leaf, _pki.Issuing).Inner);
        generator.SetRequestorName(new GeneralName(GeneralName.DirectoryName, "CN=requestor"));
        var keys = new Org.BouncyCastle.Crypto.Generators.ECKeyPairGenerator();
        keys.Init(new Org.BouncyCastle.Crypto.KeyGenerationParameters(new Org.BouncyCastle.Security.SecureRandom(), 256));
        var signed = generator.Generate("SHA256withECDSA", keys.GenerateKeyPair().Private, null).GetEncoded();

        var response = await _responder.RespondAsync(signed, TestContext.Current.CancellationToken);

        Assert.True(OcspResponseVerifier.Verify(response, leaf, _pki.Issuing, sentNonce: null).IsAcceptable);
    }

    [Fact]
    public async Task Error_response_is_responder_error()
    {
        var result = OcspResponseVerifier.Verify(OcspResponder.ErrorResponse(OcspRespStatus.TryLater), OcspCertId.For(_pki.Signer, _pki.Issuing),
            _pki.Issuing, null);

        Assert.Equal(RefusalReason.ResponderError, result.Reason);
        Assert.Equal(RefusalReason.ResponderError, OcspResponseVerifier.Verify([0x30, 0x00], _pki.Signer, _pki.Issuing, null).Reason);
        await Task.CompletedTask;
    }

    /// <summary>
    /// Issue 19: one request about several certificates (RFC 6960 §4.1.1). Each CertID asked about is judged by the SingleResponse
    /// for exactly that CertID — asked in another order than the request's, each still gets its own status — and one the response
    /// does not answer is unknown with no status, never another certificate's "good".
    /// </summary>
    [Fact]
    public async Task Batch_each_cert_id_gets_the_status_of_its_own_single_response_SwappedStatusThreat()
    {
        using var good = _pki.IssueLeaf();
        using var revoked = _pki.IssueLeaf();
        using var unknown = _pki.IssueLeaf();
        using var notAsked = _pki.IssueLeaf();
        _statuses[CertificateSerial.Of(good)] = OcspCertificateStatus.Good;
        _statuses[CertificateSerial.Of(revoked)] = OcspCertificateStatus.Revoked(Start.AddHours(-1), 1);
        _statuses[CertificateSerial.Of(notAsked)] = OcspCertificateStatus.Good;
        OcspCertId[] ids = [OcspCertId.For(good, _pki.Issuing), OcspCertId.For(revoked, _pki.Issuing), OcspCertId.For(unknown, _pki.Issuing)];
        var request = OcspRequestBuilder.Build(ids, RandomNumberGenerator.GetBytes(32));

        var response = await _responder.RespondAsync(request.Der, TestContext.Current.CancellationToken);
        var results = OcspResponseVerifier.VerifyEach(response, [ids[2], OcspCertId.For(notAsked, _pki.Issuing), ids[1], ids[0]], _pki.Issuing,
            request.Nonce, new() { Now = Start });

        Assert.Equal(3, Basic(response).Responses.Length);
        Assert.Equal([OcspStatus.Unknown, null, OcspStatus.Revoked, OcspStatus.Good], results.Select(r => r.Status));
        Assert.Equal([RefusalReason.UnknownCertificate, RefusalReason.UnknownCertificate, RefusalReason.Revoked, RefusalReason.None],
            results.Select(r => r.Reason));
        Assert.Equal(Start.AddHours(1), results[3].NextUpdate);
    }

    /// <summary>A batch answer is one signed response with one nonce: replayed to another request (another nonce), every CertID in it is refused.</summary>
    [Fact]
    public async Task Batch_answer_with_another_nonce_refuses_every_cert_id_ReplayedBatchAnswerThreat()
    {
        using var a = _pki.IssueLeaf();
        using var b = _pki.IssueLeaf();
        _statuses[CertificateSerial.Of(a)] = OcspCertificateStatus.Good;
        _statuses[CertificateSerial.Of(b)] = OcspCertificateStatus.Good;
        OcspCertId[] ids = [OcspCertId.For(a, _pki.Issuing), OcspCertId.For(b, _pki.Issuing)];
        var earlier = OcspRequestBuilder.Build(ids, RandomNumberGenerator.GetBytes(32));
        var replayed = await _responder.RespondAsync(earlier.Der, TestContext.Current.CancellationToken);

        var results = OcspResponseVerifier.VerifyEach(replayed, ids, _pki.Issuing, RandomNumberGenerator.GetBytes(32), new() { Now = Start });
        var garbage = OcspResponseVerifier.VerifyEach([0x30, 0x00], ids, _pki.Issuing, null);

        Assert.All(results, r => Assert.Equal(RefusalReason.NonceMismatch, r.Reason));
        Assert.All(garbage, r => Assert.Equal(RefusalReason.ResponderError, r.Reason));
    }

    [Fact]
    public void Batch_builder_refuses_no_cert_id_and_an_out_of_range_nonce()
    {
        using var leaf = _pki.IssueLeaf();
        OcspCertId[] one = [OcspCertId.For(leaf, _pki.Issuing)];

        Assert.Throws<ArgumentException>(() => OcspRequestBuilder.Build(Array.Empty<OcspCertId>(), null));
        Assert.Throws<ArgumentOutOfRangeException>(() => OcspRequestBuilder.Build(one, []));
        Assert.Throws<ArgumentOutOfRangeException>(() => OcspRequestBuilder.Build(one, new byte[129]));
        Assert.Null(OcspRequestBuilder.Build(one, null).Nonce);
    }

    private OcspResponder NewResponder(OcspTestPki pki) =>
        new(pki.Issuing, pki.Signer, (serial, _) => ValueTask.FromResult(_statuses.GetValueOrDefault(serial, OcspCertificateStatus.Unknown)), _time);

    /// <summary>A request whose nonce extension carries <paramref name="nonce"/> as is, whatever its length.</summary>
    private byte[] RequestWithNonce(System.Security.Cryptography.X509Certificates.X509Certificate2 leaf, byte[] nonce)
    {
        var extensions = new X509ExtensionsGenerator();
        extensions.AddExtension(OcspObjectIdentifiers.PkixOcspNonce, false, new DerOctetString(nonce));
        return Request(leaf, extensions.Generate());
    }

    private byte[] Request(System.Security.Cryptography.X509Certificates.X509Certificate2 leaf, X509Extensions extensions)
    {
        var generator = new OcspReqGenerator();
        generator.AddRequest(OcspCertId.For(leaf, _pki.Issuing).Inner);
        generator.SetRequestExtensions(extensions);
        return generator.Generate().GetEncoded();
    }

    private static BasicOcspResp Basic(byte[] response) => (BasicOcspResp)new OcspResp(response).GetResponseObject();
}
