using System.CommandLine;
using M2MSec.Cli.Internal;
using M2MSec.NetworkFunctions.Console;
using M2MSec.NetworkFunctions.Hosting;
using M2MSec.Pki.Authority;
using M2MSec.Storage;

namespace M2MSec.Cli.Commands;

/// <summary>
/// `m2msec serve console --data DIR` (issue 20, docs/decisions/032): the web console of the fleet `serve all --data DIR` runs — its
/// stores read where the roles keep them (DIR/ROLE), its actions through the services of DIR/endpoints.json with the administrator's
/// credentials beside it. HTTPS only, with a certificate from the operator hierarchy (DIR/ocsp) unless --cert/--key name one; prints
/// its URL, the root to import in the browser and a one-time login token (unless --login-token gives one).
/// </summary>
internal static class ServeConsoleCommand
{
    public static Command Create()
    {
        var command = new Command("console", "Run the web console of a `serve all` fleet (HTTPS; log in with the admin certificate or the one-time token it prints)");
        var store = new StoreArgs();
        var endpoints = CliArgs.ExistingFile("--endpoints", "the running services' endpoints.json (default: DIR/endpoints.json), for the console's actions");
        var urls = CliArgs.Text("--urls", "listen address, https://IP:PORT (default: 127.0.0.1, a free port)", "https://IP:PORT");
        var cert = CliArgs.ExistingFile("--cert", "the console's certificate (PEM; default: issued now by the operator hierarchy in DIR/ocsp)");
        var key = CliArgs.ExistingFile("--key", "its private key (PEM)");
        var chain = CliArgs.ExistingFile("--chain", "certificates above --cert, without the root (PEM)");
        var trustRoot = CliArgs.ExistingFile("--trust-root", "the root administrators' certificates must chain to (PEM; default: DIR/root.pem)");
        var adminSubject = new Option<string[]>("--admin-subject") { Description = $"CN of an administrator's certificate (repeatable; default {NetworkFunctionTls.DefaultAdminSubject})" };
        var token = CliSecret.Text("--login-token", "the one-time login token to accept instead of a random one printed at start (16 to 256 characters)", "a token");
        var json = CliArgs.Flag("--json", "print one JSON object at start (url, trust_root, login_token) instead of text");
        var logLevel = CliArgs.OneOf("--log-level", "the lowest level logged (domain events: information)", ServeCommand.LogLevels, "information");
        var logFormat = CliArgs.Choice<NetworkFunctionLogFormat>("--log-format", "one line per entry, text or JSON", NetworkFunctionLogFormat.Text);
        store.AddTo(command);
        foreach (var o in new Option[] { endpoints, urls, cert, key, chain, trustRoot, adminSubject, token, json, logLevel, logFormat })
            command.Options.Add(o);
        CliArgs.Required(command, store.Data);
        command.Validators.Add(r =>
        {
            if ((r.GetResult(cert) is null) != (r.GetResult(key) is null))
                r.AddError("--cert/--key: expected both or neither");
            if (r.GetResult(chain) is not null && r.GetResult(cert) is null)
                r.AddError("--chain: needs --cert and --key");
            if (r.GetValue(urls) is { } u && !(Uri.TryCreate(u, UriKind.Absolute, out var uri) && uri.Scheme == "https"
                && (uri.Host == "localhost" || System.Net.IPAddress.TryParse(uri.Host.Trim('[', ']'), out _))))
                r.AddError($"--urls: the console serves https only, expected https://IP:PORT, got '{CertificateSubject.Sanitise(u)}'");
            if (r.GetResult(token) is not null && r.GetValue(token) is { } t && t.Length is > 0 and (< 16 or > 256))
                r.AddError("--login-token: expected 16 to 256 characters");
        });
        command.SetAction(async (r, ct) =>
        {
            var dir = CliPaths.Check("--data", r.GetRequiredValue(store.Data), PathKind.ExistingDirectory);
            var options = store.Read(r, dir);
            var endpointsFile = r.GetValue(endpoints) ?? Path.Combine(dir, "endpoints.json");
            var rootFile = r.GetValue(trustRoot) ?? Path.Combine(dir, "root.pem");
            if (r.GetValue(trustRoot) is null && !File.Exists(rootFile))
                throw CliExitException.Bad($"--trust-root: no root.pem in {dir} (is it the data directory of `serve all`?)");
            using var logs = NetworkFunctionLogging.ToConsole(ServeCommand.ParseLevel(r.GetValue(logLevel)), CliArgs.ChoiceValue(r, logFormat));
            IAsyncDisposable? pki = null;
            ConsoleHost console;
            try
            {
                var root = CliPaths.Guard("--trust-root", rootFile, () => System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadCertificate(
                    System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPem(File.ReadAllText(rootFile)).RawData));
                M2MSec.Pki.Tls.RenewingCertificate serverCert;
                System.Security.Cryptography.X509Certificates.X509Certificate2Collection intermediates;
                if (r.GetValue(cert) is { } certFile)
                {
                    (serverCert, intermediates) = ConsoleSetup.LoadServerCertificate(certFile, r.GetRequiredValue(key), r.GetValue(chain));
                }
                else
                {
                    // The operator hierarchy lives in the OCSP function's store (serve all): it issues the console's certificate.
                    var ocsp = options with { DataDirectory = Path.Combine(options.DataDirectory, NetworkFunctionRole.Ocsp) };
                    if (string.IsNullOrEmpty(ocsp.PostgresConnectionString) && !File.Exists(Path.Combine(ocsp.DataDirectory, M2MSec.Storage.Sqlite.SqliteStateStore.FileName)))
                        throw CliExitException.Bad($"--data: {dir} holds no operator hierarchy ({ocsp.DataDirectory}); give --cert and --key, or the directory of `serve all`");
                    var state = await ocsp.OpenAsync(cancellationToken: ct);
                    pki = state;
                    var hierarchy = await CertificateHierarchy.OpenAsync(state.Certificates, "operator", TimeProvider.System, ct)
                        ?? throw CliExitException.Bad($"--data: {ocsp.DataDirectory} holds no operator hierarchy");
                    serverCert = await ConsoleSetup.IssueServerCertificateAsync(hierarchy, TimeProvider.System, ct);
                    intermediates = [hierarchy.Issuing];
                }
                var services = File.Exists(endpointsFile) ? ConsoleSetup.ReadEndpoints(endpointsFile) : [];
                var credentials = Path.GetDirectoryName(Path.GetFullPath(endpointsFile))!;
                console = await ConsoleHost.StartAsync(new ConsoleOptions
                {
                    Store = options,
                    ServerCertificate = serverCert,
                    Intermediates = intermediates,
                    TrustRoot = root,
                    AdminSubjects = r.GetValue(adminSubject) is { Length: > 0 } admins ? admins.ToHashSet(StringComparer.Ordinal)
                        : new HashSet<string>(StringComparer.Ordinal) { NetworkFunctionTls.DefaultAdminSubject },
                    Endpoints = services,
                    Admin = File.Exists(Path.Combine(credentials, "admin.crt")) ? AdminCredentials.Load(credentials) : null,
                    MtcServer = ConsoleSetup.LoadMtcServer(credentials),
                    Urls = r.GetValue(urls),
                }, ct);
            }
            catch (Exception e) when (e is StoreException or ArgumentException)
            {
                if (pki is not null)
                    await pki.DisposeAsync();
                CliOutput.Error(r, e is StoreException se && StoreArgs.ExitCodeOf(se, options) == ExitCodes.CouldNotRun ? $"--postgres: {e.Message}" : e.Message);
                return e is StoreException s2 ? StoreArgs.ExitCodeOf(s2, options) : ExitCodes.BadArguments;
            }
            catch (IOException)
            {
                if (pki is not null)
                    await pki.DisposeAsync();
                CliOutput.Error(r, $"--urls: could not listen on {r.GetValue(urls) ?? "a free loopback port"} (address in use or not available)");
                return ExitCodes.CouldNotRun;
            }
            await using (console)
            {
                var given = r.GetValue(token) is { Length: > 0 };
                var login = given ? null : console.NewLoginToken();
                if (given)
                    console.Sessions.SetLoginToken(r.GetValue(token)!);
                Print(r, r.GetValue(json), console.Address, rootFile, login, dir);
                try
                {
                    await console.WaitForShutdownAsync(ct);
                }
                catch (OperationCanceledException)
                {
                }
            }
            if (pki is not null)
                await pki.DisposeAsync();
            r.InvocationConfiguration.Output.WriteLine("stopped");
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>The console's start lines (also `serve all`'s and the demo's): its URL, the root to trust, how to log in.</summary>
    internal static void Print(ParseResult r, bool json, Uri url, string rootFile, string? token, string dir)
    {
        var output = r.InvocationConfiguration.Output;
        if (json)
        {
            CliOutput.Write(r, true, [new("url", url.ToString()), new("trust_root", rootFile), new("login_token", token), new("admin_certificate", Path.Combine(dir, "admin.crt"))]);
        }
        else
        {
            output.WriteLine($"console listening on {url} (HTTPS; the browser trusts it once {rootFile} is imported as a certificate authority)");
            output.WriteLine(token is null ? "console login: the --login-token given (once), or the administrator certificate"
                : $"console login token: {token} (works once; or log in with the administrator certificate {Path.Combine(dir, "admin.crt")})");
        }
        output.Flush();
    }
}
