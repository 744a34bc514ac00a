using System.Security.Cryptography.X509Certificates;
using M2MSec.NetworkFunctions.Hosting;
using M2MSec.Pki.Tls;

namespace M2MSec.NetworkFunctions.Console;

/// <summary>
/// What `serve console` runs on (issue 20, docs/decisions/032): the fleet's data directory (each role's store in its subdirectory, as
/// `serve all` lays them out), the console's server certificate from the operator hierarchy, the root administrators' certificates
/// must chain to, and the running services the actions go through (the same admin APIs and credentials as the CLI).
/// </summary>
public sealed record ConsoleOptions
{
    /// <summary>The fleet's stores: ROLE's at <c>Store.DataDirectory/ROLE</c>; the console's own audit log at <c>…/console</c>.</summary>
    public required StoreOptions Store { get; init; }

    /// <summary>The console's TLS server certificate (operator hierarchy, serverAuth, SAN 127.0.0.1 and localhost), renewed while running.</summary>
    public required RenewingCertificate ServerCertificate { get; init; }

    /// <summary>Certificates between <see cref="ServerCertificate"/> and the root (sent in the handshake).</summary>
    public X509Certificate2Collection Intermediates { get; init; } = [];

    /// <summary>The operator root an administrator's client certificate must chain to (null: certificate login off).</summary>
    public X509Certificate2? TrustRoot { get; init; }

    /// <summary>The CNs of administrators (with the admin profile's policy OID).</summary>
    public IReadOnlySet<string> AdminSubjects { get; init; } = new HashSet<string>(StringComparer.Ordinal) { NetworkFunctionTls.DefaultAdminSubject };

    /// <summary>The running services by instance name (endpoints.json of `serve all`).</summary>
    public IReadOnlyDictionary<string, Uri> Endpoints { get; init; } = new Dictionary<string, Uri>();

    /// <summary>The administrator's identity towards the admin APIs (admin.crt beside endpoints.json); null: actions through APIs off.</summary>
    public NetworkFunctionTls? Admin { get; init; }

    /// <summary>The MTC server's identity towards the MTC-IWF (mtc-server.crt), for triggers; null: triggers off.</summary>
    public NetworkFunctionTls? MtcServer { get; init; }

    /// <summary>Listen address, https://IP:PORT (default 127.0.0.1 and a free port).</summary>
    public string? Urls { get; init; }

    public TimeProvider Time { get; init; } = TimeProvider.System;
}
