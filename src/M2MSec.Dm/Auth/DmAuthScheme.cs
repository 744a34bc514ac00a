namespace M2MSec.Dm.Auth;

/// <summary>SyncML DM authentication schemes (OMA-TS-DM_Security-V1_2 §5.1).</summary>
public enum DmAuthScheme
{
    /// <summary>syncml:auth-basic (§5.1.3.1): B64(name ":" password).</summary>
    Basic,

    /// <summary>syncml:auth-md5 (§5.1.3.2): MD5 digest over a nonce.</summary>
    Md5,

    /// <summary>syncml:auth-MAC (§5.1.4.2): keyed MD5 over the body, carried in the x-syncml-hmac transport header.</summary>
    Hmac,
}

/// <summary>Wire names of <see cref="DmAuthScheme"/> (the Meta Type of Cred and Chal).</summary>
public static class DmAuthSchemeNames
{
    public const string Basic = "syncml:auth-basic";
    public const string Md5 = "syncml:auth-md5";
    public const string Hmac = "syncml:auth-MAC";

    public static string ToWireName(this DmAuthScheme scheme) => scheme switch
    {
        DmAuthScheme.Basic => Basic,
        DmAuthScheme.Md5 => Md5,
        DmAuthScheme.Hmac => Hmac,
        _ => throw new ArgumentOutOfRangeException(nameof(scheme)),
    };

    /// <summary>The short names of accounts, stores and the CLI (`--client-auth basic|md5|hmac`).</summary>
    public static string ToAccountName(this DmAuthScheme scheme) => scheme switch
    {
        DmAuthScheme.Basic => "basic",
        DmAuthScheme.Md5 => "md5",
        DmAuthScheme.Hmac => "hmac",
        _ => throw new ArgumentOutOfRangeException(nameof(scheme)),
    };

    /// <summary>Exact match of basic, md5 or hmac.</summary>
    public static bool TryParseAccountName(string? name, out DmAuthScheme scheme)
    {
        switch (name)
        {
            case "basic": scheme = DmAuthScheme.Basic; return true;
            case "md5": scheme = DmAuthScheme.Md5; return true;
            case "hmac": scheme = DmAuthScheme.Hmac; return true;
            default: scheme = default; return false;
        }
    }

    /// <summary>Exact (case-sensitive) match of a Meta Type value; unknown names are refused.</summary>
    public static bool TryParse(string? name, out DmAuthScheme scheme)
    {
        switch (name?.Trim())
        {
            case Basic: scheme = DmAuthScheme.Basic; return true;
            case Md5: scheme = DmAuthScheme.Md5; return true;
            case Hmac: scheme = DmAuthScheme.Hmac; return true;
            default: scheme = default; return false;
        }
    }
}
