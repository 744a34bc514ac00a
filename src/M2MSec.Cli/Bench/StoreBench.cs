using System.Diagnostics;
using System.Security.Cryptography;
using M2MSec.Storage;
using M2MSec.Storage.Ota;
using M2MSec.Storage.PostgreSql;
using M2MSec.Storage.Security;
using M2MSec.Storage.Sqlite;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace M2MSec.Cli.Bench;

/// <summary>
/// `m2msec bench store`: durable OTA counter increments/s and nonce check-and-consume/s with 1
/// and 8 concurrent writers, on one card and spread over 10,000 cards; the reference is a bare
/// durable single-row UPDATE on the same backend, measured in the same run. Reads (decision 049):
/// a card's counter by the store against the same SELECT on the same data with its statement prepared once.
/// </summary>
internal static class StoreBench
{
    public const int Cards = 10_000;

    /// <summary>Reads per measurement (each ≈ 10 µs).</summary>
    private const int Reads = 100_000;

    /// <summary>The reference read: a card's counter by a statement prepared once, on a connection of its own per concurrent reader.</summary>
    internal const string CounterSelect = "SELECT counter FROM ota_keysets WHERE iccid = @i AND kvn = 1";

    public static async Task<Dictionary<string, object?>> RunAsync(string backend, Func<KeyRing, Task<IStateStore>> open, Func<Task<Func<Task>>> rawCommit,
        Func<Task<RawReader>> rawReader, int operations, TextWriter log, CancellationToken ct)
    {
        var ring = KeyRing.CreateEphemeral();
        await using var store = await open(ring);
        log.WriteLine($"bench store [{backend}]: loading {Cards:N0} cards…");
        await Parallel.ForEachAsync(Enumerable.Range(0, Cards), new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = ct }, async (i, token) =>
            await store.OtaKeySets.AddAsync(new OtaKeySet(Iccid(i), 1, 0x12, RandomNumberGenerator.GetBytes(16), 0x12, RandomNumberGenerator.GetBytes(16)), 0, token));

        var result = new Dictionary<string, object?>(StringComparer.Ordinal);
        var step = await rawCommit();
        // Warm-up: JIT, connection pools, file and WAL growth.
        await MeasureAsync(8, 300, _ => step(), ct);
        await MeasureAsync(8, 300, async _ => await store.OtaKeySets.NextCounterAsync(Iccid(1), 1, 1, ct), ct);
        foreach (var writers in new[] { 1, 8 })
        {
            result[$"raw_commit_{writers}w"] = Math.Round(await MeasureAsync(writers, operations, _ => step(), ct));
            result[$"counter_{writers}w_1card"] = Math.Round(await MeasureAsync(writers, operations,
                async _ => await store.OtaKeySets.NextCounterAsync(Iccid(0), 1, 1, ct), ct));
            result[$"counter_{writers}w_{Cards}cards"] = Math.Round(await MeasureAsync(writers, operations,
                async _ => await store.OtaKeySets.NextCounterAsync(Iccid(Random.Shared.Next(Cards)), 1, 1, ct), ct));

            var nonces = new byte[operations][];
            await Parallel.ForEachAsync(Enumerable.Range(0, operations), new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = ct },
                async (i, token) => nonces[i] = await store.Nonces.IssueAsync("bench", TimeSpan.FromHours(1), 16, token));
            var refused = 0;
            result[$"nonce_consume_{writers}w"] = Math.Round(await MeasureAsync(writers, operations, async i =>
            {
                if (!await store.Nonces.ConsumeAsync("bench", nonces[i], ct))
                    Interlocked.Increment(ref refused);
            }, ct));
            if (refused != 0)
                throw new InvalidOperationException($"{refused} fresh nonces were refused");
            result[$"ratio_counter_to_raw_{writers}w"] = Math.Round((double)result[$"counter_{writers}w_1card"]! / (double)result[$"raw_commit_{writers}w"]!, 3);

            var readers = new System.Collections.Concurrent.ConcurrentBag<RawReader>();
            for (var r = 0; r < writers; r++)
                readers.Add(await rawReader());
            async Task RawRead(int _)
            {
                readers.TryTake(out var reader);
                await reader!.ReadAsync(Iccid(Random.Shared.Next(Cards)));
                readers.Add(reader);
            }
            async Task StoreRead(int _) => await store.OtaKeySets.GetCounterAsync(Iccid(Random.Shared.Next(Cards)), 1, ct);
            // Reads take microseconds: warmed up (JIT tiers) and measured over many, each kind twice in turn, the better kept.
            await MeasureAsync(writers, Reads / 2, RawRead, ct);
            await MeasureAsync(writers, Reads / 2, StoreRead, ct);
            double raw = 0, read = 0;
            for (var round = 0; round < 2; round++)
            {
                raw = Math.Max(raw, await MeasureAsync(writers, Reads, RawRead, ct));
                read = Math.Max(read, await MeasureAsync(writers, Reads, StoreRead, ct));
            }
            result[$"raw_read_{writers}r"] = Math.Round(raw);
            result[$"counter_read_{writers}r"] = Math.Round(read);
            result[$"ratio_read_to_raw_{writers}r"] = Math.Round(read / raw, 3);
            foreach (var reader in readers)
                await reader.DisposeAsync();
            log.WriteLine($"bench store [{backend}]: {writers} writer(s) done");
        }
        return result;
    }

    /// <summary>Runs <paramref name="operations"/> operations over <paramref name="writers"/> concurrent workers; ops/s.</summary>
    private static async Task<double> MeasureAsync(int writers, int operations, Func<int, Task> operation, CancellationToken ct)
    {
        var next = -1;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, writers).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < operations)
                await operation(i);
        }, ct)));
        return operations / clock.Elapsed.TotalSeconds;
    }

    private static string Iccid(int i) => $"89882110{i:D11}";

    public static Func<KeyRing, Task<IStateStore>> Sqlite(string dir) => ring => SqliteStateStore.OpenAsync(dir, ring);

    /// <summary>One reader of the reference: a connection and <see cref="CounterSelect"/> prepared on it.</summary>
    internal sealed class RawReader(System.Data.Common.DbConnection connection, System.Data.Common.DbCommand command) : IAsyncDisposable
    {
        public async Task ReadAsync(string iccid)
        {
            command.Parameters[0].Value = iccid;
            if (await command.ExecuteScalarAsync() is null)
                throw new InvalidOperationException($"no card {iccid}");
        }

        public async ValueTask DisposeAsync()
        {
            await command.DisposeAsync();
            await connection.DisposeAsync();
        }
    }

    /// <summary>The reference reader on the store's own SQLite file (read only; WAL lets it read beside the store).</summary>
    public static Func<Task<RawReader>> SqliteRawReader(string dir) => async () =>
    {
        var c = new SqliteConnection($"Data Source={Path.Combine(dir, SqliteStateStore.FileName)};Mode=ReadOnly;Pooling=False");
        await c.OpenAsync();
        var command = c.CreateCommand();
        command.CommandText = CounterSelect;
        command.Parameters.AddWithValue("@i", Iccid(0));
        command.Prepare();
        return new RawReader(c, command);
    };

    /// <summary>The reference: a durable one-row UPDATE in a separate SQLite file with the store's settings.</summary>
    public static Func<Task<Func<Task>>> SqliteRaw(string dir) => async () =>
    {
        var cs = $"Data Source={Path.Combine(dir, "reference.db")};Pooling=True;Default Timeout=60";
        await using (var c = new SqliteConnection(cs))
        {
            await c.OpenAsync();
            await using var setup = c.CreateCommand();
            setup.CommandText = "PRAGMA journal_mode = WAL; CREATE TABLE IF NOT EXISTS r (id INTEGER PRIMARY KEY, v INTEGER); INSERT OR IGNORE INTO r VALUES (1, 0);";
            await setup.ExecuteNonQueryAsync();
        }
        return async () =>
        {
            await using var c = new SqliteConnection(cs);
            await c.OpenAsync();
            await using var cmd = c.CreateCommand();
            cmd.CommandText = "PRAGMA synchronous = FULL; PRAGMA busy_timeout = 60000; UPDATE r SET v = v + 1 WHERE id = 1 RETURNING v";
            await cmd.ExecuteScalarAsync();
        };
    };

    public static Func<KeyRing, Task<IStateStore>> Postgres(string connection) => ring => PostgresStateStore.OpenAsync(connection, ring);

    /// <summary>The reference reader on the store's PostgreSQL tables: a prepared statement (Npgsql) on a connection of its own.</summary>
    public static Func<Task<RawReader>> PostgresRawReader(string connection) => async () =>
    {
        var c = new NpgsqlConnection(connection);
        await c.OpenAsync();
        var command = c.CreateCommand();
        command.CommandText = CounterSelect;
        command.Parameters.AddWithValue("@i", Iccid(0));
        await command.PrepareAsync();
        return new RawReader(c, command);
    };

    public static Func<Task<Func<Task>>> PostgresRaw(string connection) => async () =>
    {
        var source = NpgsqlDataSource.Create(connection);
        await using (var setup = source.CreateCommand("CREATE TABLE IF NOT EXISTS m2msec_bench_reference (id INT PRIMARY KEY, v BIGINT); INSERT INTO m2msec_bench_reference VALUES (1, 0) ON CONFLICT DO NOTHING"))
            await setup.ExecuteNonQueryAsync();
        return async () =>
        {
            await using var cmd = source.CreateCommand("UPDATE m2msec_bench_reference SET v = v + 1 WHERE id = 1 RETURNING v");
            await cmd.ExecuteScalarAsync();
        };
    };
}
