namespace M2MSec.NetworkFunctions.Ccif;

/// <summary>The CCIF's configuration.</summary>
public sealed record CcifOptions
{
    /// <summary>
    /// The OCSP URL put in the PfC's AIA. Null: the CCIF's own address as the first registration reached it, path /ocsp
    /// (recorded in the manufacturer hierarchy then; docs/decisions/015).
    /// </summary>
    public Uri? OcspUrl { get; init; }
}
