using System.Buffers;
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using M2MSec.Pki;
using M2MSec.Pki.Authority;

namespace M2MSec.Provisioning.Validation;

/// <summary>
/// The PVA's signed statement (seed 003: "the DPF has root certificates that can be used to verify that the correct (trusted)
/// PVA is performing the TRE check(s)"): which validation, which PCID and PfC, the result, when, and the SHO's request
/// nonce. <see cref="Result"/> is "valid" or "invalid" (then <see cref="Reason"/> says why). docs/decisions/015.
/// <para>Form (one ASCII string): <c>pva-verdict.v1.</c>B64U(payload JSON)<c>.</c>B64U(signer DER)[<c>~</c>B64U(intermediate DER)]*<c>.</c>B64U(signature),
/// the signature (ECDSA P-256/SHA-256 DER or RSA-PSS/SHA-256) over everything before the last dot — certificates included.</para>
/// </summary>
public sealed record PvaVerdict(string ValidationId, string Pcid, string PfcFingerprint, string Result, string? Reason, DateTimeOffset IssuedAt, byte[] ShoNonce)
{
    public const string Valid = "valid";
    public const string Invalid = "invalid";
    public const int MaxStatementLength = 32 * 1024;
    private const string Prefix = "pva-verdict.v1.";

    /// <summary>Tolerated clock difference between the PVA and a checker (a verdict "from the future").</summary>
    public static TimeSpan ClockSkew { get; } = TimeSpan.FromMinutes(2);

    public bool IsValid => Result == Valid;

    /// <summary>The PfC's fingerprint as verdicts name it: SHA-256 over both certificates (DER), hex.</summary>
    public static string Fingerprint(ReadOnlySpan<byte> attestationCertificate, ReadOnlySpan<byte> encryptionCertificate)
    {
        // Each certificate length-prefixed (32 bits), so the split between the two is part of what is hashed.
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> length = stackalloc byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(length, attestationCertificate.Length);
        hash.AppendData(length);
        hash.AppendData(attestationCertificate);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(length, encryptionCertificate.Length);
        hash.AppendData(length);
        hash.AppendData(encryptionCertificate);
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>The signed statement (a string that travels in JSON), under the PVA's certificate (role pva, with its key).</summary>
    public static string Sign(PvaVerdict verdict, X509Certificate2 pvaCertificate, X509Certificate2Collection? chain = null)
    {
        ArgumentNullException.ThrowIfNull(verdict);
        ArgumentNullException.ThrowIfNull(pvaCertificate);
        if (verdict.Result is not (Valid or Invalid))
            throw new ArgumentException("result: valid or invalid", nameof(verdict));
        var payload = JsonSerializer.SerializeToUtf8Bytes(new Payload(verdict.ValidationId, verdict.Pcid, verdict.PfcFingerprint, verdict.Result, verdict.Reason,
            verdict.IssuedAt.ToUnixTimeMilliseconds(), Convert.ToHexStringLower(verdict.ShoNonce)), PayloadJson.Options);
        return SignEnvelope(Prefix, payload, pvaCertificate, chain);
    }

    /// <summary>The signed envelope shared by the PVA's statements: prefix, payload, certificates, signature over all before it.</summary>
    internal static string SignEnvelope(string prefix, byte[] payload, X509Certificate2 pvaCertificate, X509Certificate2Collection? chain)
    {
        using var key = (AsymmetricAlgorithm?)pvaCertificate.GetECDsaPrivateKey() ?? pvaCertificate.GetRSAPrivateKey()
            ?? throw new ArgumentException("the PVA certificate has no private key", nameof(pvaCertificate));
        var certificates = string.Join('~', new[] { pvaCertificate }.Concat(chain?.Cast<X509Certificate2>() ?? []).Select(c => B64U(c.RawData)));
        var signed = prefix + B64U(payload) + "." + certificates;
        return signed + "." + B64U(PlatformSignature.Sign(key, Encoding.ASCII.GetBytes(signed)));
    }

    /// <summary>
    /// Checks the signature, that the signer carries the pva role and chains to <paramref name="trustRoot"/>, and that the
    /// statement is at most <paramref name="maxAge"/> old at <paramref name="now"/>. The caller then compares PCID, PfC and
    /// nonce with what it expects. Throws <see cref="ProvisioningException"/> (code bad-verdict, stale-verdict).
    /// </summary>
    public static PvaVerdict Verify(string statement, X509Certificate2 trustRoot, X509Certificate2Collection? intermediates, DateTimeOffset now, TimeSpan maxAge)
    {
        var payloadBytes = OpenEnvelope(Prefix, statement, trustRoot, intermediates, now, Bad);
        Payload payload;
        try
        {
            payload = JsonSerializer.Deserialize<Payload>(payloadBytes, PayloadJson.Options) ?? throw Bad("empty payload");
        }
        catch (JsonException)
        {
            throw Bad("the payload is not JSON");
        }
        if (string.IsNullOrEmpty(payload.ValidationId) || string.IsNullOrEmpty(payload.Pcid) || string.IsNullOrEmpty(payload.PfcFingerprint)
            || payload.Result is not (Valid or Invalid) || payload.ShoNonce is null || !IsHex(payload.ShoNonce))
            throw Bad("a payload field is missing or malformed");
        var issuedAt = DateTimeOffset.FromUnixTimeMilliseconds(payload.IssuedAt);
        if (issuedAt > now + ClockSkew || now - issuedAt > maxAge)
            throw new ProvisioningException("stale-verdict", $"PVA verdict issued at {issuedAt:O}: outside the accepted age of {maxAge} at {now:O}");
        return new PvaVerdict(payload.ValidationId, payload.Pcid, payload.PfcFingerprint, payload.Result, payload.Reason, issuedAt, Convert.FromHexString(payload.ShoNonce));
    }

    /// <summary>
    /// Opens a signed envelope: the signature verifies under the carried signer, the signer carries the pva role and chains to
    /// <paramref name="trustRoot"/> at <paramref name="now"/>; answers the payload (JSON) bytes. Errors through <paramref name="bad"/>.
    /// </summary>
    internal static byte[] OpenEnvelope(string prefix, string statement, X509Certificate2 trustRoot, X509Certificate2Collection? intermediates, DateTimeOffset now,
        Func<string, ProvisioningException> bad)
    {
        ArgumentNullException.ThrowIfNull(trustRoot);
        if (string.IsNullOrEmpty(statement) || statement.Length > MaxStatementLength || !statement.StartsWith(prefix, StringComparison.Ordinal))
            throw bad("not a PVA verdict");
        var parts = statement[prefix.Length..].Split('.');
        if (parts.Length != 3)
            throw bad("expected payload, certificates and signature");
        var payloadBytes = FromB64U(parts[0]);
        var certificates = parts[1].Split('~').Select(FromB64U).ToList();
        var signature = FromB64U(parts[2]);
        if (payloadBytes is null || signature is null || certificates.Count is 0 or > 4 || certificates.Any(c => c is null))
            throw bad("not base64url");
        X509Certificate2? signer = null;
        var carried = new X509Certificate2Collection();
        try
        {
            try
            {
                signer = DerCertificates.Load(certificates[0]!);
                foreach (var der in certificates.Skip(1))
                    carried.Add(DerCertificates.Load(der!));
            }
            catch (CryptographicException)
            {
                throw bad("a certificate does not parse");
            }
            var scheme = signer.GetKeyAlgorithm() == "1.2.840.113549.1.1.1" ? SignatureScheme.RsaPssSha256 : SignatureScheme.EcdsaP256Sha256;
            var signed = Encoding.ASCII.GetBytes(statement[..statement.LastIndexOf('.')]);
            if (!PlatformSignature.Verify(signer, scheme, signed, signature))
                throw bad("the signature does not verify");
            if (CertificateRoles.RoleOf(signer) != "pva")
                throw bad("the signer is not a PVA (role pva)");
            var chain = new X509Certificate2Collection(carried);
            if (intermediates is not null)
                chain.AddRange(intermediates);
            if (!CertificateChains.Verify(signer, trustRoot, chain, now, out var chainError))
                throw bad("the signer does not chain to the trusted root: " + chainError);
        }
        finally
        {
            signer?.Dispose();
            foreach (var c in carried)
                c.Dispose();
        }
        return payloadBytes;
    }

    private static bool IsHex(string s) => s.Length % 2 == 0 && s.Length <= 128 && s.All(Uri.IsHexDigit);

    private static ProvisioningException Bad(string why) => new("bad-verdict", "PVA verdict: " + why);

    private static string B64U(byte[] bytes) => Base64Url.EncodeToString(bytes);

    /// <summary>RFC 4648 §5 without padding: only the alphabet's 64 characters, else null.</summary>
    private static byte[]? FromB64U(string text)
    {
        if (text.Length == 0 || text.AsSpan().ContainsAnyExcept(Base64UrlAlphabet))
            return null;
        try
        {
            return Base64Url.DecodeFromChars(text);
        }
        catch (FormatException)
        {
            return null;
        }
    }

    private static readonly SearchValues<char> Base64UrlAlphabet =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_");

    private sealed record Payload(string ValidationId, string Pcid, string PfcFingerprint, string Result, string? Reason, long IssuedAt, string ShoNonce);

    private static class PayloadJson
    {
        public static JsonSerializerOptions Options { get; } = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };
    }
}
