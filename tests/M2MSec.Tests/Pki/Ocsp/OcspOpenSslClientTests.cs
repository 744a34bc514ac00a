using M2MSec.Pki;
using M2MSec.Pki.Ocsp;
using M2MSec.Tests.Support;

namespace M2MSec.Tests.Pki.Ocsp;

/// <summary>The OpenSSL CLI (`openssl ocsp -url`) as client of our responder over HTTP.</summary>
public sealed class OcspOpenSslClientTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("m2msec-ocsp-client-").FullName;
    private readonly Dictionary<string, OcspCertificateStatus> _statuses = [];

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData(TestKeyKind.P256)]
    [InlineData(TestKeyKind.P384)]
    [InlineData(TestKeyKind.Rsa2048)]
    public async Task Openssl_verifies_good_answer_with_nonce(TestKeyKind kind)
    {
        using var pki = OcspTestPki.Create(kind);
        using var leaf = pki.IssueLeaf();
        _statuses[CertificateSerial.Of(leaf)] = OcspCertificateStatus.Good;

        var output = await QueryAsync(pki, leaf);

        Assert.Contains("Response verify OK", output, StringComparison.Ordinal);
        Assert.Contains("leaf.pem: good", output, StringComparison.Ordinal);
        Assert.Contains("Next Update:", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Openssl_sees_revoked_with_reason()
    {
        using var pki = OcspTestPki.Create(TestKeyKind.Rsa3072);
        using var leaf = pki.IssueLeaf();
        _statuses[CertificateSerial.Of(leaf)] = OcspCertificateStatus.Revoked(DateTimeOffset.UtcNow.AddDays(-1), 1);

        var output = await QueryAsync(pki, leaf);

        Assert.Contains("Response verify OK", output, StringComparison.Ordinal);
        Assert.Contains("leaf.pem: revoked", output, StringComparison.Ordinal);
        Assert.Contains("Reason: keyCompromise", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Openssl_sees_unknown_serial_as_unknown()
    {
        using var pki = OcspTestPki.Create();
        using var leaf = pki.IssueLeaf();

        var output = await QueryAsync(pki, leaf);

        Assert.Contains("Response verify OK", output, StringComparison.Ordinal);
        Assert.Contains("leaf.pem: unknown", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Openssl_rejects_answer_signed_by_another_cas_responder()
    {
        using var pki = OcspTestPki.Create();
        using var other = OcspTestPki.Create(name: "Other");
        using var leaf = pki.IssueLeaf();
        _statuses[CertificateSerial.Of(leaf)] = OcspCertificateStatus.Good;

        var output = await QueryAsync(pki, leaf, signer: other.Signer, expectSuccess: false);

        Assert.Contains("Response Verify Failure", output, StringComparison.Ordinal);
        Assert.DoesNotContain("Response verify OK", output, StringComparison.Ordinal);
    }

    private async Task<string> QueryAsync(OcspTestPki pki, System.Security.Cryptography.X509Certificates.X509Certificate2 leaf,
        System.Security.Cryptography.X509Certificates.X509Certificate2? signer = null, bool expectSuccess = true)
    {
        var openssl = ExternalTool.Require("openssl", "Debian package openssl");
        OcspTestPki.WritePem(pki.Root, _dir, "root");
        OcspTestPki.WritePem(pki.Issuing, _dir, "issuing");
        OcspTestPki.WritePem(leaf, _dir, "leaf");
        using var responder = new OcspResponder(pki.Issuing, signer ?? pki.Signer,
            (serial, _) => ValueTask.FromResult(_statuses.GetValueOrDefault(serial, OcspCertificateStatus.Unknown)), TimeProvider.System);
        await using var host = await OcspTestHost.StartAsync(responder, Path.Combine(_dir, "host"));

        var (exit, stdout, stderr) = await ExternalTool.RunAsync(openssl,
        [
            "ocsp", "-issuer", Path.Combine(_dir, "issuing.pem"), "-cert", Path.Combine(_dir, "leaf.pem"),
            "-url", host.Address.ToString(), "-nonce", "-CAfile", Path.Combine(_dir, "root.pem"),
            // The issuing CA as untrusted intermediate, so the responder chain builds up to the root.
            "-verify_other", Path.Combine(_dir, "issuing.pem"),
        ]);
        var output = stdout + stderr;
        if (expectSuccess)
            Assert.True(exit == 0, output);
        return output.Replace(Path.Combine(_dir, "leaf.pem"), "leaf.pem", StringComparison.Ordinal);
    }
}
