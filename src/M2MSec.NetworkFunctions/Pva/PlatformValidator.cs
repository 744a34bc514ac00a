using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using M2MSec.NetworkFunctions.Hosting;
using M2MSec.NetworkFunctions.Ocsp;
using M2MSec.Pki;
using M2MSec.Pki.Ocsp;
using M2MSec.Provisioning.Validation;
using M2MSec.Storage.Pva;

namespace M2MSec.NetworkFunctions.Pva;

/// <summary>
/// The PVA's judgement of one platform (seed 004 step 14; TR 33.812 §6.1.2.3 threat #5 counter-measure 2): the PfC chains to the
/// manufacturer root and is the one the manufacturer registered for the PCID, is not revoked (OCSP at the CCIF, fail-closed),
/// the attestation verifies under the PfC's attestation key over this validation's challenge, names the PCID and TRE id, and
/// carries exactly the reference measurements. Each refusal is a reason key, never an exception.
/// </summary>
public sealed class PlatformValidator(PeerClients peers, PvaOptions options)
{
    /// <summary>
    /// The PfC checks that need no evidence: both certificates chain to the manufacturer root (else pfc-untrusted), and they
    /// are the PfC the manufacturer registered for this PCID (else pfc-not-registered). Null when both hold.
    /// </summary>
    public static string? CheckPfc(PvaReference reference, byte[] attestationDer, byte[] encryptionDer, DateTimeOffset now)
    {
        using var pfc = PfcCertificates.Load(reference, attestationDer, encryptionDer);
        return CheckPfc(reference, pfc, now);
    }

    private static string? CheckPfc(PvaReference reference, PfcCertificates pfc, DateTimeOffset now)
    {
        foreach (var cert in new[] { pfc.Attestation, pfc.Encryption })
        {
            if (!CertificateChains.Verify(cert, pfc.Root, [pfc.Issuing], now, out _))
                return "pfc-untrusted";
        }
        return PvaVerdict.Fingerprint(pfc.AttestationDer, pfc.EncryptionDer) == reference.PfcFingerprint ? null : "pfc-not-registered";
    }

    /// <summary>
    /// Judges the evidence for <paramref name="validation"/>; null when the platform is valid, else the reason. The measurements
    /// must equal the reference's or one registered firmware update's (<paramref name="updates"/>, issue 16).
    /// </summary>
    public async Task<string?> JudgeAsync(PvaValidation validation, PvaReference? reference, byte[] evidence, DateTimeOffset now, CancellationToken ct,
        IReadOnlyList<PvaMeasurementSet>? updates = null)
    {
        if (now >= validation.ExpiresAt)
            return "challenge-expired";
        if (!AttestationStatement.TryDecode(evidence, out var statement, out var consumed, out _) || consumed != evidence.Length)
            return "bad-attestation";
        if (!CryptographicOperations.FixedTimeEquals(statement.Challenge, validation.Challenge))
            return "challenge-mismatch";
        if (reference is null)
            return "no-reference";
        // Each certificate decoded once for all the checks below (issue 19).
        using var pfc = PfcCertificates.Load(reference, validation.PfcAttestation, validation.PfcEncryption);
        if (CheckPfc(reference, pfc, now) is { } pfcError)
            return pfcError;
        var (notRevoked, why) = await NotRevokedAsync(pfc, ct).ConfigureAwait(false);
        if (!notRevoked)
            return why;
        if (!statement.Verify(pfc.Attestation))
            return "bad-signature";
        if (statement.Pcid != validation.Pcid || statement.TreId != reference.TreId
            || pfc.Attestation.GetNameInfo(X509NameType.SimpleName, false) != reference.TreId)
            return "identity-mismatch";
        var measured = statement.Measurements.ToDictionary(m => m.Name, m => m.Sha256, StringComparer.Ordinal);
        var accepted = false;
        foreach (var set in (updates ?? []).Select(u => u.Measurements).Prepend(reference.Measurements))
        {
            var same = measured.Count == set.Count;
            foreach (var (name, hash) in set)
                same &= measured.TryGetValue(name, out var m) && CryptographicOperations.FixedTimeEquals(m, hash);
            accepted |= same;
        }
        return accepted ? null : "measurements-mismatch";
    }

    /// <summary>Both PfC certificates "good" at the CCIF's OCSP responder for the manufacturer hierarchy (RFC 6960, nonce); fail-closed.</summary>
    private async Task<(bool, string)> NotRevokedAsync(PfcCertificates certificates, CancellationToken ct)
    {
        var issuing = certificates.Issuing;
        HttpClient http;
        try
        {
            http = peers.For("ccif");
        }
        catch (PeerUnavailableException)
        {
            return (false, "pfc-revocation-unknown");
        }
        X509Certificate2[] pfc = [certificates.Attestation, certificates.Encryption];
        // Issue 19: both in one request (RFC 6960 §4.1.1, one nonce, one signed answer); a certificate the answer leaves
        // unsettled — refused as a whole, or no SingleResponse for its CertID — is asked about alone.
        var ids = pfc.Select(c => OcspCertId.For(c, issuing)).ToArray();
        var batch = OcspRequestBuilder.Build(ids, RandomNumberGenerator.GetBytes(OcspRequestBuilder.DefaultNonceLength));
        if (await QueryAsync(http, batch.Der, ct).ConfigureAwait(false) is not { } answer)
            return (false, "pfc-revocation-unknown");
        var checks = OcspResponseVerifier.VerifyEach(answer, ids, issuing, batch.Nonce);
        for (var i = 0; i < pfc.Length; i++)
        {
            var check = checks[i];
            if (check.Status is null)
            {
                var alone = OcspRequestBuilder.Build(pfc[i], issuing);
                if (await QueryAsync(http, alone.Der, ct).ConfigureAwait(false) is not { } single)
                    return (false, "pfc-revocation-unknown");
                check = OcspResponseVerifier.Verify(single, pfc[i], issuing, alone.Nonce);
            }
            if (check.Status == OcspStatus.Revoked)
                return (false, "pfc-revoked");
            if (!check.IsAcceptable)
                return (false, "pfc-revocation-unknown");
        }
        return (true, "");
    }

    /// <summary>The CCIF's DER answer to <paramref name="request"/>; null when it cannot be had in time (fail-closed by the caller).</summary>
    private async Task<byte[]?> QueryAsync(HttpClient http, byte[] request, CancellationToken ct)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(options.OcspTimeout);
            return await OcspEndpoints.QueryAsync(http, new Uri(http.BaseAddress!, CcifOcspPath), request, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException && !ct.IsCancellationRequested)
        {
            return null;
        }
    }

    /// <summary>Where the CCIF answers OCSP for the manufacturer hierarchy (docs/decisions/015).</summary>
    public const string CcifOcspPath = "ocsp";

    /// <summary>The manufacturer's root and issuing CA and the two PfC certificates of one judgement, decoded once.</summary>
    private sealed class PfcCertificates : IDisposable
    {
        private PfcCertificates(X509Certificate2[] all, byte[] attestationDer, byte[] encryptionDer) =>
            (_all, AttestationDer, EncryptionDer) = (all, attestationDer, encryptionDer);

        private readonly X509Certificate2[] _all;

        /// <summary>The PfC as the validation holds it: the fingerprint is over these octets.</summary>
        public byte[] AttestationDer { get; }

        public byte[] EncryptionDer { get; }

        public X509Certificate2 Root => _all[0];

        public X509Certificate2 Issuing => _all[1];

        public X509Certificate2 Attestation => _all[2];

        public X509Certificate2 Encryption => _all[3];

        public static PfcCertificates Load(PvaReference reference, byte[] attestationDer, byte[] encryptionDer)
        {
            var all = new List<X509Certificate2>(4);
            try
            {
                foreach (var der in new[] { reference.ManufacturerRoot, reference.ManufacturerIssuing, attestationDer, encryptionDer })
                    all.Add(DerCertificates.Load(der));
                return new PfcCertificates([.. all], attestationDer, encryptionDer);
            }
            catch
            {
                all.ForEach(c => c.Dispose());
                throw;
            }
        }

        public void Dispose()
        {
            foreach (var c in _all)
                c.Dispose();
        }
    }
}
