using System.Data.Common;
using System.Security.Cryptography;
using M2MSec.Crypto.Metering;
using M2MSec.Storage.Schema;
using M2MSec.Storage.Security;

namespace M2MSec.Storage.Sql;

/// <summary>Connections, commands, the schema migrations and the KEK probe shared by the SQL stores.</summary>
internal sealed class SqlDatabase(SqlDialect dialect, SecretProtector protector, TimeProvider time)
{
    private const string ProbePlace = "kek_probe|1|probe";

    public SqlDialect Dialect { get; } = dialect;

    public SecretProtector Protector { get; } = protector;

    public TimeProvider Time { get; } = time;

    public long NowMs => Time.GetUtcNow().ToUnixTimeMilliseconds();

    public static DateTimeOffset FromMs(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms);

    /// <summary>Runs <paramref name="action"/> (statements that may write) on a connection, after the dialect's write gate if any.</summary>
    public async ValueTask<T> RunAsync<T>(Func<DbConnection, ValueTask<T>> action, CancellationToken ct)
    {
        // Inside InOneCommitAsync on this database: part of its transaction, counted with its one commit.
        if (Joined() is { } batch)
            return await action(batch.Connection).ConfigureAwait(false);
        // A store method may call another inside its action (e.g. a read to tell "absent" from "exhausted"): it holds the gate already.
        var gate = Dialect.WriteGate is { } g && HeldGate.Value != g ? g : null;
        if (gate is not null)
        {
            await gate.WaitAsync(ct).ConfigureAwait(false);
            HeldGate.Value = gate;
        }
        try
        {
            // Issue 19: one durable commit (a transaction, or an auto-committed statement; a nested call shares its caller's).
            if (gate is not null || Dialect.WriteGate is null)
                OperationMeter.Count(MeteredOperation.DurableCommit);
            return await ReadAsync(action, ct).ConfigureAwait(false);
        }
        finally
        {
            if (gate is not null)
            {
                HeldGate.Value = null;
                gate.Release();
            }
        }
    }

    /// <summary>The write gate this asynchronous flow holds, if any.</summary>
    private static readonly AsyncLocal<SemaphoreSlim?> HeldGate = new();

    /// <summary>
    /// Issue 19: runs <paramref name="body"/>'s calls on this database as one transaction — one durable commit instead of one per call. Every
    /// <see cref="RunAsync"/>, <see cref="ReadAsync"/> and <see cref="WriteAsync"/> of this database inside it (in its asynchronous flow) uses the
    /// batch's connection and transaction, each <see cref="WriteAsync"/> behind a savepoint (its action throwing undoes its own writes only);
    /// all commit when the body returns, none if it throws or the process dies first. The write gate is held throughout: keep I/O that waits
    /// on other parties (a peer's request, a notification, a timer) outside the body. Nested: the inner call joins the outer batch. The
    /// body's calls run one after another (one connection serves the batch). A store method that survives a failed statement must catch it
    /// outside its <see cref="WriteAsync"/> (rolled back to the savepoint), never inside a <see cref="RunAsync"/> action: PostgreSQL refuses every
    /// later statement of a transaction an error left open.
    /// </summary>
    public async ValueTask<T> InOneCommitAsync<T>(Func<ValueTask<T>> body, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(body);
        if (Joined() is not null)
            return await body().ConfigureAwait(false);
        return await RunAsync(async connection =>
        {
            await using var tx = await Dialect.BeginWriteAsync(connection, ct).ConfigureAwait(false);
            var batch = new Batch(this, connection, tx);
            Batch.Current = batch;
            try
            {
                var result = await body().ConfigureAwait(false);
                batch.Closed = true; // before the commit: a task the body left running must not join it while it commits
                await tx.CommitAsync(ct).ConfigureAwait(false);
                return result;
            }
            finally
            {
                batch.Closed = true;
                Batch.Current = null;
            }
        }, ct).ConfigureAwait(false);
    }

    /// <summary>The open batch of this database in this asynchronous flow, if any (a flow that outlived its batch sees it closed).</summary>
    private Batch? Joined() => Batch.Current is { Closed: false } batch && ReferenceEquals(batch.Database, this) ? batch : null;

    /// <summary>An <see cref="InOneCommitAsync"/> in progress: its connection and transaction.</summary>
    private sealed class Batch(SqlDatabase database, DbConnection connection, DbTransaction transaction)
    {
        private static readonly AsyncLocal<Batch?> Ambient = new();
        private int _savepoints;

        public static Batch? Current
        {
            get => Ambient.Value;
            set => Ambient.Value = value;
        }

        public SqlDatabase Database => database;

        public DbConnection Connection => connection;

        public DbTransaction Transaction => transaction;

        public volatile bool Closed;

        /// <summary>A store's transaction inside the batch: a savepoint, released on success, rolled back to if the action throws.</summary>
        public async ValueTask<T> WriteAsync<T>(Func<DbConnection, DbTransaction, ValueTask<T>> action, CancellationToken ct)
        {
            var name = "w" + ++_savepoints;
            await transaction.SaveAsync(name, ct).ConfigureAwait(false);
            try
            {
                var result = await action(connection, transaction).ConfigureAwait(false);
                await transaction.ReleaseAsync(name, ct).ConfigureAwait(false);
                return result;
            }
            catch
            {
                await transaction.RollbackAsync(name, CancellationToken.None).ConfigureAwait(false);
                throw;
            }
        }
    }

    /// <summary>
    /// Runs read-only <paramref name="action"/> on a connection: no gate (SQLite's WAL readers never wait for the writer) and no
    /// durable commit counted. For one SELECT — it reads one committed state; several statements that must agree take <see cref="RunAsync"/>.
    /// </summary>
    public async ValueTask<T> ReadAsync<T>(Func<DbConnection, ValueTask<T>> action, CancellationToken ct)
    {
        // Inside InOneCommitAsync on this database: its connection, so that a read sees the batch's own writes.
        if (Joined() is { } batch)
            return await action(batch.Connection).ConfigureAwait(false);
        await using var lease = await LeaseAsync(ct).ConfigureAwait(false);
        return await action(lease.Connection).ConfigureAwait(false);
    }

    /// <summary>A connection of the dialect's, given back to it when the lease is disposed.</summary>
    private async ValueTask<ConnectionLease> LeaseAsync(CancellationToken ct) => new(Dialect, await Dialect.OpenAsync(ct).ConfigureAwait(false));

    private readonly struct ConnectionLease(SqlDialect dialect, DbConnection connection) : IAsyncDisposable
    {
        public DbConnection Connection => connection;

        public ValueTask DisposeAsync() => dialect.ReleaseAsync(connection);
    }

    /// <summary>Runs <paramref name="action"/> in a write transaction (after the dialect's write gate if any); commits unless it throws.</summary>
    public ValueTask<T> WriteAsync<T>(Func<DbConnection, DbTransaction, ValueTask<T>> action, CancellationToken ct) =>
        Joined() is { } batch ? batch.WriteAsync(action, ct) : RunAsync(async connection =>
        {
            await using var tx = await Dialect.BeginWriteAsync(connection, ct).ConfigureAwait(false);
            var result = await action(connection, tx).ConfigureAwait(false);
            await tx.CommitAsync(ct).ConfigureAwait(false);
            return result;
        }, ct);

    /// <summary>
    /// An INSERT that may meet an existing key: false instead of an exception. The failed statement's transaction is rolled back (inside
    /// <see cref="InOneCommitAsync"/>, to its savepoint): PostgreSQL refuses every later statement of a transaction an error left open.
    /// </summary>
    public async ValueTask<bool> TryInsertAsync(string sql, CancellationToken ct, params (string, object?)[] parameters)
    {
        try
        {
            return await WriteAsync(async (c, tx) =>
            {
                await ExecuteAsync(c, tx, sql, ct, parameters).ConfigureAwait(false);
                return true;
            }, ct).ConfigureAwait(false);
        }
        catch (DbException e) when (Dialect.IsUniqueViolation(e))
        {
            return false;
        }
    }

    /// <summary>An INSERT that may meet an existing key, with <paramref name="audit"/> in the same transaction (decision 036): false and no entry instead of an exception.</summary>
    public async ValueTask<bool> TryInsertAsync(string sql, Audit.AuditRecord audit, CancellationToken ct, params (string, object?)[] parameters)
    {
        ArgumentNullException.ThrowIfNull(audit);
        try
        {
            return await WriteAsync(async (c, tx) =>
            {
                await ExecuteAsync(c, tx, sql, ct, parameters).ConfigureAwait(false);
                await SqlAuditLog.AppendAsync(this, c, tx, audit, ct).ConfigureAwait(false);
                return true;
            }, ct).ConfigureAwait(false);
        }
        catch (DbException e) when (Dialect.IsUniqueViolation(e))
        {
            return false; // rolled back: no row, no entry
        }
    }

    /// <summary>Reads every row of a query (a SELECT: it writes nothing) through <paramref name="read"/>.</summary>
    public ValueTask<IReadOnlyList<T>> QueryAsync<T>(string sql, Func<DbDataReader, T> read, CancellationToken ct, params (string, object?)[] parameters) =>
        ReadAsync<IReadOnlyList<T>>(async c =>
        {
            await using var command = Command(c, null, sql, parameters);
            await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            var list = new List<T>();
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
                list.Add(read(reader));
            return list;
        }, ct);

    /// <summary>
    /// Issue 20: <paramref name="sql"/> with its <c>{ids}</c> replaced by an IN list of <paramref name="ids"/> (each once); no query when
    /// there are none.
    /// </summary>
    public ValueTask<IReadOnlyList<T>> QueryByIdsAsync<T>(string sql, IReadOnlyCollection<string> ids, Func<DbDataReader, T> read, CancellationToken ct,
        params (string, object?)[] parameters)
    {
        ArgumentNullException.ThrowIfNull(ids);
        if (ids.Count == 0)
            return ValueTask.FromResult<IReadOnlyList<T>>([]);
        var (list, inList) = InList("@id", ids.Distinct(StringComparer.Ordinal));
        return QueryAsync(sql.Replace("{ids}", list, StringComparison.Ordinal), read, ct, [.. inList, .. parameters]);
    }

    /// <summary>Issue 20: the rows of <c>SELECT key, COUNT(*) … GROUP BY key</c> as a dictionary.</summary>
    public async ValueTask<IReadOnlyDictionary<string, int>> CountByAsync(string sql, CancellationToken ct) =>
        (await QueryAsync(sql, r => (r.GetString(0), Convert.ToInt32(r.GetValue(1), System.Globalization.CultureInfo.InvariantCulture)), ct).ConfigureAwait(false))
        .ToDictionary(x => x.Item1, x => x.Item2, StringComparer.Ordinal);

    /// <summary>The placeholders of an IN list (<c>@s0, @s1, …</c>) and their parameters.</summary>
    public static (string List, (string, object?)[] Parameters) InList(string prefix, IEnumerable<string> values)
    {
        var parameters = values.Select((v, i) => ($"{prefix}{i}", (object?)v)).ToArray();
        return (string.Join(", ", parameters.Select(p => p.Item1)), parameters);
    }

    /// <summary>A LIKE pattern (used with <c>ESCAPE '\'</c>) matching values that contain <paramref name="text"/> (null: every value).</summary>
    public static string Contains(string? text) =>
        "%" + (text ?? "").Replace("\\", "\\\\", StringComparison.Ordinal).Replace("%", "\\%", StringComparison.Ordinal).Replace("_", "\\_", StringComparison.Ordinal) + "%";

    /// <summary>
    /// <paramref name="sql"/> with its parameters on <paramref name="connection"/>, in <paramref name="transaction"/>: the statement the
    /// connection keeps prepared for exactly this text when it keeps any (decision 049), else a new command. Dispose it when done.
    /// </summary>
    public static SqlStatement Command(DbConnection connection, DbTransaction? transaction, string sql, params (string Name, object? Value)[] parameters)
    {
        var cache = connection as IStatementCache;
        var command = cache?.Rent(sql);
        if (command is null)
        {
            cache = null;
            command = connection.CreateCommand();
            command.CommandText = sql;
        }
        // A statement on the connection of an InOneCommitAsync batch runs in its transaction (the store's methods pass none outside WriteAsync).
        command.Transaction = transaction ?? (Batch.Current is { Closed: false } batch && ReferenceEquals(batch.Connection, connection) ? batch.Transaction : null);
        foreach (var (name, value) in parameters)
        {
            var p = command.CreateParameter();
            p.ParameterName = name;
            p.Value = value ?? DBNull.Value;
            command.Parameters.Add(p);
        }
        return new SqlStatement(command, cache);
    }

    public static async ValueTask<int> ExecuteAsync(DbConnection c, DbTransaction? tx, string sql, CancellationToken ct, params (string, object?)[] parameters)
    {
        await using var command = Command(c, tx, sql, parameters);
        return await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Brings the schema to <paramref name="targetVersion"/> (default: the latest), checks the key
    /// ring against the probe. Refuses, changing nothing, a database from a newer build.
    /// </summary>
    public async ValueTask InitialiseAsync(CancellationToken ct, int? targetVersion = null)
    {
        var target = targetVersion ?? StoreSchema.Latest;
        try
        {
            await using var lease = await LeaseAsync(ct).ConfigureAwait(false);
            var connection = lease.Connection;
            await Dialect.PrepareAsync(connection, ct).ConfigureAwait(false);
            await ExecuteAsync(connection, null, "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL, applied_at " + Dialect.BigIntType + " NOT NULL)", ct).ConfigureAwait(false);
            var current = await CurrentVersionAsync(connection, null, ct).ConfigureAwait(false);
            if (current > StoreSchema.Latest)
                throw new StoreException($"{Dialect.Location}: schema version {current} is newer than this build supports ({StoreSchema.Latest}); upgrade m2msec. Nothing was changed.");
            if (StoreSchema.All.Any(m => m.Version > current && m.Version <= target))
            {
                // Issue 19: every pending migration in one transaction — one durable commit (one fsync) per store at start-up rather than one per
                // migration (a new data directory of `serve all` or the demo has seventeen stores of some thirty migrations each), and all or none.
                await using var tx = await Dialect.BeginWriteAsync(connection, ct).ConfigureAwait(false);
                await Dialect.LockSchemaAsync(connection, tx, ct).ConfigureAwait(false);
                // Another instance may have migrated while we waited for the lock.
                var locked = await CurrentVersionAsync(connection, tx, ct).ConfigureAwait(false);
                foreach (var migration in StoreSchema.All.Where(m => m.Version > locked && m.Version <= target))
                {
                    foreach (var statement in migration.Statements.SelectMany(Dialect.Expand))
                        await ExecuteAsync(connection, tx, statement, ct).ConfigureAwait(false);
                    await ExecuteAsync(connection, tx, "INSERT INTO schema_version (version, applied_at) VALUES (@v, @t)", ct, ("@v", migration.Version), ("@t", NowMs)).ConfigureAwait(false);
                }
                await tx.CommitAsync(ct).ConfigureAwait(false);
            }
            if (target >= 1)
                await CheckKeyProbeAsync(connection, ct).ConfigureAwait(false);
        }
        catch (StoreException)
        {
            throw;
        }
        catch (Exception e) when (e is DbException or InvalidOperationException or IOException)
        {
            throw Dialect.TranslateOpenError(e);
        }
    }

    private static async ValueTask<int> CurrentVersionAsync(DbConnection c, DbTransaction? tx, CancellationToken ct)
    {
        await using var command = Command(c, tx, "SELECT COALESCE(MAX(version), 0) FROM schema_version");
        return Convert.ToInt32(await command.ExecuteScalarAsync(ct).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>The probe: a random secret wrapped at creation; if the ring cannot open it, the ring is wrong.</summary>
    private async ValueTask CheckKeyProbeAsync(DbConnection c, CancellationToken ct)
    {
        await using var read = Command(c, null, "SELECT probe FROM kek_probe WHERE id = 1");
        if (await read.ExecuteScalarAsync(ct).ConfigureAwait(false) is byte[] probe)
        {
            try
            {
                Protector.Unprotect(probe, ProbePlace);
            }
            catch (SecretDecryptionException e)
            {
                throw new StoreException($"{Dialect.Location}: the key-encryption key ring {Protector.Ring.Path ?? "(in memory)"} does not open this database's secrets ({e.Message}); wrong --kek-file? Nothing was changed.");
            }
            return;
        }
        var fresh = Protector.Protect(RandomNumberGenerator.GetBytes(16), ProbePlace);
        try
        {
            await ExecuteAsync(c, null, "INSERT INTO kek_probe (id, probe) VALUES (1, @p)", ct, ("@p", fresh)).ConfigureAwait(false);
        }
        catch (DbException e) when (Dialect.IsUniqueViolation(e))
        {
            // Another instance created it first: check theirs.
            await CheckKeyProbeAsync(c, ct).ConfigureAwait(false);
        }
    }

    /// <summary>The columns that hold protected secrets, with how to name each value's place.</summary>
    public static IReadOnlyList<SecretColumn> SecretColumns { get; } =
    [
        new("kek_probe", ["id"], "probe", "probe", k => "1"),
        new("subscribers", ["identity"], "k_enc", "k", k => k[0]),
        new("subscribers", ["identity"], "opc_enc", "opc", k => k[0]),
        new("ota_keysets", ["iccid", "kvn"], "kic_enc", "kic", k => $"{k[0]}/{k[1]}"),
        new("ota_keysets", ["iccid", "kvn"], "kid_enc", "kid", k => $"{k[0]}/{k[1]}"),
        new("scp81_psk", ["identity"], "psk_enc", "psk", k => k[0]),
        new("pki_keys", ["hierarchy", "slot"], "key_enc", "key", k => $"{k[0]}/{k[1]}"),
        new("dm_accounts", ["dev_id"], "client_password_enc", "client_password", k => k[0]),
        new("dm_accounts", ["dev_id"], "server_password_enc", "server_password", k => k[0]),
        new("ota_jobs", ["id"], "script_enc", "script", k => k[0]),
        new("ccif_devices", ["pcid"], "k_enc", "k", k => k[0]),
        new("ccif_devices", ["pcid"], "opc_enc", "opc", k => k[0]),
        new("icf_pending_keys", ["pcid", "rand"], "k_ro_enc", "k_ro", k => $"{k[0]}/{k[1]}"),
        new("drf_bootstrap_requests", ["pcid"], "k_ro_enc", "k_ro", k => k[0]),
        new("sho_subscriptions", ["pcid"], "k_enc", "k", k => k[0]),
        new("sho_subscriptions", ["pcid"], "opc_enc", "opc", k => k[0]),
        new("sho_auth_tokens", ["pcid"], "token_enc", "token", k => k[0]),
        new("sho_prepared_mcims", ["pcid"], "mcim_enc", "mcim", k => k[0]),
        new("sho_prepared_mcims", ["pcid"], "k_enc", "k", k => k[0]),
        new("sho_prepared_mcims", ["pcid"], "opc_enc", "opc", k => k[0]),
        new("vno_nas_contexts", ["identity"], "knas_int_enc", "knas_int", k => k[0]),
        // Issue 17, MTC groups (schema v23).
        new("mtc_groups", ["id"], "key_enc", "key", k => k[0]),
        new("mtc_member_keys", ["identity"], "key_enc", "key", k => k[0]),
        new("mtc_signing_key", ["id"], "key_enc", "key", k => k[0]),
        // Issue 18, GBA (schema v25).
        new("bsf_challenges", ["id"], "xres_enc", "xres", k => k[0]),
        new("bsf_challenges", ["id"], "ks_enc", "ks", k => k[0]),
        new("bsf_contexts", ["b_tid"], "ks_enc", "ks", k => k[0]),
    ];

    /// <summary>The ids of the keys this database's secrets are wrapped under.</summary>
    public async ValueTask<IReadOnlyCollection<string>> KeyIdsInUseAsync(CancellationToken ct)
    {
        var ids = new HashSet<string>(StringComparer.Ordinal);
        await using var lease = await LeaseAsync(ct).ConfigureAwait(false);
        var c = lease.Connection;
        foreach (var column in SecretColumns)
        {
            await using var select = Command(c, null, $"SELECT {column.Column} FROM {column.Table} WHERE {column.Column} IS NOT NULL");
            await using var reader = await select.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
                ids.Add(SecretProtector.KeyIdOf((byte[])reader.GetValue(0), column.Table));
        }
        return ids;
    }

    /// <summary>Tells the key ring which of its keys this database uses (<see cref="KeyRingStores"/>).</summary>
    public async ValueTask RecordKeyUseAsync(CancellationToken ct)
    {
        if (Protector.Ring.Path is { } ring)
            KeyRingStores.Record(ring, $"{Dialect.Name}:{Dialect.Location}", await KeyIdsInUseAsync(ct).ConfigureAwait(false));
    }

    public async ValueTask<int> RewrapAsync(CancellationToken ct)
    {
        var count = 0;
        await using var lease = await LeaseAsync(ct).ConfigureAwait(false);
        var c = lease.Connection;
        foreach (var column in SecretColumns)
        {
            var rows = new List<(string[] Keys, byte[] Blob)>();
            await using (var select = Command(c, null, $"SELECT {string.Join(", ", column.KeyColumns)}, {column.Column} FROM {column.Table} WHERE {column.Column} IS NOT NULL"))
            await using (var reader = await select.ExecuteReaderAsync(ct).ConfigureAwait(false))
            {
                while (await reader.ReadAsync(ct).ConfigureAwait(false))
                {
                    var keys = column.KeyColumns.Select((_, i) => Convert.ToString(reader.GetValue(i), System.Globalization.CultureInfo.InvariantCulture)!).ToArray();
                    rows.Add((keys, (byte[])reader.GetValue(column.KeyColumns.Count)));
                }
            }
            foreach (var (keys, blob) in rows.Where(r => Protector.NeedsRewrap(r.Blob)))
            {
                var place = SecretProtector.Place(column.Table, column.RowName(keys), column.Field);
                var plain = Protector.Unprotect(blob, place);
                var wrapped = Protector.Protect(plain, place);
                CryptographicOperations.ZeroMemory(plain);
                var where = string.Join(" AND ", column.KeyColumns.Select((k, i) => $"CAST({k} AS TEXT) = @k{i}"));
                var parameters = keys.Select((k, i) => ($"@k{i}", (object?)k)).Append(("@new", wrapped)).Append(("@old", blob)).ToArray();
                // Compare-and-swap: a concurrent writer's newer value is not overwritten.
                count += await ExecuteAsync(c, null, $"UPDATE {column.Table} SET {column.Column} = @new WHERE {where} AND {column.Column} = @old", ct, parameters).ConfigureAwait(false);
            }
        }
        return count;
    }

    internal sealed record SecretColumn(string Table, IReadOnlyList<string> KeyColumns, string Column, string Field, Func<string[], string> RowName);
}
