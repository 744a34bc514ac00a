using System.Net;
using System.Net.Sockets;
using Npgsql;

[assembly: AssemblyFixture(typeof(M2MSec.Tests.Support.PostgresServer))]

namespace M2MSec.Tests.Support;

/// <summary>
/// A throwaway PostgreSQL cluster for the tests: initdb into a temporary directory, pg_ctl on
/// 127.0.0.1 and a free port, removed at the end. Debian keeps the binaries under
/// /usr/lib/postgresql/&lt;version&gt;/bin; initdb refuses root, so as root they run as `postgres`.
/// Started on first use; tests without the binaries skip (or fail under M2MSEC_REQUIRE_TOOLS=1).
/// </summary>
public sealed class PostgresServer : IAsyncDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private string? _directory;
    private string? _bin;
    private int _port;
    private string? _unavailable;
    private int _databases;

    /// <summary>A fresh, empty database on the cluster; starts the cluster the first time.</summary>
    public async Task<string> CreateDatabaseAsync()
    {
        await EnsureStartedAsync();
        var name = $"m2msec_test_{Interlocked.Increment(ref _databases)}_{Environment.ProcessId}";
        await using (var admin = new NpgsqlConnection(ConnectionString("postgres")))
        {
            await admin.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE {name}", admin);
            await create.ExecuteNonQueryAsync();
        }
        return ConnectionString(name);
    }

    /// <summary>The directory of the server binaries (pg_dump lives there too).</summary>
    public string BinDirectory => _bin ?? throw new InvalidOperationException("not started");

    private string ConnectionString(string database) =>
        $"Host=127.0.0.1;Port={_port};Username=postgres;Database={database};Pooling=true;Maximum Pool Size=20;Timeout=30";

    private async Task EnsureStartedAsync()
    {
        await _gate.WaitAsync();
        try
        {
            if (_directory is not null)
                return;
            if (_unavailable is null)
            {
                try
                {
                    await StartAsync();
                    return;
                }
                catch (Exception e) when (e is not Xunit.Sdk.IAssertionException)
                {
                    _unavailable ??= $"could not start PostgreSQL: {e.Message}";
                }
            }
            if (ExternalTool.SkipsAreFailures)
                Assert.Fail($"{_unavailable}. {ExternalTool.RequireVariable}=1 forbids skipping.");
            Assert.Skip(_unavailable!);
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task StartAsync()
    {
        _bin = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin"))
                .Where(d => File.Exists(Path.Combine(d, "initdb"))).OrderByDescending(d => d, StringComparer.Ordinal).FirstOrDefault()
            : null;
        _bin ??= ExternalTool.Find("initdb") is { } initdb ? Path.GetDirectoryName(initdb) : null;
        if (_bin is null)
        {
            _unavailable = "PostgreSQL server binaries (initdb, pg_ctl) are not installed (Debian package postgresql); ./test.sh installs them when run as root";
            throw new InvalidOperationException(_unavailable);
        }
        var root = Environment.UserName == "root";
        var dir = Directory.CreateTempSubdirectory("m2msec-pg-").FullName;
        if (root)
            await RunAsync("chown", ["postgres:postgres", dir]);
        var data = Path.Combine(dir, "data");
        await RunPgAsync(root, "initdb", ["-D", data, "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8"]);
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            _port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }
        await RunPgAsync(root, "pg_ctl", ["-D", data, "-l", Path.Combine(dir, "server.log"), "-w", "-t", "60",
            "-o", $"-p {_port} -c listen_addresses=127.0.0.1 -k {dir} -c fsync=off -c max_connections=200", "start"]);
        _directory = dir;
    }

    private async Task RunPgAsync(bool asPostgres, string tool, string[] args)
    {
        var path = Path.Combine(_bin!, tool);
        if (asPostgres)
            await RunAsync("runuser", ["-u", "postgres", "--", path, .. args]);
        else
            await RunAsync(path, args);
    }

    private static async Task RunAsync(string file, string[] args)
    {
        var (code, stdout, stderr) = await ExternalTool.RunAsync(file, args, timeout: TimeSpan.FromSeconds(120));
        if (code != 0)
            throw new InvalidOperationException($"{Path.GetFileName(file)} {string.Join(' ', args.Take(3))}… exited {code}: {stderr.Trim()} {stdout.Trim()}");
    }

    public async ValueTask DisposeAsync()
    {
        if (_directory is null)
            return;
        NpgsqlConnection.ClearAllPools();
        try
        {
            await RunPgAsync(Environment.UserName == "root", "pg_ctl", ["-D", Path.Combine(_directory, "data"), "-m", "immediate", "-w", "stop"]);
        }
        catch (InvalidOperationException)
        {
            // Already gone; remove the files anyway.
        }
        Directory.Delete(_directory, recursive: true);
        _gate.Dispose();
    }
}
