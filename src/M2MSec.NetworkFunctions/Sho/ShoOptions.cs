namespace M2MSec.NetworkFunctions.Sho;

/// <summary>The SHO's configuration (docs/decisions/018).</summary>
public sealed record ShoOptions
{
    /// <summary>The SHO id: the Bootstrap message designates it, and it is the CN of the M2MSIMMobj signing certificate.</summary>
    public string ShoId { get; init; } = "sho";

    /// <summary>The pool made at first start when it is empty: <see cref="InitialPoolSize"/> IMSIs from this one (MCC 001, MNC 01).</summary>
    public string InitialPoolFirst { get; init; } = "001010000000001";

    public int InitialPoolSize { get; init; } = 1000;

    /// <summary>The peer name of this SHO's own HSS, where it puts installed IMSIs and retires moved ones (issue 16: "hss-b" for "sho-b").</summary>
    public string HssPeer { get; init; } = "hss";

    /// <summary>The second SHO of `serve all` and the demo (issue 16, docs/decisions/021).</summary>
    public const string SecondShoId = "sho-b";

    /// <summary>
    /// The options of the SHO instance <paramref name="shoId"/>: "sho" the defaults; "sho-b" its own IMSI pool (MCC 001, MNC 02) and
    /// its own HSS "hss-b"; any other id the default pool and HSS.
    /// </summary>
    public static ShoOptions ForInstance(string shoId) => shoId == SecondShoId
        ? new ShoOptions { ShoId = shoId, InitialPoolFirst = "001020000000001", HssPeer = "hss-b" }
        : new ShoOptions { ShoId = shoId };

    /// <summary>A PVA verdict older than this is stale.</summary>
    public TimeSpan VerdictMaxAge { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>How the PVA's verdicts are checked; null: <see cref="PvaVerdictVerifier"/> against the operator root of the function's TLS.</summary>
    public IPvaVerdictVerifier? VerdictVerifier { get; init; }

    /// <summary>How MCIMs are sealed and M2MSIMMobj signed; null: <see cref="McimPackager"/>.</summary>
    public IMcimPackager? Packager { get; init; }
}
