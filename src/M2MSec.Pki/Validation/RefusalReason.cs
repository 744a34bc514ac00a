namespace M2MSec.Pki.Validation;

/// <summary>Why the device refused a server certificate; every refusal names one.</summary>
public enum RefusalReason
{
    None = 0,

    /// <summary>The chain does not end at the provisioned root (the system store is never used).</summary>
    UntrustedRoot,

    /// <summary>The responder (or the CRL) says revoked.</summary>
    Revoked,

    /// <summary>The certificate (or a CA above it) is outside its validity at the trusted time.</summary>
    ExpiredAtTrustedTime,

    /// <summary>The response's nonce differs from the one sent.</summary>
    NonceMismatch,

    /// <summary>The response carries no nonce although one was sent.</summary>
    NoNonce,

    /// <summary>The response (or staple) is older than policy allows, or past its nextUpdate.</summary>
    StaleResponse,

    /// <summary>The response's signature does not verify.</summary>
    BadSignature,

    /// <summary>The response is signed by a key that is neither the issuer nor a delegate the issuer authorised.</summary>
    UnauthorisedResponder,

    /// <summary>The trusted time would go backwards (response older than the secure clock allows).</summary>
    ClockRollback,

    /// <summary>The responder answered "unknown", or the CertID does not match the certificate asked about.</summary>
    UnknownCertificate,

    /// <summary>The responder returned an error status (malformedRequest, internalError, tryLater, …) or no usable answer.</summary>
    ResponderError,

    /// <summary>Secure-clock mode: the certificate's validity period exceeds the configured maximum.</summary>
    ValidityTooLong,

    /// <summary>Stapled mode: no staple was presented, or policy does not allow staples.</summary>
    NoStaple,

    /// <summary>The certificate is not fit for the purpose (key usage, EKU, name).</summary>
    WrongUsage,
}
