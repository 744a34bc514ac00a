namespace M2MSec.Device.Tre;

/// <summary>Why a TRE is in lockdown (TR 33.812 §5.1.2.2: tampering is detected and locks the TRE down).</summary>
public enum LockdownReason
{
    /// <summary>A sealed object failed its integrity check.</summary>
    SealedStoreIntegrity,

    /// <summary>An older copy of the sealed store was put back (its version is behind the replay-protected counter).</summary>
    SealedStoreRollback,

    /// <summary>A measured firmware image no longer matches its reference hash.</summary>
    FirmwareMeasurement,

    /// <summary>The replay-protected store failed its authentication.</summary>
    ReplayProtectedStoreIntegrity,
}

/// <summary>The TRE refused: it is in lockdown and refuses every credential operation until rehabilitated.</summary>
public sealed class TreLockedException(LockdownReason reason)
    : InvalidOperationException($"the TRE is in lockdown ({reason}); credential operations are refused until it is rehabilitated")
{
    public LockdownReason Reason { get; } = reason;
}

/// <summary>The TRE's security policy does not let this caller use this key or object.</summary>
public sealed class TreAccessDeniedException(TreCaller caller, string what)
    : UnauthorizedAccessException($"TRE policy: {caller} may not {what}")
{
    public TreCaller Caller { get; } = caller;
}

/// <summary>The MCIM for this IMSI is disabled by its SHO (issue 16): the TRE runs no AKA and releases no key with it.</summary>
public sealed class TreMcimDisabledException(string imsi)
    : InvalidOperationException($"the MCIM {imsi} is disabled in the TRE; AKA with it is refused")
{
    public string Imsi { get; } = imsi;
}
