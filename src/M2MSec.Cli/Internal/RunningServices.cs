using System.Net;
using System.Text.Json;
using M2MSec.NetworkFunctions.Hosting;

namespace M2MSec.Cli.Internal;

/// <summary>
/// The services of a running `serve all` (issue 15): their addresses from its endpoints.json (--endpoints) and the
/// administrator's credentials beside it (admin.crt, admin.key, chain.pem, root.pem), for mutual TLS to the admin APIs.
/// </summary>
internal sealed class RunningServices
{
    private readonly Dictionary<string, string> _addresses;
    private readonly NetworkFunctionTls? _admin;

    private RunningServices(string file, Dictionary<string, string> addresses, NetworkFunctionTls? admin)
    {
        File = file;
        _addresses = addresses;
        _admin = admin;
    }

    public string File { get; }

    /// <summary>The administrator's trust root (root.pem), or null for a `serve all --no-tls`.</summary>
    public System.Security.Cryptography.X509Certificates.X509Certificate2? OperatorRoot => _admin?.TrustRoot;

    /// <summary>Reads --endpoints and the credentials beside it: exit 2 when unusable, 4 when unreadable.</summary>
    public static RunningServices Load(string option, string path)
    {
        var file = CliPaths.Check(option, path, PathKind.ExistingFile);
        var text = CliPaths.Guard(option, file, () => System.IO.File.ReadAllText(file));
        Dictionary<string, string>? map;
        try
        {
            map = JsonSerializer.Deserialize<Dictionary<string, string>>(text);
        }
        catch (JsonException)
        {
            map = null;
        }
        if (map is null)
            throw CliExitException.Bad($"{option}: {file} is not the endpoints.json of `m2msec serve all`");
        var dir = Path.GetDirectoryName(file)!;
        var crt = Path.Combine(dir, "admin.crt");
        NetworkFunctionTls? admin = null;
        if (System.IO.File.Exists(crt))
        {
            admin = CliPaths.Guard(option, dir, () => NetworkFunctionTls.Load(crt, Path.Combine(dir, "admin.key"), Path.Combine(dir, "chain.pem"), Path.Combine(dir, "root.pem")));
        }
        return new RunningServices(file, map, admin);
    }

    /// <summary>The address of <paramref name="key"/> (a role, "ROLE-device", "ROLE-admin"); exit 2 when endpoints.json has none.</summary>
    public Uri Require(string option, string key) =>
        _addresses.TryGetValue(key, out var address) && Uri.TryCreate(address, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" ? uri
            : throw CliExitException.Bad($"{option}: {File} lists no '{key}' (is `serve all` of this build running?)");

    /// <summary>Every listener endpoints.json names (services, "ROLE-admin", "ROLE-device"), in its order.</summary>
    public IReadOnlyList<string> Names => [.. _addresses.Keys];

    /// <summary>The address of <paramref name="key"/>, or null.</summary>
    public Uri? Find(string key) => _addresses.TryGetValue(key, out var address) && Uri.TryCreate(address, UriKind.Absolute, out var uri) ? uri : null;

    /// <summary>An HTTP client to <paramref name="role"/>'s API as the administrator (exit 2 when endpoints.json has no such role).</summary>
    public HttpClient AdminClient(string option, string role)
    {
        if (!_addresses.TryGetValue(role, out var address) || !Uri.TryCreate(address, UriKind.Absolute, out var uri))
            throw CliExitException.Bad($"{option}: {File} lists no '{role}' service (is `serve all` of this build running?)");
        if (uri.Scheme == "https" && _admin is null)
            throw CliExitException.Bad($"{option}: no administrator credentials (admin.crt, admin.key, root.pem) beside {File}");
        return _admin is not null && uri.Scheme == "https" ? _admin.CreateClient(uri, TimeSpan.FromSeconds(60)) : new HttpClient { BaseAddress = uri, Timeout = TimeSpan.FromSeconds(60) };
    }

    /// <summary>
    /// The exit for a service's refusal or absence: 4 when it could not be reached or failed (5xx), 1 when it refused the
    /// administrator (403), 2 for a request it found wrong (other 4xx, its problem detail naming the field).
    /// </summary>
    public static CliExitException Refusal(string role, HttpRequestException e)
    {
        if (e is PeerRequestException p)
        {
            var detail = ProblemDetail(p.Problem);
            return p.StatusCode switch
            {
                HttpStatusCode.Forbidden => new CliExitException(ExitCodes.SecurityRefused, $"{role}: refused ({detail})"),
                >= HttpStatusCode.InternalServerError => new CliExitException(ExitCodes.CouldNotRun, $"{role}: {(int)p.StatusCode!} ({detail})"),
                _ => new CliExitException(ExitCodes.BadArguments, $"{role}: {detail}"),
            };
        }
        return new CliExitException(ExitCodes.CouldNotRun, $"{role}: not reachable ({e.Message.Split('\n')[0]})");
    }

    private static string ProblemDetail(string problem)
    {
        try
        {
            using var doc = JsonDocument.Parse(problem);
            return doc.RootElement.TryGetProperty("detail", out var d) && d.GetString() is { } s ? s : problem;
        }
        catch (JsonException)
        {
            return problem.Length > 200 ? problem[..200] : problem;
        }
    }
}
