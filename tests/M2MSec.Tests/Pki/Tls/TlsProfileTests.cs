using System.Net.Security;
using System.Runtime.Versioning;
using System.Security.Authentication;
using System.Text.RegularExpressions;
using M2MSec.Pki.Tls;

namespace M2MSec.Tests.Pki.Tls;

/// <summary>The SslStream server under the TS 33.310 Annex E / TS 33.210 §6.2 profile, probed with openssl s_client.</summary>
public sealed partial class TlsProfileTests
{
    /// <summary>OpenSSL's names for the profile's suites.</summary>
    private static readonly HashSet<string> ProfileSuiteNames =
    [
        "TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256",
        "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-RSA-AES128-GCM-SHA256",
        "ECDHE-RSA-AES256-GCM-SHA384", "ECDHE-ECDSA-CHACHA20-POLY1305", "ECDHE-RSA-CHACHA20-POLY1305",
    ];

    [GeneratedRegex(@"New, (TLSv1\.[0-3]), Cipher is (\S+)")]
    private static partial Regex NewSession();

    [Theory]
    [InlineData("-tls1_3", "TLSv1.3", SslProtocols.Tls13)]
    [InlineData("-tls1_2", "TLSv1.2", SslProtocols.Tls12)]
    public async Task OpenSsl_completes_handshake_with_a_profile_suite_and_verifies_the_chain(string flag, string expected, SslProtocols protocol)
    {
        var openssl = OpenSsl.Require();
        using var pki = TestPki.Create("ecdsa");
        var leaf = pki.Issue("server");
        await using var server = TlsTestServer.Start(TlsProfile.CreateServerOptions(leaf.Certificate));

        var (_, output) = await OpenSsl.ClientAsync(openssl, server.Port, pki.RootPem.Cert, flag);

        var session = NewSession().Match(output);
        Assert.True(session.Success, output);
        Assert.Equal(expected, session.Groups[1].Value);
        Assert.Contains(session.Groups[2].Value, ProfileSuiteNames);
        Assert.Contains("Verify return code: 0 (ok)", output);
        var outcome = await server.NextOutcomeAsync();
        Assert.True(outcome.Authenticated, outcome.Error?.ToString());
        Assert.Equal(protocol, outcome.Protocol);
        Assert.True(TlsProfile.IsProfileSuite(outcome.CipherSuite));
    }

    [Fact]
    public async Task OpenSsl_tls11_gets_protocol_version_alert()
    {
        var openssl = OpenSsl.Require();
        using var pki = TestPki.Create("ecdsa");
        await using var server = TlsTestServer.Start(TlsProfile.CreateServerOptions(pki.Issue("server").Certificate));

        var (exit, output) = await OpenSsl.ClientAsync(openssl, server.Port, pki.RootPem.Cert, "-tls1_1", "-cipher", "DEFAULT:@SECLEVEL=0");

        Assert.NotEqual(0, exit);
        Assert.Contains("protocol version", output);
        Assert.DoesNotMatch(NewSession(), output);
        Assert.False((await server.NextOutcomeAsync()).Authenticated);
    }

    [Theory]
    [InlineData(false, "ECDHE-ECDSA-AES128-SHA256")] // CBC
    [InlineData(true, "AES128-GCM-SHA256")] // static RSA key exchange, no ECDHE
    [InlineData(true, "ECDHE-RSA-AES128-SHA")] // CBC with SHA-1
    public async Task OpenSsl_non_profile_tls12_suite_is_refused(bool rsa, string cipher)
    {
        var openssl = OpenSsl.Require();
        using var pki = TestPki.Create(rsa ? "rsa" : "ecdsa", rsa);
        await using var server = TlsTestServer.Start(TlsProfile.CreateServerOptions(pki.Issue("server", rsa).Certificate));

        var (exit, output) = await OpenSsl.ClientAsync(openssl, server.Port, pki.RootPem.Cert, "-tls1_2", "-cipher", cipher);

        Assert.NotEqual(0, exit);
        Assert.Contains("handshake failure", output);
        Assert.False((await server.NextOutcomeAsync()).Authenticated);
    }

    [Fact]
    public async Task Rsa_certificate_negotiates_ecdhe_rsa_aes128_gcm()
    {
        var openssl = OpenSsl.Require();
        using var pki = TestPki.Create("rsa", rsa: true);
        await using var server = TlsTestServer.Start(TlsProfile.CreateServerOptions(pki.Issue("server", rsa: true).Certificate));

        var (_, output) = await OpenSsl.ClientAsync(openssl, server.Port, pki.RootPem.Cert, "-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256");

        Assert.Contains("New, TLSv1.2, Cipher is ECDHE-RSA-AES128-GCM-SHA256", output);
        Assert.Contains("Verify return code: 0 (ok)", output);
        var outcome = await server.NextOutcomeAsync();
        Assert.Equal(TlsCipherSuite.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, outcome.CipherSuite);
    }

    [Theory]
    [InlineData("P-256", "-tls1_3", false, "prime256v1, 256 bits")]
    [InlineData("P-384", "-tls1_3", false, "secp384r1, 384 bits")]
    [InlineData("P-256", "-tls1_2", false, "prime256v1, 256 bits")]
    // TLS 1.2: the client's groups also constrain an ECDSA certificate's curve (RFC 8422 §5.1), so
    // P-384 alone fails against a P-256 leaf; an RSA leaf shows the P-384 key exchange.
    [InlineData("P-384", "-tls1_2", true, "secp384r1, 384 bits")]
    public async Task Profile_groups_are_accepted(string group, string flag, bool rsa, string tempKey)
    {
        var openssl = OpenSsl.Require();
        using var pki = TestPki.Create(rsa ? "rsa" : "ecdsa", rsa);
        await using var server = TlsTestServer.Start(TlsProfile.CreateServerOptions(pki.Issue("server", rsa).Certificate));

        var (_, output) = await OpenSsl.ClientAsync(openssl, server.Port, pki.RootPem.Cert, flag, "-groups", group);

        Assert.True(output.Contains($"Server Temp Key: ECDH, {tempKey}", StringComparison.Ordinal), output);
        Assert.Contains("Verify return code: 0 (ok)", output);
        Assert.True((await server.NextOutcomeAsync()).Authenticated);
    }

    /// <summary>Documents the limitation in <see cref="TlsProfile"/>'s remarks: SslStream cannot restrict groups.</summary>
    [Fact]
    public async Task SslStream_does_not_restrict_groups_so_x25519_is_still_accepted()
    {
        var openssl = OpenSsl.Require();
        using var pki = TestPki.Create("ecdsa");
        await using var server = TlsTestServer.Start(TlsProfile.CreateServerOptions(pki.Issue("server").Certificate));

        var (_, output) = await OpenSsl.ClientAsync(openssl, server.Port, pki.RootPem.Cert, "-tls1_3", "-groups", "X25519");

        Assert.Contains("Server Temp Key: X25519", output);
        Assert.True((await server.NextOutcomeAsync()).Authenticated);
    }

    /// <summary>
    /// Issue 19: the server's certificate context (its chain, built offline) was built for every connection — a chain
    /// build sorting the system trust store, ≈ 11 % of the DM server's CPU per full-handshake session. One per
    /// certificate now: the next connection gets the same context; a renewed certificate (a new object) or other
    /// intermediates get their own, so a renewal is served at once.
    /// </summary>
    [Fact]
    [UnsupportedOSPlatform("windows")]
    public void Server_certificate_context_is_built_once_per_certificate_not_per_connection_IssueNineteen()
    {
        using var pki = TestPki.Create("ecdsa");
        var certificate = pki.Issue("server").Certificate;
        var renewed = pki.Issue("server").Certificate;
        var intermediates = new System.Security.Cryptography.X509Certificates.X509Certificate2Collection();

        var first = TlsProfile.CreateServerOptions(certificate, intermediates).ServerCertificateContext;
        var second = TlsProfile.CreateServerOptions(certificate, intermediates, resumable: true).ServerCertificateContext;
        var afterRenewal = TlsProfile.CreateServerOptions(renewed, intermediates).ServerCertificateContext;
        var otherChain = TlsProfile.CreateServerOptions(certificate, []).ServerCertificateContext;

        Assert.NotNull(first);
        Assert.Same(first, second);
        Assert.Same(certificate, first.TargetCertificate);
        Assert.NotSame(first, afterRenewal);
        Assert.Same(renewed, afterRenewal!.TargetCertificate);
        Assert.NotSame(first, otherChain);
    }

    [Fact]
    [UnsupportedOSPlatform("windows")]
    public void Server_options_follow_the_profile()
    {
        using var pki = TestPki.Create("ecdsa");
        var options = TlsProfile.CreateServerOptions(pki.Issue("server").Certificate);

        Assert.False(options.AllowRenegotiation);
        Assert.Equal(SslProtocols.Tls12 | SslProtocols.Tls13, options.EnabledSslProtocols);
        Assert.False(options.ClientCertificateRequired);
        Assert.Equal(TlsProfile.CipherSuites.Order(), options.CipherSuitesPolicy!.AllowedCipherSuites!.Order());
        Assert.Equal(9, TlsProfile.CipherSuites.Count);
    }

    [Fact]
    public async Task OpenSsl_renegotiation_request_is_not_honoured()
    {
        var openssl = OpenSsl.Require();
        using var pki = TestPki.Create("ecdsa");
        await using var server = TlsTestServer.Start(TlsProfile.CreateServerOptions(pki.Issue("server").Certificate), greet: false);

        // "R" asks s_client to renegotiate; the server must refuse (no_renegotiation or a closed connection).
        var (_, output) = await OpenSsl.RunAsync(openssl, ["s_client", "-connect", $"127.0.0.1:{server.Port}", "-CAfile", pki.RootPem.Cert, "-tls1_2"], "R\n", 15);

        var after = output.IndexOf("RENEGOTIATING", StringComparison.Ordinal);
        Assert.True(after > 0, output);
        Assert.Contains(":error:", output[after..]);
        Assert.DoesNotContain("verify return", output[after..]);
        var outcome = await server.NextOutcomeAsync();
        Assert.NotNull(outcome.Error);
    }
}
