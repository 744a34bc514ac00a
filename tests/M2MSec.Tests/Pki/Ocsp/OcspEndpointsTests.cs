using System.Net;
using System.Net.Http.Headers;
using M2MSec.NetworkFunctions.Hosting;
using M2MSec.NetworkFunctions.Ocsp;
using M2MSec.Pki;
using M2MSec.Pki.Ocsp;
using Org.BouncyCastle.Ocsp;

namespace M2MSec.Tests.Pki.Ocsp;

/// <summary>OCSP over HTTP (RFC 6960 Appendix A.1): POST, GET, size limit, media type.</summary>
public sealed class OcspEndpointsTests : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("m2msec-ocsp-http-").FullName;
    private readonly OcspTestPki _pki = OcspTestPki.Create();
    private readonly Dictionary<string, OcspCertificateStatus> _statuses = [];
    private readonly HttpClient _http = new();
    private OcspResponder _responder = null!;
    private NetworkFunctionHost _host = null!;

    public async ValueTask InitializeAsync()
    {
        _responder = new OcspResponder(_pki.Issuing, _pki.Signer,
            (serial, _) => ValueTask.FromResult(_statuses.GetValueOrDefault(serial, OcspCertificateStatus.Unknown)), TimeProvider.System);
        _host = await OcspTestHost.StartAsync(_responder, _dir, prefix: "/ocsp");
    }

    public async ValueTask DisposeAsync()
    {
        await _host.DisposeAsync();
        _responder.Dispose();
        _http.Dispose();
        _pki.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task Post_answers_with_ocsp_response()
    {
        using var leaf = _pki.IssueLeaf();
        _statuses[CertificateSerial.Of(leaf)] = OcspCertificateStatus.Good;
        var request = OcspRequestBuilder.Build(leaf, _pki.Issuing);

        using var answer = await PostAsync(request.Der);

        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        Assert.Equal(OcspEndpoints.ResponseMediaType, answer.Content.Headers.ContentType?.MediaType);
        var response = await answer.Content.ReadAsByteArrayAsync(TestContext.Current.CancellationToken);
        Assert.Equal(response.Length, answer.Content.Headers.ContentLength);
        Assert.True(OcspResponseVerifier.Verify(response, request.CertId, _pki.Issuing, request.Nonce, new() { Now = DateTimeOffset.UtcNow }).IsAcceptable);
    }

    [Fact]
    public async Task Query_clients_async_and_blocking_get_verifiable_answers()
    {
        using var leaf = _pki.IssueLeaf();
        _statuses[CertificateSerial.Of(leaf)] = OcspCertificateStatus.Good;
        var url = new Uri(_host.Address, "/ocsp/");
        var first = OcspRequestBuilder.Build(leaf, _pki.Issuing);
        var second = OcspRequestBuilder.Build(leaf, _pki.Issuing);

        var viaAsync = await OcspEndpoints.QueryAsync(_http, url, first.Der, TestContext.Current.CancellationToken);
        var viaBlocking = await Task.Run(() => OcspEndpoints.Query(_http, url, second.Der), TestContext.Current.CancellationToken);

        Assert.True(OcspResponseVerifier.Verify(viaAsync, first.CertId, _pki.Issuing, first.Nonce, new() { Now = DateTimeOffset.UtcNow }).IsAcceptable);
        Assert.True(OcspResponseVerifier.Verify(viaBlocking, second.CertId, _pki.Issuing, second.Nonce, new() { Now = DateTimeOffset.UtcNow }).IsAcceptable);
    }

    [Theory]
    [InlineData("application/ocsp-request", true)]
    [InlineData("Application/OCSP-Request", true)]
    [InlineData("application/ocsp-request; charset=binary", true)]
    [InlineData(" application/ocsp-request ;x=y", true)]
    [InlineData("application/ocsp-requestx", false)]
    [InlineData("application/ocsp-response", false)]
    [InlineData("application/ocsp", false)]
    [InlineData(";application/ocsp-request", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    public void Request_media_type_is_compared_without_its_parameters(string? contentType, bool expected) =>
        Assert.Equal(expected, OcspEndpoints.IsOcspRequestType(contentType));

    [Fact]
    public async Task Get_with_url_encoded_base64_or_base64url_works()
    {
        using var leaf = _pki.IssueLeaf();
        _statuses[CertificateSerial.Of(leaf)] = OcspCertificateStatus.Revoked(DateTimeOffset.UtcNow.AddHours(-1));
        // Try nonces until the base64 has a '/' (sent as %2F) to exercise URL-encoding and the url-safe alphabet.
        OcspRequest request;
        do
            request = OcspRequestBuilder.Build(leaf, _pki.Issuing, 16);
        while (!Convert.ToBase64String(request.Der).Contains('/', StringComparison.Ordinal));
        var base64Url = Convert.ToBase64String(request.Der).TrimEnd('=').Replace('+', '-').Replace('/', '_');

        foreach (var path in new[] { request.ToGetPathSegment(), base64Url })
        {
            using var answer = await _http.GetAsync(new Uri(_host.Address, "/ocsp/" + path), TestContext.Current.CancellationToken);

            Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
            var response = await answer.Content.ReadAsByteArrayAsync(TestContext.Current.CancellationToken);
            Assert.Equal(OcspStatus.Revoked, OcspResponseVerifier.Verify(response, leaf, _pki.Issuing, request.Nonce).Status);
        }
    }

    [Fact]
    public async Task Get_with_unencoded_slashes_in_base64_works()
    {
        using var leaf = _pki.IssueLeaf();
        _statuses[CertificateSerial.Of(leaf)] = OcspCertificateStatus.Good;
        OcspRequest request;
        do
            request = OcspRequestBuilder.Build(leaf, _pki.Issuing, 16);
        while (!Convert.ToBase64String(request.Der).Contains('/', StringComparison.Ordinal));

        using var answer = await _http.GetAsync(new Uri(_host.Address, "/ocsp/" + Convert.ToBase64String(request.Der).Replace("+", "%2B", StringComparison.Ordinal)),
            TestContext.Current.CancellationToken);

        var response = await answer.Content.ReadAsByteArrayAsync(TestContext.Current.CancellationToken);
        Assert.True(OcspResponseVerifier.Verify(response, leaf, _pki.Issuing, request.Nonce).IsAcceptable);
    }

    [Fact]
    public async Task Get_with_non_base64_is_malformed_request()
    {
        using var answer = await _http.GetAsync(new Uri(_host.Address, "/ocsp/not*base64"), TestContext.Current.CancellationToken);

        Assert.Equal(OcspRespStatus.MalformedRequest, await OcspStatusOfAsync(answer));
    }

    [Fact]
    public async Task Body_over_64_KiB_is_malformed_request()
    {
        using var answer = await PostAsync(new byte[OcspEndpoints.MaxRequestBytes + 1]);

        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        Assert.Equal(OcspRespStatus.MalformedRequest, await OcspStatusOfAsync(answer));
    }

    [Fact]
    public async Task Garbage_body_is_malformed_request()
    {
        using var answer = await PostAsync([1, 2, 3, 4]);

        Assert.Equal(OcspRespStatus.MalformedRequest, await OcspStatusOfAsync(answer));
    }

    [Fact]
    public async Task Post_of_other_media_type_is_415()
    {
        using var leaf = _pki.IssueLeaf();
        using var content = new ByteArrayContent(OcspRequestBuilder.Build(leaf, _pki.Issuing).Der);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");

        using var answer = await _http.PostAsync(new Uri(_host.Address, "/ocsp/"), content, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, answer.StatusCode);
        // An RFC 9457 problem naming the field, not an OCSP response: the body was never read.
        Assert.Equal("application/problem+json", answer.Content.Headers.ContentType?.MediaType);
        var problem = await answer.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.Contains("urn:m2msec:error:bad-content-type", problem);
        Assert.Contains("content-type: expected application/ocsp-request", problem);
    }

    private async Task<HttpResponseMessage> PostAsync(byte[] body)
    {
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue(OcspEndpoints.RequestMediaType);
        return await _http.PostAsync(new Uri(_host.Address, "/ocsp/"), content, TestContext.Current.CancellationToken);
    }

    private static async Task<int> OcspStatusOfAsync(HttpResponseMessage answer) =>
        new OcspResp(await answer.Content.ReadAsByteArrayAsync(TestContext.Current.CancellationToken)).Status;
}
