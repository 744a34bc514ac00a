using System.Data.Common;
using M2MSec.Storage.Ota;
using M2MSec.Storage.Security;

namespace M2MSec.Storage.Sql;

/// <summary>
/// OTA jobs in SQL; every state change is a conditional UPDATE, so a PoR completes a job at most
/// once and of two reconcilers claiming a stuck job exactly one wins. The script of a
/// "submitting" job is wrapped under the key ring and dropped when the job leaves that state.
/// </summary>
internal sealed class SqlOtaJobStore(SqlDatabase db) : IOtaJobStore
{
    private const string Columns = "id, iccid, tar, kvn, spi, kic, kid, counter, state, por_status, data, failure, expected_read_back, created_at, updated_at, transport, psk_identity, script_enc";

    public ValueTask AddAsync(OtaJobRecord job, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(job);
        return new ValueTask(db.RunAsync(c => SqlDatabase.ExecuteAsync(c, null,
            $"INSERT INTO ota_jobs ({Columns}) VALUES (@id, @iccid, @tar, @kvn, @spi, @kic, @kid, @counter, @state, @por, @data, @failure, @rb, @created, @updated, @transport, @psk, @script)",
            cancellationToken, ("@id", job.Id), ("@iccid", job.Iccid), ("@tar", job.Tar), ("@kvn", job.KeyVersion), ("@spi", job.Spi), ("@kic", (int)job.Kic),
            ("@kid", (int)job.Kid), ("@counter", (long)job.Counter), ("@state", job.State), ("@por", job.PorStatus), ("@data", job.Data), ("@failure", job.Failure),
            ("@rb", job.ExpectedReadBack), ("@created", job.CreatedAt.ToUnixTimeMilliseconds()), ("@updated", job.UpdatedAt.ToUnixTimeMilliseconds()),
            ("@transport", job.Transport), ("@psk", job.PskIdentity),
            ("@script", job.Script is null ? null : db.Protector.Protect(job.Script, ScriptPlace(job.Id)))), cancellationToken).AsTask());
    }

    private static string ScriptPlace(string id) => SecretProtector.Place("ota_jobs", id, "script");

    public ValueTask<OtaJobRecord?> FindAsync(string id, CancellationToken cancellationToken = default) =>
        db.ReadAsync<OtaJobRecord?>(async c =>
        {
            await using var command = SqlDatabase.Command(c, null, $"SELECT {Columns} FROM ota_jobs WHERE id = @id", ("@id", id));
            await using var r = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            return await r.ReadAsync(cancellationToken).ConfigureAwait(false) ? Read(r) : null;
        }, cancellationToken);

    public ValueTask<IReadOnlyList<OtaJobRecord>> PendingAsync(string iccid, CancellationToken cancellationToken = default) =>
        db.QueryAsync($"SELECT {Columns} FROM ota_jobs WHERE iccid = @i AND state IN ('submitting', 'sent') ORDER BY counter", Read, cancellationToken, ("@i", iccid));

    public ValueTask<IReadOnlyList<OtaJobRecord>> StuckAsync(DateTimeOffset notAfter, int limit, CancellationToken cancellationToken = default) =>
        db.QueryAsync($"SELECT {Columns} FROM ota_jobs WHERE state = 'submitting' AND updated_at <= @t ORDER BY updated_at LIMIT @n", Read, cancellationToken,
            ("@t", notAfter.ToUnixTimeMilliseconds()), ("@n", limit));

    public ValueTask<bool> MarkSentAsync(string id, ulong counter, DateTimeOffset now, CancellationToken cancellationToken = default) =>
        UpdateAsync("state = 'sent', script_enc = NULL, updated_at = @t WHERE id = @id AND state = 'submitting' AND counter = @c",
            cancellationToken, ("@t", now.ToUnixTimeMilliseconds()), ("@id", id), ("@c", (long)counter));

    public ValueTask<bool> FailSubmissionAsync(string id, string failure, DateTimeOffset now, CancellationToken cancellationToken = default) =>
        UpdateAsync("state = 'failed', failure = @f, script_enc = NULL, updated_at = @t WHERE id = @id AND state = 'submitting'",
            cancellationToken, ("@f", failure), ("@t", now.ToUnixTimeMilliseconds()), ("@id", id));

    public ValueTask<bool> ClaimAsync(string id, DateTimeOffset seenUpdatedAt, DateTimeOffset now, CancellationToken cancellationToken = default) =>
        UpdateAsync("updated_at = @t WHERE id = @id AND state = 'submitting' AND updated_at = @seen",
            cancellationToken, ("@t", Math.Max(now.ToUnixTimeMilliseconds(), seenUpdatedAt.ToUnixTimeMilliseconds() + 1)), ("@id", id), ("@seen", seenUpdatedAt.ToUnixTimeMilliseconds()));

    public ValueTask<bool> RecounterAsync(string id, ulong oldCounter, ulong newCounter, DateTimeOffset now, CancellationToken cancellationToken = default) =>
        UpdateAsync("counter = @new, updated_at = @t WHERE id = @id AND state = 'submitting' AND counter = @old",
            cancellationToken, ("@new", (long)newCounter), ("@t", now.ToUnixTimeMilliseconds()), ("@id", id), ("@old", (long)oldCounter));

    private ValueTask<bool> UpdateAsync(string setAndWhere, CancellationToken cancellationToken, params (string, object?)[] parameters) =>
        db.RunAsync(async c => await SqlDatabase.ExecuteAsync(c, null, "UPDATE ota_jobs SET " + setAndWhere, cancellationToken, parameters).ConfigureAwait(false) == 1, cancellationToken);

    public ValueTask<IReadOnlyList<OtaJobRecord>> AwaitingSessionAsync(string pskIdentity, CancellationToken cancellationToken = default) =>
        db.QueryAsync($"SELECT {Columns} FROM ota_jobs WHERE psk_identity = @i AND transport = 'scp81' AND state IN ('submitting', 'sent', 'triggered') ORDER BY created_at",
            Read, cancellationToken, ("@i", pskIdentity));

    public ValueTask<bool> MarkTriggeredAsync(string id, string? porStatus, CancellationToken cancellationToken = default)
    {
        var now = db.NowMs;
        return db.RunAsync(async c => await SqlDatabase.ExecuteAsync(c, null,
            "UPDATE ota_jobs SET state = 'triggered', por_status = @p, script_enc = NULL, updated_at = @t WHERE id = @id AND state IN ('submitting', 'sent')",
            cancellationToken, ("@p", porStatus), ("@t", now), ("@id", id)).ConfigureAwait(false) == 1, cancellationToken);
    }

    public ValueTask<bool> CompleteAsync(string id, string state, string? porStatus, string? data, string? failure, CancellationToken cancellationToken = default)
    {
        var now = db.NowMs;
        return db.RunAsync(async c => await SqlDatabase.ExecuteAsync(c, null,
            "UPDATE ota_jobs SET state = @s, por_status = @p, data = @d, failure = @f, script_enc = NULL, updated_at = @t WHERE id = @id AND state IN ('submitting', 'sent', 'triggered')",
            cancellationToken, ("@s", state), ("@p", porStatus), ("@d", data), ("@f", failure), ("@t", now), ("@id", id)).ConfigureAwait(false) == 1, cancellationToken);
    }

    private OtaJobRecord Read(DbDataReader r) => new(
        r.GetString(0), r.GetString(1), r.GetString(2), r.GetInt32(3), (byte[])r.GetValue(4), (byte)r.GetInt32(5), (byte)r.GetInt32(6), (ulong)r.GetInt64(7),
        r.GetString(8), r.IsDBNull(9) ? null : r.GetString(9), r.IsDBNull(10) ? null : r.GetString(10), r.IsDBNull(11) ? null : r.GetString(11),
        r.IsDBNull(12) ? null : (byte[])r.GetValue(12), SqlDatabase.FromMs(r.GetInt64(13)), SqlDatabase.FromMs(r.GetInt64(14)),
        r.GetString(15), r.IsDBNull(16) ? null : r.GetString(16), r.IsDBNull(17) ? null : db.Protector.Unprotect((byte[])r.GetValue(17), ScriptPlace(r.GetString(0))));
}
