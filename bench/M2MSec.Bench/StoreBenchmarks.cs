using BenchmarkDotNet.Attributes;
using M2MSec.Storage;
using M2MSec.Storage.Devices;
using M2MSec.Storage.Security;
using M2MSec.Storage.Sqlite;
using Microsoft.Data.Sqlite;

namespace M2MSec.Bench;

/// <summary>
/// Decision 049: one read of the SQLite store (a device's record by id: what the functions do many times per device) against its
/// bound — the same SELECT on one open connection with its statement prepared once — and against what the store did before: a
/// connection from Microsoft.Data.Sqlite's pool and a new command, compiled by SQLite, for every read.
/// </summary>
[MemoryDiagnoser]
public class StoreBenchmarks
{
    private const string Select = "SELECT pcid, tre_id, kind, state, updated_at FROM devices WHERE device_id = @d";
    private const string DeviceId = "m2me-000042";

    private string _dir = "";
    private IStateStore _store = null!;
    private string _pooled = "";
    private SqliteConnection _open = null!;
    private SqliteCommand _prepared = null!;

    [GlobalSetup]
    public void Setup()
    {
        _dir = Directory.CreateTempSubdirectory("m2msec-bench-store-").FullName;
        _store = SqliteStateStore.OpenAsync(_dir, KeyRing.CreateEphemeral()).GetAwaiter().GetResult();
        for (var i = 0; i < 1000; i++)
            _store.Devices.RegisterAsync($"m2me-{i:D6}", $"pcid-{i}", $"tre-{i}", "tre", "manufactured").AsTask().GetAwaiter().GetResult();
        var file = Path.Combine(_dir, SqliteStateStore.FileName);
        _pooled = new SqliteConnectionStringBuilder { DataSource = file, Pooling = true }.ToString();
        _open = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = file, Pooling = false }.ToString());
        _open.Open();
        _prepared = _open.CreateCommand();
        _prepared.CommandText = Select;
        _prepared.Parameters.AddWithValue("@d", DeviceId);
        _prepared.Prepare();
    }

    [Benchmark(Baseline = true, Description = "bare SELECT, statement prepared once (bound)")]
    public DeviceRecord? Prepared()
    {
        using var r = _prepared.ExecuteReader();
        return Read(r);
    }

    [Benchmark(Description = "pooled connection + new command per read (the store before 049)")]
    public DeviceRecord? NewCommand()
    {
        using var c = new SqliteConnection(_pooled);
        c.Open();
        using var command = c.CreateCommand();
        command.CommandText = Select;
        command.Parameters.AddWithValue("@d", DeviceId);
        using var r = command.ExecuteReader();
        return Read(r);
    }

    [Benchmark(Description = "store: Devices.FindAsync")]
    public DeviceRecord? Store() => _store.Devices.FindAsync(DeviceId).AsTask().GetAwaiter().GetResult();

    private static DeviceRecord? Read(SqliteDataReader r) =>
        r.Read()
            ? new DeviceRecord(DeviceId, r.IsDBNull(0) ? null : r.GetString(0), r.IsDBNull(1) ? null : r.GetString(1), r.GetString(2), r.GetString(3),
                DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(4)))
            : null;

    [GlobalCleanup]
    public void Cleanup()
    {
        _prepared.Dispose();
        _open.Dispose();
        _store.DisposeAsync().AsTask().GetAwaiter().GetResult();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }
}
