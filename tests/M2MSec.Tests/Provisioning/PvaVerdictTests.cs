using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using M2MSec.Pki.Authority;
using M2MSec.Provisioning;
using M2MSec.Provisioning.Validation;
using M2MSec.Storage.InMemory;

namespace M2MSec.Tests.Provisioning;

/// <summary>Issue 15 item 4: the PVA's signed verdict — signature, signer role pva chaining to the root held, age; fingerprint.</summary>
public sealed class PvaVerdictTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;

    private static async Task<(CertificateHierarchy H, X509Certificate2 Pva)> OperatorAsync(string role = "pva")
    {
        var h = await CertificateHierarchy.InitAsync(new InMemoryCertificateStore(TimeProvider.System), "operator", KeyAlgorithm.EcP256, null, TimeProvider.System);
        return (h, await h.IssueAsync(CertificateProfile.NetworkFunction, new CertificateSubject(role, ["127.0.0.1"]), role: role));
    }

    private static PvaVerdict Sample(DateTimeOffset? at = null) =>
        new("val-1", "001990000000001", PvaVerdict.Fingerprint([1, 2], [3]), PvaVerdict.Valid, null, at ?? Now, RandomNumberGenerator.GetBytes(16));

    [Fact]
    public async Task SignThenVerify_ReturnsTheVerdict()
    {
        var (h, pva) = await OperatorAsync();
        var verdict = Sample();
        var back = PvaVerdict.Verify(PvaVerdict.Sign(verdict, pva, [h.Issuing]), h.Root, null, Now, TimeSpan.FromMinutes(10));
        Assert.Equal(verdict.ValidationId, back.ValidationId);
        Assert.Equal(verdict.Pcid, back.Pcid);
        Assert.Equal(verdict.PfcFingerprint, back.PfcFingerprint);
        Assert.True(back.IsValid);
        Assert.Equal(verdict.ShoNonce, back.ShoNonce);
        Assert.Equal(verdict.IssuedAt.ToUnixTimeMilliseconds(), back.IssuedAt.ToUnixTimeMilliseconds());
        // Intermediates may also come from the checker rather than the statement.
        Assert.True(PvaVerdict.Verify(PvaVerdict.Sign(verdict with { Result = PvaVerdict.Invalid, Reason = "pfc-revoked" }, pva), h.Root, [h.Issuing], Now, TimeSpan.FromMinutes(10))
            is { IsValid: false, Reason: "pfc-revoked" });
    }

    [Fact]
    public void Fingerprint_IsSha256OverBothCertificates_OrderAndSplitMatter()
    {
        Assert.Equal(64, PvaVerdict.Fingerprint([1, 2], [3]).Length);
        Assert.Equal(PvaVerdict.Fingerprint([1, 2], [3]), PvaVerdict.Fingerprint([1, 2], [3]));
        Assert.NotEqual(PvaVerdict.Fingerprint([1, 2], [3]), PvaVerdict.Fingerprint([3], [1, 2]));
        Assert.NotEqual(PvaVerdict.Fingerprint([1, 2], [3]), PvaVerdict.Fingerprint([1], [2, 3]));
    }

    [Fact]
    public async Task TamperedOrForeignOrNonPvaVerdict_IsRefused_ForgedVerdictThreat()
    {
        var (h, pva) = await OperatorAsync();
        var signed = PvaVerdict.Sign(Sample() with { Result = PvaVerdict.Invalid, Reason = "measurements-mismatch" }, pva, [h.Issuing]);
        PvaVerdict Check(string s) => PvaVerdict.Verify(s, h.Root, null, Now, TimeSpan.FromMinutes(10));

        // Flip the result in the payload: the signature no longer verifies.
        var parts = signed.Split('.');
        var payload = System.Text.Encoding.UTF8.GetString(Base64Url(parts[2])).Replace("\"invalid\"", "\"valid\"", StringComparison.Ordinal);
        var forged = string.Join('.', parts[0], parts[1], ToBase64Url(System.Text.Encoding.UTF8.GetBytes(payload)), parts[3], parts[4]);
        Assert.Equal("bad-verdict", Assert.Throws<ProvisioningException>(() => Check(forged)).Code);

        // Signed by another role's certificate of the same operator (a SHO or DPF forging its own verdict).
        var sho = await h.IssueAsync(CertificateProfile.NetworkFunction, new CertificateSubject("sho", ["127.0.0.1"]), role: "sho");
        Assert.Contains("role pva", Assert.Throws<ProvisioningException>(() => Check(PvaVerdict.Sign(Sample(), sho, [h.Issuing]))).Message);

        // Signed by a "pva" of another hierarchy.
        var (_, strangerPva) = await OperatorAsync();
        Assert.Contains("chain", Assert.Throws<ProvisioningException>(() => Check(PvaVerdict.Sign(Sample(), strangerPva))).Message);

        // Not a verdict at all.
        foreach (var junk in new[] { "", "pva-verdict.v1.", "pva-verdict.v1.a.b", "pva-verdict.v1.!!.b.c", signed[..^4] + "AAAA", signed + "." })
            Assert.Equal("bad-verdict", Assert.Throws<ProvisioningException>(() => Check(junk)).Code);

        // Base64url only (RFC 4648 §5, no padding): standard base64's characters, padding or a length no encoding has are refused.
        foreach (var part in new[] { parts[2] + "=", parts[2].Replace('-', '+').Replace('_', '/') + "+/", "A", parts[2] + " " })
        {
            var malformed = string.Join('.', parts[0], parts[1], part, parts[3], parts[4]);
            Assert.Equal("bad-verdict", Assert.Throws<ProvisioningException>(() => Check(malformed)).Code);
        }
    }

    [Fact]
    public async Task OldOrFutureVerdict_IsRefused_StaleVerdictThreat()
    {
        var (h, pva) = await OperatorAsync();
        var old = PvaVerdict.Sign(Sample(Now - TimeSpan.FromHours(2)), pva, [h.Issuing]);
        Assert.Equal("stale-verdict", Assert.Throws<ProvisioningException>(() => PvaVerdict.Verify(old, h.Root, null, Now, TimeSpan.FromHours(1))).Code);
        var future = PvaVerdict.Sign(Sample(Now + TimeSpan.FromHours(1)), pva, [h.Issuing]);
        Assert.Equal("stale-verdict", Assert.Throws<ProvisioningException>(() => PvaVerdict.Verify(future, h.Root, null, Now, TimeSpan.FromHours(2))).Code);
        // A verdict within its age passes.
        Assert.NotNull(PvaVerdict.Verify(old, h.Root, null, Now, TimeSpan.FromHours(3)));
    }

    private static byte[] Base64Url(string s)
    {
        s = s.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(s.PadRight(s.Length + (4 - s.Length % 4) % 4, '='));
    }

    private static string ToBase64Url(byte[] b) => Convert.ToBase64String(b).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
