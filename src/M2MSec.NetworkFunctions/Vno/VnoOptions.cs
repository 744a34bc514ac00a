namespace M2MSec.NetworkFunctions.Vno;

/// <summary>The VNO's configuration (docs/decisions/016).</summary>
public sealed record VnoOptions
{
    /// <summary>This network's PLMN (MCC + MNC), the serving network id K_ASME is bound to (TS 33.401 A.2). Demo: 001/02.</summary>
    public string ServingPlmn { get; init; } = "00102";

    /// <summary>
    /// Routing by MCC+MNC (TR 33.812 §5.1.3.6.2 NOTE 1): the PLMN prefix of an identity → the peer role asked for its vectors.
    /// The RO's PLMN (PCIDs) → the ICF; each SHO's home PLMN (IMSIs) → its HSS (00102: the second SHO's, issue 16). The longest matching prefix wins.
    /// </summary>
    public IReadOnlyDictionary<string, string> Routes { get; init; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["00190"] = "icf",
        ["00101"] = "hss",
        ["00102"] = "hss-b",
    };

    /// <summary>How long a challenge may be answered.</summary>
    public TimeSpan AttachLifetime { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How long a protected trigger waits for the device (issue 17): an offline device's queue does not grow without end.</summary>
    public TimeSpan TriggerLifetime { get; init; } = TimeSpan.FromHours(24);

    /// <summary>Most attaches pending at once (beyond: 503).</summary>
    public int MaxPendingAttaches { get; init; } = 10_000;
}
