namespace M2MSec.NetworkFunctions.Hosting;

/// <summary>
/// The role names, used the same way by `m2msec serve ROLE`, in endpoints.json and in logs
/// (DESIGN.md "Roles").
/// </summary>
public static class NetworkFunctionRole
{
    public const string Hss = "hss";
    public const string Smsc = "smsc";
    public const string Ota = "ota";
    public const string Ocsp = "ocsp";
    public const string Dm = "dm";

    /// <summary>Every role name of the architecture, in start-up order.</summary>
    public static IReadOnlyList<string> All { get; } =
    [
        "hss", "smsc", "ota", "scp81", "ocsp", "dm", "dpf", "vno", "icf", "drf", "sho", "pva", "ccif", "mtc-iwf", "bsf", "naf",
    ];
}
