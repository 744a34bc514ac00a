using System.Data.Common;
using M2MSec.Storage.MtcIwf;
using M2MSec.Storage.Security;
using M2MSec.Storage.Vno;

namespace M2MSec.Storage.Sql;

/// <summary>
/// The VNO's NAS contexts and triggers in SQL (schema v21, issue 17): K_NASint wrapped; the downlink COUNT is taken by one
/// UPDATE … RETURNING, so two instances or two requests never get the same COUNT and a restart continues where it stopped.
/// </summary>
internal sealed class SqlVnoStore(SqlDatabase db) : IVnoStore
{
    private static string Place(string identity) => SecretProtector.Place("vno_nas_contexts", identity, "knas_int");

    public ValueTask PutContextAsync(string identity, string plmn, ReadOnlyMemory<byte> knasInt, string contextId, string state, CancellationToken cancellationToken = default)
    {
        var wrapped = db.Protector.Protect(knasInt.Span, Place(identity));
        return new(db.RunAsync(c => SqlDatabase.ExecuteAsync(c, null,
            "INSERT INTO vno_nas_contexts (identity, plmn, knas_int_enc, context_id, dl_count, state, updated_at) VALUES (@i, @p, @k, @c, 0, @s, @u) " +
            "ON CONFLICT (identity) DO UPDATE SET plmn = @p, knas_int_enc = @k, context_id = @c, dl_count = 0, ul_count = NULL, state = @s, updated_at = @u",
            cancellationToken, ("@i", identity), ("@p", plmn), ("@k", wrapped), ("@c", contextId), ("@s", state), ("@u", db.NowMs)), cancellationToken).AsTask());
    }

    public ValueTask<VnoNasContextInfo?> FindContextAsync(string identity, CancellationToken cancellationToken = default) =>
        db.ReadAsync<VnoNasContextInfo?>(async c =>
        {
            await using var command = SqlDatabase.Command(c, null,
                "SELECT plmn, context_id, dl_count, state, updated_at FROM vno_nas_contexts WHERE identity = @i", ("@i", identity));
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            return await reader.ReadAsync(cancellationToken).ConfigureAwait(false)
                ? new VnoNasContextInfo(identity, reader.GetString(0), reader.GetString(1), (uint)reader.GetInt64(2), reader.GetString(3), SqlDatabase.FromMs(reader.GetInt64(4)))
                : null;
        }, cancellationToken);

    public ValueTask<bool> SetStateAsync(string identity, string state, CancellationToken cancellationToken = default) =>
        db.RunAsync(async c => await SqlDatabase.ExecuteAsync(c, null, "UPDATE vno_nas_contexts SET state = @s, updated_at = @u WHERE identity = @i",
            cancellationToken, ("@s", state), ("@u", db.NowMs), ("@i", identity)).ConfigureAwait(false) == 1, cancellationToken);

    public ValueTask<VnoDownlinkCount?> TakeDownlinkCountAsync(string identity, CancellationToken cancellationToken = default) =>
        db.RunAsync<VnoDownlinkCount?>(async c =>
        {
            await using (var command = SqlDatabase.Command(c, null,
                "UPDATE vno_nas_contexts SET dl_count = dl_count + 1 WHERE identity = @i AND dl_count <= @max RETURNING dl_count, plmn, context_id, knas_int_enc, state",
                ("@i", identity), ("@max", (long)IVnoStore.MaxCount)))
            await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
            {
                if (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    var key = db.Protector.Unprotect((byte[])reader.GetValue(3), Place(identity));
                    return new VnoDownlinkCount(identity, reader.GetString(1), reader.GetString(2), (uint)(reader.GetInt64(0) - 1), key, reader.GetString(4));
                }
            }
            await using var exists = SqlDatabase.Command(c, null, "SELECT 1 FROM vno_nas_contexts WHERE identity = @i", ("@i", identity));
            return await exists.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is null
                ? null
                : throw new StoreException($"the NAS downlink COUNT of {identity} is exhausted: the device must attach again (a new context)");
        }, cancellationToken);

    public ValueTask<VnoUplinkContext?> FindUplinkAsync(string identity, CancellationToken cancellationToken = default) =>
        db.ReadAsync<VnoUplinkContext?>(async c =>
        {
            await using var command = SqlDatabase.Command(c, null,
                "SELECT context_id, knas_int_enc, ul_count, state FROM vno_nas_contexts WHERE identity = @i", ("@i", identity));
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                return null;
            var key = db.Protector.Unprotect((byte[])reader.GetValue(1), Place(identity));
            return new VnoUplinkContext(identity, reader.GetString(0), key, reader.IsDBNull(2) ? null : (uint)reader.GetInt64(2), reader.GetString(3));
        }, cancellationToken);

    public ValueTask<bool> AcceptUplinkCountAsync(string identity, string contextId, uint count, CancellationToken cancellationToken = default) =>
        db.RunAsync(async c => await SqlDatabase.ExecuteAsync(c, null,
            "UPDATE vno_nas_contexts SET ul_count = @n WHERE identity = @i AND context_id = @c AND (ul_count IS NULL OR ul_count < @n)",
            cancellationToken, ("@n", (long)count), ("@i", identity), ("@c", contextId)).ConfigureAwait(false) == 1, cancellationToken);

    public ValueTask PutBatteryAsync(VnoBattery battery, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(battery);
        return new(db.RunAsync(c => SqlDatabase.ExecuteAsync(c, null,
            "INSERT INTO vno_battery (identity, level_permille, ul_count, reported_at) VALUES (@i, @l, @n, @t) " +
            "ON CONFLICT (identity) DO UPDATE SET level_permille = @l, ul_count = @n, reported_at = @t", cancellationToken,
            ("@i", battery.Identity), ("@l", battery.LevelPermille), ("@n", (long)battery.UplinkCount), ("@t", battery.ReportedAt.ToUnixTimeMilliseconds())),
            cancellationToken).AsTask());
    }

    public async ValueTask<VnoBattery?> FindBatteryAsync(string identity, CancellationToken cancellationToken = default) =>
        (await db.QueryAsync("SELECT identity, level_permille, ul_count, reported_at FROM vno_battery WHERE identity = @i",
            r => new VnoBattery(r.GetString(0), r.GetInt32(1), (uint)r.GetInt64(2), SqlDatabase.FromMs(r.GetInt64(3))), cancellationToken, ("@i", identity))
            .ConfigureAwait(false)).FirstOrDefault();

    public ValueTask AddTriggerAsync(VnoTrigger t, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(t);
        return new(db.RunAsync(async c =>
        {
            await SqlDatabase.ExecuteAsync(c, null, "DELETE FROM vno_triggers WHERE expires_at < @now", cancellationToken, ("@now", db.NowMs)).ConfigureAwait(false);
            return await SqlDatabase.ExecuteAsync(c, null,
                "INSERT INTO vno_triggers (id, identity, reference, action, payload, context_id, dl_count, message, delivery, created_at, expires_at) " +
                "VALUES (@id, @i, @r, @a, @p, @c, @n, @m, @d, @t, @e)", cancellationToken,
                ("@id", t.Id), ("@i", t.Identity), ("@r", (long)t.Reference), ("@a", (int)t.Action), ("@p", t.Payload), ("@c", t.ContextId), ("@n", (long)t.Count),
                ("@m", t.Message), ("@d", t.Delivery), ("@t", t.CreatedAt.ToUnixTimeMilliseconds()), ("@e", t.ExpiresAt.ToUnixTimeMilliseconds())).ConfigureAwait(false);
        }, cancellationToken).AsTask());
    }

    public ValueTask<IReadOnlyList<VnoTrigger>> PendingTriggersAsync(string identity, CancellationToken cancellationToken = default) =>
        db.QueryAsync(
            "SELECT id, identity, reference, action, payload, context_id, dl_count, message, delivery, created_at, expires_at FROM vno_triggers " +
            "WHERE identity = @i AND expires_at >= @now ORDER BY dl_count, created_at", Read, cancellationToken, ("@i", identity), ("@now", db.NowMs));

    public ValueTask<bool> ReprotectTriggerAsync(string id, string contextId, uint count, byte[] message, string delivery, CancellationToken cancellationToken = default) =>
        db.RunAsync(async c => await SqlDatabase.ExecuteAsync(c, null,
            "UPDATE vno_triggers SET context_id = @c, dl_count = @n, message = @m, delivery = @d WHERE id = @id", cancellationToken,
            ("@c", contextId), ("@n", (long)count), ("@m", message), ("@d", delivery), ("@id", id)).ConfigureAwait(false) == 1, cancellationToken);

    public ValueTask<int> AcknowledgeTriggersAsync(string identity, string contextId, uint throughCount, CancellationToken cancellationToken = default) =>
        db.RunAsync(c => SqlDatabase.ExecuteAsync(c, null, "DELETE FROM vno_triggers WHERE identity = @i AND context_id = @c AND dl_count <= @n",
            cancellationToken, ("@i", identity), ("@c", contextId), ("@n", (long)throughCount)), cancellationToken);

    private static VnoTrigger Read(DbDataReader r) => new(r.GetString(0), r.GetString(1), (uint)r.GetInt64(2), (byte)r.GetInt32(3), (byte[])r.GetValue(4),
        r.GetString(5), (uint)r.GetInt64(6), (byte[])r.GetValue(7), r.GetString(8), SqlDatabase.FromMs(r.GetInt64(9)), SqlDatabase.FromMs(r.GetInt64(10)));
}

/// <summary>The MTC-IWF's authorisation table in SQL (schema v21, issue 17).</summary>
internal sealed class SqlMtcIwfStore(SqlDatabase db) : IMtcIwfStore
{
    public ValueTask GrantAsync(MtcIwfGrant g, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(g);
        return new(db.RunAsync(c => SqlDatabase.ExecuteAsync(c, null,
            "INSERT INTO mtciwf_grants (mtc_server, external_id, imsi, granted_by, granted_at) VALUES (@s, @x, @i, @b, @t) " +
            "ON CONFLICT (mtc_server, external_id) DO UPDATE SET imsi = @i, granted_by = @b, granted_at = @t", cancellationToken,
            ("@s", g.MtcServer), ("@x", g.ExternalId), ("@i", g.Imsi), ("@b", g.GrantedBy), ("@t", g.GrantedAt.ToUnixTimeMilliseconds())), cancellationToken).AsTask());
    }

    public async ValueTask<MtcIwfGrant?> FindGrantAsync(string mtcServer, string externalId, CancellationToken cancellationToken = default) =>
        (await db.QueryAsync("SELECT mtc_server, external_id, imsi, granted_by, granted_at FROM mtciwf_grants WHERE mtc_server = @s AND external_id = @x", Read,
            cancellationToken, ("@s", mtcServer), ("@x", externalId)).ConfigureAwait(false)).FirstOrDefault();

    public ValueTask<bool> RevokeAsync(string mtcServer, string externalId, CancellationToken cancellationToken = default) =>
        db.RunAsync(async c => await SqlDatabase.ExecuteAsync(c, null, "DELETE FROM mtciwf_grants WHERE mtc_server = @s AND external_id = @x", cancellationToken,
            ("@s", mtcServer), ("@x", externalId)).ConfigureAwait(false) == 1, cancellationToken);

    public ValueTask<IReadOnlyList<MtcIwfGrant>> ListGrantsAsync(CancellationToken cancellationToken = default) =>
        db.QueryAsync("SELECT mtc_server, external_id, imsi, granted_by, granted_at FROM mtciwf_grants ORDER BY mtc_server, external_id", Read, cancellationToken);

    private static MtcIwfGrant Read(DbDataReader r) => new(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), SqlDatabase.FromMs(r.GetInt64(4)));
}
