using M2MSec.Pki.Validation;

namespace M2MSec.Pki.Ocsp;

/// <summary>
/// The outcome of checking one OCSP response: what it says (as far as it got) and the refusal
/// reason, <see cref="RefusalReason.None"/> when the certificate may be used.
/// </summary>
public sealed record OcspVerification(
    RefusalReason Reason,
    OcspStatus? Status = null,
    DateTimeOffset? ProducedAt = null,
    DateTimeOffset? ThisUpdate = null,
    DateTimeOffset? NextUpdate = null,
    DateTimeOffset? RevokedAt = null,
    int? RevocationReason = null)
{
    public bool IsAcceptable => Reason == RefusalReason.None;
}
