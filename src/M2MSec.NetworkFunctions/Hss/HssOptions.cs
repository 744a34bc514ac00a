using M2MSec.Aka;

namespace M2MSec.NetworkFunctions.Hss;

/// <summary>AuC configuration: the MILENAGE constants and SQN scheme of this operator.</summary>
public sealed record HssOptions
{
    public Milenage Milenage { get; init; } = Milenage.Default;

    public SqnScheme SqnScheme { get; init; } = SqnScheme.Default;

    /// <summary>Most vectors one request may ask for.</summary>
    public int MaxVectorsPerRequest { get; init; } = 32;

    /// <summary>
    /// SQNs reserved per durable commit and handed out from memory (issue 19, docs/decisions/035); 1 = one commit per request.
    /// At most the scheme's L. After a restart the unused rest of a block is skipped, never reused.
    /// </summary>
    public int SqnBlockSize { get; init; } = 32;
}
