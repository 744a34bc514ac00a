using M2MSec.NetworkFunctions.Hss;

namespace M2MSec.NetworkFunctions.Icf;

/// <summary>The ICF's configuration: its AuC (MILENAGE, SQN scheme — the HSS's) and how long an issued RAND's K_RO waits.</summary>
public sealed record IcfOptions
{
    public HssOptions Auc { get; init; } = new() { MaxVectorsPerRequest = 4 };

    /// <summary>How long K_RO for an issued vector waits for the VNO's attach confirmation.</summary>
    public TimeSpan PendingKeyLifetime { get; init; } = TimeSpan.FromMinutes(5);
}
