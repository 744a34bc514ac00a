using System.Security.Cryptography.X509Certificates;

namespace M2MSec.Provisioning.Validation;

/// <summary>
/// The PVA's signed statement (seed 003: "the DPF has root certificates that can be used to verify that the correct (trusted)
/// PVA is performing the TRE check(s)"): which validation, which PCID and PfC, the result, when, and the SHO's request
/// nonce. <see cref="Result"/> is "valid" or "invalid" (then <see cref="Reason"/> says why). docs/decisions/015.
/// </summary>
public sealed record PvaVerdict(string ValidationId, string Pcid, string PfcFingerprint, string Result, string? Reason, DateTimeOffset IssuedAt, byte[] ShoNonce)
{
    public const string Valid = "valid";
    public const string Invalid = "invalid";

    public bool IsValid => Result == Valid;

    /// <summary>The PfC's fingerprint as verdicts name it: SHA-256 over both certificates (DER), hex.</summary>
    public static string Fingerprint(ReadOnlySpan<byte> attestationCertificate, ReadOnlySpan<byte> encryptionCertificate) =>
        throw new NotImplementedException("issue 15: PvaVerdict.Fingerprint");

    /// <summary>The signed statement (a string that travels in JSON), under the PVA's certificate (role pva, with its key).</summary>
    public static string Sign(PvaVerdict verdict, X509Certificate2 pvaCertificate, X509Certificate2Collection? chain = null) =>
        throw new NotImplementedException("issue 15: PvaVerdict.Sign");

    /// <summary>
    /// Checks the signature, that the signer carries the pva role and chains to <paramref name="trustRoot"/>, and that the
    /// statement is at most <paramref name="maxAge"/> old at <paramref name="now"/>. The caller then compares PCID, PfC and
    /// nonce with what it expects. Throws <see cref="ProvisioningException"/> (code bad-verdict, stale-verdict).
    /// </summary>
    public static PvaVerdict Verify(string statement, X509Certificate2 trustRoot, X509Certificate2Collection? intermediates, DateTimeOffset now, TimeSpan maxAge) =>
        throw new NotImplementedException("issue 15: PvaVerdict.Verify");
}
