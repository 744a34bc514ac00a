namespace M2MSec.NetworkFunctions.Drf;

/// <summary>The DRF's configuration.</summary>
public sealed record DrfOptions
{
    /// <summary>The SHO of a PCID without an assignment (the demo's one SHO); null: such a PCID is refused.</summary>
    public string? DefaultShoId { get; init; } = "sho";

    /// <summary>The DPF's DM ServerID written into the DM accounts the DRF makes.</summary>
    public string DpfServerId { get; init; } = "m2msec-dpf";

    /// <summary>How long the ICF's step-8 request waits for the device's step-7 request.</summary>
    public TimeSpan BootstrapRequestLifetime { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// Issue 16: which SHO an IMSI belongs to, by its PLMN (MCC+MNC prefix → SHO id), so a change named by the device's current IMSI
    /// is resolved at that SHO. The longest matching prefix wins.
    /// </summary>
    public IReadOnlyDictionary<string, string> ShoPlmns { get; init; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["00101"] = "sho",
        ["00102"] = "sho-b",
    };
}
