namespace M2MSec.NetworkFunctions.Ccif;

/// <summary>The CCIF's configuration.</summary>
public sealed record CcifOptions
{
    /// <summary>
    /// The OCSP URL put in the PfC's AIA. Null: the CCIF's own address as the first registration reached it, path /ocsp
    /// (recorded in the manufacturer hierarchy then; docs/decisions/015).
    /// </summary>
    public Uri? OcspUrl { get; init; }

    /// <summary>How long the SHO's signing root, once fetched, is given to new devices without asking the SHO again (default 5 minutes).</summary>
    public TimeSpan ShoSigningRootLifetime { get; init; } = TimeSpan.FromMinutes(5);
}
