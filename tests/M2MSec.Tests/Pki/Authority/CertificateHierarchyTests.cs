using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using M2MSec.Pki;
using M2MSec.Pki.Authority;
using M2MSec.Storage.InMemory;
using M2MSec.Storage.Security;
using M2MSec.Storage.Sqlite;
using M2MSec.Tests.Support;

namespace M2MSec.Tests.Pki.Authority;

public sealed class CertificateHierarchyTests : IDisposable
{
    private static readonly Uri OcspUrl = new("http://127.0.0.1:8080/ocsp");
    private readonly string _dir = Directory.CreateTempSubdirectory("m2msec-pki-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    internal static Task<CertificateHierarchy> NewAsync(KeyAlgorithm algorithm = KeyAlgorithm.EcP256, string name = "operator", TimeProvider? time = null) =>
        CertificateHierarchy.InitAsync(new InMemoryCertificateStore(time ?? TimeProvider.System), name, algorithm, OcspUrl, time ?? TimeProvider.System);

    [Theory]
    [InlineData(KeyAlgorithm.EcP256)]
    [InlineData(KeyAlgorithm.EcP384)]
    [InlineData(KeyAlgorithm.Rsa2048)]
    [InlineData(KeyAlgorithm.Rsa3072)]
    public async Task Init_BuildsRootIssuingAndOcspSigner_ToTheProfile(KeyAlgorithm algorithm)
    {
        var h = await NewAsync(algorithm);
        Assert.Equal(h.Root.SubjectName.RawData, h.Root.IssuerName.RawData);
        Assert.Equal(algorithm, KeyAlgorithms.Of(h.Root));
        var rootBc = Extension<X509BasicConstraintsExtension>(h.Root);
        Assert.True(rootBc.CertificateAuthority && rootBc.Critical && !rootBc.HasPathLengthConstraint);
        var issuingBc = Extension<X509BasicConstraintsExtension>(h.Issuing);
        Assert.True(issuingBc.CertificateAuthority && issuingBc.HasPathLengthConstraint && issuingBc.PathLengthConstraint == 0);
        Assert.Equal(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, Extension<X509KeyUsageExtension>(h.Issuing).KeyUsages);
        Assert.Equal(Extension<X509SubjectKeyIdentifierExtension>(h.Root).SubjectKeyIdentifierBytes.ToArray(),
            Extension<X509AuthorityKeyIdentifierExtension>(h.Issuing).KeyIdentifier!.Value.ToArray());

        var signer = h.OcspSigner;
        Assert.True(signer.HasPrivateKey);
        Assert.Contains(Extension<X509EnhancedKeyUsageExtension>(signer).EnhancedKeyUsages.Cast<Oid>(),
            o => o.Value == CertificateProfiles.OcspSigningOid);
        Assert.NotNull(signer.Extensions[CertificateProfiles.OcspNoCheckOid]);
        Assert.Equal(h.Issuing.SubjectName.RawData, signer.IssuerName.RawData);
        Assert.True(Validates(h, signer));
    }

    [Fact]
    public async Task DmServer_IsShortLived_WithSanAkiAndOcspUrl()
    {
        var h = await NewAsync();
        using var cert = await h.IssueAsync(CertificateProfile.DmServer, new CertificateSubject("dm.operator.example", ["dm.operator.example", "127.0.0.1"]));
        Assert.True(cert.HasPrivateKey);
        Assert.Equal(3, cert.Version);
        Assert.Equal(TimeSpan.FromDays(7), cert.NotAfter - cert.NotBefore);
        var serial = Convert.FromHexString(cert.SerialNumber);
        Assert.True(serial.Length is > 0 and <= 20 && serial[0] < 0x80 && serial[0] != 0);
        var san = Extension<X509SubjectAlternativeNameExtension>(cert);
        Assert.Equal(["dm.operator.example"], san.EnumerateDnsNames());
        Assert.Equal("127.0.0.1", Assert.Single(san.EnumerateIPAddresses()).ToString());
        Assert.Equal([OcspUrl.ToString()], Extension<X509AuthorityInformationAccessExtension>(cert).EnumerateOcspUris());
        var eku = Extension<X509EnhancedKeyUsageExtension>(cert).EnhancedKeyUsages.Cast<Oid>().Select(o => o.Value);
        Assert.Equal([CertificateProfiles.ServerAuthOid], eku);
        Assert.Equal(X509KeyUsageFlags.DigitalSignature, Extension<X509KeyUsageExtension>(cert).KeyUsages);
        Assert.True(Validates(h, cert));
        Assert.NotNull(await h.FindAsync(CertificateSerial.Of(cert)));
    }

    [Fact]
    public async Task OpenSslVerifiesTheChain_AndReadsTheCrl()
    {
        var openssl = ExternalTool.Require("openssl", "Debian package openssl");
        var h = await NewAsync(KeyAlgorithm.EcP384);
        using var good = await h.IssueAsync(CertificateProfile.NetworkFunction, new CertificateSubject("hss.operator.example"), role: "hss");
        using var bad = await h.IssueAsync(CertificateProfile.DmServer, new CertificateSubject("old-dm.operator.example"));
        Assert.True(await h.RevokeAsync(CertificateSerial.Of(bad), 1));
        Assert.False(await h.RevokeAsync(CertificateSerial.Of(bad), 4));
        var root = Write("root.pem", h.Root.ExportCertificatePem());
        var issuing = Write("issuing.pem", h.Issuing.ExportCertificatePem());
        var leaf = Write("leaf.pem", good.ExportCertificatePem());
        var verify = await ExternalTool.RunAsync(openssl, ["verify", "-x509_strict", "-purpose", "sslserver", "-CAfile", root, "-untrusted", issuing, leaf]);
        Assert.True(verify.ExitCode == 0, verify.Stdout + verify.Stderr);
        Assert.Contains("OK", verify.Stdout, StringComparison.Ordinal);

        var crl1 = Write("crl1.pem", Pem(await h.BuildCrlAsync()));
        var crl = Write("crl.pem", Pem(await h.BuildCrlAsync()));
        var text = await ExternalTool.RunAsync(openssl, ["crl", "-in", crl, "-CAfile", issuing, "-noout", "-text"]);
        Assert.True(text.ExitCode == 0, text.Stderr);
        Assert.Contains("verify OK", text.Stderr + text.Stdout, StringComparison.Ordinal);
        Assert.Contains(bad.SerialNumber, text.Stdout, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("Key Compromise", text.Stdout, StringComparison.Ordinal);
        Assert.Contains("X509v3 CRL Number: \n                2", text.Stdout.Replace("\r", "", StringComparison.Ordinal), StringComparison.Ordinal);
        _ = crl1;

        var revokedCheck = await ExternalTool.RunAsync(openssl,
            ["verify", "-crl_check", "-CAfile", root, "-untrusted", issuing, "-CRLfile", crl, Write("bad.pem", bad.ExportCertificatePem())]);
        Assert.NotEqual(0, revokedCheck.ExitCode);
        Assert.Contains("revoked", revokedCheck.Stdout + revokedCheck.Stderr, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Hierarchy_SurvivesReopen_KeysWrappedInSqlite()
    {
        var ring = KeyRing.CreateEphemeral();
        string rootThumb;
        string serial;
        await using (var store = await SqliteStateStore.OpenAsync(_dir, ring))
        {
            var h = await CertificateHierarchy.InitAsync(store.Certificates, "manufacturer", KeyAlgorithm.EcP256, null, TimeProvider.System);
            rootThumb = h.Root.Thumbprint;
            using var device = await h.IssueAsync(CertificateProfile.Device, new CertificateSubject("device-0001"));
            serial = CertificateSerial.Of(device);
            Assert.Null(device.Extensions["1.3.6.1.5.5.7.1.1"]);
            await Assert.ThrowsAsync<PkiException>(() => CertificateHierarchy.InitAsync(store.Certificates, "manufacturer", KeyAlgorithm.EcP256, null, TimeProvider.System));
        }
        await using (var store = await SqliteStateStore.OpenAsync(_dir, ring))
        {
            var h = await CertificateHierarchy.OpenAsync(store.Certificates, "manufacturer", TimeProvider.System);
            Assert.NotNull(h);
            Assert.Equal(rootThumb, h.Root.Thumbprint);
            using var sho = await h.IssueAsync(CertificateProfile.Sho, new CertificateSubject("sho signer"));
            Assert.True(Validates(h, sho));
            Assert.NotNull(await h.FindAsync(serial));
            Assert.Null(await CertificateHierarchy.OpenAsync(store.Certificates, "sho", TimeProvider.System));
        }
    }

    [Fact]
    public async Task BadInput_IsRefusedWithTheOptionNamed()
    {
        var h = await NewAsync();
        Assert.Contains("--san", Assert.Throws<ArgumentException>(() => new CertificateSubject("x", ["not a name"])).Message, StringComparison.Ordinal);
        Assert.Contains("--subject", Assert.Throws<ArgumentException>(() => new CertificateSubject(new string('a', 65))).Message, StringComparison.Ordinal);
        var e = await Assert.ThrowsAsync<ArgumentException>(() => h.IssueAsync(CertificateProfile.DmServer, new CertificateSubject("DM server one")));
        Assert.Contains("--san", e.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<ArgumentException>(() => h.IssueAsync(CertificateProfile.Root, new CertificateSubject("x")));
        await Assert.ThrowsAsync<ArgumentException>(() => NewAsync(name: "vno"));
        Assert.True(CertificateSerial.TryParse("00C0FFEE", out var s) is false || s == "00c0ffee");
        Assert.True(CertificateSerial.TryParse("000102", out var s2) && s2 == "0102");
        Assert.False(CertificateSerial.TryParse("8001", out _));
        Assert.False(CertificateSerial.TryParse("xyz0", out _));
    }

    [Fact]
    public void SigningRequest_RoundTrips_AndMalformedOnesAreRefused()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var csr = SigningRequests.Create(key, new CertificateSubject("dm.example", ["dm.example", "10.0.0.1"]));
        Assert.True(SigningRequests.TryRead(csr, out var subject, out var publicKey, out _));
        Assert.Equal("dm.example", subject.CommonName);
        Assert.Equal(["dm.example", "10.0.0.1"], subject.AlternativeNames);
        Assert.Equal(new PublicKey(key).EncodedKeyValue.RawData, publicKey.EncodedKeyValue.RawData);

        foreach (var bad in new[] { "", "junk", "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----", new string('A', 20_000) })
        {
            Assert.False(SigningRequests.TryRead(bad, out _, out _, out var error));
            Assert.StartsWith("csr_pem:", error, StringComparison.Ordinal);
        }
        // No CN: refused with the reason.
        var noCn = new CertificateRequest(new X500DistinguishedName("O=nobody"), key, HashAlgorithmName.SHA256).CreateSigningRequestPem();
        Assert.False(SigningRequests.TryRead(noCn, out _, out _, out var why));
        Assert.Contains("common name", why, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OcspSigner_IsRenewedWhenAThirdOfItsLifeIsLeft()
    {
        var clock = new HostClock(DateTimeOffset.UtcNow);
        var h = await NewAsync(time: clock);
        var first = h.OcspSigner.Thumbprint;
        Assert.False(await h.RenewOcspSignerIfDueAsync());
        clock.Advance(TimeSpan.FromDays(21));
        Assert.True(await h.RenewOcspSignerIfDueAsync());
        Assert.NotEqual(first, h.OcspSigner.Thumbprint);
    }

    internal static bool Validates(CertificateHierarchy h, X509Certificate2 leaf)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(h.Root);
        chain.ChainPolicy.ExtraStore.Add(h.Issuing);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(leaf);
    }

    private static string Pem(byte[] crl) => PemEncoding.WriteString("X509 CRL", crl);

    private static T Extension<T>(X509Certificate2 cert) where T : X509Extension => Assert.Single(cert.Extensions.OfType<T>());

    private string Write(string name, string text)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }
}
