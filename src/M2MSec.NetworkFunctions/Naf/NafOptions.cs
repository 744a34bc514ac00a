using System.Net;

namespace M2MSec.NetworkFunctions.Naf;

/// <summary>
/// The MTC server as NAF (issue 18, docs/decisions/030): its FQDN (half of NAF_Id, and the dNSName SAN of its `naf` certificate
/// that the BSF checks on Zn) and where Ua (PSK-TLS) listens.
/// </summary>
public sealed record NafOptions
{
    public const string DefaultFqdn = Hosting.NetworkFunctionCatalog.DefaultNafFqdn;

    public string Fqdn { get; init; } = DefaultFqdn;

    /// <summary>The Ua listener (loopback and a free port by default).</summary>
    public IPEndPoint UaEndPoint { get; init; } = new(IPAddress.Loopback, 0);

    /// <summary>Most keys kept from Zn at once; beyond it expired ones are dropped, then the oldest.</summary>
    public int MaxCachedKeys { get; init; } = 100_000;

    /// <summary>How long a PSK-TLS session may stay silent before the NAF closes it.</summary>
    public TimeSpan SessionIdle { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Most Ua sessions at once; a connection beyond them is closed unread (docs/decisions/057).</summary>
    public int MaxUaSessions { get; init; } = M2MSec.Ota.Scp81.PskTlsSessionGate.DefaultMaxSessions;

    /// <summary>How long a Ua session may last in all, however slowly its peer keeps it alive (docs/decisions/057).</summary>
    public TimeSpan UaSessionDeadline { get; init; } = M2MSec.Ota.Scp81.PskTlsSessionGate.DefaultSessionDeadline;
}
