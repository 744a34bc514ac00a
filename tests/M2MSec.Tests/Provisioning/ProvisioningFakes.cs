using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using M2MSec.Device.Provisioning;
using M2MSec.Device.Tre;
using M2MSec.NetworkFunctions.Dpf;
using M2MSec.NetworkFunctions.Sho;
using M2MSec.Pki.Authority;
using M2MSec.Provisioning;
using M2MSec.Provisioning.Mcim;
using M2MSec.Provisioning.Objects;
using M2MSec.Provisioning.Validation;

namespace M2MSec.Tests.Provisioning;

/// <summary>
/// Issue 15: stand-ins for the stubs other helpers fill (PvaVerdict, McimObject/M2MSimMobj, the TRE's provisioning calls), each
/// behaving like the real thing where the tests depend on it: verdicts are signed under a pva-role certificate and checked for
/// signature, role, chain to the operator root and age; MCIMs are sealed to PK_D (ECDH P-256 + AES-GCM), so K/OPc never travel in clear.
/// When <see cref="PvaVerdict"/> is filled in, <see cref="TestVerdicts"/> uses it instead.
/// </summary>
internal static class TestVerdicts
{
    /// <summary>Whether H2's PvaVerdict is filled in (then the real codec is used).</summary>
    public static bool Real { get; } = Probe();

    private static bool Probe()
    {
        try
        {
            PvaVerdict.Fingerprint([1], [2]);
            return true;
        }
        catch (NotImplementedException)
        {
            return false;
        }
    }

    public static IPvaVerdictVerifier Verifier(X509Certificate2 root, X509Certificate2Collection intermediates, TimeSpan? maxAge = null) =>
        Real ? new PvaVerdictVerifier(root, intermediates, maxAge ?? TimeSpan.FromMinutes(5)) : new FakeVerdictVerifier(root, intermediates, maxAge ?? TimeSpan.FromMinutes(5));

    public static string Sign(PvaVerdict verdict, X509Certificate2 signer) =>
        Real ? PvaVerdict.Sign(verdict, signer) : FakeVerdictVerifier.Sign(verdict, signer);
}

/// <summary>PvaVerdict's checks, on a JSON payload signed with ECDSA P-256/SHA-256: payload.signature.certificate (base64url).</summary>
internal sealed class FakeVerdictVerifier(X509Certificate2 root, X509Certificate2Collection intermediates, TimeSpan maxAge) : IPvaVerdictVerifier
{
    private sealed record Payload(string ValidationId, string Pcid, string PfcFingerprint, string Result, string? Reason, DateTimeOffset IssuedAt, string ShoNonce);

    public static string Sign(PvaVerdict v, X509Certificate2 signer)
    {
        var payload = JsonSerializer.SerializeToUtf8Bytes(new Payload(v.ValidationId, v.Pcid, v.PfcFingerprint, v.Result, v.Reason, v.IssuedAt, Convert.ToHexString(v.ShoNonce)));
        using var key = signer.GetECDsaPrivateKey()!;
        return $"{B64(payload)}.{B64(key.SignData(payload, HashAlgorithmName.SHA256))}.{B64(signer.RawData)}";
    }

    public PvaVerdict Verify(string statement, DateTimeOffset now)
    {
        var parts = statement.Split('.');
        if (parts.Length != 3)
            throw new ProvisioningException("bad-verdict", "not a signed verdict");
        byte[] payload, signature, der;
        try
        {
            (payload, signature, der) = (Unb64(parts[0]), Unb64(parts[1]), Unb64(parts[2]));
        }
        catch (FormatException)
        {
            throw new ProvisioningException("bad-verdict", "not a signed verdict");
        }
        using var cert = X509CertificateLoader.LoadCertificate(der);
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(root);
        chain.ChainPolicy.ExtraStore.AddRange(intermediates);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationTime = now.UtcDateTime;
        if (!chain.Build(cert))
            throw new ProvisioningException("bad-verdict", "the signer does not chain to the operator root");
        if (CertificateRoles.RoleOf(cert) != "pva")
            throw new ProvisioningException("bad-verdict", "the signer is not a PVA");
        using var key = cert.GetECDsaPublicKey()!;
        if (!key.VerifyData(payload, signature, HashAlgorithmName.SHA256))
            throw new ProvisioningException("bad-verdict", "the signature does not verify");
        var p = JsonSerializer.Deserialize<Payload>(payload)!;
        if (now - p.IssuedAt > maxAge || p.IssuedAt - now > TimeSpan.FromMinutes(1))
            throw new ProvisioningException("stale-verdict", "the verdict is not fresh");
        return new PvaVerdict(p.ValidationId, p.Pcid, p.PfcFingerprint, p.Result, p.Reason, p.IssuedAt, Convert.FromHexString(p.ShoNonce));
    }

    public string Fingerprint(ReadOnlySpan<byte> attestationCertificate, ReadOnlySpan<byte> encryptionCertificate) =>
        Convert.ToHexStringLower(SHA256.HashData([.. attestationCertificate, .. encryptionCertificate]));

    private static string B64(byte[] b) => Convert.ToBase64String(b).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static byte[] Unb64(string s)
    {
        s = s.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(s.PadRight(s.Length + (4 - s.Length % 4) % 4, '='));
    }
}

/// <summary>
/// McimObject.Seal + M2MSimMobj.Sign stand-in: JSON naming PCID/TRE/SHO/nonce, the MCIM (IMSI, K, OPc) sealed to PK_D with
/// ephemeral ECDH P-256 and AES-256-GCM, signed by the SHO's signer (ECDSA).
/// </summary>
internal sealed class FakePackager : IMcimPackager
{
    public byte[] Package(byte[] pkD, McimContent mcim, string pcid, string treId, string shoId, byte[] registrationNonce, X509Certificate2 signer,
        X509Certificate2Collection? chain)
    {
        using var recipient = ECDiffieHellman.Create();
        recipient.ImportSubjectPublicKeyInfo(pkD, out _);
        using var ephemeral = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        var key = ephemeral.DeriveKeyFromHash(recipient.PublicKey, HashAlgorithmName.SHA256);
        var plain = Encoding.UTF8.GetBytes($"{mcim.Imsi}|{Convert.ToHexString(mcim.K)}|{Convert.ToHexString(mcim.Opc)}");
        var (iv, ct, tag) = (RandomNumberGenerator.GetBytes(12), new byte[plain.Length], new byte[16]);
        using (var gcm = new AesGcm(key, 16))
            gcm.Encrypt(iv, plain, ct, tag);
        var sealedMcim = JsonSerializer.SerializeToUtf8Bytes(new { epk = ephemeral.ExportSubjectPublicKeyInfo(), iv, ct, tag });
        var body = JsonSerializer.SerializeToUtf8Bytes(new Doc(pcid, treId, shoId, Convert.ToHexString(registrationNonce), sealedMcim));
        using var signing = signer.GetECDsaPrivateKey()!;
        return JsonSerializer.SerializeToUtf8Bytes(new Signed(body, signing.SignData(body, HashAlgorithmName.SHA256), signer.RawData));
    }

    internal sealed record Doc(string Pcid, string TreId, string ShoId, string Nonce, byte[] Mcim);

    internal sealed record Signed(byte[] Body, byte[] Signature, byte[] Signer);

    /// <summary>The document's content after its signature verified (under the signer it carries; the tests' reader checks its CN).</summary>
    public static M2MSimMobjContent Read(byte[] document, out X509Certificate2 signer)
    {
        try
        {
            var signed = JsonSerializer.Deserialize<Signed>(document)!;
            signer = X509CertificateLoader.LoadCertificate(signed.Signer);
            using var key = signer.GetECDsaPublicKey()!;
            if (!key.VerifyData(signed.Body, signed.Signature, HashAlgorithmName.SHA256))
                throw new ProvisioningException("bad-signature", "M2MSIMMobj signature does not verify");
            var doc = JsonSerializer.Deserialize<Doc>(signed.Body)!;
            return new M2MSimMobjContent(doc.Pcid, doc.TreId, doc.ShoId, Convert.FromHexString(doc.Nonce), doc.Mcim);
        }
        catch (Exception e) when (e is JsonException or FormatException or CryptographicException or ArgumentNullException or NullReferenceException)
        {
            throw new ProvisioningException("bad-m2msimmobj", "not an M2MSIMMobj document", e);
        }
    }
}

/// <summary>The DPF's reader over <see cref="FakePackager"/> documents.</summary>
internal sealed class FakeM2MSimMobjReader : IM2MSimMobjReader
{
    public Task<M2MSimMobjContent> ReadAsync(byte[] document, CancellationToken cancellationToken) => Task.FromResult(FakePackager.Read(document, out _));
}

/// <summary>
/// The TRE's provisioning calls (H1/H2's stubs) as the tests need them: its own attestation (ECDSA) and encryption (ECDH) keys
/// certified by a manufacturer hierarchy, a pending registration nonce, attestation over the challenge, and an install that checks
/// the designated SHO and the nonce (cleared by the install) before opening the MCIM with its key.
/// </summary>
internal sealed class FakeProvisioningTre : IProvisioningTre
{
    private readonly ECDsa _attestationKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly ECDiffieHellman _encryptionKey = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
    private byte[]? _nonce;

    private FakeProvisioningTre(string treId, string pcid, string sho)
    {
        TreId = treId;
        Pcid = pcid;
        DesignatedSho = sho;
    }

    public static async Task<FakeProvisioningTre> CreateAsync(CertificateHierarchy manufacturer, string treId, string pcid, string sho)
    {
        var tre = new FakeProvisioningTre(treId, pcid, sho);
        tre.PfcAttestation = (await manufacturer.IssueForKeyAsync(CertificateProfile.Device, new CertificateSubject(treId + " attestation"), new PublicKey(tre._attestationKey))).RawData;
        tre.PfcEncryption = (await manufacturer.IssueForKeyAsync(CertificateProfile.Device, new CertificateSubject(treId + " encryption"),
            PublicKey.CreateFromSubjectPublicKeyInfo(tre._encryptionKey.ExportSubjectPublicKeyInfo(), out _))).RawData;
        return tre;
    }

    public string TreId { get; }
    public string? Pcid { get; }
    public string? DesignatedSho { get; }
    public byte[]? PfcAttestation { get; private set; }
    public byte[]? PfcEncryption { get; private set; }
    public ConcurrentBag<string> Installed { get; } = [];

    /// <summary>Refuse every MCIM (as a TRE whose MAC check failed would).</summary>
    public bool RefuseInstall { get; set; }

    public McimInstructionResult ApplyMcimInstruction(ReadOnlySpan<byte> signedInstruction) =>
        new("not-installed", null, null, "the fake TRE holds no MCIM life cycle");

    public ShoDesignationResult DesignateSho(string shoId, X509Certificate2? root) =>
        new(ShoDesignationResult.NoShoRoot, "the fake TRE takes no change of subscription");

    public byte[] RegistrationNonce() => (byte[])(_nonce ??= RandomNumberGenerator.GetBytes(16)).Clone();

    public byte[] Attest(ReadOnlySpan<byte> challenge)
    {
        var signed = Encoding.UTF8.GetBytes($"{TreId}|{Pcid}|{Convert.ToHexString(challenge)}");
        return JsonSerializer.SerializeToUtf8Bytes(new Evidence(signed, _attestationKey.SignData(signed, HashAlgorithmName.SHA256)));
    }

    internal sealed record Evidence(byte[] Signed, byte[] Signature);

    /// <summary>What the fake PVA checks: the evidence signed by the PfC's attestation key over this challenge.</summary>
    public static bool CheckEvidence(byte[] evidence, byte[] attestationCertificate, string pcid, byte[] challenge)
    {
        try
        {
            var e = JsonSerializer.Deserialize<Evidence>(evidence)!;
            using var cert = X509CertificateLoader.LoadCertificate(attestationCertificate);
            using var key = cert.GetECDsaPublicKey()!;
            return key.VerifyData(e.Signed, e.Signature, HashAlgorithmName.SHA256) && Encoding.UTF8.GetString(e.Signed).EndsWith($"|{pcid}|{Convert.ToHexString(challenge)}", StringComparison.Ordinal);
        }
        catch (Exception ex) when (ex is JsonException or CryptographicException or ArgumentNullException)
        {
            return false;
        }
    }

    public McimInstallResult InstallMcim(ReadOnlySpan<byte> signedM2MSimMobj)
    {
        if (RefuseInstall)
            return new McimInstallResult("mac-mismatch", null, "the MCIM object's MAC does not verify");
        M2MSimMobjContent content;
        X509Certificate2 signer;
        try
        {
            content = FakePackager.Read(signedM2MSimMobj.ToArray(), out signer);
        }
        catch (ProvisioningException e)
        {
            return new McimInstallResult(e.Code, null, e.Message);
        }
        if (signer.GetNameInfo(X509NameType.SimpleName, false) != DesignatedSho)
            return new McimInstallResult("wrong-sho", null, "signer is not the designated SHO");
        if (_nonce is null || !CryptographicOperations.FixedTimeEquals(_nonce, content.RegistrationNonce))
            return new McimInstallResult("stale-nonce", null, "no such pending registration nonce");
        var sealedMcim = JsonDocument.Parse(content.McimObject).RootElement;
        using var epk = ECDiffieHellman.Create();
        epk.ImportSubjectPublicKeyInfo(sealedMcim.GetProperty("epk").GetBytesFromBase64(), out _);
        var key = _encryptionKey.DeriveKeyFromHash(epk.PublicKey, HashAlgorithmName.SHA256);
        var ct = sealedMcim.GetProperty("ct").GetBytesFromBase64();
        var plain = new byte[ct.Length];
        try
        {
            using var gcm = new AesGcm(key, 16);
            gcm.Decrypt(sealedMcim.GetProperty("iv").GetBytesFromBase64(), ct, sealedMcim.GetProperty("tag").GetBytesFromBase64(), plain);
        }
        catch (CryptographicException)
        {
            return new McimInstallResult("mac-mismatch", null, "the MCIM object does not open");
        }
        var imsi = Encoding.UTF8.GetString(plain).Split('|')[0];
        _nonce = null; // cleared by the install
        Installed.Add(imsi);
        return new McimInstallResult(McimInstallResult.Installed, imsi, "installed");
    }
}
