using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using M2MSec.NetworkFunctions.Hosting;

namespace M2MSec.Cli.Internal;

/// <summary>
/// `--endpoints FILE`: the endpoints.json `serve all` writes (role → URL, "ROLE-admin", "ROLE-device"), and beside it the
/// administrator's credentials (admin.crt, admin.key, chain.pem, root.pem) — how a command reaches running services.
/// Without admin.crt (a `serve all --no-tls` fleet) the clients speak plain HTTP.
/// </summary>
internal sealed class EndpointsFile
{
    private readonly Dictionary<string, Uri> _urls;

    private EndpointsFile(string path, Dictionary<string, Uri> urls)
    {
        Path = path;
        _urls = urls;
    }

    public string Path { get; }

    public string Directory => System.IO.Path.GetDirectoryName(Path)!;

    /// <summary>Reads the file; <see cref="ArgumentException"/> naming --endpoints when it is not an endpoints file.</summary>
    public static EndpointsFile Load(string path)
    {
        path = System.IO.Path.GetFullPath(path);
        Dictionary<string, string>? map;
        try
        {
            map = JsonSerializer.Deserialize<Dictionary<string, string>>(File.ReadAllText(path));
        }
        catch (JsonException)
        {
            map = null;
        }
        var urls = new Dictionary<string, Uri>(StringComparer.Ordinal);
        foreach (var (key, value) in map ?? throw new ArgumentException($"--endpoints: {path} is not an endpoints.json (a JSON object of role → URL)"))
        {
            if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
                throw new ArgumentException($"--endpoints: {key} is not an http(s) URL in {path}");
            urls[key] = uri;
        }
        return new EndpointsFile(path, urls);
    }

    /// <summary>The URL of <paramref name="key"/> (a role, or "ROLE-device", "ROLE-admin").</summary>
    public Uri Require(string key) => _urls.TryGetValue(key, out var u) ? u
        : throw new ArgumentException($"--endpoints: {Path} names no '{key}' (is the {key.Split('-')[0]} function running in that fleet?)");

    public Uri? Find(string key) => _urls.TryGetValue(key, out var u) ? u : null;

    /// <summary>The operator root beside the file (root.pem), which devices check the servers' certificates against; null without TLS.</summary>
    public X509Certificate2? OperatorRoot
    {
        get
        {
            var file = System.IO.Path.Combine(Directory, "root.pem");
            return File.Exists(file) ? X509Certificate2.CreateFromPem(File.ReadAllText(file)) : null;
        }
    }

    /// <summary>An administrator's client to <paramref name="role"/>'s API (its admin listener when it has one).</summary>
    public HttpClient AdminClient(string role, TimeSpan timeout)
    {
        var address = Find(role + "-admin") ?? Require(role);
        if (!File.Exists(System.IO.Path.Combine(Directory, "admin.crt")))
            return new HttpClient { BaseAddress = address, Timeout = timeout };
        return AdminCredentials.Load(Directory).CreateClient(address, timeout);
    }
}
