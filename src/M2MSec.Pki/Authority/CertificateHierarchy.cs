using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using M2MSec.Storage.Certificates;

namespace M2MSec.Pki.Authority;

/// <summary>
/// A named hierarchy (operator, manufacturer, sho): a root CA, an issuing CA under it, and a
/// delegated OCSP signer under the issuing CA (RFC 6960 §4.2.2.2). CA keys live in the state
/// store, wrapped under the key ring; every issued certificate is recorded there with its
/// revocation status, which the OCSP responder and the CRL read.
/// </summary>
public sealed class CertificateHierarchy
{
    /// <summary>The hierarchy names the PKI knows (TS 33.310 roles in this system).</summary>
    public static IReadOnlyList<string> Names { get; } = ["operator", "manufacturer", "sho"];

    private const string RootSlot = "root";
    private const string IssuingSlot = "issuing";
    private const string OcspSlot = "ocsp";

    private readonly IEditableCertificateStore _store;
    private readonly TimeProvider _time;
    private X509Certificate2 _issuing;
    private X509Certificate2 _ocspSigner;

    private CertificateHierarchy(IEditableCertificateStore store, TimeProvider time, PkiHierarchyRecord record, X509Certificate2 root,
        X509Certificate2 issuing, X509Certificate2 ocspSigner)
    {
        _store = store;
        _time = time;
        Name = record.Name;
        KeyAlgorithm = KeyAlgorithms.TryParse(record.KeyAlgorithm, out var a) ? a : KeyAlgorithm.EcP256;
        OcspUrl = record.OcspUrl is { } u ? new Uri(u) : null;
        Root = root;
        _issuing = issuing;
        _ocspSigner = ocspSigner;
    }

    public string Name { get; }

    public KeyAlgorithm KeyAlgorithm { get; }

    /// <summary>The URL put in the AIA of every end-entity certificate, when set.</summary>
    public Uri? OcspUrl { get; }

    /// <summary>The root CA certificate (public part only): the trust anchor devices hold.</summary>
    public X509Certificate2 Root { get; private set; }

    /// <summary>The issuing CA certificate (public part only).</summary>
    public X509Certificate2 Issuing => DerCertificates.Load(_issuing.RawData);

    /// <summary>The delegated OCSP signer, with its private key (the responder signs with it).</summary>
    public X509Certificate2 OcspSigner => _ocspSigner;

    private string Organisation => $"M2MSec {Name}";

    /// <summary>Creates the hierarchy: root, issuing CA and OCSP signer. Fails if the name already exists.</summary>
    public static async Task<CertificateHierarchy> InitAsync(IEditableCertificateStore store, string name, KeyAlgorithm algorithm,
        Uri? ocspUrl, TimeProvider time, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(time);
        if (!Names.Contains(name))
            throw new ArgumentException($"--name: expected one of {string.Join(", ", Names)}", nameof(name));
        var now = time.GetUtcNow();
        var record = new PkiHierarchyRecord(name, algorithm.Name(), ocspUrl?.ToString(), now);
        if (!await store.AddHierarchyAsync(record, cancellationToken).ConfigureAwait(false))
            throw new PkiException($"the '{name}' hierarchy already exists in this data directory");

        var notBefore = now.AddMinutes(-5);
        using var rootKey = algorithm.Generate();
        var root = CertificateFactory.CreateRoot(rootKey, algorithm, $"M2MSec {name}", $"M2MSec {name} root CA", notBefore, CertificateProfile.Root.DefaultValidity());
        await PutAsync(store, name, RootSlot, root, rootKey, cancellationToken).ConfigureAwait(false);

        using var issuingKey = algorithm.Generate();
        var issuing = KeyAlgorithms.WithKey(CertificateFactory.Issue(root, CertificateProfile.Issuing, new CertificateSubject($"M2MSec {name} issuing CA"),
            KeyAlgorithms.PublicKeyOf(issuingKey), algorithm, $"M2MSec {name}", notBefore, CertificateProfile.Issuing.DefaultValidity()), issuingKey);
        await PutAsync(store, name, IssuingSlot, issuing, issuingKey, cancellationToken).ConfigureAwait(false);

        var hierarchy = new CertificateHierarchy(store, time, record, DerCertificates.Load(root.RawData), issuing, null!);
        hierarchy._ocspSigner = await hierarchy.IssueOcspSignerAsync(cancellationToken).ConfigureAwait(false);
        return hierarchy;
    }

    /// <summary>Opens an existing hierarchy, or returns null when <paramref name="name"/> was never initialised.</summary>
    public static async Task<CertificateHierarchy?> OpenAsync(IEditableCertificateStore store, string name, TimeProvider time,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        var record = await store.FindHierarchyAsync(name, cancellationToken).ConfigureAwait(false);
        if (record is null)
            return null;
        var root = await LoadAsync(store, name, RootSlot, cancellationToken).ConfigureAwait(false);
        var issuing = await LoadAsync(store, name, IssuingSlot, cancellationToken).ConfigureAwait(false);
        var ocsp = await LoadAsync(store, name, OcspSlot, cancellationToken).ConfigureAwait(false);
        var hierarchy = new CertificateHierarchy(store, time, record, DerCertificates.Load(root.RawData), issuing, ocsp);
        root.Dispose();
        await hierarchy.RenewOcspSignerIfDueAsync(cancellationToken).ConfigureAwait(false);
        return hierarchy;
    }

    /// <summary>Root, then issuing CA: the chain a relying party needs above an end-entity certificate.</summary>
    public X509Certificate2Collection Chain() => [Issuing, DerCertificates.Load(Root.RawData)];

    /// <summary>Issues a certificate with a fresh key of <paramref name="algorithm"/> (default: the hierarchy's); returns it with its private key.</summary>
    public async Task<X509Certificate2> IssueAsync(CertificateProfile profile, CertificateSubject subject, TimeSpan? validity = null,
        KeyAlgorithm? algorithm = null, string? role = null, CancellationToken cancellationToken = default)
    {
        profile.CheckRole(role);
        var keyAlgorithm = algorithm ?? KeyAlgorithm;
        using var key = keyAlgorithm.Generate();
        using var cert = await IssueForKeyAsync(profile, subject, KeyAlgorithms.PublicKeyOf(key), validity, role, cancellationToken).ConfigureAwait(false);
        return KeyAlgorithms.WithKey(cert, key);
    }

    /// <summary>Issues a certificate for a key held elsewhere (a renewal request); returns the certificate only. <paramref name="role"/>: for nf, required.</summary>
    public async Task<X509Certificate2> IssueForKeyAsync(CertificateProfile profile, CertificateSubject subject, PublicKey publicKey,
        TimeSpan? validity = null, string? role = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(publicKey);
        if (profile.IsCa())
            throw new ArgumentException("CA certificates are made by 'pki init', not issued", nameof(profile));
        profile.CheckRole(role);
        var algorithm = KeyAlgorithms.Of(publicKey) ?? throw new ArgumentException($"the key is outside the profile (expected {string.Join(", ", KeyAlgorithms.AllNames)})", nameof(publicKey));
        var now = _time.GetUtcNow();
        var cert = CertificateFactory.Issue(_issuing, profile, subject, publicKey, algorithm, Organisation, now.AddMinutes(-1),
            validity ?? profile.DefaultValidity(), OcspUrl, role);
        await RecordAsync(cert, cancellationToken).ConfigureAwait(false);
        return cert;
    }

    /// <summary>Revokes a certificate this hierarchy issued; false if unknown or already revoked.</summary>
    public ValueTask<bool> RevokeAsync(string serialHex, int reason, CancellationToken cancellationToken = default) =>
        _store.RevokeAsync(Name, serialHex, reason, cancellationToken);

    /// <summary>The issued certificate with this serial (and its revocation), or null: what the OCSP responder asks.</summary>
    public ValueTask<IssuedCertificate?> FindAsync(string serialHex, CancellationToken cancellationToken = default) =>
        _store.FindAsync(Name, serialHex, cancellationToken);

    /// <summary>A fresh CRL of the issuing CA, valid for <paramref name="validity"/> (default one day).</summary>
    public async Task<byte[]> BuildCrlAsync(TimeSpan? validity = null, CancellationToken cancellationToken = default)
    {
        var revoked = await _store.ListRevokedAsync(Name, cancellationToken).ConfigureAwait(false);
        var number = await _store.NextCrlNumberAsync(Name, cancellationToken).ConfigureAwait(false);
        var now = _time.GetUtcNow();
        return CertificateFactory.BuildCrl(_issuing, revoked.Select(r => (r.SerialHex, r.RevokedAt!.Value, r.RevocationReason)), number, now,
            now + (validity ?? TimeSpan.FromDays(1)));
    }

    /// <summary>
    /// Root rollover (the RFC 4210 §4.4 "link certificate" pattern): a new root key and self-signed
    /// root, the new root's key certified by the old root (so a device that trusts only the old root
    /// can verify the new one), and the issuing CA's key re-certified under the new root — so every
    /// certificate issued so far stays valid under either root.
    /// </summary>
    public async Task<RootRollover> RollOverRootAsync(CancellationToken cancellationToken = default)
    {
        var old = await LoadAsync(_store, Name, RootSlot, cancellationToken).ConfigureAwait(false);
        var now = _time.GetUtcNow().AddMinutes(-5);
        var generation = old.Subject.Contains(" G", StringComparison.Ordinal) && int.TryParse(old.Subject[(old.Subject.LastIndexOf(" G", StringComparison.Ordinal) + 2)..], out var g) ? g + 1 : 2;
        using var newKey = KeyAlgorithm.Generate();
        var newRoot = CertificateFactory.CreateRoot(newKey, KeyAlgorithm, Organisation, $"M2MSec {Name} root CA G{generation}", now, CertificateProfile.Root.DefaultValidity());
        var newName = new CertificateSubject($"M2MSec {Name} root CA G{generation}");
        using var link = CertificateFactory.Issue(old, CertificateProfile.Root, newName, newRoot.PublicKey, KeyAlgorithm, Organisation, now,
            old.NotAfter.ToUniversalTime() - now.UtcDateTime);
        using var issuingKey = KeyAlgorithms.PrivateKey(_issuing);
        using var issuingCert = CertificateFactory.Issue(newRoot, CertificateProfile.Issuing, new CertificateSubject($"M2MSec {Name} issuing CA"),
            _issuing.PublicKey, KeyAlgorithm, Organisation, now, CertificateProfile.Issuing.DefaultValidity());
        var issuing = KeyAlgorithms.WithKey(issuingCert, issuingKey);

        using (var oldKey = KeyAlgorithms.PrivateKey(old))
            await PutAsync(_store, Name, $"{RootSlot}-{CertificateSerial.Of(old)}", old, oldKey, cancellationToken, replace: true).ConfigureAwait(false);
        await PutAsync(_store, Name, RootSlot, newRoot, newKey, cancellationToken, replace: true).ConfigureAwait(false);
        await PutAsync(_store, Name, IssuingSlot, issuing, issuingKey, cancellationToken, replace: true).ConfigureAwait(false);
        old.Dispose();
        _issuing = issuing;
        Root = DerCertificates.Load(newRoot.RawData);
        return new RootRollover(DerCertificates.Load(newRoot.RawData), DerCertificates.Load(link.RawData));
    }

    /// <summary>Re-issues the OCSP signer when a third of its validity is left (it is short-lived and not itself checked).</summary>
    public async Task<bool> RenewOcspSignerIfDueAsync(CancellationToken cancellationToken = default)
    {
        var left = _ocspSigner.NotAfter.ToUniversalTime() - _time.GetUtcNow().UtcDateTime;
        var lifetime = _ocspSigner.NotAfter - _ocspSigner.NotBefore;
        if (left > lifetime / 3)
            return false;
        _ocspSigner = await IssueOcspSignerAsync(cancellationToken).ConfigureAwait(false);
        return true;
    }

    private async Task<X509Certificate2> IssueOcspSignerAsync(CancellationToken cancellationToken)
    {
        using var key = KeyAlgorithm.Generate();
        using var cert = CertificateFactory.Issue(_issuing, CertificateProfile.OcspSigner, new CertificateSubject($"M2MSec {Name} OCSP responder"),
            KeyAlgorithms.PublicKeyOf(key), KeyAlgorithm, Organisation, _time.GetUtcNow().AddMinutes(-5), CertificateProfile.OcspSigner.DefaultValidity());
        await RecordAsync(cert, cancellationToken).ConfigureAwait(false);
        var signer = KeyAlgorithms.WithKey(cert, key);
        await PutAsync(_store, Name, OcspSlot, signer, key, cancellationToken, replace: true).ConfigureAwait(false);
        return signer;
    }

    private async Task RecordAsync(X509Certificate2 cert, CancellationToken cancellationToken)
    {
        var record = new IssuedCertificate(Name, CertificateSerial.Of(cert), cert.Subject, cert.NotBefore.ToUniversalTime(), cert.NotAfter.ToUniversalTime(), cert.RawData);
        if (!await _store.AddAsync(record, cancellationToken).ConfigureAwait(false))
            throw new PkiException("serial number collision; nothing issued");
    }

    private static async Task PutAsync(IEditableCertificateStore store, string name, string slot, X509Certificate2 cert, AsymmetricAlgorithm key,
        CancellationToken cancellationToken, bool replace = false)
    {
        var pkcs8 = KeyAlgorithms.ExportPkcs8(key);
        try
        {
            if (!await store.PutAuthorityKeyAsync(new AuthorityKey(name, slot, cert.RawData, pkcs8), replace, cancellationToken).ConfigureAwait(false))
                throw new PkiException($"the '{name}' hierarchy already has a {slot} key");
        }
        finally
        {
            CryptographicOperations.ZeroMemory(pkcs8);
        }
    }

    private static async Task<X509Certificate2> LoadAsync(IEditableCertificateStore store, string name, string slot, CancellationToken cancellationToken)
    {
        var entry = await store.FindAuthorityKeyAsync(name, slot, cancellationToken).ConfigureAwait(false)
            ?? throw new PkiException($"the '{name}' hierarchy has no {slot} key (incomplete initialisation?)");
        using var key = KeyAlgorithms.ImportPkcs8(entry.PrivateKeyPkcs8);
        CryptographicOperations.ZeroMemory(entry.PrivateKeyPkcs8);
        using var cert = DerCertificates.Load(entry.CertificateDer);
        return KeyAlgorithms.WithKey(cert, key);
    }
}
