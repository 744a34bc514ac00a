using System.Text.RegularExpressions;
using M2MSec.NetworkFunctions.Dm;
using M2MSec.NetworkFunctions.Hosting;
using M2MSec.Pki.Authority;
using M2MSec.Pki.Tls;
using M2MSec.Storage.InMemory;
using M2MSec.Tests.Pki.Tls;

namespace M2MSec.Tests.Hosting;

/// <summary>
/// TLS session resumption on the DM listener, as openssl s_client sees it: the strict profile
/// listener never resumes (a .NET suite policy turns OpenSSL's session cache and tickets off); the
/// resumable one does, for TLS 1.2 and 1.3, and closes a connection on a non-profile suite before
/// it answers a request.
/// </summary>
public sealed partial class DmListenerResumptionTests : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("m2msec-dmresume-").FullName;
    private NetworkFunctionHost _strict = null!;
    private NetworkFunctionHost _resumable = null!;

    private string Root => Path.Combine(_dir, "root.pem");

    public async ValueTask InitializeAsync()
    {
        var hierarchy = await CertificateHierarchy.InitAsync(new InMemoryCertificateStore(TimeProvider.System), "operator", KeyAlgorithm.EcP256, null, TimeProvider.System);
        var cert = await hierarchy.IssueAsync(CertificateProfile.DmServer, new CertificateSubject("localhost", ["127.0.0.1"]));
        await File.WriteAllTextAsync(Root, hierarchy.Root.ExportCertificatePem());
        _strict = await StartAsync(NetworkFunctionTls.ServerOnly(new RenewingCertificate(cert), [hierarchy.Issuing]), "strict");
        _resumable = await StartAsync(NetworkFunctionTls.ServerOnly(new RenewingCertificate(cert), [hierarchy.Issuing], resumption: true), "resumable");
    }

    private Task<NetworkFunctionHost> StartAsync(NetworkFunctionTls tls, string name) =>
        NetworkFunctionHost.StartAsync(new DmFunction(new DmFunctionOptions()), Path.Combine(_dir, name), new InMemoryStateStore(), "https://127.0.0.1:0", tls: tls);

    public async ValueTask DisposeAsync()
    {
        await _strict.DisposeAsync();
        await _resumable.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    [GeneratedRegex(@"^(New|Reused), TLSv1\.[23], Cipher is ", RegexOptions.Multiline)]
    private static partial Regex Handshake();

    /// <summary>
    /// Six connections, each but the first offering the session the one before saved (-sess_in/-sess_out).
    /// Each sends a request and reads the answer, so TLS 1.3 tickets (sent after the handshake) are read
    /// too — s_client -reconnect leaves before they arrive. (A session without an ID or a ticket, as the
    /// strict listener's, is not saved at all.)
    /// </summary>
    private async Task<List<string>> ConnectSixTimesAsync(NetworkFunctionHost host, string version)
    {
        var session = Path.Combine(_dir, $"session-{Guid.NewGuid():N}.pem");
        var kinds = new List<string>();
        for (var i = 0; i < 6; i++)
        {
            var (_, output) = await OpenSsl.RunAsync(OpenSsl.Require(), ["s_client", "-connect", $"127.0.0.1:{host.Address.Port}", "-servername", "localhost",
                "-CAfile", Root, "-verify_return_error", "-ign_eof", version, "-sess_out", session, .. File.Exists(session) ? ["-sess_in", session] : Array.Empty<string>()],
                "GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
            Assert.Contains("HTTP/1.1 200", output, StringComparison.Ordinal);
            kinds.Add(Handshake().Match(output).Groups[1].Value);
        }
        return kinds;
    }

    [Theory]
    [InlineData("-tls1_2")]
    [InlineData("-tls1_3")]
    public async Task ResumableListener_ResumesSessions_StrictOneNever(string version)
    {
        Assert.Equal(["New", "Reused", "Reused", "Reused", "Reused", "Reused"], await ConnectSixTimesAsync(_resumable, version));
        Assert.Equal(["New", "New", "New", "New", "New", "New"], await ConnectSixTimesAsync(_strict, version));
    }

    [Fact]
    public async Task ResumableListener_AnswersNothing_OnANonProfileSuite()
    {
        var openssl = OpenSsl.Require();
        const string request = "GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
        string[] connect = ["s_client", "-connect", $"127.0.0.1:{_resumable.Address.Port}", "-CAfile", Root, "-quiet", "-tls1_2"];
        // Without a suite policy OpenSSL's defaults include CBC suites: the handshake may complete, the request is never read.
        var cbc = await OpenSsl.RunAsync(openssl, [.. connect, "-cipher", "ECDHE-ECDSA-AES128-SHA256"], request);
        Assert.DoesNotContain("HTTP/1.1 200", cbc.Output, StringComparison.Ordinal);
        // The same request on a profile suite is answered: the check above is not vacuous.
        var gcm = await OpenSsl.RunAsync(openssl, [.. connect, "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256"], request);
        Assert.Contains("HTTP/1.1 200", gcm.Output, StringComparison.Ordinal);
    }
}
