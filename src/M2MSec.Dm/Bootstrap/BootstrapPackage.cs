using M2MSec.Dm.Auth;

namespace M2MSec.Dm.Bootstrap;

/// <summary>
/// A DM bootstrap package (OMA-TS-DM_Bootstrap-V1_2 §5): one SyncML DM message from the server (Source) to the
/// device (Target, its DevId) whose Add commands create one DMAcc management object.
/// </summary>
public sealed record BootstrapPackage(string SessionId, string MsgId, string DevId, BootstrapDmAcc Account, BootstrapM2MContext? M2MContext = null)
{
    /// <summary>The media type a bootstrap is delivered with (OMA-TS-DM_Bootstrap-V1_2 §5.3).</summary>
    public const string ContentType = "application/vnd.syncml.dm+wbxml";
}

/// <summary>
/// The M2M context of a Registration Operator's Bootstrap message (TR 33.812 §5.1.3.6.2 step 10: "the context of the MCIM
/// application provision"; issue 15): ./M2MContext/SHO, the SHO that will seal the MCIM. Covered by the same MAC as the DMAcc.
/// </summary>
public sealed record BootstrapM2MContext(string ShoId)
{
    public const string Root = "./M2MContext";
    public const string Sho = "SHO";

    /// <summary>A SHO id: 1–64 of A–Z a–z 0–9 . _ - (it is also the CN of the SHO's signing certificate).</summary>
    public static bool IsValidShoId(string? id) => id is { Length: >= 1 and <= 64 } && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-');
}

/// <summary>
/// One DMAcc instance, ./DMAcc/&lt;NodeName&gt; (OMA-TS-DM_StdObj-V1_2 §5.3): AppID "w7", ServerID, Name,
/// one AppAddr (Addr + AddrType "URI"), AAuthPref, and the two AppAuth instances this implementation uses:
/// SRVCRED (how the server proves itself to the device) and CLCRED (how the device proves itself to the server).
/// </summary>
public sealed record BootstrapDmAcc(
    string NodeName,
    string ServerId,
    string? Name,
    Uri Addr,
    DmAuthScheme AuthPref,
    BootstrapAppAuth ServerCredential,
    BootstrapAppAuth ClientCredential);

/// <summary>
/// ./DMAcc/&lt;x&gt;/AppAuth/&lt;x&gt; (OMA-TS-DM_StdObj-V1_2 §5.3): AAuthLevel, AAuthType, AAuthName, AAuthSecret (chr)
/// and the optional AAuthData (the nonce, bin).
/// </summary>
public sealed record BootstrapAppAuth(DmAuthScheme Type, string Name, string Secret, byte[]? Data = null)
{
    /// <summary>Never the secret.</summary>
    public override string ToString() => $"BootstrapAppAuth({DmAccNames.ToAAuthType(Type)}, {Name})";

    public bool Equals(BootstrapAppAuth? other) =>
        other is not null && Type == other.Type && Name == other.Name && Secret == other.Secret
        && (Data ?? []).AsSpan().SequenceEqual(other.Data ?? []);

    public override int GetHashCode() => HashCode.Combine(Type, Name, Secret, Data?.Length);
}

/// <summary>Node names and values of the DMAcc MO (OMA-TS-DM_StdObj-V1_2 §5.3).</summary>
public static class DmAccNames
{
    public const string Root = "./DMAcc";

    /// <summary>AppID of OMA DM (OMA-TS-DM_StdObj-V1_2 §5.3, registered application characteristic "w7").</summary>
    public const string AppIdValue = "w7";

    public const string AddrTypeUri = "URI";
    public const string ServerCredential = "SRVCRED";
    public const string ClientCredential = "CLCRED";

    public const string AppId = "AppID";
    public const string ServerId = "ServerID";
    public const string Name = "Name";
    public const string AppAddr = "AppAddr";
    public const string Addr = "Addr";
    public const string AddrType = "AddrType";
    public const string AAuthPref = "AAuthPref";
    public const string AppAuth = "AppAuth";
    public const string AAuthLevel = "AAuthLevel";
    public const string AAuthType = "AAuthType";
    public const string AAuthName = "AAuthName";
    public const string AAuthSecret = "AAuthSecret";
    public const string AAuthData = "AAuthData";

    /// <summary>AAuthType / AAuthPref values: BASIC, DIGEST (auth-md5), HMAC (auth-MAC).</summary>
    public static string ToAAuthType(DmAuthScheme scheme) => scheme switch
    {
        DmAuthScheme.Basic => "BASIC",
        DmAuthScheme.Md5 => "DIGEST",
        DmAuthScheme.Hmac => "HMAC",
        _ => throw new ArgumentOutOfRangeException(nameof(scheme)),
    };

    /// <summary>Exact match of BASIC, DIGEST or HMAC; other AAuthType values (X509, SECURID, ...) are refused.</summary>
    public static bool TryParseAAuthType(string? value, out DmAuthScheme scheme)
    {
        switch (value)
        {
            case "BASIC": scheme = DmAuthScheme.Basic; return true;
            case "DIGEST": scheme = DmAuthScheme.Md5; return true;
            case "HMAC": scheme = DmAuthScheme.Hmac; return true;
            default: scheme = default; return false;
        }
    }
}
