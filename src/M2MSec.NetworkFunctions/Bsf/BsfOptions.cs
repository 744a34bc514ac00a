namespace M2MSec.NetworkFunctions.Bsf;

/// <summary>The BSF's configuration (issue 18, docs/decisions/029).</summary>
public sealed record BsfOptions
{
    /// <summary>The BSF's server name: the Digest realm and the domain part of every B-TID (TS 33.220 §4.5.2 step 6).</summary>
    public string Domain { get; init; } = "bsf.m2msec.test";

    /// <summary>How long Ks (and every NAF key from it) is valid after bootstrapping (TS 33.220 §4.5.2 step 6: the BSF's policy).</summary>
    public TimeSpan KeyLifetime { get; init; } = TimeSpan.FromHours(12);

    /// <summary>How long a Digest AKA challenge may be answered (once).</summary>
    public TimeSpan ChallengeLifetime { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>The peer name of the HSS the BSF asks over Zh when no route matches the IMSI.</summary>
    public string HssPeer { get; init; } = "hss";

    /// <summary>
    /// Zh routing by the IMSI's PLMN (as the VNO routes, decision 016): each SHO's home PLMN → its HSS (00101 → hss, 00102 → hss-b,
    /// issue 16). The longest matching prefix wins; none: <see cref="HssPeer"/>.
    /// </summary>
    public IReadOnlyDictionary<string, string> HssRoutes { get; init; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["00101"] = "hss",
        ["00102"] = "hss-b",
    };

    /// <summary>The HSS peer that holds <paramref name="imsi"/>.</summary>
    public string HssFor(string imsi) =>
        HssRoutes.Where(r => imsi.StartsWith(r.Key, StringComparison.Ordinal)).OrderByDescending(r => r.Key.Length).Select(r => r.Value).FirstOrDefault() ?? HssPeer;
}
