using System.Data.Common;
using M2MSec.Storage.Audit;
using M2MSec.Storage.Bsf;
using M2MSec.Storage.Security;

namespace M2MSec.Storage.Sql;

/// <summary>
/// The BSF's challenges and bootstrapping contexts in SQL (schema v25, issue 18): XRES and Ks wrapped; a challenge is taken by one
/// DELETE … RETURNING, so of two instances (or two replays) answering the same nonce only one gets it.
/// </summary>
internal sealed class SqlBsfStore(SqlDatabase db) : IBsfStore
{
    /// <summary>How long an expired context is kept (answered 410) before it is dropped (then 404).</summary>
    private static readonly TimeSpan KeptExpired = TimeSpan.FromDays(1);

    private static string ChallengePlace(string id, string field) => SecretProtector.Place("bsf_challenges", id, field);

    private static string ContextPlace(string bTid) => SecretProtector.Place("bsf_contexts", bTid, "ks");

    public ValueTask PutChallengeAsync(BsfChallenge c, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(c);
        var xres = db.Protector.Protect(c.Xres, ChallengePlace(c.Id, "xres"));
        var ks = db.Protector.Protect(c.Ks, ChallengePlace(c.Id, "ks"));
        return new(db.RunAsync(async conn =>
        {
            await SqlDatabase.ExecuteAsync(conn, null, "DELETE FROM bsf_challenges WHERE expires_at < @now", cancellationToken, ("@now", db.NowMs)).ConfigureAwait(false);
            return await SqlDatabase.ExecuteAsync(conn, null,
                "INSERT INTO bsf_challenges (id, impi, rand, xres_enc, ks_enc, gba_type, expires_at) VALUES (@id, @i, @r, @x, @k, @g, @e)", cancellationToken,
                ("@id", c.Id), ("@i", c.Impi), ("@r", c.Rand), ("@x", xres), ("@k", ks), ("@g", c.GbaType), ("@e", c.ExpiresAt.ToUnixTimeMilliseconds())).ConfigureAwait(false);
        }, cancellationToken).AsTask());
    }

    public ValueTask<BsfChallenge?> TakeChallengeAsync(string id, CancellationToken cancellationToken = default) =>
        db.RunAsync<BsfChallenge?>(async conn =>
        {
            await using var command = SqlDatabase.Command(conn, null,
                "DELETE FROM bsf_challenges WHERE id = @id RETURNING impi, rand, xres_enc, ks_enc, gba_type, expires_at", ("@id", id));
            await using var r = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            if (!await r.ReadAsync(cancellationToken).ConfigureAwait(false))
                return null;
            var expires = SqlDatabase.FromMs(r.GetInt64(5));
            if (expires.ToUnixTimeMilliseconds() < db.NowMs)
                return null;
            return new BsfChallenge(id, r.GetString(0), (byte[])r.GetValue(1), db.Protector.Unprotect((byte[])r.GetValue(2), ChallengePlace(id, "xres")),
                db.Protector.Unprotect((byte[])r.GetValue(3), ChallengePlace(id, "ks")), r.GetString(4), expires);
        }, cancellationToken);

    public ValueTask PutContextAsync(BsfBootstrappingContext c, CancellationToken cancellationToken = default) => PutAsync(c, null, cancellationToken);

    public ValueTask PutContextAsync(BsfBootstrappingContext c, AuditRecord audit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(audit);
        return PutAsync(c, audit, cancellationToken);
    }

    /// <summary>The expired contexts swept, the context kept and its entry (if any): one transaction, one commit (decision 036).</summary>
    private ValueTask PutAsync(BsfBootstrappingContext c, AuditRecord? audit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(c);
        var ks = db.Protector.Protect(c.Ks, ContextPlace(c.BTid));
        return new(db.WriteAsync(async (conn, tx) =>
        {
            await SqlDatabase.ExecuteAsync(conn, tx, "DELETE FROM bsf_contexts WHERE expires_at < @old", cancellationToken,
                ("@old", db.NowMs - (long)KeptExpired.TotalMilliseconds)).ConfigureAwait(false);
            if (audit is not null)
                await SqlAuditLog.AppendAsync(db, conn, tx, audit, cancellationToken).ConfigureAwait(false);
            return await SqlDatabase.ExecuteAsync(conn, tx,
                "INSERT INTO bsf_contexts (b_tid, impi, rand, ks_enc, gba_type, bootstrapped_at, expires_at) VALUES (@b, @i, @r, @k, @g, @t, @e) " +
                "ON CONFLICT (b_tid) DO UPDATE SET impi = @i, rand = @r, ks_enc = @k, gba_type = @g, bootstrapped_at = @t, expires_at = @e", cancellationToken,
                ("@b", c.BTid), ("@i", c.Impi), ("@r", c.Rand), ("@k", ks), ("@g", c.GbaType), ("@t", c.BootstrappedAt.ToUnixTimeMilliseconds()),
                ("@e", c.ExpiresAt.ToUnixTimeMilliseconds())).ConfigureAwait(false);
        }, cancellationToken).AsTask());
    }

    public async ValueTask<BsfBootstrappingContext?> FindContextAsync(string bTid, CancellationToken cancellationToken = default) =>
        (await db.QueryAsync("SELECT b_tid, impi, rand, ks_enc, gba_type, bootstrapped_at, expires_at FROM bsf_contexts WHERE b_tid = @b", ReadContext,
            cancellationToken, ("@b", bTid)).ConfigureAwait(false)).FirstOrDefault();

    private BsfBootstrappingContext ReadContext(DbDataReader r) => new(r.GetString(0), r.GetString(1), (byte[])r.GetValue(2),
        db.Protector.Unprotect((byte[])r.GetValue(3), ContextPlace(r.GetString(0))), r.GetString(4), SqlDatabase.FromMs(r.GetInt64(5)), SqlDatabase.FromMs(r.GetInt64(6)));
}

/// <summary>The HSS's GUSS choice per IMSI in SQL (schema v25, issue 18).</summary>
internal sealed class SqlHssGussStore(SqlDatabase db) : IHssGussStore
{
    public ValueTask SetGbaTypeAsync(string imsi, string gbaType, CancellationToken cancellationToken = default) =>
        new(db.RunAsync(c => SqlDatabase.ExecuteAsync(c, null,
            "INSERT INTO hss_guss (imsi, gba_type, updated_at) VALUES (@i, @g, @u) ON CONFLICT (imsi) DO UPDATE SET gba_type = @g, updated_at = @u",
            cancellationToken, ("@i", imsi), ("@g", gbaType), ("@u", db.NowMs)), cancellationToken).AsTask());

    public async ValueTask<string?> FindGbaTypeAsync(string imsi, CancellationToken cancellationToken = default) =>
        (await db.QueryAsync("SELECT gba_type FROM hss_guss WHERE imsi = @i", r => r.GetString(0), cancellationToken, ("@i", imsi)).ConfigureAwait(false))
        .FirstOrDefault();
}
