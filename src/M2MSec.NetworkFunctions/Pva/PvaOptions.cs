namespace M2MSec.NetworkFunctions.Pva;

/// <summary>The PVA's policy (docs/decisions/015).</summary>
public sealed record PvaOptions
{
    /// <summary>How long a challenge may be answered (step 14 runs through the DPF and a DM session).</summary>
    public TimeSpan ChallengeLifetime { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Size of the challenge, octets (the attestation statement takes 16 to 64).</summary>
    public int ChallengeSize { get; init; } = 32;

    /// <summary>How long the PVA waits for the CCIF's OCSP answer about a PfC before refusing (fail-closed).</summary>
    public TimeSpan OcspTimeout { get; init; } = TimeSpan.FromSeconds(10);
}
