using System.Security.Cryptography.X509Certificates;
using System.Text.Json;

namespace M2MSec.Provisioning.Validation;

/// <summary>
/// The PVA's signed rehabilitation statement (issue 16; TR 33.812 §5.1.2.2 leaves rehabilitation FFS; docs/decisions/020):
/// the PVA judged fresh evidence of a locked-down TRE and names the TRE id, PCID, PfC fingerprint, the nonce the TRE issued
/// (the attestation's challenge), the measurements it now accepts, and the result. Same envelope and signer as
/// <see cref="PvaVerdict"/>, another prefix (<c>pva-rehabilitation.v1.</c>), so neither can be passed off as the other.
/// </summary>
public sealed record PvaRehabilitation(string TreId, string Pcid, string PfcFingerprint, byte[] TreNonce, IReadOnlyDictionary<string, byte[]> Measurements,
    string Result, string? Reason, DateTimeOffset IssuedAt)
{
    private const string Prefix = "pva-rehabilitation.v1.";

    public bool IsValid => Result == PvaVerdict.Valid;

    /// <summary>The signed statement under the PVA's certificate (role pva, with its key).</summary>
    public static string Sign(PvaRehabilitation statement, X509Certificate2 pvaCertificate, X509Certificate2Collection? chain = null)
    {
        ArgumentNullException.ThrowIfNull(statement);
        ArgumentNullException.ThrowIfNull(pvaCertificate);
        if (statement.Result is not (PvaVerdict.Valid or PvaVerdict.Invalid))
            throw new ArgumentException("result: valid or invalid", nameof(statement));
        var payload = JsonSerializer.SerializeToUtf8Bytes(new Payload(statement.TreId, statement.Pcid, statement.PfcFingerprint, Convert.ToHexStringLower(statement.TreNonce),
            statement.Measurements.ToDictionary(m => m.Key, m => Convert.ToHexStringLower(m.Value), StringComparer.Ordinal), statement.Result, statement.Reason,
            statement.IssuedAt.ToUnixTimeMilliseconds()), Json);
        return PvaVerdict.SignEnvelope(Prefix, payload, pvaCertificate, chain);
    }

    /// <summary>
    /// Checks signature, pva role, chain to <paramref name="trustRoot"/> and age, as <see cref="PvaVerdict.Verify"/>; the caller then
    /// compares TRE id, PCID, PfC and nonce. Throws <see cref="ProvisioningException"/> (bad-rehabilitation, stale-rehabilitation).
    /// </summary>
    public static PvaRehabilitation Verify(string statement, X509Certificate2 trustRoot, X509Certificate2Collection? intermediates, DateTimeOffset now, TimeSpan maxAge)
    {
        var bytes = PvaVerdict.OpenEnvelope(Prefix, statement, trustRoot, intermediates, now, Bad);
        Payload? p;
        try
        {
            p = JsonSerializer.Deserialize<Payload>(bytes, Json);
        }
        catch (JsonException)
        {
            throw Bad("the payload is not JSON");
        }
        if (p is null || string.IsNullOrEmpty(p.TreId) || string.IsNullOrEmpty(p.Pcid) || string.IsNullOrEmpty(p.PfcFingerprint)
            || p.Result is not (PvaVerdict.Valid or PvaVerdict.Invalid) || !IsHex(p.TreNonce, 128) || p.Measurements is null
            || p.Measurements.Count > AttestationStatement.MaxMeasurements || p.Measurements.Values.Any(v => !IsHex(v, 64) || v.Length != 64))
            throw Bad("a payload field is missing or malformed");
        var issuedAt = DateTimeOffset.FromUnixTimeMilliseconds(p.IssuedAt);
        if (issuedAt > now + PvaVerdict.ClockSkew || now - issuedAt > maxAge)
            throw new ProvisioningException("stale-rehabilitation", $"PVA rehabilitation issued at {issuedAt:O}: outside the accepted age of {maxAge} at {now:O}");
        return new PvaRehabilitation(p.TreId, p.Pcid, p.PfcFingerprint, Convert.FromHexString(p.TreNonce!),
            p.Measurements.ToDictionary(m => m.Key, m => Convert.FromHexString(m.Value), StringComparer.Ordinal), p.Result, p.Reason, issuedAt);
    }

    private static bool IsHex(string? s, int max) => s is not null && s.Length > 0 && s.Length % 2 == 0 && s.Length <= max && s.All(Uri.IsHexDigit);

    private static ProvisioningException Bad(string why) => new("bad-rehabilitation", "PVA rehabilitation: " + why);

    private static JsonSerializerOptions Json { get; } = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    private sealed record Payload(string TreId, string Pcid, string PfcFingerprint, string? TreNonce, Dictionary<string, string>? Measurements, string Result,
        string? Reason, long IssuedAt);
}
