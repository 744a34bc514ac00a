using System.Net.Http.Json;
using System.Security.Cryptography.X509Certificates;
using M2MSec.NetworkFunctions.Hosting;
using M2MSec.Pki.Authority;

namespace M2MSec.NetworkFunctions.Ocsp;

/// <summary>
/// A server's side of certificate renewal through the PKI's admin API: a fresh key made here,
/// only its CSR sent, the certificate returned with the key attached. Plug it into
/// <see cref="M2MSec.Pki.Tls.RenewingCertificate"/> so short-lived certificates renew themselves.
/// </summary>
public sealed class PkiAdminClient(HttpClient http)
{
    public async Task<X509Certificate2> IssueAsync(CertificateProfile profile, CertificateSubject subject, KeyAlgorithm algorithm = KeyAlgorithm.EcP256,
        int? days = null, string? role = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(subject);
        using var key = algorithm.Generate();
        var csr = SigningRequests.Create(key, subject);
        using var response = await http.PostAsJsonAsync(new Uri("admin/certificates", UriKind.Relative),
            new { csr_pem = csr, profile = profile.Name(), days, role }, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
            throw new HttpRequestException($"the PKI refused the request: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false)}");
        var issued = await response.Content.ReadFromJsonAsync<OcspFunction.IssueResponse>(NetworkFunctionHost.JsonOptions, cancellationToken).ConfigureAwait(false)
            ?? throw new HttpRequestException("the PKI answered with no certificate");
        using var cert = X509Certificate2.CreateFromPem(issued.CertificatePem);
        if (!cert.PublicKey.EncodedKeyValue.RawData.AsSpan().SequenceEqual(KeyAlgorithms.PublicKeyOf(key).EncodedKeyValue.RawData))
            throw new HttpRequestException("the PKI returned a certificate for another key");
        return key switch
        {
            System.Security.Cryptography.ECDsa ec => cert.CopyWithPrivateKey(ec),
            System.Security.Cryptography.RSA rsa => cert.CopyWithPrivateKey(rsa),
            _ => throw new InvalidOperationException("unreachable"),
        };
    }
}
