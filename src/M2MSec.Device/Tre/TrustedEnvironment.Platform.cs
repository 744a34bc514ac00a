using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using M2MSec.Pki.Authority;
using M2MSec.Provisioning.Validation;

namespace M2MSec.Device.Tre;

/// <summary>
/// The platform credential (PfC) and attestation for the PVA (TR 33.812 §5.1.2.2 "Computation of cryptographic signatures"):
/// the attestation key signs the PVA's fresh challenge together with the measurements of this boot.
/// </summary>
public sealed partial class TrustedEnvironment
{
    /// <summary>
    /// The attestation statement (<c>M2MSec.Provisioning.Validation.AttestationStatement</c>) over <paramref name="challenge"/>:
    /// TRE id, PCID, the challenge and the firmware measurements taken at this boot, signed with the attestation key.
    /// A TRE locked down for a firmware mismatch still attests (and does nothing else), so that the PVA itself judges the
    /// modified platform (docs/decisions/007, 015); any other lockdown refuses.
    /// </summary>
    public byte[] Attest(TreCaller caller, ReadOnlySpan<byte> challenge)
    {
        if (challenge.Length is < AttestationStatement.MinChallenge or > AttestationStatement.MaxChallenge)
            throw new ArgumentException($"The challenge must be {AttestationStatement.MinChallenge} to {AttestationStatement.MaxChallenge} octets.", nameof(challenge));
        lock (_lock)
        {
            if (_state.Lockdown is { } reason && (reason != Tre.LockdownReason.FirmwareMeasurement || !_objects.ContainsKey(IdentityKeyName)))
                throw new TreLockedException(reason);
            TrePolicy.CheckOperation(caller, TreOperation.SignWithIdentityKey);
            var pcid = Pcid ?? throw new InvalidOperationException("no PCID in the TRE");
            using var key = PlatformSignature.ImportPkcs8(_objects[IdentityKeyName]);
            var measurements = _bootMeasurements.Select(m => new FirmwareMeasurement(m.Key, m.Value));
            return AttestationStatement.Create(TreId, pcid, challenge, measurements, PlatformSignature.SchemeOf(key), tbs => PlatformSignature.Sign(key, tbs)).Encode();
        }
    }

    /// <summary>The kind of the platform keys (ec-p256, rsa-2048 or rsa-3072), chosen at manufacture.</summary>
    public KeyAlgorithm PlatformKeyAlgorithm
    {
        get
        {
            lock (_lock)
            {
                EnsureUnlocked();
                using var key = PlatformSignature.ImportPkcs8(_objects[IdentityKeyName]);
                return key is RSA rsa ? (rsa.KeySize == 3072 ? KeyAlgorithm.Rsa3072 : KeyAlgorithm.Rsa2048) : KeyAlgorithm.EcP256;
            }
        }
    }

    /// <summary>
    /// The end of manufacture (the CCIF's answer injected by the factory line, TR 33.812 §5.1.2.2 "pre-provisioned in a
    /// secure, out-of-band facility"): the PfC certificates (checked to certify this TRE's own two keys), the temporary
    /// credential as a subscription under the PCID, the roots the device trusts, and the optional authorisation token.
    /// Everything is checked first (the caller's right to each object and operation, no root already there), then sealed
    /// as one version: a factory line stopped part-way leaves the TRE as it was, never half-credentialed.
    /// </summary>
    public void InstallPlatformCredential(TreCaller caller, X509Certificate2 attestationCertificate, X509Certificate2 encryptionCertificate,
        ReadOnlySpan<byte> k, ReadOnlySpan<byte> opc, X509Certificate2? dmRoot, X509Certificate2? shoSigningRoot, ReadOnlySpan<byte> authorisationToken = default)
    {
        ArgumentNullException.ThrowIfNull(attestationCertificate);
        ArgumentNullException.ThrowIfNull(encryptionCertificate);
        if (caller != TreCaller.Manufacturer)
            throw new TreAccessDeniedException(caller, "install the platform credential");
        CheckSubscriptionKeys(k, opc);
        if (!attestationCertificate.PublicKey.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(IdentityPublicKey()))
            throw new ArgumentException("the attestation certificate does not certify this TRE's attestation key", nameof(attestationCertificate));
        if (!encryptionCertificate.PublicKey.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(PkD()))
            throw new ArgumentException("the encryption certificate does not certify this TRE's PK_D", nameof(encryptionCertificate));
        var pcid = Pcid ?? throw new InvalidOperationException("no PCID in the TRE");
        List<KeyValuePair<string, byte[]>> objects =
        [
            new(TreObjects.PfcAttestation, attestationCertificate.RawData),
            new(TreObjects.PfcEncryption, encryptionCertificate.RawData),
        ];
        if (!authorisationToken.IsEmpty)
            objects.Add(new(AuthorisationTokenObject, authorisationToken.ToArray()));
        List<KeyValuePair<string, X509Certificate2>> roots = [];
        if (dmRoot is not null)
            roots.Add(new(TreObjects.DmRoot[RootPrefix.Length..], dmRoot));
        if (shoSigningRoot is not null)
            roots.Add(new(TreObjects.ShoSigningRoot[RootPrefix.Length..], shoSigningRoot));
        lock (_lock)
        {
            EnsureUnlocked();
            foreach (var (name, _) in objects)
                TrePolicy.CheckWrite(caller, name);
            TrePolicy.CheckOperation(caller, TreOperation.InstallSubscription);
            if (roots.Count > 0)
                TrePolicy.CheckOperation(caller, TreOperation.ProvisionTrustAnchor);
            foreach (var (name, _) in roots)
                RefuseInstalledRootLocked(name);
            foreach (var (name, value) in objects)
                _objects[name] = value;
            SetSubscriptionLocked(pcid, k, opc);
            foreach (var (name, root) in roots)
                SetRootLocked(name, root);
            CommitLocked();
        }
    }

    /// <summary>The device-specific authorisation token (seed 003), shipped with the device (TreObjects.AuthToken once defined).</summary>
    internal const string AuthorisationTokenObject = "prov/auth-token";

    private static byte[] GeneratePlatformKey(KeyAlgorithm algorithm, bool encryption)
    {
        if (algorithm.IsRsa())
        {
            using var rsa = RSA.Create(algorithm == KeyAlgorithm.Rsa3072 ? 3072 : 2048);
            return rsa.ExportPkcs8PrivateKey();
        }
        // The same PKCS#8 (id-ecPublicKey, secp256r1) either way; the purpose decides how the TRE uses it: ECDSA or ECDH.
        using AsymmetricAlgorithm ec = encryption ? ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256) : ECDsa.Create(ECCurve.NamedCurves.nistP256);
        return ec.ExportPkcs8PrivateKey();
    }

    /// <summary>What a TRE locked for a firmware mismatch keeps in memory (<see cref="KeptWhileLocked"/>): no key but the attestation key.</summary>
    private static Dictionary<string, byte[]> AttestationOnly(Dictionary<string, byte[]> objects)
    {
        var kept = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var name in KeptWhileLocked)
        {
            if (objects.TryGetValue(name, out var value))
                kept[name] = value;
        }
        return kept;
    }
}
