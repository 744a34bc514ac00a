using M2MSec.Aka;

namespace M2MSec.NetworkFunctions.Hss;

/// <summary>AuC configuration: the MILENAGE constants and SQN scheme of this operator.</summary>
public sealed record HssOptions
{
    public Milenage Milenage { get; init; } = Milenage.Default;

    public SqnScheme SqnScheme { get; init; } = SqnScheme.Default;

    /// <summary>Most vectors one request may ask for.</summary>
    public int MaxVectorsPerRequest { get; init; } = 32;
}
