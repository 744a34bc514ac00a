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
}
