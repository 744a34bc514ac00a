using M2MSec.NetworkFunctions.Console;
using M2MSec.NetworkFunctions.Hosting;
using M2MSec.Pki.Authority;
using M2MSec.Storage.Security;
using Spectre.Console;

namespace M2MSec.Cli.Commands;

/// <summary>
/// Issue 20 (docs/decisions/032): the web console beside a running demo — its stores the demo's (DIR/ROLE), its certificate from the
/// demo's operator hierarchy (DIR/ocsp), its actions through the demo's services with the administrator credentials the fleet wrote
/// in DIR; the URL and the one-time login token printed with the other listeners. Stops with the demo.
/// </summary>
internal sealed class DemoConsole : IAsyncDisposable
{
    private readonly ConsoleHost _host;
    private readonly IAsyncDisposable _pki;

    private DemoConsole(ConsoleHost host, IAsyncDisposable pki)
    {
        _host = host;
        _pki = pki;
    }

    public static async Task<DemoConsole?> StartAsync(IReadOnlyList<NetworkFunctionHost> hosts, string dataDirectory, IAnsiConsole console, CancellationToken ct)
    {
        var store = new StoreOptions(dataDirectory, KeyRing.ResolvePath(Internal.CliDefaults.KekFile(null).Path, dataDirectory));
        var pki = await (store with { DataDirectory = Path.Combine(dataDirectory, NetworkFunctionRole.Ocsp) }).OpenAsync(cancellationToken: ct);
        try
        {
            if (await CertificateHierarchy.OpenAsync(pki.Certificates, "operator", TimeProvider.System, ct) is not { } hierarchy)
            {
                await pki.DisposeAsync();
                return null; // a demo without the operator hierarchy (no TLS): no console, it serves https only
            }
            var endpoints = new Dictionary<string, Uri>(StringComparer.Ordinal);
            foreach (var h in hosts)
            {
                endpoints[h.Name] = h.Address;
                if (h.AdminAddress is { } admin && admin != h.Address)
                    endpoints[h.Name + "-admin"] = admin;
            }
            var host = await ConsoleHost.StartAsync(new ConsoleOptions
            {
                Store = store,
                ServerCertificate = await ConsoleSetup.IssueServerCertificateAsync(hierarchy, TimeProvider.System, ct),
                Intermediates = [hierarchy.Issuing],
                TrustRoot = hierarchy.Root,
                Endpoints = endpoints,
                Admin = File.Exists(Path.Combine(dataDirectory, "admin.crt")) ? AdminCredentials.Load(dataDirectory) : null,
                MtcServer = ConsoleSetup.LoadMtcServer(dataDirectory),
            }, ct);
            // Three short lines (80 columns when piped): the token never wraps, so it can be copied whole.
            console.MarkupLine($"  {"console",-8} {host.Address}  [grey]web console (HTTPS)[/]");
            console.MarkupLine($"  {"",-8} [grey]login token {Markup.Escape(host.NewLoginToken())} (once)[/]");
            console.MarkupLine($"  {"",-8} [grey]trusted once the data directory's root.pem is imported[/]");
            return new DemoConsole(host, pki);
        }
        catch
        {
            await pki.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _host.DisposeAsync();
        await _pki.DisposeAsync();
    }
}
