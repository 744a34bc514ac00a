using System.CommandLine;
using System.Text.Json;
using M2MSec.Cli.Internal;
using M2MSec.NetworkFunctions.Hosting;
using M2MSec.Storage;
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
        // `serve ROLE …` parses as the role's subcommand (its own --help); bare `serve` keeps the ROLE argument for its error.
        var command = Build("serve", "Run a network function as a service", null);
        foreach (var name in Roles())
            command.Subcommands.Add(Build(name, name == AllRoles ? "Run every role in one process (endpoints.json lists the listeners)" : $"Run the {name} network function as a service", name));
        command.Subcommands.Add(ServeConsoleCommand.Create()); // issue 20: the web console (docs/decisions/032)
        return command;
    }

    /// <summary>Which options `serve ROLE --help` shows (the others stay accepted, and refused by the validators, as before).</summary>
    private static bool Shows(string role, string option) => option switch
    {
        "--path" or "--staple" or "--staple-root" or "--allow-plain-http-sessions" or "--session-idle" => role == DmRole,
        "--cert" or "--key" or "--chain" or "--trust-root" => role is not (Scp81Role or AllRoles),
        "--admin-subject" or "--ocsp-url" => role is not (DmRole or Scp81Role or AllRoles),
        "--smsc" => role == NetworkFunctionRole.Ota,
        "--admin-urls" => role == NetworkFunctionRole.Ocsp,
        "--no-tls" => role == AllRoles,
        "--urls" => role != AllRoles,
        "--peer" => role is not (DmRole or Scp81Role or AllRoles),
        "--device-urls" => DeviceFacing(role),
        "--sho-id" => role == "sho",
        "--naf-fqdn" or "--ua-urls" => role == NafRole,
        _ => true,
    };

    private static Command Build(string commandName, string description, string? only)
    {
        var command = new Command(commandName, description);
        var role = new Argument<string>("ROLE") { Description = $"one of: {string.Join(", ", Roles())}" };
        string RoleIn(string? parsed) => only ?? parsed ?? "";
        var urls = CliArgs.Text("--urls", "listen address, e.g. http://127.0.0.1:8080 (default: 127.0.0.1, a free port)");
        var store = new StoreArgs(createsStore: true);
        var smsc = CliArgs.Text("--smsc", "the SMSC's address, for roles that send SMS (ota)", "a URL");
        var cert = CliArgs.ExistingFile("--cert", "the function's certificate (PEM, operator hierarchy, profile nf): serve https with mutual TLS");
        var key = CliArgs.ExistingFile("--key", "the certificate's private key (PEM)");
        var chain = CliArgs.ExistingFile("--chain", "certificates above --cert, without the root (PEM)");
        var trustRoot = CliArgs.ExistingFile("--trust-root", "the root that peers' and administrators' certificates must chain to (PEM)");
        var adminSubject = new Option<string[]>("--admin-subject") { Description = $"CN of a certificate allowed to use the administrative API (repeatable; default {NetworkFunctionTls.DefaultAdminSubject})" };
        var adminUrls = CliArgs.Text("--admin-urls", "ocsp: the mutual-TLS listener of the administrative API, e.g. https://127.0.0.1:8443 (OCSP itself stays on --urls, plain HTTP)", "a URL");
        var ocspUrl = CliArgs.Text("--ocsp-url", "check peers' certificates against this OCSP responder (cached ≤ 5 min, fail-closed; docs/decisions/012)", "an http(s) URL");
        var insecure = CliArgs.Flag("--no-tls", "all: run without mutual TLS (plain HTTP on loopback, admin APIs for loopback callers)");
        var path = CliArgs.Text("--path", "dm: the path devices POST SyncML to (default /dm)", "a path");
        var staple = CliArgs.Flag("--staple", "dm: staple the certificate's OCSP response (fetched from its AIA OCSP URL); needs --trust-root, the root its chain ends in");
        var stapleRoot = CliArgs.HiddenAlias(CliArgs.ExistingFile("--staple-root", "old form of --staple --trust-root F (dm)"));
        var plainHttpSessions = CliArgs.Flag("--allow-plain-http-sessions",
            "dm: let basic and md5 accounts hold sessions over plain HTTP (labs, old clients; the session token travels in clear)");
        var peer = new Option<string[]>("--peer") { Description = "ROLE=URL: where a peer function's API listens (repeatable), e.g. --peer icf=https://127.0.0.1:8443" };
        var deviceUrls = CliArgs.Text("--device-urls", "vno, drf, dpf, smsc: the device-facing listener (server-authenticated TLS), default 127.0.0.1 and a free port", "a URL");
        var shoId = CliArgs.Text("--sho-id", "sho: this SHO's id (its signing certificate's CN, the name the DRF and DPF reach it by with --peer ID=URL); sho-b: IMSIs 00102…, HSS peer hss-b (issue 16)", "an id");
        // Issue 20: the console log of every service (docs/decisions/031); domain events are Information.
        var logLevel = CliArgs.OneOf("--log-level", "the lowest level logged (domain events: information)", LogLevels, "information");
        var logFormat = CliArgs.Choice<NetworkFunctionLogFormat>("--log-format", "one line per entry, text or JSON", NetworkFunctionLogFormat.Text);
        var nafFqdn = CliArgs.Text("--naf-fqdn", $"naf: the NAF's FQDN, half of its NAF_Id and the dNSName SAN of its naf certificate (default {M2MSec.NetworkFunctions.Naf.NafOptions.DefaultFqdn}; issue 18)", "an FQDN");
        var uaUrls = CliArgs.Text("--ua-urls", "naf: the Ua listener (TLS 1.2 PSK with the NAF key), IP:PORT (default 127.0.0.1 and a free port)", "IP:PORT");
        var sessionIdle = CliArgs.Int("--session-idle", "dm: seconds a session may stay silent before it ends and its jobs fail (session-expired)", 10, 3600, 120);
        if (only is null)
            command.Arguments.Add(role);
        foreach (var o in new Option[] { urls, smsc, cert, key, chain, trustRoot, adminSubject, adminUrls, ocspUrl, insecure, path, staple, stapleRoot, plainHttpSessions, sessionIdle, peer, deviceUrls, shoId, nafFqdn, uaUrls, logLevel, logFormat })
            command.Options.Add(o);
        store.AddTo(command);
        foreach (var o in command.Options)
            o.Hidden |= only is not null && !Shows(only, o.Name);
        command.Validators.Add(r =>
        {
            if (RoleIn(r.GetValue(role)) == DmRole)
            {
                // Device-facing TLS: the server's certificate only (devices carry no client certificate).
                if ((r.GetResult(cert) is null) != (r.GetResult(key) is null))
                    r.AddError("--cert/--key: expected both or neither");
                if (r.GetResult(adminUrls) is not null)
                    r.AddError("--admin-urls: not for dm (devices authenticate with their DM account, not a certificate)");
                // Stapling is its own opt-in (issue 14 item 4); --trust-root only names the root the staple is checked against.
                if (r.GetResult(trustRoot) is not null && r.GetResult(staple) is null)
                    r.AddError("--trust-root: for dm only with --staple (devices authenticate with their DM account, not a certificate)");
                if (r.GetResult(staple) is not null && r.GetResult(trustRoot) is null)
                    r.AddError("--staple: needs --trust-root, the root the certificate's chain ends in");
                if (r.GetResult(staple) is not null && r.GetResult(stapleRoot) is not null)
                    r.AddError("--staple: given with its old form --staple-root; use --staple --trust-root F");
                if (r.GetValue(path) is { } p && (!p.StartsWith('/') || p.Length > 64 || p.Any(char.IsWhiteSpace)))
                    r.AddError($"--path: expected an absolute path like /dm, got '{p}'");
                if ((r.GetResult(staple) is not null || r.GetResult(stapleRoot) is not null) && r.GetResult(cert) is null)
                    r.AddError("--staple: needs --cert and --key");
                return;
            }
            if (r.GetResult(path) is not null || r.GetResult(staple) is not null || r.GetResult(stapleRoot) is not null)
                r.AddError("--path/--staple: only for dm");
            if (r.GetResult(plainHttpSessions) is not null || r.GetResult(sessionIdle) is { Implicit: false })
                r.AddError("--allow-plain-http-sessions/--session-idle: only for dm");
            var given = new Option[] { cert, key, trustRoot }.Count(o => r.GetResult(o) is not null);
            if (given is not (0 or 3))
                r.AddError("--cert/--key/--trust-root: expected all three (mutual TLS) or none");
            if (given == 0 && (r.GetResult(chain) is not null || r.GetResult(adminUrls) is not null || r.GetResult(adminSubject) is not null || r.GetResult(ocspUrl) is not null))
                r.AddError("--chain/--admin-urls/--admin-subject/--ocsp-url: need --cert, --key and --trust-root");
            if (r.GetValue(ocspUrl) is { } u && !(Uri.TryCreate(u, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"))
                r.AddError($"--ocsp-url: expected an http or https URL, got '{u}'");
            if (r.GetResult(ocspUrl) is not null && r.GetResult(chain) is null)
                r.AddError("--ocsp-url: needs --chain (the issuing CA the responder answers for)");
        });
        command.Validators.Add(r =>
        {
            var value = RoleIn(r.GetValue(role));
            foreach (var p in r.GetValue(peer) ?? [])
            {
                if (ParsePeer(p) is null)
                    r.AddError($"--peer: expected ROLE=URL (ROLE one of {string.Join(", ", M2MSec.Pki.Authority.CertificateRoles.Names)}, or an instance such as sho-b) and an http(s) URL, got '{p}'");
            }
            if (r.GetValue(shoId) is { } id && (value != "sho" || !M2MSec.Dm.Bootstrap.BootstrapM2MContext.IsValidShoId(id)))
                r.AddError(value != "sho" ? "--sho-id: only for sho" : "--sho-id: expected 1 to 64 of A-Z a-z 0-9 . _ -");
            if ((r.GetResult(nafFqdn) is not null || r.GetResult(uaUrls) is not null) && value != NafRole)
                r.AddError("--naf-fqdn/--ua-urls: only for naf");
            if (r.GetValue(nafFqdn) is { } fqdn && (fqdn.Length > 253 || Uri.CheckHostName(fqdn) != UriHostNameType.Dns || !fqdn.Contains('.', StringComparison.Ordinal)))
                r.AddError($"--naf-fqdn: expected a fully qualified domain name such as naf.example.org, got '{M2MSec.Pki.Authority.CertificateSubject.Sanitise(fqdn)}'");
            if (r.GetValue(uaUrls) is { } ua && !System.Net.IPEndPoint.TryParse(ua, out _))
                r.AddError($"--ua-urls: expected IP:PORT, got '{M2MSec.Pki.Authority.CertificateSubject.Sanitise(ua)}'");
            if (r.GetResult(deviceUrls) is not null && !DeviceFacing(value))
                r.AddError($"--device-urls: {value} has no device-facing listener");
            else if (r.GetValue(deviceUrls) is { } du && !IsListenUrl(du))
                r.AddError($"--device-urls: expected http(s)://IP:PORT, got '{du}'");
            if (!Roles().Contains(value, StringComparer.Ordinal))
                r.AddError($"ROLE: expected one of {string.Join(", ", Roles())}, got '{value}'");
            else if (value == AllRoles && r.GetResult(urls) is not null)
                r.AddError("--urls: not accepted with ROLE 'all' (each role takes its own free port)");
            else if (value != Scp81Role && r.GetValue(urls) is { } u && !IsListenUrl(u))
                r.AddError($"--urls: expected http(s)://IP:PORT, got '{u}'"); // before the store is created

        });
        command.SetAction(async (r, ct) =>
        {
            var name = RoleIn(r.GetValue(role));
            var options = store.Check(r, DefaultDataDirectory(name));
            var created = StoreArgs.NotYetCreated(options);
            using var logs = NetworkFunctionLogging.ToConsole(ParseLevel(r.GetValue(logLevel)), CliArgs.ChoiceValue(r, logFormat));
            var sessions = new M2MSec.NetworkFunctions.Dm.DmSessionOptions
            {
                AllowPlainHttpSessions = r.GetValue(plainHttpSessions),
                IdleTimeout = TimeSpan.FromSeconds(r.GetValue(sessionIdle)),
            };
            var code = name == Scp81Role ? await ServeScp81Async(r, options, r.GetValue(urls), ct)
                : name == DmRole ? await ServeDmAsync(r, options, r.GetValue(urls), r.GetValue(path) ?? "/dm", r.GetValue(cert), r.GetValue(key), r.GetValue(chain), r.GetValue(staple) ? r.GetValue(trustRoot) : r.GetValue(stapleRoot), sessions, ct)
                : await ServeAsync(r, name, options, ct);
            if (code != ExitCodes.Success)
                StoreArgs.Remove(created); // a service that never ran leaves no fresh store behind
            return code;
        });
        return command;

        async Task<int> ServeAsync(ParseResult r, string name, StoreOptions options, CancellationToken ct)
        {
            var output = r.InvocationConfiguration.Output;
            IReadOnlyList<NetworkFunctionHost> hosts;
            ServeAllExtras? extras = null;
            M2MSec.NetworkFunctions.Console.ConsoleHost? console = null;
            try
            {
                if (name == AllRoles)
                {
                    var fleet = await NetworkFunctionCatalog.StartAllAsync(options, createKeyRing: true, mutualTls: !r.GetValue(insecure), cancellationToken: ct);
                    hosts = fleet.Hosts;
                    try
                    {
                        extras = await ServeAllExtras.StartAsync(options, fleet, ct);
                    }
                    catch
                    {
                        foreach (var h in hosts)
                            await h.DisposeAsync();
                        throw;
                    }
                    // Issue 20 (docs/decisions/032): the web console beside them (HTTPS only: not with --no-tls).
                    try
                    {
                        console = await M2MSec.NetworkFunctions.Console.ConsoleSetup.StartForFleetAsync(fleet, options, ct);
                    }
                    catch
                    {
                        await extras.DisposeAsync();
                        foreach (var h in hosts)
                            await h.DisposeAsync();
                        throw;
                    }
                    await WriteEndpointsAsync(options.DataDirectory, hosts, extras, ct, console?.Address);
                    output.WriteLine($"endpoints: {Path.Combine(options.DataDirectory, "endpoints.json")}");
                    if (fleet.AdminTls is not null)
                        output.WriteLine($"administrator: --cert {Path.Combine(options.DataDirectory, "admin.crt")} --key {Path.Combine(options.DataDirectory, "admin.key")} --cacert {Path.Combine(options.DataDirectory, "root.pem")}");
                    if (console is not null)
                        ServeConsoleCommand.Print(r, false, console.Address, Path.Combine(options.DataDirectory, "root.pem"), console.NewLoginToken(), options.DataDirectory);
                }
                else
                {
                    var peers = new Dictionary<string, Uri>(StringComparer.Ordinal);
                    foreach (var p in r.GetValue(peer) ?? [])
                    {
                        var (peerRole, peerUri) = ParsePeer(p)!.Value;
                        peers[peerRole] = peerUri;
                    }
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
                            r.GetValue(adminSubject) is { Length: > 0 } admins ? admins : null, r.GetValue(ocspUrl) is { } o ? new Uri(o) : null)
                        : null;
                    INetworkFunction? instance = r.GetValue(shoId) is { } id ? new M2MSec.NetworkFunctions.Sho.ShoFunction(M2MSec.NetworkFunctions.Sho.ShoOptions.ForInstance(id))
                        : name == NafRole ? new M2MSec.NetworkFunctions.Naf.NafFunction(new M2MSec.NetworkFunctions.Naf.NafOptions
                        {
                            Fqdn = r.GetValue(nafFqdn) ?? M2MSec.NetworkFunctions.Naf.NafOptions.DefaultFqdn,
                            UaEndPoint = r.GetValue(uaUrls) is { } ua ? System.Net.IPEndPoint.Parse(ua) : new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0),
                        }) : null;
                    hosts = [await NetworkFunctionCatalog.StartAsync(name, options, r.GetValue(urls), createKeyRing: true, peers, tls, r.GetValue(adminUrls), ct,
                        deviceUrls: r.GetValue(deviceUrls), function: instance, name: r.GetValue(shoId))];
                    if (tls is null)
                        r.InvocationConfiguration.Error.WriteLine($"warning: {name} runs without TLS: plain HTTP on loopback, administrative API open to loopback callers");
                }
            }
            catch (Exception e) when (e is StoreException or ArgumentException)
            {
                var code = e is StoreException se ? StoreArgs.ExitCodeOf(se, options) : ExitCodes.BadArguments;
                CliOutput.Error(r, code == ExitCodes.CouldNotRun ? $"--postgres: {e.Message}" : e.Message);
                return code;
            }
            catch (IOException)
            {
                return CouldNotListen(r, r.GetValue(urls));
            }
            foreach (var h in hosts)
            {
                var admin = h.AdminAddress is { } a && a != h.Address ? $"; admin on {a}" : "";
                admin += h.DeviceAddress is { } d ? $"; devices on {d}" : "";
                admin += UaOf(h) is { } ua ? $"; Ua (PSK-TLS) on {ua}" : "";
                output.WriteLine($"{h.Name} listening on {h.Address}{admin} (data: {h.DataDirectory}; state: {h.StoreDescription})");
            }
            if (extras is not null)
            {
                output.WriteLine($"dm listening on {extras.DmUrl} (data: {extras.Dm.DataDirectory}; state: {extras.Dm.StoreDescription})");
                output.WriteLine($"scp81 listening on {extras.Scp81Url} (PSK-TLS 1.2; data: {Path.Combine(options.DataDirectory, Scp81Role)})");
            }
            output.Flush();
            try
            {
                await Task.WhenAny(hosts.Select(h => h.WaitForShutdownAsync(ct)));
            }
            catch (OperationCanceledException)
            {
            }
            if (console is not null)
                await console.DisposeAsync();
            if (extras is not null)
                await extras.DisposeAsync();
            foreach (var h in hosts.Reverse())
                await h.DisposeAsync();
            output.WriteLine("stopped");
            return ExitCodes.Success;
        }
    }

    /// <summary>The levels of --log-level, as Microsoft.Extensions.Logging names them (lower-case).</summary>
    internal static readonly string[] LogLevels = ["trace", "debug", "information", "warning", "error", "critical", "none"];

    internal static LogLevel ParseLevel(string? name) => Enum.Parse<LogLevel>(name ?? "information", ignoreCase: true);

    /// <summary>A listener that could not bind (Kestrel's IOException: address in use or not available): exit 4 naming --urls.</summary>
    private static int CouldNotListen(ParseResult r, string? urls)
    {
        CliOutput.Error(r, $"--urls: could not listen on {urls ?? "a free loopback port"} (address in use or not available)");
        return ExitCodes.CouldNotRun;
    }

    /// <summary>Roles with a device-facing listener (issue 15): the VNO, the DRF, the DPF and the SMSC.</summary>
    private static bool DeviceFacing(string role) => role is "vno" or "drf" or "dpf" or "smsc" or "bsf"; // bsf: Ub (issue 18)

    private static (string Role, Uri Uri)? ParsePeer(string text)
    {
        var eq = text.IndexOf('=', StringComparison.Ordinal);
        // A role, or a named instance of one (issue 16: an SHO by its id, e.g. sho-b=URL; its HSS, hss-b=URL).
        if (eq <= 0 || !(M2MSec.Pki.Authority.CertificateRoles.IsRole(text[..eq]) || IsInstanceName(text[..eq])))
            return null;
        return Uri.TryCreate(text[(eq + 1)..], UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" ? (text[..eq], uri) : null;
    }

    /// <summary>A second instance's name: ROLE-SUFFIX with a role before the dash (sho-b, hss-b).</summary>
    private static bool IsInstanceName(string name) =>
        M2MSec.Dm.Bootstrap.BootstrapM2MContext.IsValidShoId(name) && name.LastIndexOf('-') is > 0 and var dash && dash < name.Length - 1
        && M2MSec.Pki.Authority.CertificateRoles.IsRole(name[..dash]);

    private static bool IsListenUrl(string text) =>
        Uri.TryCreate(text, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"
        && (uri.Host == "localhost" || System.Net.IPAddress.TryParse(uri.Host.Trim('[', ']'), out _));

    /// <summary>The MTC server as NAF (issue 18): its Ua listener is PSK-TLS beside the Kestrel host.</summary>
    public const string NafRole = M2MSec.NetworkFunctions.Naf.NafFunction.RoleName;

    /// <summary>A NAF host's Ua listener (IP:PORT), else null.</summary>
    internal static string? UaOf(NetworkFunctionHost host) =>
        host.Services.GetService(typeof(M2MSec.NetworkFunctions.Naf.NafUaServer)) is M2MSec.NetworkFunctions.Naf.NafUaServer ua ? ua.EndPoint.ToString() : null;

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
                // One line per DM session on the console (Information, the default --log-level).
                host = await NetworkFunctionHost.StartAsync(new M2MSec.NetworkFunctions.Dm.DmFunction(new M2MSec.NetworkFunctions.Dm.DmFunctionOptions(path, sessions)),
                    options.DataDirectory, state, urls,
                    tls: tls, cancellationToken: ct);
            }
            catch
            {
                await state.DisposeAsync();
                throw;
            }
        }
        catch (Exception e) when (e is StoreException or ArgumentException)
        {
            var code = e is StoreException se ? StoreArgs.ExitCodeOf(se, options) : ExitCodes.BadArguments;
            CliOutput.Error(r, code == ExitCodes.CouldNotRun ? $"--postgres: {e.Message}" : e.Message);
            return code;
        }
        catch (IOException)
        {
            return CouldNotListen(r, urls);
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
            M2MSec.Ota.Scp81.Scp81AdminServer server;
            try
            {
                server = new M2MSec.Ota.Scp81.Scp81AdminServer(id => state.OtaKeySets.FindPskAsync(id).AsTask().GetAwaiter().GetResult()?.Psk, endpoint);
            }
            catch (System.Net.Sockets.SocketException)
            {
                return CouldNotListen(r, urls);
            }
            await using var running = server;
            // No generic host here to wait on (the other roles wait on their hosts' lifetimes): SIGINT and SIGTERM end the wait themselves —
            // taken before the "listening" line, which a supervisor may answer with a signal at once (a CI run's SIGTERM came first: exit 143).
            using var signals = new CliSignals(ct);
            var output = r.InvocationConfiguration.Output;
            output.WriteLine($"scp81 listening on https://{server.EndPoint}/ (PSK-TLS 1.2; data: {options.DataDirectory}; state: {state.Description})");
            output.Flush();
            try
            {
                await Task.Delay(Timeout.Infinite, signals.Token);
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

    private static async Task WriteEndpointsAsync(string dataDir, IReadOnlyList<NetworkFunctionHost> hosts, ServeAllExtras extras, CancellationToken ct, Uri? console = null)
    {
        Directory.CreateDirectory(dataDir);
        // Every listener: each role's address, and "ROLE-admin" where the admin API listens apart (OCSP).
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var h in hosts)
        {
            // By instance name: a second SHO and its HSS appear as sho-b, hss-b (issue 16).
            map[h.Name] = h.Address.ToString();
            if (h.AdminAddress is { } admin && admin != h.Address)
                map[h.Name + "-admin"] = admin.ToString();
            if (h.DeviceAddress is { } device)
                map[h.Name + "-device"] = device.ToString();
            if (UaOf(h) is { } ua)
                map[h.Name + "-ua"] = $"https://{ua}/"; // TLS 1.2 PSK (TS 33.222), like scp81
            // Issue 20: the OTA role's own SCP81 admin listener (PSK-TLS, the cards it registered): where a UICC device's ota-job trigger goes.
            if (Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetService<M2MSec.Ota.Scp81.Scp81AdminServer>(h.Services) is { } scp81)
                map[h.Name + "-scp81"] = $"https://{scp81.EndPoint}{M2MSec.Ota.Scp81.Scp81AdminServer.AdminPath}";
        }
        map[DmRole] = extras.DmUrl.ToString();
        if (extras.Dm.AdminAddress is { } dmAdmin && dmAdmin != extras.Dm.Address)
            map[DmRole + "-admin"] = dmAdmin.ToString(); // issue 20: its /metrics (the DM listener is device-facing)
        map[Scp81Role] = extras.Scp81Url.ToString();
        if (console is not null)
            map[M2MSec.NetworkFunctions.Console.ConsoleStores.ConsoleRole] = console.ToString(); // issue 20: the web console (HTTPS, browser)
        await File.WriteAllTextAsync(Path.Combine(dataDir, "endpoints.json"),
            JsonSerializer.Serialize(map, new JsonSerializerOptions { WriteIndented = true }), ct);
    }
}
