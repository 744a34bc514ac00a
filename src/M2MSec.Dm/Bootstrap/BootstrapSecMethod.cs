namespace M2MSec.Dm.Bootstrap;

/// <summary>The SEC parameter of a bootstrap push (OMA ProvBoot §5.3 / OMA-TS-DM_Bootstrap §5.3.1).</summary>
public enum BootstrapSecMethod
{
    /// <summary>Key = IMSI in GSM 11.11 semi-octets.</summary>
    NetwPin = 0,

    /// <summary>Key = user PIN (ASCII).</summary>
    UserPin = 1,

    /// <summary>Key = IMSI semi-octets || user PIN (ASCII).</summary>
    UserNetwPin = 2,

    /// <summary>The user PIN carries the MAC: first half = key, second half = check digits (no MAC parameter).</summary>
    UserPinMac = 3,

    /// <summary>
    /// Not an OMA value (OMA uses 0–3): the Registration Operator's keyed method (issue 15, docs/decisions/016) — the MAC is
    /// HMAC-SHA1 over the body keyed with K_RO (<c>M2MSec.Provisioning.Bootstrap.RoBootstrapKey</c>), checked with
    /// <see cref="BootstrapAuthenticator.VerifyWithKey"/> inside the TRE. Its wire name is "ro-kro".
    /// </summary>
    RegistrationOperatorKey = 0x80,
}

/// <summary>Outcome of a bootstrap MAC check.</summary>
public enum BootstrapVerifyResult
{
    Ok,
    MacMismatch,
    MissingMac,
    MissingImsi,
    InvalidImsi,
    MissingPin,
    InvalidPin,
    UnknownMethod,

    /// <summary>The keyed method's key is shorter than <see cref="BootstrapAuthenticator.MinKeyBytes"/>.</summary>
    InvalidKey,
}
