using System.Data.Common;
using System.Text.Json;
using M2MSec.Storage.Audit;
using M2MSec.Storage.Dpf;
using M2MSec.Storage.Security;
using M2MSec.Storage.Sho;

namespace M2MSec.Storage.Sql;

/// <summary>
/// SHO subscriptions in SQL (schema v14): the public fields as one JSON document beside the state (compare-and-swap on it), K and
/// OPc wrapped per row like the HSS's. The IMSI pool is one row per IMSI; allocation is one UPDATE on the lowest free row.
/// </summary>
internal sealed partial class SqlShoStore(SqlDatabase db) : IShoStore
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.General);

    public ValueTask<bool> AddAsync(ShoSubscription subscription, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(subscription);
        var (k, opc) = Wrap(subscription);
        return db.TryInsertAsync(
            "INSERT INTO sho_subscriptions (pcid, state, imsi, doc, k_enc, opc_enc, created_at, updated_at) VALUES (@p, @s, @i, @d, @k, @o, @c, @u)",
            cancellationToken, ("@p", subscription.Pcid), ("@s", subscription.State), ("@i", subscription.Imsi), ("@d", Doc(subscription)), ("@k", k), ("@o", opc),
            ("@c", subscription.CreatedAt.ToUnixTimeMilliseconds()), ("@u", subscription.UpdatedAt.ToUnixTimeMilliseconds()));
    }

    public ValueTask<ShoSubscription?> FindAsync(string pcid, CancellationToken cancellationToken = default) =>
        db.ReadAsync<ShoSubscription?>(async c =>
        {
            await using var command = SqlDatabase.Command(c, null, "SELECT doc, k_enc, opc_enc FROM sho_subscriptions WHERE pcid = @p", ("@p", pcid));
            await using var r = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            if (!await r.ReadAsync(cancellationToken).ConfigureAwait(false))
                return null;
            var s = JsonSerializer.Deserialize<ShoSubscription>(r.GetString(0), Json)!;
            return s with
            {
                K = r.IsDBNull(1) ? null : db.Protector.Unprotect((byte[])r.GetValue(1), SecretProtector.Place("sho_subscriptions", pcid, "k")),
                Opc = r.IsDBNull(2) ? null : db.Protector.Unprotect((byte[])r.GetValue(2), SecretProtector.Place("sho_subscriptions", pcid, "opc")),
            };
        }, cancellationToken);

    public ValueTask<bool> UpdateAsync(ShoSubscription subscription, string expectedState, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(subscription);
        var (k, opc) = Wrap(subscription);
        return db.RunAsync(async c => await UpdateRowAsync(c, null, subscription, expectedState, k, opc, cancellationToken).ConfigureAwait(false) == 1, cancellationToken);
    }

    public async ValueTask<bool> UpdateAsync(ShoSubscription subscription, string expectedState, AuditRecord audit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(subscription);
        ArgumentNullException.ThrowIfNull(audit);
        var (k, opc) = Wrap(subscription);
        try
        {
            return await db.WriteAsync(async (c, tx) =>
            {
                if (await UpdateRowAsync(c, tx, subscription, expectedState, k, opc, cancellationToken).ConfigureAwait(false) != 1)
                    throw new ChangeRefused();
                await SqlAuditLog.AppendAsync(db, c, tx, audit, cancellationToken).ConfigureAwait(false);
                return true;
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (ChangeRefused)
        {
            return false; // not in the expected state: the transaction rolled back, no entry
        }
    }

    private ValueTask<int> UpdateRowAsync(DbConnection c, DbTransaction? tx, ShoSubscription subscription, string expectedState, byte[]? k, byte[]? opc, CancellationToken ct) =>
        SqlDatabase.ExecuteAsync(c, tx,
            "UPDATE sho_subscriptions SET state = @s, imsi = @i, doc = @d, k_enc = @k, opc_enc = @o, updated_at = @u WHERE pcid = @p AND state = @e",
            ct, ("@s", subscription.State), ("@i", subscription.Imsi), ("@d", Doc(subscription)), ("@k", k), ("@o", opc),
            ("@u", subscription.UpdatedAt.ToUnixTimeMilliseconds()), ("@p", subscription.Pcid), ("@e", expectedState));

    public async ValueTask<IReadOnlyList<ShoSubscriptionSummary>> ListAsync(CancellationToken cancellationToken = default) =>
        [.. (await db.QueryAsync("SELECT doc FROM sho_subscriptions ORDER BY pcid", r => JsonSerializer.Deserialize<ShoSubscription>(r.GetString(0), Json)!, cancellationToken)
            .ConfigureAwait(false)).Select(s => new ShoSubscriptionSummary(s.Pcid, s.TreId, s.State, s.Imsi, s.Reason, s.CreatedAt, s.UpdatedAt))];

    public async ValueTask<IReadOnlyList<ShoSubscriptionSummary>> FindSummariesAsync(IReadOnlyCollection<string> pcids, CancellationToken cancellationToken = default) =>
        [.. (await db.QueryByIdsAsync("SELECT doc FROM sho_subscriptions WHERE pcid IN ({ids})", pcids, r => JsonSerializer.Deserialize<ShoSubscription>(r.GetString(0), Json)!,
            cancellationToken).ConfigureAwait(false)).Select(s => new ShoSubscriptionSummary(s.Pcid, s.TreId, s.State, s.Imsi, s.Reason, s.CreatedAt, s.UpdatedAt))];

    public ValueTask<IReadOnlyDictionary<string, int>> CountByStateAsync(CancellationToken cancellationToken = default) =>
        db.CountByAsync("SELECT state, COUNT(*) FROM sho_subscriptions GROUP BY state", cancellationToken);

    public ValueTask<IReadOnlyList<string>> ListPcidsAsync(string state, string? after, int limit, CancellationToken cancellationToken = default) =>
        db.QueryAsync("SELECT pcid FROM sho_subscriptions WHERE state = @s AND pcid > @a ORDER BY pcid LIMIT @l", r => r.GetString(0), cancellationToken, ("@s", state), ("@a", after ?? ""), ("@l", limit));

    public ValueTask SetAuthorisationTokenAsync(string pcid, byte[] token, DateTimeOffset at, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(token);
        var wrapped = db.Protector.Protect(token, SecretProtector.Place("sho_auth_tokens", pcid, "token"));
        return new ValueTask(db.WriteAsync(async (c, tx) => await SqlDatabase.ExecuteAsync(c, tx,
            "INSERT INTO sho_auth_tokens (pcid, token_enc, updated_at) VALUES (@p, @t, @u) ON CONFLICT (pcid) DO UPDATE SET token_enc = @t, updated_at = @u",
            cancellationToken, ("@p", pcid), ("@t", wrapped), ("@u", at.ToUnixTimeMilliseconds())).ConfigureAwait(false), cancellationToken).AsTask());
    }

    public async ValueTask<byte[]?> FindAuthorisationTokenAsync(string pcid, CancellationToken cancellationToken = default)
    {
        var blobs = await db.QueryAsync("SELECT token_enc FROM sho_auth_tokens WHERE pcid = @p", r => (byte[])r.GetValue(0), cancellationToken, ("@p", pcid))
            .ConfigureAwait(false);
        return blobs.Count == 0 ? null : db.Protector.Unprotect(blobs[0], SecretProtector.Place("sho_auth_tokens", pcid, "token"));
    }

    public ValueTask<int> AddPoolAsync(IReadOnlyList<string> imsis, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(imsis);
        return db.WriteAsync(async (c, tx) =>
        {
            var added = 0;
            foreach (var imsi in imsis)
            {
                added += await SqlDatabase.ExecuteAsync(c, tx,
                    "INSERT INTO sho_imsi_pool (imsi, state, pcid) SELECT @i, 'free', NULL WHERE NOT EXISTS (SELECT 1 FROM sho_imsi_pool WHERE imsi = @i)",
                    cancellationToken, ("@i", imsi)).ConfigureAwait(false);
            }
            return added;
        }, cancellationToken);
    }

    public async ValueTask<string?> AllocateImsiAsync(string pcid, CancellationToken cancellationToken = default)
    {
        // Exactly once per PCID (issue 16): a retried or resumed step 16 finds the IMSI it was given before.
        var mine = (await db.QueryAsync("SELECT imsi FROM sho_imsi_pool WHERE pcid = @p AND state = 'assigned' ORDER BY imsi LIMIT 1", r => r.GetString(0), cancellationToken,
            ("@p", pcid)).ConfigureAwait(false)).FirstOrDefault();
        if (mine is not null)
            return mine;
        // One statement claims the lowest free row. Concurrent allocators (several instances on PostgreSQL) skip a row another one has
        // locked and take the next; SQLite runs it under the write gate (issue 16). A claim that found every free row locked by others
        // returns nothing although the pool is not empty: try again.
        var claim = "UPDATE sho_imsi_pool SET state = 'assigned', pcid = @p WHERE state = 'free' AND imsi = "
            + "(SELECT imsi FROM sho_imsi_pool WHERE state = 'free' ORDER BY imsi LIMIT 1" + db.Dialect.SkipLocked + ") RETURNING imsi";
        for (var attempt = 0; attempt < 64; attempt++)
        {
            var (empty, won) = await db.RunAsync<(bool Empty, string? Won)>(async c =>
            {
                await using var update = SqlDatabase.Command(c, null, claim, ("@p", pcid));
                if (await update.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is string taken)
                    return (false, taken);
                await using var any = SqlDatabase.Command(c, null, "SELECT COUNT(*) FROM sho_imsi_pool WHERE state = 'free'");
                return (Convert.ToInt64(await any.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture) == 0, null);
            }, cancellationToken).ConfigureAwait(false);
            if (empty)
                return null;
            if (won is not null)
                return won;
            await Task.Delay(attempt, cancellationToken).ConfigureAwait(false);
        }
        throw new StoreException("the IMSI pool is contended: no free IMSI could be taken in 64 attempts");
    }

    public ValueTask<bool> SetImsiStateAsync(string imsi, string state, CancellationToken cancellationToken = default) =>
        db.RunAsync(async c => await SqlDatabase.ExecuteAsync(c, null, "UPDATE sho_imsi_pool SET state = @s WHERE imsi = @i AND state = 'assigned'",
            cancellationToken, ("@s", state), ("@i", imsi)).ConfigureAwait(false) == 1, cancellationToken);

    public async ValueTask<IReadOnlyDictionary<string, int>> CountPoolAsync(CancellationToken cancellationToken = default) =>
        (await db.QueryAsync("SELECT state, COUNT(*) FROM sho_imsi_pool GROUP BY state", r => (r.GetString(0), Convert.ToInt32(r.GetValue(1), System.Globalization.CultureInfo.InvariantCulture)),
            cancellationToken).ConfigureAwait(false)).ToDictionary(x => x.Item1, x => x.Item2, StringComparer.Ordinal);

    public ValueTask<bool> RetireImsiAsync(string imsi, CancellationToken cancellationToken = default) =>
        db.RunAsync(async c => await SqlDatabase.ExecuteAsync(c, null, "UPDATE sho_imsi_pool SET state = 'retired' WHERE imsi = @i AND state = 'active'",
            cancellationToken, ("@i", imsi)).ConfigureAwait(false) == 1, cancellationToken);

    public ValueTask<IReadOnlyList<ShoAssignedImsi>> ListAssignedImsisAsync(CancellationToken cancellationToken = default) =>
        db.QueryAsync("SELECT imsi, pcid FROM sho_imsi_pool WHERE state = 'assigned' ORDER BY imsi", r => new ShoAssignedImsi(r.GetString(0), r.IsDBNull(1) ? null : r.GetString(1)),
            cancellationToken);

    private static string Doc(ShoSubscription s) => JsonSerializer.Serialize(s with { K = null, Opc = null }, Json);

    private (byte[]? K, byte[]? Opc) Wrap(ShoSubscription s) =>
        (s.K is null ? null : db.Protector.Protect(s.K, SecretProtector.Place("sho_subscriptions", s.Pcid, "k")),
         s.Opc is null ? null : db.Protector.Protect(s.Opc, SecretProtector.Place("sho_subscriptions", s.Pcid, "opc")));
}

/// <summary>DPF provisioning records in SQL (schema v14): one JSON document per PCID beside its state (compare-and-swap on it). No secret.</summary>
internal sealed class SqlDpfStore(SqlDatabase db) : IDpfStore
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.General);

    public ValueTask<bool> AddAsync(DpfProvisioning provisioning, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(provisioning);
        return db.TryInsertAsync("INSERT INTO dpf_provisionings (pcid, state, doc, created_at, updated_at, awaits_report) VALUES (@p, @s, @d, @c, @u, @r)", cancellationToken,
            ("@p", provisioning.Pcid), ("@s", provisioning.State), ("@d", JsonSerializer.Serialize(provisioning, Json)), ("@r", AwaitsReport(provisioning)),
            ("@c", provisioning.CreatedAt.ToUnixTimeMilliseconds()), ("@u", provisioning.UpdatedAt.ToUnixTimeMilliseconds()));
    }

    public async ValueTask<DpfProvisioning?> FindAsync(string pcid, CancellationToken cancellationToken = default) =>
        (await db.QueryAsync("SELECT doc FROM dpf_provisionings WHERE pcid = @p", Read, cancellationToken, ("@p", pcid)).ConfigureAwait(false)).FirstOrDefault();

    public ValueTask<bool> UpdateAsync(DpfProvisioning provisioning, string expectedState, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(provisioning);
        return db.RunAsync(async c => await UpdateRowAsync(c, null, provisioning, expectedState, cancellationToken).ConfigureAwait(false) == 1, cancellationToken);
    }

    public ValueTask<bool> UpdateAsync(DpfProvisioning provisioning, string expectedState, AuditRecord audit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(provisioning);
        ArgumentNullException.ThrowIfNull(audit);
        return db.WriteAsync(async (c, tx) =>
        {
            if (await UpdateRowAsync(c, tx, provisioning, expectedState, cancellationToken).ConfigureAwait(false) != 1)
                return false; // not in the expected state: nothing written, no entry
            await SqlAuditLog.AppendAsync(db, c, tx, audit, cancellationToken).ConfigureAwait(false); // throws on a bad entry: the move rolls back
            return true;
        }, cancellationToken);
    }

    private static ValueTask<int> UpdateRowAsync(DbConnection c, DbTransaction? tx, DpfProvisioning provisioning, string expectedState, CancellationToken ct) =>
        SqlDatabase.ExecuteAsync(c, tx,
            "UPDATE dpf_provisionings SET state = @s, doc = @d, updated_at = @u, awaits_report = @r WHERE pcid = @p AND state = @e", ct,
            ("@s", provisioning.State), ("@d", JsonSerializer.Serialize(provisioning, Json)), ("@u", provisioning.UpdatedAt.ToUnixTimeMilliseconds()),
            ("@r", AwaitsReport(provisioning)),
            ("@p", provisioning.Pcid), ("@e", expectedState));

    public ValueTask<IReadOnlyList<DpfProvisioning>> ListAsync(CancellationToken cancellationToken = default) =>
        db.QueryAsync("SELECT doc FROM dpf_provisionings ORDER BY pcid", Read, cancellationToken);

    public ValueTask<IReadOnlyList<DpfProvisioning>> ListAwaitingReportAsync(int limit, CancellationToken cancellationToken = default) =>
        db.QueryAsync("SELECT doc FROM dpf_provisionings WHERE awaits_report = 1 ORDER BY pcid LIMIT @n", Read, cancellationToken, ("@n", limit));

    // Schema v29's partial index holds the ongoing records only: the predicate is written as the index's, so both dialects use it.
    public ValueTask<IReadOnlyList<DpfProvisioning>> ListOngoingUntouchedAsync(DateTimeOffset untouchedSince, string? afterPcid, int limit,
        CancellationToken cancellationToken = default) =>
        db.QueryAsync($"SELECT doc FROM dpf_provisionings WHERE {OngoingPredicate} AND updated_at <= @u AND pcid > @a ORDER BY pcid LIMIT @n", Read, cancellationToken,
            ("@u", untouchedSince.ToUnixTimeMilliseconds()), ("@a", afterPcid ?? ""), ("@n", limit));

    /// <summary>Schema v29's index predicate: <see cref="DpfProvisioning.IsOngoing"/> in SQL.</summary>
    internal const string OngoingPredicate = "state NOT IN ('installed', 'failed')";

    public ValueTask<IReadOnlyList<DpfProvisioning>> FindManyAsync(IReadOnlyCollection<string> pcids, CancellationToken cancellationToken = default) =>
        db.QueryByIdsAsync("SELECT doc FROM dpf_provisionings WHERE pcid IN ({ids})", pcids, Read, cancellationToken);

    public ValueTask<IReadOnlyDictionary<string, int>> CountByStateAsync(CancellationToken cancellationToken = default) =>
        db.CountByAsync("SELECT state, COUNT(*) FROM dpf_provisionings GROUP BY state", cancellationToken);

    public ValueTask<IReadOnlyList<string>> ListPcidsAsync(string state, string? after, int limit, CancellationToken cancellationToken = default) =>
        db.QueryAsync("SELECT pcid FROM dpf_provisionings WHERE state = @s AND pcid > @a ORDER BY pcid LIMIT @l", r => r.GetString(0), cancellationToken, ("@s", state), ("@a", after ?? ""), ("@l", limit));

    public ValueTask<bool> AddInstructionReportAsync(DpfInstructionReport report, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(report);
        return db.TryInsertAsync("INSERT INTO dpf_instruction_reports (job_id, pcid, sho_id, attempts, next_at, created_at) VALUES (@j, @p, @s, @a, @n, @c)",
            cancellationToken, ("@j", report.JobId), ("@p", report.Pcid), ("@s", report.ShoId), ("@a", report.Attempts),
            ("@n", report.NextAt.ToUnixTimeMilliseconds()), ("@c", report.CreatedAt.ToUnixTimeMilliseconds()));
    }

    public ValueTask<IReadOnlyList<DpfInstructionReport>> ListDueInstructionReportsAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken = default) =>
        db.QueryAsync("SELECT job_id, pcid, sho_id, attempts, next_at, created_at FROM dpf_instruction_reports WHERE next_at <= @t ORDER BY next_at, job_id LIMIT @n",
            r => new DpfInstructionReport(r.GetString(0), r.GetString(1), r.GetString(2), Convert.ToInt32(r.GetValue(3), System.Globalization.CultureInfo.InvariantCulture),
                DateTimeOffset.FromUnixTimeMilliseconds(Convert.ToInt64(r.GetValue(4), System.Globalization.CultureInfo.InvariantCulture)),
                DateTimeOffset.FromUnixTimeMilliseconds(Convert.ToInt64(r.GetValue(5), System.Globalization.CultureInfo.InvariantCulture))),
            cancellationToken, ("@t", now.ToUnixTimeMilliseconds()), ("@n", limit));

    public async ValueTask PutInstructionReportAsync(DpfInstructionReport report, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(report);
        await db.RunAsync(async c => await SqlDatabase.ExecuteAsync(c, null,
            "INSERT INTO dpf_instruction_reports (job_id, pcid, sho_id, attempts, next_at, created_at) VALUES (@j, @p, @s, @a, @n, @c) " +
            "ON CONFLICT (job_id) DO UPDATE SET attempts = @a, next_at = @n", cancellationToken,
            ("@j", report.JobId), ("@p", report.Pcid), ("@s", report.ShoId), ("@a", report.Attempts),
            ("@n", report.NextAt.ToUnixTimeMilliseconds()), ("@c", report.CreatedAt.ToUnixTimeMilliseconds())).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
    }

    public ValueTask<bool> RemoveInstructionReportAsync(string jobId, CancellationToken cancellationToken = default) =>
        db.RunAsync(async c => await SqlDatabase.ExecuteAsync(c, null, "DELETE FROM dpf_instruction_reports WHERE job_id = @j", cancellationToken, ("@j", jobId))
            .ConfigureAwait(false) == 1, cancellationToken);

    /// <summary>Schema v20's awaits_report column (indexed): 1 for a record the step-21 retry must find.</summary>
    private static int AwaitsReport(DpfProvisioning p) => DpfProvisioning.AwaitsReport(p) ? 1 : 0;

    private static DpfProvisioning Read(DbDataReader r) => JsonSerializer.Deserialize<DpfProvisioning>(r.GetString(0), Json)!;
}
