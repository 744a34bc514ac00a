using System.Data.Common;
using M2MSec.Storage.Audit;
using M2MSec.Storage.Dm;
using M2MSec.Storage.Security;

namespace M2MSec.Storage.Sql;

/// <summary>
/// DM accounts and jobs in SQL: a job and its commands are written in one transaction; a result is recorded once. A change given an
/// audit entry commits with it (decision 036).
/// </summary>
internal sealed class SqlDmStore(SqlDatabase db) : IDmStore
{
    public ValueTask<T> InOneCommitAsync<T>(Func<ValueTask<T>> body, CancellationToken cancellationToken = default) => db.InOneCommitAsync(body, cancellationToken);

    public ValueTask<bool> AddAccountAsync(DmAccount account, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(account);
        var client = db.Protector.Protect(account.ClientPassword, SecretProtector.Place("dm_accounts", account.DevId, "client_password"));
        var server = db.Protector.Protect(account.ServerPassword, SecretProtector.Place("dm_accounts", account.DevId, "server_password"));
        return db.TryInsertAsync(
            "INSERT INTO dm_accounts (dev_id, server_id, client_user, client_password_enc, server_password_enc, client_auth, server_auth, created_at) " +
            "VALUES (@d, @s, @u, @cp, @sp, @ca, @sa, @t)", cancellationToken,
            ("@d", account.DevId), ("@s", account.ServerId), ("@u", account.ClientUser), ("@cp", client), ("@sp", server),
            ("@ca", account.ClientAuth), ("@sa", account.ServerAuth), ("@t", account.CreatedAt.ToUnixTimeMilliseconds()));
    }

    public ValueTask<bool> ReplaceAccountAsync(DmAccount account, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(account);
        var client = db.Protector.Protect(account.ClientPassword, SecretProtector.Place("dm_accounts", account.DevId, "client_password"));
        var server = db.Protector.Protect(account.ServerPassword, SecretProtector.Place("dm_accounts", account.DevId, "server_password"));
        return db.RunAsync(async c => await SqlDatabase.ExecuteAsync(c, null,
            "UPDATE dm_accounts SET server_id = @s, client_user = @u, client_password_enc = @cp, server_password_enc = @sp, client_auth = @ca, server_auth = @sa, " +
            "created_at = @t, server_nonce = NULL, client_nonce = NULL, client_nonce_expires_at = NULL WHERE dev_id = @d", cancellationToken,
            ("@d", account.DevId), ("@s", account.ServerId), ("@u", account.ClientUser), ("@cp", client), ("@sp", server),
            ("@ca", account.ClientAuth), ("@sa", account.ServerAuth), ("@t", account.CreatedAt.ToUnixTimeMilliseconds())).ConfigureAwait(false) == 1, cancellationToken);
    }

    public ValueTask<bool> RemoveUnusedAccountAsync(string devId, CancellationToken cancellationToken = default) =>
        db.WriteAsync(async (c, tx) => await SqlDatabase.ExecuteAsync(c, tx,
            "DELETE FROM dm_accounts WHERE dev_id = @d AND NOT EXISTS (SELECT 1 FROM dm_jobs WHERE dev_id = @d)", cancellationToken, ("@d", devId)).ConfigureAwait(false) == 1,
            cancellationToken);

    public ValueTask<DmAccount?> FindAccountAsync(string devId, CancellationToken cancellationToken = default) =>
        db.ReadAsync<DmAccount?>(async c =>
        {
            await using var command = SqlDatabase.Command(c, null,
                "SELECT server_id, client_user, client_password_enc, server_password_enc, client_auth, server_auth, created_at, server_nonce, client_nonce, client_nonce_expires_at " +
                "FROM dm_accounts WHERE dev_id = @d",
                ("@d", devId));
            await using var r = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            if (!await r.ReadAsync(cancellationToken).ConfigureAwait(false))
                return null;
            return new DmAccount(devId, r.GetString(0), r.GetString(1),
                db.Protector.Unprotect((byte[])r.GetValue(2), SecretProtector.Place("dm_accounts", devId, "client_password")),
                db.Protector.Unprotect((byte[])r.GetValue(3), SecretProtector.Place("dm_accounts", devId, "server_password")),
                r.GetString(4), r.GetString(5), SqlDatabase.FromMs(r.GetInt64(6)), r.IsDBNull(7) ? null : r.GetString(7),
                r.IsDBNull(8) ? null : r.GetString(8), r.IsDBNull(9) ? null : SqlDatabase.FromMs(r.GetInt64(9)));
        }, cancellationToken);

    public ValueTask<IReadOnlyList<DmAccountSummary>> ListAccountsAsync(CancellationToken cancellationToken = default) =>
        db.ReadAsync<IReadOnlyList<DmAccountSummary>>(async c =>
        {
            await using var command = SqlDatabase.Command(c, null,
                "SELECT dev_id, server_id, client_user, client_auth, server_auth, created_at FROM dm_accounts ORDER BY dev_id");
            await using var r = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            var list = new List<DmAccountSummary>();
            while (await r.ReadAsync(cancellationToken).ConfigureAwait(false))
                list.Add(new DmAccountSummary(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4), SqlDatabase.FromMs(r.GetInt64(5))));
            return list;
        }, cancellationToken);

    public ValueTask<bool> SetServerNonceAsync(string devId, string nonce, CancellationToken cancellationToken = default) =>
        db.RunAsync(async c => await SqlDatabase.ExecuteAsync(c, null, "UPDATE dm_accounts SET server_nonce = @n WHERE dev_id = @d",
            cancellationToken, ("@n", nonce), ("@d", devId)).ConfigureAwait(false) == 1, cancellationToken);

    public ValueTask AddJobAsync(DmJobRecord job, CancellationToken cancellationToken = default) => AddJobAsync(job, null, cancellationToken);

    public ValueTask AddJobAsync(DmJobRecord job, AuditRecord? audit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(job);
        return new ValueTask(db.WriteAsync(async (c, tx) =>
        {
            await SqlDatabase.ExecuteAsync(c, tx, "INSERT INTO dm_jobs (id, dev_id, state, created_at, updated_at) VALUES (@id, @d, @s, @c, @u)", cancellationToken,
                ("@id", job.Id), ("@d", job.DevId), ("@s", job.State), ("@c", job.CreatedAt.ToUnixTimeMilliseconds()), ("@u", job.UpdatedAt.ToUnixTimeMilliseconds()))
                .ConfigureAwait(false);
            foreach (var cmd in job.Commands)
            {
                await SqlDatabase.ExecuteAsync(c, tx, "INSERT INTO dm_job_commands (job_id, seq, verb, uri, value, status, results, format) VALUES (@j, @q, @v, @uri, @val, @st, @r, @f)",
                    cancellationToken, ("@j", job.Id), ("@q", cmd.Seq), ("@v", cmd.Verb), ("@uri", cmd.Uri), ("@val", cmd.Value), ("@st", cmd.Status), ("@r", cmd.Results),
                    ("@f", cmd.Format))
                    .ConfigureAwait(false);
            }
            if (audit is not null)
                await SqlAuditLog.AppendAsync(db, c, tx, audit, cancellationToken).ConfigureAwait(false);
            return 0;
        }, cancellationToken).AsTask());
    }

    public ValueTask<IReadOnlyList<DmJobRecord>> ListJobsAsync(string devId, CancellationToken cancellationToken = default) =>
        JobsAsync("j.dev_id = @d", "created_at, id", cancellationToken, ("@d", devId));

    public ValueTask<IReadOnlyList<DmJobRecord>> ListQueuedJobsAsync(string devId, CancellationToken cancellationToken = default) =>
        JobsAsync("j.dev_id = @d AND j.state = 'queued'", "created_at, id", cancellationToken, ("@d", devId));

    public ValueTask<IReadOnlyList<string>> ListAccountIdsAsync(string? text, string? after, int limit, CancellationToken cancellationToken = default) =>
        db.QueryAsync("SELECT dev_id FROM dm_accounts WHERE dev_id > @a AND dev_id LIKE @q ESCAPE '\\' ORDER BY dev_id LIMIT @l", r => r.GetString(0), cancellationToken,
            ("@a", after ?? ""), ("@q", SqlDatabase.Contains(text)), ("@l", limit));

    public ValueTask<IReadOnlyList<DmJobRecord>> ListRecentJobsAsync(int limit, CancellationToken cancellationToken = default) =>
        JobsAsync("j.id IN (SELECT id FROM dm_jobs ORDER BY created_at DESC, id DESC LIMIT @l)", "created_at DESC, id DESC", cancellationToken, ("@l", limit));

    private async ValueTask<IReadOnlyList<DmJobRecord>> JobsAsync(string where, string order, CancellationToken cancellationToken, params (string, object?)[] parameters)
    {
        var jobs = await db.QueryAsync($"SELECT id, dev_id, state, created_at, updated_at, reason FROM dm_jobs j WHERE {where} ORDER BY {order}",
            r => new DmJobRecord(r.GetString(0), r.GetString(1), r.GetString(2), SqlDatabase.FromMs(r.GetInt64(3)), SqlDatabase.FromMs(r.GetInt64(4)), [],
                r.IsDBNull(5) ? null : r.GetString(5)),
            cancellationToken, parameters).ConfigureAwait(false);
        var commands = await db.QueryAsync(
            $"SELECT c.job_id, c.seq, c.verb, c.uri, c.value, c.status, c.results, c.sent_at, c.format FROM dm_job_commands c JOIN dm_jobs j ON j.id = c.job_id WHERE {where} ORDER BY c.job_id, c.seq",
            ReadCommand, cancellationToken, parameters).ConfigureAwait(false);
        var byJob = commands.GroupBy(c => c.JobId).ToDictionary(g => g.Key, g => (IReadOnlyList<DmCommandRecord>)[.. g]);
        return [.. jobs.Select(j => j with { Commands = byJob.GetValueOrDefault(j.Id, []) })];
    }

    public ValueTask<bool> RecordResultAsync(string jobId, int seq, int status, string? results, CancellationToken cancellationToken = default) =>
        db.RunAsync(async c => await SqlDatabase.ExecuteAsync(c, null, RecordResultSql,
            cancellationToken, ("@s", status), ("@r", results), ("@j", jobId), ("@q", seq)).ConfigureAwait(false) == 1, cancellationToken);

    private const string RecordResultSql = "UPDATE dm_job_commands SET status = @s, results = @r WHERE job_id = @j AND seq = @q AND status IS NULL";

    public ValueTask<int> RecordResultsAsync(IReadOnlyList<DmCommandResult> results, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(results);
        return results.Count == 0 ? ValueTask.FromResult(0) : db.WriteAsync(async (c, tx) =>
        {
            var recorded = 0;
            foreach (var r in results)
            {
                recorded += await SqlDatabase.ExecuteAsync(c, tx, RecordResultSql, cancellationToken, ("@s", r.Status), ("@r", r.Results), ("@j", r.JobId), ("@q", r.Seq))
                    .ConfigureAwait(false);
            }
            return recorded;
        }, cancellationToken);
    }

    public ValueTask<bool> SetJobStateAsync(string jobId, string state, IReadOnlyList<string> from, CancellationToken cancellationToken = default) =>
        SetJobStateAsync(jobId, state, from, null, cancellationToken);

    public ValueTask<bool> SetJobStateAsync(string jobId, string state, IReadOnlyList<string> from, AuditRecord? audit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(from);
        var names = from.Select((_, i) => $"@f{i}").ToArray();
        var parameters = new List<(string, object?)> { ("@s", state), ("@t", db.NowMs), ("@j", jobId) };
        parameters.AddRange(from.Select((f, i) => ($"@f{i}", (object?)f)));
        return ChangeAsync($"UPDATE dm_jobs SET state = @s, updated_at = @t WHERE id = @j AND state IN ({string.Join(", ", names)})", audit, false, cancellationToken,
            [.. parameters]);
    }

    /// <summary>One statement and, when it changed a row (or <paramref name="always"/>), <paramref name="audit"/>: one transaction, one commit (decision 036).</summary>
    private ValueTask<bool> ChangeAsync(string sql, AuditRecord? audit, bool always, CancellationToken ct, params (string, object?)[] parameters) =>
        audit is null
            ? db.RunAsync(async c => await SqlDatabase.ExecuteAsync(c, null, sql, ct, parameters).ConfigureAwait(false) == 1, ct)
            : db.WriteAsync(async (c, tx) =>
            {
                var changed = await SqlDatabase.ExecuteAsync(c, tx, sql, ct, parameters).ConfigureAwait(false) == 1;
                if (changed || always)
                    await SqlAuditLog.AppendAsync(db, c, tx, audit, ct).ConfigureAwait(false); // throws on a bad entry: the change rolls back
                return changed;
            }, ct);

    public ValueTask<bool> ReplaceClientNonceAsync(string devId, string? expected, string nonce, DateTimeOffset expiresAt, CancellationToken cancellationToken = default) =>
        ReplaceClientNonceAsync(devId, expected, nonce, expiresAt, null, null, cancellationToken);

    public ValueTask<bool> ReplaceClientNonceAsync(string devId, string? expected, string nonce, DateTimeOffset expiresAt, string? serverNonce, AuditRecord? audit,
        CancellationToken cancellationToken = default) =>
        ChangeAsync("UPDATE dm_accounts SET client_nonce = @n, client_nonce_expires_at = @e" + (serverNonce is null ? "" : ", server_nonce = @s") + " WHERE dev_id = @d AND " +
            (expected is null ? "client_nonce IS NULL" : "client_nonce = @old"), audit, false,
            cancellationToken, [("@n", nonce), ("@e", expiresAt.ToUnixTimeMilliseconds()), ("@d", devId), .. expected is null ? [] : new (string, object?)[] { ("@old", expected) },
                .. serverNonce is null ? [] : new (string, object?)[] { ("@s", serverNonce) }]);

    public ValueTask MarkSentAsync(string jobId, IReadOnlyList<int> seqs, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(seqs);
        var now = db.NowMs;
        return new ValueTask(db.WriteAsync(async (c, tx) =>
        {
            foreach (var seq in seqs)
            {
                await SqlDatabase.ExecuteAsync(c, tx, "UPDATE dm_job_commands SET sent_at = @t WHERE job_id = @j AND seq = @q AND sent_at IS NULL",
                    cancellationToken, ("@t", now), ("@j", jobId), ("@q", seq)).ConfigureAwait(false);
            }
            await SqlDatabase.ExecuteAsync(c, tx, "UPDATE dm_jobs SET updated_at = @t WHERE id = @j", cancellationToken, ("@t", now), ("@j", jobId)).ConfigureAwait(false);
            return 0;
        }, cancellationToken).AsTask());
    }

    public ValueTask<bool> FailJobAsync(string jobId, string reason, IReadOnlyList<string> from, CancellationToken cancellationToken = default) =>
        FailJobAsync(jobId, reason, from, null, cancellationToken);

    public ValueTask<bool> FailJobAsync(string jobId, string reason, IReadOnlyList<string> from, AuditRecord? audit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(from);
        var names = from.Select((_, i) => $"@f{i}").ToArray();
        var parameters = new List<(string, object?)> { ("@r", reason), ("@t", db.NowMs), ("@j", jobId) };
        parameters.AddRange(from.Select((f, i) => ($"@f{i}", (object?)f)));
        return ChangeAsync($"UPDATE dm_jobs SET state = 'failed', reason = @r, updated_at = @t WHERE id = @j AND state IN ({string.Join(", ", names)})", audit, false,
            cancellationToken, [.. parameters]);
    }

    public async ValueTask<DmJobRecord?> FindJobAsync(string jobId, CancellationToken cancellationToken = default) =>
        (await JobsAsync("j.id = @j", "id", cancellationToken, ("@j", jobId)).ConfigureAwait(false)).SingleOrDefault();

    public ValueTask<IReadOnlyList<DmJobRecord>> ListIdleJobsAsync(string state, DateTimeOffset before, CancellationToken cancellationToken = default) =>
        JobsAsync("j.state = @s AND j.updated_at < @b", "updated_at, id", cancellationToken, ("@s", state), ("@b", before.ToUnixTimeMilliseconds()));

    public ValueTask<IReadOnlyDictionary<string, int>> CountJobsByStateAsync(CancellationToken cancellationToken = default) =>
        db.CountByAsync("SELECT state, COUNT(*) FROM dm_jobs GROUP BY state", cancellationToken);

    private static DmCommandRecord ReadCommand(DbDataReader r) => new(
        r.GetString(0), r.GetInt32(1), r.GetString(2), r.GetString(3), r.IsDBNull(4) ? null : r.GetString(4),
        r.IsDBNull(5) ? null : r.GetInt32(5), r.IsDBNull(6) ? null : r.GetString(6), r.IsDBNull(7) ? null : SqlDatabase.FromMs(r.GetInt64(7)),
        r.IsDBNull(8) ? null : r.GetString(8));

    // What devices report: only for a device with an account (a DevId nobody registered gets no row), bounded by DmDeviceReportLimits.

    private const string HasAccount = "EXISTS (SELECT 1 FROM dm_accounts WHERE dev_id = @d)";

    public ValueTask KeepDevInfoAsync(string devId, IReadOnlyList<(string Uri, string Value)> items, DateTimeOffset at, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(items);
        var bounded = items.Select(i => (Uri: DmDeviceReportLimits.Bound(i.Uri, DmDeviceReportLimits.MaxNameLength)!, Value: DmDeviceReportLimits.Bound(i.Value, DmDeviceReportLimits.MaxValueLength)!))
            .DistinctBy(i => i.Uri, StringComparer.Ordinal).ToList();
        if (bounded.Count == 0)
            return ValueTask.CompletedTask;
        return new ValueTask(db.WriteAsync(async (c, tx) =>
        {
            foreach (var (uri, value) in bounded)
            {
                var updated = await SqlDatabase.ExecuteAsync(c, tx, "UPDATE dm_device_info SET value = @v, updated_at = @t WHERE dev_id = @d AND uri = @u",
                    cancellationToken, ("@v", value), ("@t", at.ToUnixTimeMilliseconds()), ("@d", devId), ("@u", uri)).ConfigureAwait(false);
                if (updated == 0)
                {
                    // A new leaf only while the device has fewer than the limit.
                    await SqlDatabase.ExecuteAsync(c, tx,
                        "INSERT INTO dm_device_info (dev_id, uri, value, updated_at) SELECT @d, @u, @v, @t " +
                        $"WHERE {HasAccount} AND (SELECT COUNT(*) FROM dm_device_info WHERE dev_id = @d) < {DmDeviceReportLimits.MaxDevInfoItems} " +
                        "ON CONFLICT (dev_id, uri) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
                        cancellationToken, ("@d", devId), ("@u", uri), ("@v", value), ("@t", at.ToUnixTimeMilliseconds())).ConfigureAwait(false);
                }
            }
            return 0;
        }, cancellationToken).AsTask());
    }

    public ValueTask AddGenericAlertsAsync(string devId, IReadOnlyList<DmGenericAlertRecord> alerts, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(alerts);
        if (alerts.Count == 0)
            return ValueTask.CompletedTask;
        return new ValueTask(db.WriteAsync(async (c, tx) =>
        {
            foreach (var a in alerts.TakeLast(DmDeviceReportLimits.MaxAlertsPerDevice).Select(DmDeviceReportLimits.Bound))
            {
                await SqlDatabase.ExecuteAsync(c, tx,
                    "INSERT INTO dm_generic_alerts (dev_id, received_at, correlator, source, type, format, mark, data) " +
                    $"SELECT @d, @t, @c, @s, @ty, @f, @m, @da WHERE {HasAccount}",
                    cancellationToken, ("@d", devId), ("@t", a.ReceivedAt.ToUnixTimeMilliseconds()), ("@c", a.Correlator), ("@s", a.Source), ("@ty", a.Type),
                    ("@f", a.Format), ("@m", a.Mark), ("@da", a.Data)).ConfigureAwait(false);
            }
            // The oldest beyond the limit go.
            await SqlDatabase.ExecuteAsync(c, tx,
                "DELETE FROM dm_generic_alerts WHERE dev_id = @d AND seq NOT IN " +
                $"(SELECT seq FROM dm_generic_alerts WHERE dev_id = @d ORDER BY seq DESC LIMIT {DmDeviceReportLimits.MaxAlertsPerDevice})",
                cancellationToken, ("@d", devId)).ConfigureAwait(false);
            return 0;
        }, cancellationToken).AsTask());
    }

    public ValueTask RecordSessionAsync(string devId, DateTimeOffset at, string outcome, CancellationToken cancellationToken = default) =>
        RecordSessionAsync(devId, at, outcome, null, null, cancellationToken);

    /// <summary>The entry is written even for a DevId without an account (no row): the session did end.</summary>
    public ValueTask RecordSessionAsync(string devId, DateTimeOffset at, string outcome, string? serverNonce, AuditRecord? audit, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(outcome);
        var bounded = DmDeviceReportLimits.Bound(outcome, DmDeviceReportLimits.MaxOutcomeLength);
        return new ValueTask(db.WriteAsync(async (c, tx) =>
        {
            if (serverNonce is not null)
            {
                await SqlDatabase.ExecuteAsync(c, tx, "UPDATE dm_accounts SET server_nonce = @n WHERE dev_id = @d", cancellationToken, ("@n", serverNonce), ("@d", devId))
                    .ConfigureAwait(false);
            }
            await SqlDatabase.ExecuteAsync(c, tx, $"INSERT INTO dm_last_sessions (dev_id, at, outcome) SELECT @d, @t, @o WHERE {HasAccount} " +
                "ON CONFLICT (dev_id) DO UPDATE SET at = excluded.at, outcome = excluded.outcome", cancellationToken,
                ("@d", devId), ("@t", at.ToUnixTimeMilliseconds()), ("@o", bounded)).ConfigureAwait(false);
            if (audit is not null)
                await SqlAuditLog.AppendAsync(db, c, tx, audit, cancellationToken).ConfigureAwait(false); // throws on a bad entry: all of it rolls back
            return 0;
        }, cancellationToken).AsTask());
    }

    public async ValueTask<DmDeviceReport> GetDeviceReportAsync(string devId, CancellationToken cancellationToken = default)
    {
        var info = await db.QueryAsync("SELECT uri, value, updated_at FROM dm_device_info WHERE dev_id = @d ORDER BY uri",
            r => new DmDevInfoItem(r.GetString(0), r.GetString(1), SqlDatabase.FromMs(r.GetInt64(2))), cancellationToken, ("@d", devId)).ConfigureAwait(false);
        var alerts = await db.QueryAsync("SELECT received_at, correlator, source, type, format, mark, data FROM dm_generic_alerts WHERE dev_id = @d ORDER BY seq",
            r => new DmGenericAlertRecord(SqlDatabase.FromMs(r.GetInt64(0)), Text(r, 1), Text(r, 2), Text(r, 3), Text(r, 4), Text(r, 5), Text(r, 6)),
            cancellationToken, ("@d", devId)).ConfigureAwait(false);
        var session = await db.QueryAsync("SELECT at, outcome FROM dm_last_sessions WHERE dev_id = @d",
            r => new DmSessionRecord(SqlDatabase.FromMs(r.GetInt64(0)), r.GetString(1)), cancellationToken, ("@d", devId)).ConfigureAwait(false);
        return new DmDeviceReport(devId, info, alerts, session.FirstOrDefault());
    }

    private static string? Text(DbDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);
}
