using System.Security.Cryptography;
using System.Text;
using M2MSec.Crypto.Metering;

namespace M2MSec.Device.Tre;

/// <summary>
/// A time statement signed by a time authority the TRE trusts (provisioned at manufacture):
/// ECDSA P-256 / SHA-256 over "M2MSec-signed-time" ‖ authority ‖ Unix ms. The OCSP producedAt
/// of the PKI work is the other trusted source. docs/decisions/006-secure-clock.md.
/// </summary>
public sealed record SignedTime(string AuthorityId, DateTimeOffset Time, byte[] Signature)
{
    public static byte[] SignedBytes(string authorityId, DateTimeOffset time) =>
        Encoding.UTF8.GetBytes($"M2MSec-signed-time|{authorityId}|{time.ToUnixTimeMilliseconds()}");

    /// <summary>Used by a network time authority (and tests) to issue a statement.</summary>
    public static SignedTime Create(string authorityId, DateTimeOffset time, ECDsa key)
    {
        ArgumentNullException.ThrowIfNull(key);
        OperationMeter.Count(MeteredOperation.EcdsaSign);
        return new SignedTime(authorityId, time, key.SignData(SignedBytes(authorityId, time), HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence));
    }
}

/// <summary>What the TRE did with a trusted-time statement.</summary>
public enum TrustedTimeOutcome
{
    /// <summary>The clock moved forward to the statement's time.</summary>
    Applied,

    /// <summary>The statement's time is not later than the clock: nothing can set the clock back.</summary>
    RefusedSetBack,

    /// <summary>The signature does not verify or the authority is unknown.</summary>
    RefusedUntrusted,
}
