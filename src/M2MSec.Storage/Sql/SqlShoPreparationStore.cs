using System.Data.Common;
using M2MSec.Storage.Audit;
using M2MSec.Storage.Security;
using M2MSec.Storage.Sho;

namespace M2MSec.Storage.Sql;

/// <summary>
/// The SHO's prepared MCIMs in SQL (issue 16, schema v19; docs/decisions/023): one row per PCID, the sealed object, K and OPc wrapped
/// under the key ring like every K/OPc. Reservation, release and discard each move the row and its IMSI in one transaction.
/// </summary>
internal sealed partial class SqlShoStore
{
    private const string PreparedColumns = "pcid, imsi, state, tre_id, pfc_attestation, pfc_encryption, token_sha256, mcim_enc, k_enc, opc_enc, created_at, expires_at";

    public ValueTask<IReadOnlyList<ShoPreparationReservation>> ReservePreparationsAsync(IReadOnlyList<ShoPreparedMcim> preparations,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(preparations);
        return db.WriteAsync<IReadOnlyList<ShoPreparationReservation>>(async (c, tx) =>
        {
            var result = new List<ShoPreparationReservation>(preparations.Count);
            foreach (var preparation in preparations)
            {
                if (result.Count > 0 && result[^1].PoolExhausted)
                {
                    result.Add(ShoPreparationReservation.Exhausted);
                    continue;
                }
                await using (var exists = SqlDatabase.Command(c, tx, "SELECT 1 FROM sho_prepared_mcims WHERE pcid = @p", ("@p", preparation.Pcid)))
                {
                    if (await exists.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is not null)
                    {
                        result.Add(ShoPreparationReservation.Exists);
                        continue;
                    }
                }
                result.Add(await ReserveOneAsync(c, tx, preparation, cancellationToken).ConfigureAwait(false));
            }
            return result;
        }, cancellationToken);
    }

    private static async ValueTask<ShoPreparationReservation> ReserveOneAsync(DbConnection c, DbTransaction tx, ShoPreparedMcim preparation, CancellationToken ct)
    {
        // Another allocator may take the lowest free row first (PostgreSQL, read committed): the state check lets one win.
        for (var attempt = 0; attempt < 16; attempt++)
        {
            string? candidate;
            await using (var select = SqlDatabase.Command(c, tx, "SELECT imsi FROM sho_imsi_pool WHERE state = 'free' ORDER BY imsi LIMIT 1"))
                candidate = await select.ExecuteScalarAsync(ct).ConfigureAwait(false) as string;
            if (candidate is null)
                return ShoPreparationReservation.Exhausted;
            if (await SqlDatabase.ExecuteAsync(c, tx, "UPDATE sho_imsi_pool SET state = 'prepared', pcid = @p WHERE imsi = @i AND state = 'free'",
                ct, ("@p", preparation.Pcid), ("@i", candidate)).ConfigureAwait(false) != 1)
                continue;
            await SqlDatabase.ExecuteAsync(c, tx, $"INSERT INTO sho_prepared_mcims ({PreparedColumns}) VALUES (@p, @i, @s, @t, @pa, @pe, @h, NULL, NULL, NULL, @c, @x)",
                ct, ("@p", preparation.Pcid), ("@i", candidate), ("@s", ShoPreparedMcim.Sealing), ("@t", preparation.TreId),
                ("@pa", preparation.PfcAttestation), ("@pe", preparation.PfcEncryption), ("@h", preparation.TokenSha256),
                ("@c", preparation.CreatedAt.ToUnixTimeMilliseconds()), ("@x", preparation.ExpiresAt.ToUnixTimeMilliseconds())).ConfigureAwait(false);
            return new ShoPreparationReservation(candidate, false);
        }
        throw new StoreException("the IMSI pool is contended: no free IMSI could be taken in 16 attempts");
    }

    public ValueTask<int> CompletePreparationsAsync(IReadOnlyList<ShoSealedPreparation> sealedMcims, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sealedMcims);
        var wrapped = sealedMcims.Select(m => (m.Pcid, Mcim: db.Protector.Protect(m.McimObject, Place(m.Pcid, "mcim")), K: db.Protector.Protect(m.K, Place(m.Pcid, "k")),
            Opc: db.Protector.Protect(m.Opc, Place(m.Pcid, "opc")))).ToList();
        return db.WriteAsync(async (c, tx) =>
        {
            var moved = 0;
            foreach (var (pcid, mcim, k, opc) in wrapped)
            {
                moved += await SqlDatabase.ExecuteAsync(c, tx,
                    "UPDATE sho_prepared_mcims SET state = @s, mcim_enc = @m, k_enc = @k, opc_enc = @o WHERE pcid = @p AND state = @e", cancellationToken,
                    ("@s", ShoPreparedMcim.Prepared), ("@m", mcim), ("@k", k), ("@o", opc), ("@p", pcid), ("@e", ShoPreparedMcim.Sealing)).ConfigureAwait(false);
            }
            return moved;
        }, cancellationToken);
    }

    public async ValueTask<ShoPreparedMcim?> FindPreparedAsync(string pcid, CancellationToken cancellationToken = default) =>
        (await db.QueryAsync($"SELECT {PreparedColumns} FROM sho_prepared_mcims WHERE pcid = @p", ReadPrepared, cancellationToken, ("@p", pcid)).ConfigureAwait(false))
            .FirstOrDefault();

    public ValueTask<IReadOnlyList<ShoPreparedSummary>> ListPreparedAsync(CancellationToken cancellationToken = default) =>
        db.QueryAsync("SELECT pcid, tre_id, state, imsi, created_at, expires_at FROM sho_prepared_mcims ORDER BY pcid",
            r => new ShoPreparedSummary(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), SqlDatabase.FromMs(r.GetInt64(4)), SqlDatabase.FromMs(r.GetInt64(5))),
            cancellationToken);

    public async ValueTask<bool> ReleasePreparedAsync(ShoSubscription downloading, string expectedState, DateTimeOffset now, AuditRecord? audit = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(downloading);
        var (k, opc) = Wrap(downloading);
        try
        {
            return await db.WriteAsync(async (c, tx) =>
            {
                if (await SqlDatabase.ExecuteAsync(c, tx, "DELETE FROM sho_prepared_mcims WHERE pcid = @p AND imsi = @i AND state = @s AND expires_at > @n", cancellationToken,
                    ("@p", downloading.Pcid), ("@i", downloading.Imsi), ("@s", ShoPreparedMcim.Prepared), ("@n", now.ToUnixTimeMilliseconds())).ConfigureAwait(false) != 1
                    || await SqlDatabase.ExecuteAsync(c, tx, "UPDATE sho_imsi_pool SET state = 'assigned' WHERE imsi = @i AND state = 'prepared' AND pcid = @p", cancellationToken,
                        ("@i", downloading.Imsi), ("@p", downloading.Pcid)).ConfigureAwait(false) != 1
                    || await SqlDatabase.ExecuteAsync(c, tx,
                        "UPDATE sho_subscriptions SET state = @s, imsi = @i, doc = @d, k_enc = @k, opc_enc = @o, updated_at = @u WHERE pcid = @p AND state = @e",
                        cancellationToken, ("@s", downloading.State), ("@i", downloading.Imsi), ("@d", Doc(downloading)), ("@k", k), ("@o", opc),
                        ("@u", downloading.UpdatedAt.ToUnixTimeMilliseconds()), ("@p", downloading.Pcid), ("@e", expectedState)).ConfigureAwait(false) != 1)
                    throw new ChangeRefused();
                if (audit is not null)
                    await SqlAuditLog.AppendAsync(db, c, tx, audit, cancellationToken).ConfigureAwait(false);
                return true;
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (ChangeRefused)
        {
            return false; // the transaction rolled back: nothing changed
        }
    }

    public async ValueTask<bool> DiscardPreparedAsync(string pcid, DateTimeOffset? expiredAt = null, CancellationToken cancellationToken = default) =>
        await db.WriteAsync(async (c, tx) =>
        {
            string? imsi;
            await using (var select = SqlDatabase.Command(c, tx, "SELECT imsi FROM sho_prepared_mcims WHERE pcid = @p", ("@p", pcid)))
                imsi = await select.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) as string;
            if (imsi is null)
                return false;
            var deleted = expiredAt is { } at
                ? await SqlDatabase.ExecuteAsync(c, tx, "DELETE FROM sho_prepared_mcims WHERE pcid = @p AND expires_at <= @n", cancellationToken, ("@p", pcid),
                    ("@n", at.ToUnixTimeMilliseconds())).ConfigureAwait(false)
                : await SqlDatabase.ExecuteAsync(c, tx, "DELETE FROM sho_prepared_mcims WHERE pcid = @p", cancellationToken, ("@p", pcid)).ConfigureAwait(false);
            if (deleted != 1)
                return false;
            await SqlDatabase.ExecuteAsync(c, tx, "UPDATE sho_imsi_pool SET state = 'free', pcid = NULL WHERE imsi = @i AND state = 'prepared'", cancellationToken,
                ("@i", imsi)).ConfigureAwait(false);
            return true;
        }, cancellationToken).ConfigureAwait(false);

    public ValueTask<IReadOnlyList<string>> ListStalePreparationsAsync(DateTimeOffset now, DateTimeOffset sealingStartedBefore, int limit,
        CancellationToken cancellationToken = default) =>
        db.QueryAsync("SELECT pcid FROM sho_prepared_mcims WHERE expires_at <= @n OR (state = @s AND created_at < @b) ORDER BY expires_at, pcid LIMIT @l",
            r => r.GetString(0), cancellationToken, ("@n", now.ToUnixTimeMilliseconds()), ("@s", ShoPreparedMcim.Sealing),
            ("@b", sealingStartedBefore.ToUnixTimeMilliseconds()), ("@l", limit));

    private ShoPreparedMcim ReadPrepared(DbDataReader r)
    {
        var pcid = r.GetString(0);
        byte[]? Secret(int i, string field) => r.IsDBNull(i) ? null : db.Protector.Unprotect((byte[])r.GetValue(i), Place(pcid, field));
        return new ShoPreparedMcim(pcid, r.GetString(1), r.GetString(2), r.GetString(3), (byte[])r.GetValue(4), (byte[])r.GetValue(5),
            r.IsDBNull(6) ? null : (byte[])r.GetValue(6), Secret(7, "mcim"), Secret(8, "k"), Secret(9, "opc"), SqlDatabase.FromMs(r.GetInt64(10)),
            SqlDatabase.FromMs(r.GetInt64(11)));
    }

    private static string Place(string pcid, string field) => SecretProtector.Place("sho_prepared_mcims", pcid, field);

    /// <summary>Rolls the release's transaction back.</summary>
    private sealed class ChangeRefused : Exception;
}
