using M2MSec.NetworkFunctions.Hosting;
using M2MSec.Tests.Pki.Tls;

namespace M2MSec.Tests.Hosting;

/// <summary>The network functions' own listeners (Kestrel, mutual TLS) speak the TS 33.310 Annex E profile, as openssl s_client sees it.</summary>
public sealed class NetworkFunctionProfileTests : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("m2msec-nfprofile-").FullName;
    private NetworkFunctionFleet _fleet = null!;

    private string F(string name) => Path.Combine(_dir, "fleet", name);

    public async ValueTask InitializeAsync() =>
        _fleet = await NetworkFunctionCatalog.StartAllAsync(new StoreOptions(Path.Combine(_dir, "fleet"), Path.Combine(_dir, "kek.json")), createKeyRing: true);

    public async ValueTask DisposeAsync()
    {
        await _fleet.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    [Theory]
    [InlineData("-tls1_3", "TLSv1.3")]
    [InlineData("-tls1_2", "TLSv1.2")]
    public async Task Hss_CompletesProfileHandshakes_WithTheAdministratorsCertificate(string flag, string protocol)
    {
        var openssl = OpenSsl.Require();
        var (_, output) = await OpenSsl.ClientAsync(openssl, _fleet[NetworkFunctionRole.Hss].Address.Port, F("root.pem"), flag,
            "-cert", F("admin.crt"), "-key", F("admin.key"), "-cert_chain", F("chain.pem"));
        Assert.Contains("Verify return code: 0 (ok)", output, StringComparison.Ordinal);
        Assert.Contains($"New, {protocol}, Cipher is ", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Hss_RefusesTls11_CbcSuites_AndClientsWithoutCertificate()
    {
        var openssl = OpenSsl.Require();
        var port = _fleet[NetworkFunctionRole.Hss].Address.Port;
        var old = await OpenSsl.ClientAsync(openssl, port, F("root.pem"), "-tls1_1", "-cipher", "DEFAULT:@SECLEVEL=0");
        Assert.Contains("protocol version", old.Output, StringComparison.Ordinal);
        var cbc = await OpenSsl.ClientAsync(openssl, port, F("root.pem"), "-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-SHA256",
            "-cert", F("admin.crt"), "-key", F("admin.key"));
        Assert.Contains("handshake failure", cbc.Output, StringComparison.Ordinal);
        // Without a client certificate no request gets through. (s_client's own exit code races with the
        // server's alert — it may see its side of the handshake finish first — so the proof is the HTTP answer.)
        foreach (var version in new[] { "-tls1_2", "-tls1_3" })
        {
            var anonymous = await OpenSsl.RunAsync(openssl, ["s_client", "-connect", $"127.0.0.1:{port}", "-CAfile", F("root.pem"), "-quiet", version],
                "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
            Assert.DoesNotContain("HTTP/1.1 200", anonymous.Output, StringComparison.Ordinal);
        }
        // The same request with the administrator's certificate is answered: the check above is not vacuous.
        var admitted = await OpenSsl.RunAsync(openssl, ["s_client", "-connect", $"127.0.0.1:{port}", "-CAfile", F("root.pem"), "-quiet", "-tls1_2",
            "-cert", F("admin.crt"), "-key", F("admin.key")], "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
        Assert.Contains("HTTP/1.1 200", admitted.Output, StringComparison.Ordinal);
    }
}
