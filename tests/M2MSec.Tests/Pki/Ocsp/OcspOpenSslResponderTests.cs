using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using M2MSec.Pki;
using M2MSec.Pki.Ocsp;
using M2MSec.Pki.Validation;
using M2MSec.Tests.Support;

namespace M2MSec.Tests.Pki.Ocsp;

/// <summary>
/// The OpenSSL CLI as responder (`openssl ocsp -index … -reqin … -respout …`, no listener) for
/// our request builder and response verifier.
/// </summary>
public sealed class OcspOpenSslResponderTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("m2msec-ocsp-responder-").FullName;
    private readonly OcspTestPki _pki = OcspTestPki.Create();
    private readonly List<string> _index = [];

    public OcspOpenSslResponderTests()
    {
        OcspTestPki.WritePem(_pki.Issuing, _dir, "issuing");
        OcspTestPki.WritePem(_pki.Signer, _dir, "signer");
    }

    public void Dispose()
    {
        _pki.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task Good_entry_with_echoed_nonce_is_acceptable()
    {
        using var leaf = _pki.IssueLeaf();
        AddToIndex(leaf, revokedAt: null);
        var request = OcspRequestBuilder.Build(leaf, _pki.Issuing);

        var response = await AnswerAsync(request, "signer");
        var result = OcspResponseVerifier.Verify(response, request.CertId, _pki.Issuing, request.Nonce, new() { Now = DateTimeOffset.UtcNow });

        Assert.Equal(RefusalReason.None, result.Reason);
        Assert.Equal(OcspStatus.Good, result.Status);
        Assert.Null(result.NextUpdate); // no -nmin/-ndays: "fresh information is always available"
    }

    [Fact]
    public async Task Revoked_entry_is_revoked_with_time_and_reason()
    {
        using var leaf = _pki.IssueLeaf();
        var revokedAt = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.AddDays(-3).ToUnixTimeSeconds());
        AddToIndex(leaf, revokedAt, "keyCompromise");
        var request = OcspRequestBuilder.Build(leaf, _pki.Issuing);

        var result = OcspResponseVerifier.Verify(await AnswerAsync(request, "signer"), leaf, _pki.Issuing, request.Nonce,
            new() { Now = DateTimeOffset.UtcNow });

        Assert.Equal(RefusalReason.Revoked, result.Reason);
        Assert.Equal(revokedAt, result.RevokedAt);
        Assert.Equal(1, result.RevocationReason);
    }

    [Fact]
    public async Task Serial_missing_from_index_is_unknown_certificate()
    {
        using var leaf = _pki.IssueLeaf();
        using var other = _pki.IssueLeaf("other");
        AddToIndex(other, revokedAt: null);
        var request = OcspRequestBuilder.Build(leaf, _pki.Issuing);

        var result = OcspResponseVerifier.Verify(await AnswerAsync(request, "signer"), leaf, _pki.Issuing, request.Nonce);

        Assert.Equal(RefusalReason.UnknownCertificate, result.Reason);
        Assert.Equal(OcspStatus.Unknown, result.Status);
    }

    [Fact]
    public async Task Signer_without_ocsp_signing_eku_is_unauthorised_responder()
    {
        using var leaf = _pki.IssueLeaf();
        using var notASigner = _pki.IssueLeaf("not-a-signer");
        OcspTestPki.WritePem(notASigner, _dir, "not-a-signer");
        AddToIndex(leaf, revokedAt: null);
        var request = OcspRequestBuilder.Build(leaf, _pki.Issuing);

        var result = OcspResponseVerifier.Verify(await AnswerAsync(request, "not-a-signer"), leaf, _pki.Issuing, request.Nonce);

        Assert.Equal(RefusalReason.UnauthorisedResponder, result.Reason);
    }

    [Fact]
    public async Task Other_nonce_than_sent_is_nonce_mismatch()
    {
        using var leaf = _pki.IssueLeaf();
        AddToIndex(leaf, revokedAt: null);
        var request = OcspRequestBuilder.Build(leaf, _pki.Issuing);

        var result = OcspResponseVerifier.Verify(await AnswerAsync(request, "signer"), leaf, _pki.Issuing, RandomNumberGenerator.GetBytes(32));

        Assert.Equal(RefusalReason.NonceMismatch, result.Reason);
    }

    [Fact]
    public async Task Request_without_nonce_answered_without_nonce_is_no_nonce_when_one_is_expected()
    {
        using var leaf = _pki.IssueLeaf();
        AddToIndex(leaf, revokedAt: null);
        var request = OcspRequestBuilder.Build(leaf, _pki.Issuing, nonceLength: null);
        var response = await AnswerAsync(request, "signer");

        Assert.True(OcspResponseVerifier.Verify(response, leaf, _pki.Issuing, sentNonce: null).IsAcceptable);
        Assert.Equal(RefusalReason.NoNonce, OcspResponseVerifier.Verify(response, leaf, _pki.Issuing, RandomNumberGenerator.GetBytes(32)).Reason);
    }

    [Fact]
    public async Task Nmin_sets_next_update_after_which_the_response_is_stale()
    {
        using var leaf = _pki.IssueLeaf();
        AddToIndex(leaf, revokedAt: null);
        var request = OcspRequestBuilder.Build(leaf, _pki.Issuing);
        var before = DateTimeOffset.UtcNow.AddSeconds(-1);

        var response = await AnswerAsync(request, "signer", "-nmin", "30");
        var fresh = OcspResponseVerifier.Verify(response, leaf, _pki.Issuing, request.Nonce, new() { Now = DateTimeOffset.UtcNow });

        Assert.True(fresh.IsAcceptable);
        Assert.InRange(fresh.NextUpdate!.Value - fresh.ThisUpdate!.Value, TimeSpan.FromMinutes(29), TimeSpan.FromMinutes(31));
        Assert.True(fresh.ThisUpdate >= before.AddSeconds(-1));
        Assert.Equal(RefusalReason.StaleResponse, OcspResponseVerifier.Verify(response, leaf, _pki.Issuing, request.Nonce,
            new() { Now = DateTimeOffset.UtcNow.AddMinutes(40) }).Reason);
    }

    [Fact]
    public async Task Ndays_sets_next_update_in_days()
    {
        using var leaf = _pki.IssueLeaf();
        AddToIndex(leaf, revokedAt: null);
        var request = OcspRequestBuilder.Build(leaf, _pki.Issuing);

        var result = OcspResponseVerifier.Verify(await AnswerAsync(request, "signer", "-ndays", "2"), leaf, _pki.Issuing, request.Nonce,
            new() { Now = DateTimeOffset.UtcNow.AddDays(1) });

        Assert.True(result.IsAcceptable);
        Assert.InRange(result.NextUpdate!.Value - result.ThisUpdate!.Value, TimeSpan.FromDays(2) - TimeSpan.FromMinutes(1), TimeSpan.FromDays(2) + TimeSpan.FromMinutes(1));
    }

    /// <summary>
    /// Issue 19, interop: one request about three certificates (RFC 6960 §4.1.1) answered by OpenSSL in one signed response;
    /// each CertID gets the status of its own index line.
    /// </summary>
    [Fact]
    public async Task Batch_request_is_answered_for_each_cert_id()
    {
        using var good = _pki.IssueLeaf("good");
        using var revoked = _pki.IssueLeaf("revoked");
        using var unknown = _pki.IssueLeaf("unknown");
        AddToIndex(good, revokedAt: null);
        AddToIndex(revoked, DateTimeOffset.UtcNow.AddDays(-1), "keyCompromise");
        OcspCertId[] ids = [OcspCertId.For(good, _pki.Issuing), OcspCertId.For(revoked, _pki.Issuing), OcspCertId.For(unknown, _pki.Issuing)];
        var request = OcspRequestBuilder.Build(ids, RandomNumberGenerator.GetBytes(32));

        var results = OcspResponseVerifier.VerifyEach(await AnswerAsync(request.Der, "signer"), ids, _pki.Issuing, request.Nonce,
            new() { Now = DateTimeOffset.UtcNow });

        Assert.Equal([OcspStatus.Good, OcspStatus.Revoked, OcspStatus.Unknown], results.Select(r => r.Status));
        Assert.Equal([RefusalReason.None, RefusalReason.Revoked, RefusalReason.UnknownCertificate], results.Select(r => r.Reason));
    }

    /// <summary>One line of the OpenSSL CA database: V|R, expiry, revocation[,reason], SERIAL (upper hex), file, subject.</summary>
    private void AddToIndex(X509Certificate2 certificate, DateTimeOffset? revokedAt, string? reason = null)
    {
        static string Time(DateTimeOffset t) => t.UtcDateTime.ToString("yyMMddHHmmss", CultureInfo.InvariantCulture) + "Z";
        var revocation = revokedAt is { } at ? Time(at) + (reason is null ? "" : "," + reason) : "";
        _index.Add(string.Join('\t', revokedAt is null ? "V" : "R", Time(certificate.NotAfter), revocation,
            CertificateSerial.Of(certificate).ToUpperInvariant(), "unknown", "/" + certificate.Subject.Replace(", ", "/", StringComparison.Ordinal)));
    }

    private Task<byte[]> AnswerAsync(OcspRequest request, string signer, params string[] extra) => AnswerAsync(request.Der, signer, extra);

    private async Task<byte[]> AnswerAsync(byte[] requestDer, string signer, params string[] extra)
    {
        var openssl = ExternalTool.Require("openssl", "Debian package openssl");
        var index = Path.Combine(_dir, "index.txt");
        var requestFile = Path.Combine(_dir, "req.der");
        var responseFile = Path.Combine(_dir, "resp.der");
        await File.WriteAllLinesAsync(index, _index, TestContext.Current.CancellationToken);
        await File.WriteAllBytesAsync(requestFile, requestDer, TestContext.Current.CancellationToken);

        var (exit, stdout, stderr) = await ExternalTool.RunAsync(openssl,
        [
            "ocsp", "-index", index, "-CA", Path.Combine(_dir, "issuing.pem"),
            "-rsigner", Path.Combine(_dir, signer + ".pem"), "-rkey", Path.Combine(_dir, signer + ".key"),
            "-reqin", requestFile, "-respout", responseFile, .. extra,
        ]);
        Assert.True(exit == 0, stdout + stderr);
        return await File.ReadAllBytesAsync(responseFile, TestContext.Current.CancellationToken);
    }
}
