using System.Security.Cryptography.X509Certificates;
using M2MSec.Pki.Authority;

namespace M2MSec.NetworkFunctions.Hosting;

/// <summary>
/// The administrator credentials `serve all` hands its operator: DIR/admin.crt, DIR/admin.key (0600)
/// and DIR/root.pem, DIR/chain.pem — what curl or a script needs for the mutual-TLS admin APIs.
/// </summary>
public static class AdminCredentials
{
    public static async Task WriteAsync(string directory, X509Certificate2 admin, CertificateHierarchy hierarchy, CancellationToken ct)
    {
        Directory.CreateDirectory(directory);
        await File.WriteAllTextAsync(Path.Combine(directory, "admin.crt"), admin.ExportCertificatePem() + "\n", ct).ConfigureAwait(false);
        await File.WriteAllTextAsync(Path.Combine(directory, "root.pem"), hierarchy.Root.ExportCertificatePem() + "\n", ct).ConfigureAwait(false);
        await File.WriteAllTextAsync(Path.Combine(directory, "chain.pem"), hierarchy.Issuing.ExportCertificatePem() + "\n", ct).ConfigureAwait(false);
        var keyPath = Path.Combine(directory, "admin.key");
        File.Delete(keyPath);
        await PemFiles.WritePrivateKeyAsync(keyPath, admin, ct).ConfigureAwait(false);
    }

    /// <summary>Issue 17: the MTC server's identity `serve all` hands out (DIR/mtc-server.crt, DIR/mtc-server.key 0600) for `trigger send`.</summary>
    public static async Task WriteMtcServerAsync(string directory, X509Certificate2 mtcServer, CancellationToken ct)
    {
        await File.WriteAllTextAsync(Path.Combine(directory, MtcServerFile + ".crt"), mtcServer.ExportCertificatePem() + "\n", ct).ConfigureAwait(false);
        var keyPath = Path.Combine(directory, MtcServerFile + ".key");
        File.Delete(keyPath);
        await PemFiles.WritePrivateKeyAsync(keyPath, mtcServer, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Issue 20: the scrape credential `serve all` hands out for /metrics (DIR/metrics.crt, DIR/metrics.key 0600): a certificate
    /// of the role <see cref="NetworkFunctionHost.MetricsScraperRole"/>, good for /metrics and nothing else (docs/decisions/031).
    /// </summary>
    public static async Task WriteMetricsScraperAsync(string directory, X509Certificate2 scraper, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(scraper);
        await File.WriteAllTextAsync(Path.Combine(directory, NetworkFunctionHost.MetricsScraperRole + ".crt"), scraper.ExportCertificatePem() + "\n", ct)
            .ConfigureAwait(false);
        var keyPath = Path.Combine(directory, NetworkFunctionHost.MetricsScraperRole + ".key");
        File.Delete(keyPath);
        await PemFiles.WritePrivateKeyAsync(keyPath, scraper, ct).ConfigureAwait(false);
    }

    /// <summary>The MTC server credentials' file name (without .crt/.key) beside endpoints.json; also its CN and the grants' MTC server id.</summary>
    public const string MtcServerFile = "mtc-server";

    public static NetworkFunctionTls Load(string directory, PeerRevocationChecker? revocation = null)
    {
        var tls = NetworkFunctionTls.Load(Path.Combine(directory, "admin.crt"), Path.Combine(directory, "admin.key"),
            Path.Combine(directory, "chain.pem"), Path.Combine(directory, "root.pem"));
        return revocation is null ? tls : new NetworkFunctionTls(new M2MSec.Pki.Tls.RenewingCertificate(tls.Certificate), tls.TrustRoot!, tls.Intermediates, tls.AdminSubjects, tls.Time)
        {
            Revocation = revocation,
        };
    }
}
