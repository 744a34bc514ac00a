namespace M2MSec.Device.Tre;

/// <summary>A security event the TRE reports (clock rollback attempts, refused times, lockdown).</summary>
public sealed record TreEvent(DateTimeOffset At, string Kind, string Detail);

/// <summary>The TRE's state as anyone may see it: no key material.</summary>
public sealed record TreStatus(string TreId, string? Pcid, bool Locked, LockdownReason? LockdownReason, ulong StoreVersion, DateTimeOffset? Clock, int ClockRollbackAttempts, IReadOnlyList<string> Subscriptions);

/// <summary>The TRE's signed statement of its identities over a verifier's challenge.</summary>
public sealed record IdentityAssertion(string TreId, string Pcid, byte[] Challenge, byte[] Signature)
{
    public static byte[] SignedBytes(string treId, string pcid, ReadOnlySpan<byte> challenge) =>
        [.. System.Text.Encoding.UTF8.GetBytes($"M2MSec-TRE-identity|{treId}|{pcid}|"), .. challenge];

    /// <summary>Verifies against the TRE's identity public key (SubjectPublicKeyInfo DER): ECDSA P-256 or RSA-PSS, SHA-256.</summary>
    public bool Verify(ReadOnlySpan<byte> identityPublicKey) =>
        M2MSec.Provisioning.Validation.PlatformSignature.Verify(identityPublicKey, M2MSec.Provisioning.Validation.SignatureScheme.EcdsaP256Sha256,
            SignedBytes(TreId, Pcid, Challenge), Signature)
        || M2MSec.Provisioning.Validation.PlatformSignature.Verify(identityPublicKey, M2MSec.Provisioning.Validation.SignatureScheme.RsaPssSha256,
            SignedBytes(TreId, Pcid, Challenge), Signature);
}
