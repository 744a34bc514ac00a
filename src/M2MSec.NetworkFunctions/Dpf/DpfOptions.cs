using M2MSec.NetworkFunctions.Dm;
using M2MSec.NetworkFunctions.Sho;

namespace M2MSec.NetworkFunctions.Dpf;

/// <summary>The DPF's configuration (docs/decisions/018).</summary>
public sealed record DpfOptions
{
    /// <summary>Where devices reach the DM server on the device listener.</summary>
    public string DmPath { get; init; } = "/dm";

    public DmSessionOptions? Sessions { get; init; }

    /// <summary>A PVA verdict older than this is stale.</summary>
    public TimeSpan VerdictMaxAge { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>How verdicts are checked; null: <see cref="PvaVerdictVerifier"/> against the operator root of the function's TLS.</summary>
    public IPvaVerdictVerifier? VerdictVerifier { get; init; }

    /// <summary>How the DPF reads a signed M2MSIMMobj's content; null: <see cref="M2MSimMobjReader"/> under the SHO's signing root.</summary>
    public IM2MSimMobjReader? M2MSimMobjReader { get; init; }

    /// <summary>How long an SHO's signing root, once fetched, verifies M2MSIMMobjs and instructions without asking the SHO again (default 5 minutes).</summary>
    public TimeSpan ShoSigningRootLifetime { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Issue 16: a provisioning that has not moved for this long is looked at for a lost step (docs/decisions/022).</summary>
    public TimeSpan ResumeAfter { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Issue 16: how often the DPF looks for provisionings to resume.</summary>
    public TimeSpan ResumeInterval { get; init; } = TimeSpan.FromSeconds(2);
}
