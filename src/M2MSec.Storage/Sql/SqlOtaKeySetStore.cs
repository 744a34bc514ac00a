using M2MSec.Storage.Ota;
using M2MSec.Storage.Security;

namespace M2MSec.Storage.Sql;

/// <summary>OTA key sets in SQL; CNTR reservation is one atomic UPDATE … RETURNING, durable before it returns.</summary>
internal sealed class SqlOtaKeySetStore(SqlDatabase db) : IEditableOtaKeySetStore
{
    private static string Row(string iccid, int kvn) => $"{iccid}/{kvn}";

    public ValueTask<OtaKeySet?> FindAsync(string iccid, int keyVersion, CancellationToken cancellationToken = default) =>
        db.RunAsync<OtaKeySet?>(async c =>
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
        db.RunAsync<ulong?>(async c =>
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
        db.RunAsync<IReadOnlyList<OtaKeySetSummary>>(async c =>
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
        db.RunAsync<IReadOnlyList<(string, string)>>(async c =>
        {
            await using var command = SqlDatabase.Command(c, null, "SELECT identity, iccid FROM scp81_psk ORDER BY iccid, identity");
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            var list = new List<(string, string)>();
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                list.Add((reader.GetString(0), reader.GetString(1)));
            return list;
        }, cancellationToken);

    public ValueTask<(string Iccid, byte[] Psk)?> FindPskAsync(string identity, CancellationToken cancellationToken = default) =>
        db.RunAsync<(string, byte[])?>(async c =>
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
