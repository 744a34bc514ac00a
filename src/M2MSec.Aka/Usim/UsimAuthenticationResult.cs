namespace M2MSec.Aka;

/// <summary>Outcome of the USIM's AUTHENTICATE (TS 33.102 §6.3.3; TS 31.102 §7.1.2).</summary>
public enum UsimAuthenticationStatus
{
    /// <summary>AUTN verified and SQN fresh: RES, CK and IK are returned.</summary>
    Success,

    /// <summary>XMAC ≠ MAC: "user authentication reject" with cause MAC failure.</summary>
    MacFailure,

    /// <summary>MAC good but SQN not fresh: the USIM returns AUTS.</summary>
    SynchronisationFailure,

    /// <summary>TS 33.401 §6.1.1: the ME in E-UTRAN rejects an AUTN whose AMF separation bit is 0.</summary>
    AmfSeparationBitInvalid,
}

/// <summary>The USIM's answer; <see cref="Res"/>/<see cref="Ck"/>/<see cref="Ik"/> on success, <see cref="Auts"/> on sync failure.</summary>
public sealed record UsimAuthenticationResult(UsimAuthenticationStatus Status, byte[]? Res = null, byte[]? Ck = null, byte[]? Ik = null, byte[]? Auts = null)
{
    public bool IsSuccess => Status == UsimAuthenticationStatus.Success;

    public override string ToString() => $"UsimAuthenticationResult {{ Status = {Status} }}";
}
