using System.CommandLine;
using System.Text.Json;
using M2MSec.Cli.Internal;
using M2MSec.NetworkFunctions.Hosting;
using M2MSec.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace M2MSec.Cli.Commands;

/// <summary>
/// `m2msec serve ROLE [--urls URL] [--data DIR]`: one network function as a long-lived service
/// (or `all` of them in one process), on 127.0.0.1 and a free port unless --urls says otherwise;
/// stops cleanly on SIGTERM / Ctrl+C.
/// </summary>
internal static class ServeCommand
{
    public const string AllRoles = "all";

    public static Command Create()
    {
        var command = new Command("serve", "Run a network function as a service");
        var role = new Argument<string>("ROLE") { Description = $"one of: {string.Join(", ", Roles())}" };
        var urls = CliArgs.Text("--urls", "listen address, e.g. http://127.0.0.1:8080 (default: 127.0.0.1, a free port)");
        var store = new StoreArgs();
        var smsc = CliArgs.Text("--smsc", "the SMSC's address, for roles that send SMS (ota)", "a URL");
        var cert = CliArgs.Text("--cert", "the function's certificate (PEM, operator hierarchy, profile nf): serve https with mutual TLS", "a file path");
        var key = CliArgs.Text("--key", "the certificate's private key (PEM)", "a file path");
        var chain = CliArgs.Text("--chain", "certificates above --cert, without the root (PEM)", "a file path");
        var trustRoot = CliArgs.Text("--trust-root", "the root that peers' and administrators' certificates must chain to (PEM)", "a file path");
        var adminSubject = new Option<string[]>("--admin-subject") { Description = $"CN of a certificate allowed to use the administrative API (repeatable; default {NetworkFunctionTls.DefaultAdminSubject})" };
        var adminUrls = CliArgs.Text("--admin-urls", "ocsp: the mutual-TLS listener of the administrative API, e.g. https://127.0.0.1:8443 (OCSP itself stays on --urls, plain HTTP)", "a URL");
        var insecure = CliArgs.Flag("--no-tls", "all: run without mutual TLS (plain HTTP on loopback, admin APIs for loopback callers)");
        var path = CliArgs.Text("--path", "dm: the path devices POST SyncML to (default /dm)", "a path");
        var stapleRoot = CliArgs.Text("--staple-root", "dm: staple the certificate's OCSP response (fetched from its AIA OCSP URL); the root its chain ends in (PEM)", "a file path");
        var plainHttpSessions = CliArgs.Flag("--allow-plain-http-sessions",
            "dm: let basic and md5 accounts hold sessions over plain HTTP (labs, old clients; the session token travels in clear)");
        var sessionIdle = CliArgs.Int("--session-idle", "dm: seconds a session may stay silent before it ends and its jobs fail (session-expired)", 10, 3600, 120);
        command.Arguments.Add(role);
        foreach (var o in new Option[] { urls, smsc, cert, key, chain, trustRoot, adminSubject, adminUrls, insecure, path, stapleRoot, plainHttpSessions, sessionIdle })
            command.Options.Add(o);
        store.AddTo(command);
        command.Validators.Add(r =>
        {
            if (r.GetValue(role) == DmRole)
            {
                // Device-facing TLS: the server's certificate only (devices carry no client certificate).
                if ((r.GetResult(cert) is null) != (r.GetResult(key) is null))
                    r.AddError("--cert/--key: expected both or neither");
                if (r.GetResult(trustRoot) is not null || r.GetResult(adminUrls) is not null)
                    r.AddError("--trust-root/--admin-urls: not for dm (devices authenticate with their DM account, not a certificate)");
                if (r.GetValue(path) is { } p && (!p.StartsWith('/') || p.Length > 64 || p.Any(char.IsWhiteSpace)))
                    r.AddError($"--path: expected an absolute path like /dm, got '{p}'");
                if (r.GetResult(stapleRoot) is not null && r.GetResult(cert) is null)
                    r.AddError("--staple-root: needs --cert and --key");
                return;
            }
            if (r.GetResult(path) is not null || r.GetResult(stapleRoot) is not null)
                r.AddError("--path/--staple-root: only for dm");
            if (r.GetResult(plainHttpSessions) is not null || r.GetResult(sessionIdle) is { Implicit: false })
                r.AddError("--allow-plain-http-sessions/--session-idle: only for dm");
            var given = new Option[] { cert, key, trustRoot }.Count(o => r.GetResult(o) is not null);
            if (given is not (0 or 3))
                r.AddError("--cert/--key/--trust-root: expected all three (mutual TLS) or none");
            if (given == 0 && (r.GetResult(chain) is not null || r.GetResult(adminUrls) is not null || r.GetResult(adminSubject) is not null))
                r.AddError("--chain/--admin-urls/--admin-subject: need --cert, --key and --trust-root");
        });
        command.Validators.Add(r =>
        {
            var value = r.GetValue(role) ?? "";
            if (!Roles().Contains(value, StringComparer.Ordinal))
                r.AddError($"ROLE: expected one of {string.Join(", ", Roles())}, got '{value}'");
            else if (value == AllRoles && r.GetResult(urls) is not null)
                r.AddError("--urls: not accepted with ROLE 'all' (each role takes its own free port)");
        });
        command.SetAction(async (r, ct) =>
        {
            var name = r.GetRequiredValue(role);
            var options = store.Read(r, DefaultDataDirectory(name));
            if (name == Scp81Role)
                return await ServeScp81Async(r, options, r.GetValue(urls), ct);
            if (name == DmRole)
            {
                var sessions = new M2MSec.NetworkFunctions.Dm.DmSessionOptions
                {
                    AllowPlainHttpSessions = r.GetValue(plainHttpSessions),
                    IdleTimeout = TimeSpan.FromSeconds(r.GetValue(sessionIdle)),
                };
                return await ServeDmAsync(r, options, r.GetValue(urls), r.GetValue(path) ?? "/dm", r.GetValue(cert), r.GetValue(key), r.GetValue(chain), r.GetValue(stapleRoot),
                    sessions, ct);
            }
            var output = r.InvocationConfiguration.Output;
            IReadOnlyList<NetworkFunctionHost> hosts;
            try
            {
                if (name == AllRoles)
                {
                    var fleet = await NetworkFunctionCatalog.StartAllAsync(options, createKeyRing: true, mutualTls: !r.GetValue(insecure), cancellationToken: ct);
                    hosts = fleet.Hosts;
                    await WriteEndpointsAsync(options.DataDirectory, hosts, ct);
                    output.WriteLine($"endpoints: {Path.Combine(options.DataDirectory, "endpoints.json")}");
                    if (fleet.AdminTls is not null)
                        output.WriteLine($"administrator: --cert {Path.Combine(options.DataDirectory, "admin.crt")} --key {Path.Combine(options.DataDirectory, "admin.key")} --cacert {Path.Combine(options.DataDirectory, "root.pem")}");
                }
                else
                {
                    var peers = new Dictionary<string, Uri>(StringComparer.Ordinal);
                    if (r.GetValue(smsc) is { } smscUrl)
                    {
                        if (!Uri.TryCreate(smscUrl, UriKind.Absolute, out var smscUri))
                        {
                            CliOutput.Error(r, $"--smsc: expected an absolute URL, got '{smscUrl}'");
                            return ExitCodes.BadArguments;
                        }
                        peers[NetworkFunctionRole.Smsc] = smscUri;
                    }
                    var tls = r.GetValue(cert) is { } certFile
                        ? NetworkFunctionTls.Load(certFile, r.GetRequiredValue(key), r.GetValue(chain), r.GetRequiredValue(trustRoot),
                            r.GetValue(adminSubject) is { Length: > 0 } admins ? admins : null)
                        : null;
                    hosts = [await NetworkFunctionCatalog.StartAsync(name, options, r.GetValue(urls), createKeyRing: true, peers, tls, r.GetValue(adminUrls), ct)];
                    if (tls is null)
                        r.InvocationConfiguration.Error.WriteLine($"warning: {name} runs without TLS: plain HTTP on loopback, administrative API open to loopback callers");
                }
            }
            catch (Exception e) when (e is StoreException or ArgumentException)
            {
                CliOutput.Error(r, e.Message);
                return ExitCodes.BadArguments;
            }
            foreach (var h in hosts)
            {
                var admin = h.AdminAddress is { } a && a != h.Address ? $"; admin on {a}" : "";
                output.WriteLine($"{h.Role} listening on {h.Address}{admin} (data: {h.DataDirectory}; state: {h.StoreDescription})");
            }
            output.Flush();
            try
            {
                await Task.WhenAny(hosts.Select(h => h.WaitForShutdownAsync(ct)));
            }
            catch (OperationCanceledException)
            {
            }
            foreach (var h in hosts.Reverse())
                await h.DisposeAsync();
            output.WriteLine("stopped");
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>The SCP81 admin server: PSK-TLS on its own listener, not a Kestrel host.</summary>
    public const string Scp81Role = "scp81";

    /// <summary>The OMA DM server: device-facing, so TLS with its certificate only (no client certificate).</summary>
    public const string DmRole = "dm";

    private static IEnumerable<string> Roles() => NetworkFunctionCatalog.Available.Append(Scp81Role).Append(DmRole).Append(AllRoles);

    private static async Task<int> ServeDmAsync(ParseResult r, StoreOptions options, string? urls, string path, string? certFile, string? keyFile,
        string? chainFile, string? stapleRootFile, M2MSec.NetworkFunctions.Dm.DmSessionOptions sessions, CancellationToken ct)
    {
        NetworkFunctionHost host;
        try
        {
            var tls = certFile is null ? null : NetworkFunctionTls.LoadServerOnly(certFile, keyFile!, chainFile, stapleRootFile);
            var state = await options.OpenAsync(createKeyRing: true, cancellationToken: ct);
            try
            {
                // One line per DM session on the console (Information for the DM category; the rest stays at Warning).
                host = await NetworkFunctionHost.StartAsync(new M2MSec.NetworkFunctions.Dm.DmFunction(new M2MSec.NetworkFunctions.Dm.DmFunctionOptions(path, sessions)),
                    options.DataDirectory, state, urls,
                    s => s.AddLogging(b => b.AddFilter("M2MSec.NetworkFunctions.Dm", LogLevel.Information)), tls: tls, cancellationToken: ct);
            }
            catch
            {
                await state.DisposeAsync();
                throw;
            }
        }
        catch (Exception e) when (e is StoreException or ArgumentException)
        {
            CliOutput.Error(r, e.Message);
            return ExitCodes.BadArguments;
        }
        await using (host)
        {
            var output = r.InvocationConfiguration.Output;
            output.WriteLine($"dm listening on {new Uri(host.Address, path)} (data: {host.DataDirectory}; state: {host.StoreDescription})");
            if (sessions.AllowPlainHttpSessions && host.Address.Scheme == Uri.UriSchemeHttp)
                r.InvocationConfiguration.Error.WriteLine("warning: dm lets basic and md5 accounts hold sessions over plain HTTP: their session token travels in clear (--allow-plain-http-sessions)");
            output.Flush();
            try
            {
                await host.WaitForShutdownAsync(ct);
            }
            catch (OperationCanceledException)
            {
            }
        }
        r.InvocationConfiguration.Output.WriteLine("stopped");
        return ExitCodes.Success;
    }

    private static async Task<int> ServeScp81Async(ParseResult r, StoreOptions options, string? urls, CancellationToken ct)
    {
        var endpoint = new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0);
        if (urls is not null)
        {
            if (!Uri.TryCreate(urls, UriKind.Absolute, out var uri) || uri.Scheme != "https" || !System.Net.IPAddress.TryParse(uri.Host, out var ip))
            {
                CliOutput.Error(r, $"--urls: expected https://IP:PORT for the PSK-TLS listener, got '{urls}'");
                return ExitCodes.BadArguments;
            }
            endpoint = new System.Net.IPEndPoint(ip, uri.Port);
        }
        IStateStore state;
        try
        {
            state = await options.OpenAsync(createKeyRing: true, cancellationToken: ct);
        }
        catch (StoreException e)
        {
            CliOutput.Error(r, e.Message);
            return ExitCodes.BadArguments;
        }
        await using (state)
        {
            // BouncyCastle's handshake is synchronous: the PSK lookup blocks its thread briefly.
            await using var server = new M2MSec.Ota.Scp81.Scp81AdminServer(id => state.OtaKeySets.FindPskAsync(id).AsTask().GetAwaiter().GetResult()?.Psk, endpoint);
            var output = r.InvocationConfiguration.Output;
            output.WriteLine($"scp81 listening on https://{server.EndPoint}/ (PSK-TLS 1.2; data: {options.DataDirectory}; state: {state.Description})");
            output.Flush();
            try
            {
                await Task.Delay(Timeout.Infinite, ct);
            }
            catch (OperationCanceledException)
            {
            }
        }
        r.InvocationConfiguration.Output.WriteLine("stopped");
        return ExitCodes.Success;
    }

    internal static string DefaultDataDirectory(string role) =>
        Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.Create), "m2msec", role);

    private static async Task WriteEndpointsAsync(string dataDir, IReadOnlyList<NetworkFunctionHost> hosts, CancellationToken ct)
    {
        Directory.CreateDirectory(dataDir);
        var map = hosts.ToDictionary(h => h.Role, h => h.Address.ToString());
        await File.WriteAllTextAsync(Path.Combine(dataDir, "endpoints.json"),
            JsonSerializer.Serialize(map, new JsonSerializerOptions { WriteIndented = true }), ct);
    }
}
