using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using M2MSec.NetworkFunctions.Hosting;
using M2MSec.Pki.Authority;
using M2MSec.Pki.Tls;

namespace M2MSec.NetworkFunctions.Console;

/// <summary>
/// How the console is set up (docs/decisions/032): its server certificate is issued by the operator hierarchy (profile dm-server:
/// serverAuth, SAN 127.0.0.1 and localhost, CN m2msec-console; renewed while it runs), so a browser that trusts the operator root
/// (root.pem, imported once) trusts the console; the administrator and MTC server credentials `serve all` writes beside
/// endpoints.json are the ones its actions use.
/// </summary>
public static class ConsoleSetup
{
    /// <summary>The CN of the console's certificate.</summary>
    public const string Subject = "m2msec-console";

    /// <summary>The console's server certificate from <paramref name="hierarchy"/>, renewed an hour before it ends.</summary>
    public static async Task<RenewingCertificate> IssueServerCertificateAsync(CertificateHierarchy hierarchy, TimeProvider time, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(hierarchy);
        var subject = new CertificateSubject(Subject, ["127.0.0.1", "localhost"]);
        var cert = await hierarchy.IssueAsync(CertificateProfile.DmServer, subject, cancellationToken: ct).ConfigureAwait(false);
        return new RenewingCertificate(cert, c => hierarchy.IssueAsync(CertificateProfile.DmServer, subject, cancellationToken: c), time, TimeSpan.FromHours(1));
    }

    /// <summary>Every listener of a fleet by the names endpoints.json uses (ROLE, ROLE-admin, ROLE-device).</summary>
    public static Dictionary<string, Uri> EndpointsOf(NetworkFunctionFleet fleet)
    {
        ArgumentNullException.ThrowIfNull(fleet);
        var map = new Dictionary<string, Uri>(StringComparer.Ordinal);
        foreach (var h in fleet.Hosts)
        {
            map[h.Name] = h.Address;
            if (h.AdminAddress is { } admin && admin != h.Address)
                map[h.Name + "-admin"] = admin;
            if (h.DeviceAddress is { } device)
                map[h.Name + "-device"] = device;
        }
        return map;
    }

    /// <summary>An endpoints.json (name → URL); entries that are not http(s) URLs (none today) are left out.</summary>
    public static Dictionary<string, Uri> ReadEndpoints(string file)
    {
        var map = JsonSerializer.Deserialize<Dictionary<string, string>>(File.ReadAllText(file))
            ?? throw new ArgumentException($"--endpoints: {file} is not the endpoints.json of `m2msec serve all`");
        return map.Where(e => Uri.TryCreate(e.Value, UriKind.Absolute, out var u) && u.Scheme is "http" or "https")
            .ToDictionary(e => e.Key, e => new Uri(e.Value), StringComparer.Ordinal);
    }

    /// <summary>The MTC server identity `serve all` writes (mtc-server.crt/.key beside root.pem and chain.pem), or null.</summary>
    public static NetworkFunctionTls? LoadMtcServer(string directory) =>
        File.Exists(Path.Combine(directory, AdminCredentials.MtcServerFile + ".crt")) && File.Exists(Path.Combine(directory, "root.pem"))
            ? NetworkFunctionTls.Load(Path.Combine(directory, AdminCredentials.MtcServerFile + ".crt"), Path.Combine(directory, AdminCredentials.MtcServerFile + ".key"),
                Path.Combine(directory, "chain.pem"), Path.Combine(directory, "root.pem"))
            : null;

    /// <summary>
    /// The console of a fleet running in this process (`serve all`, the demo): its stores under <paramref name="store"/>, its
    /// certificate from the fleet's hierarchy, the administrator's and the MTC server's credentials from the fleet's directory.
    /// </summary>
    public static async Task<ConsoleHost?> StartForFleetAsync(NetworkFunctionFleet fleet, StoreOptions store, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(fleet);
        ArgumentNullException.ThrowIfNull(store);
        if (fleet.Hierarchy is not { } hierarchy)
            return null; // without TLS (serve all --no-tls) there is no console: it serves https only
        var options = new ConsoleOptions
        {
            Store = store,
            ServerCertificate = await IssueServerCertificateAsync(hierarchy, fleet.Time, ct).ConfigureAwait(false),
            Intermediates = [hierarchy.Issuing],
            TrustRoot = hierarchy.Root,
            Endpoints = EndpointsOf(fleet),
            Admin = fleet.AdminTls,
            MtcServer = LoadMtcServer(store.DataDirectory),
            Time = fleet.Time,
        };
        return await ConsoleHost.StartAsync(options, ct).ConfigureAwait(false);
    }

    /// <summary>Loads a server certificate given as files (--cert, --key, --chain).</summary>
    public static (RenewingCertificate Certificate, X509Certificate2Collection Intermediates) LoadServerCertificate(string certFile, string keyFile, string? chainFile)
    {
        var tls = NetworkFunctionTls.LoadServerOnly(certFile, keyFile, chainFile);
        return (new RenewingCertificate(tls.Certificate), tls.Intermediates);
    }
}
