using System.Data.Common;
using M2MSec.Storage.Ota;
using M2MSec.Storage.Security;

namespace M2MSec.Storage.Sql;

/// <summary>OTA key sets in SQL; CNTR reservation is one atomic UPDATE … RETURNING, durable before it returns.</summary>
internal sealed class SqlOtaKeySetStore(SqlDatabase db) : IEditableOtaKeySetStore
{
    private static string Row(string iccid, int kvn) => $"{iccid}/{kvn}";

    public ValueTask<OtaKeySet?> FindAsync(string iccid, int keyVersion, CancellationToken cancellationToken = default) =>
        db.ReadAsync<OtaKeySet?>(async c =>
        {
            await using var command = SqlDatabase.Command(c, null,
                "SELECT kic_alg, kic_enc, kid_alg, kid_enc, tar FROM ota_keysets WHERE iccid = @i AND kvn = @k", ("@i", iccid), ("@k", keyVersion));
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                return null;
            var row = Row(iccid, keyVersion);
            return new OtaKeySet(iccid, keyVersion,
                (byte)reader.GetInt32(0), db.Protector.Unprotect((byte[])reader.GetValue(1), SecretProtector.Place("ota_keysets", row, "kic")),
                (byte)reader.GetInt32(2), db.Protector.Unprotect((byte[])reader.GetValue(3), SecretProtector.Place("ota_keysets", row, "kid")),
                reader.IsDBNull(4) ? null : reader.GetString(4));
        }, cancellationToken);

    public ValueTask<ulong?> GetCounterAsync(string iccid, int keyVersion, CancellationToken cancellationToken = default) =>
        db.ReadAsync<ulong?>(async c =>
        {
            await using var command = SqlDatabase.Command(c, null, "SELECT counter FROM ota_keysets WHERE iccid = @i AND kvn = @k", ("@i", iccid), ("@k", keyVersion));
            return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is { } v and not DBNull ? (ulong)Convert.ToInt64(v, System.Globalization.CultureInfo.InvariantCulture) : null;
        }, cancellationToken);

    public ValueTask<bool> AddAsync(OtaKeySet keySet, ulong initialCounter = 0, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(keySet);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(initialCounter, IEditableOtaKeySetStore.MaxCounter);
        var row = Row(keySet.Iccid, keySet.KeyVersion);
        var kic = db.Protector.Protect(keySet.Kic, SecretProtector.Place("ota_keysets", row, "kic"));
        var kid = db.Protector.Protect(keySet.Kid, SecretProtector.Place("ota_keysets", row, "kid"));
        return db.TryInsertAsync(
            "INSERT INTO ota_keysets (iccid, kvn, kic_alg, kic_enc, kid_alg, kid_enc, counter, tar) VALUES (@i, @k, @ca, @c, @da, @d, @n, @t)",
            cancellationToken, ("@i", keySet.Iccid), ("@k", keySet.KeyVersion), ("@ca", (int)keySet.KicAlgorithm), ("@c", kic),
            ("@da", (int)keySet.KidAlgorithm), ("@d", kid), ("@n", (long)initialCounter), ("@t", keySet.Tar));
    }

    public async ValueTask<OtaCardAddOutcome> AddCardAsync(OtaCardRegistration card, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(card);
        card.Check();
        var keySet = card.KeySet;
        var row = keySet is null ? "" : Row(keySet.Iccid, keySet.KeyVersion);
        var kic = keySet is null ? null : db.Protector.Protect(keySet.Kic, SecretProtector.Place("ota_keysets", row, "kic"));
        var kid = keySet is null ? null : db.Protector.Protect(keySet.Kid, SecretProtector.Place("ota_keysets", row, "kid"));
        var psk = card.PskIdentity is { } identity ? db.Protector.Protect(card.Psk!, SecretProtector.Place("scp81_psk", identity, "psk")) : null;
        var now = db.NowMs;
        try
        {
            return await db.WriteAsync(async (c, tx) =>
            {
                // Every check before any write; the writes commit together or not at all.
                if (card.PskIdentity is not null && await ExistsAsync(c, tx, "SELECT 1 FROM scp81_psk WHERE identity = @a", ("@a", card.PskIdentity)).ConfigureAwait(false))
                    return OtaCardAddOutcome.PskIdentityExists;
                if (keySet is not null
                    && await ExistsAsync(c, tx, "SELECT 1 FROM ota_keysets WHERE iccid = @a AND kvn = @b", ("@a", keySet.Iccid), ("@b", keySet.KeyVersion)).ConfigureAwait(false))
                    return OtaCardAddOutcome.KeySetExists;
                if (card.PskIdentity is not null)
                {
                    await SqlDatabase.ExecuteAsync(c, tx, "INSERT INTO scp81_psk (identity, iccid, psk_enc) VALUES (@i, @c, @p)", cancellationToken,
                        ("@i", card.PskIdentity), ("@c", card.Iccid), ("@p", psk)).ConfigureAwait(false);
                }
                if (keySet is not null)
                {
                    await SqlDatabase.ExecuteAsync(c, tx,
                        "INSERT INTO ota_keysets (iccid, kvn, kic_alg, kic_enc, kid_alg, kid_enc, counter, tar) VALUES (@i, @k, @ca, @c, @da, @d, 0, @t)",
                        cancellationToken, ("@i", keySet.Iccid), ("@k", keySet.KeyVersion), ("@ca", (int)keySet.KicAlgorithm), ("@c", kic),
                        ("@da", (int)keySet.KidAlgorithm), ("@d", kid), ("@t", keySet.Tar)).ConfigureAwait(false);
                }
                // The ICCID–IMSI link; one the registry already keeps stays as it is.
                if (card.Imsi is not null && !await ExistsAsync(c, tx, "SELECT 1 FROM devices WHERE device_id = @a", ("@a", card.Iccid)).ConfigureAwait(false))
                    await SqlDeviceRegistry.InsertAsync(c, tx, card.Iccid, card.Imsi, null, card.DeviceKind, card.InitialState, now, cancellationToken).ConfigureAwait(false);
                return OtaCardAddOutcome.Added;
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (DbException e) when (db.Dialect.IsUniqueViolation(e))
        {
            // A concurrent registration won between the checks and the writes: this one wrote nothing (rolled back).
            return card.PskIdentity is not null && await FindPskAsync(card.PskIdentity, cancellationToken).ConfigureAwait(false) is not null
                ? OtaCardAddOutcome.PskIdentityExists : OtaCardAddOutcome.KeySetExists;
        }

        async ValueTask<bool> ExistsAsync(DbConnection c, DbTransaction tx, string sql, params (string, object?)[] parameters)
        {
            await using var command = SqlDatabase.Command(c, tx, sql, parameters);
            return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is not (null or DBNull);
        }
    }

    public ValueTask<ulong?> NextCounterAsync(string iccid, int keyVersion, int count = 1, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        return db.RunAsync<ulong?>(async c =>
        {
            await using var command = SqlDatabase.Command(c, null,
                "UPDATE ota_keysets SET counter = counter + @n WHERE iccid = @i AND kvn = @k AND counter + @n <= @max RETURNING counter",
                ("@n", (long)count), ("@i", iccid), ("@k", keyVersion), ("@max", (long)IEditableOtaKeySetStore.MaxCounter));
            var result = await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
            if (result is null or DBNull)
            {
                if (await GetCounterAsync(iccid, keyVersion, cancellationToken).ConfigureAwait(false) is null)
                    return null;
                throw new InvalidOperationException($"The OTA counter of {iccid}/{keyVersion} is exhausted; the key set must be replaced.");
            }
            return (ulong)Convert.ToInt64(result, System.Globalization.CultureInfo.InvariantCulture) - (ulong)count + 1;
        }, cancellationToken);
    }

    public ValueTask<IReadOnlyList<OtaKeySetSummary>> ListKeySetsAsync(CancellationToken cancellationToken = default) =>
        db.ReadAsync<IReadOnlyList<OtaKeySetSummary>>(async c =>
        {
            await using var command = SqlDatabase.Command(c, null, "SELECT iccid, kvn, kic_alg, kid_alg, tar, counter FROM ota_keysets ORDER BY iccid, kvn");
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            var list = new List<OtaKeySetSummary>();
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                list.Add(new OtaKeySetSummary(reader.GetString(0), reader.GetInt32(1), (byte)reader.GetInt32(2), (byte)reader.GetInt32(3),
                    reader.IsDBNull(4) ? null : reader.GetString(4), (ulong)reader.GetInt64(5)));
            }
            return list;
        }, cancellationToken);

    public ValueTask<IReadOnlyList<(string Identity, string Iccid)>> ListPskIdentitiesAsync(CancellationToken cancellationToken = default) =>
        db.ReadAsync<IReadOnlyList<(string, string)>>(async c =>
        {
            await using var command = SqlDatabase.Command(c, null, "SELECT identity, iccid FROM scp81_psk ORDER BY iccid, identity");
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            var list = new List<(string, string)>();
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                list.Add((reader.GetString(0), reader.GetString(1)));
            return list;
        }, cancellationToken);

    public ValueTask<(string Iccid, byte[] Psk)?> FindPskAsync(string identity, CancellationToken cancellationToken = default) =>
        db.ReadAsync<(string, byte[])?>(async c =>
        {
            await using var command = SqlDatabase.Command(c, null, "SELECT iccid, psk_enc FROM scp81_psk WHERE identity = @i", ("@i", identity));
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                return null;
            return (reader.GetString(0), db.Protector.Unprotect((byte[])reader.GetValue(1), SecretProtector.Place("scp81_psk", identity, "psk")));
        }, cancellationToken);

    public ValueTask<bool> AddPskAsync(string identity, string iccid, byte[] psk, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(identity);
        ArgumentNullException.ThrowIfNull(psk);
        var wrapped = db.Protector.Protect(psk, SecretProtector.Place("scp81_psk", identity, "psk"));
        return db.TryInsertAsync("INSERT INTO scp81_psk (identity, iccid, psk_enc) VALUES (@i, @c, @p)",
            cancellationToken, ("@i", identity), ("@c", iccid), ("@p", wrapped));
    }
}
