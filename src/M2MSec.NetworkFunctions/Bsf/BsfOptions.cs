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

    /// <summary>The peer name of the HSS the BSF asks over Zh.</summary>
    public string HssPeer { get; init; } = "hss";
}
