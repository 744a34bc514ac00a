using M2MSec.Storage.Icf;
using M2MSec.Storage.Security;

namespace M2MSec.Storage.Sql;

/// <summary>The ICF's state in SQL (schema v13): K_RO wrapped per (PCID, RAND); taking one is one DELETE … RETURNING.</summary>
internal sealed class SqlIcfStore(SqlDatabase db) : IIcfStore
{
    private static string Place(string pcid, string rand) => SecretProtector.Place("icf_pending_keys", $"{pcid}/{rand}", "k_ro");

    public ValueTask AddPendingKeyAsync(string pcid, ReadOnlyMemory<byte> rand, ReadOnlyMemory<byte> kRo, DateTimeOffset expiresAt, CancellationToken cancellationToken = default)
    {
        var r = Convert.ToHexStringLower(rand.Span);
        var wrapped = db.Protector.Protect(kRo.Span, Place(pcid, r));
        return new(db.RunAsync(async c =>
        {
            await SqlDatabase.ExecuteAsync(c, null, "DELETE FROM icf_pending_keys WHERE expires_at < @now", cancellationToken, ("@now", db.NowMs)).ConfigureAwait(false);
            return await SqlDatabase.ExecuteAsync(c, null,
                "INSERT INTO icf_pending_keys (pcid, rand, k_ro_enc, expires_at) VALUES (@p, @r, @k, @e)",
                cancellationToken, ("@p", pcid), ("@r", r), ("@k", wrapped), ("@e", expiresAt.ToUnixTimeMilliseconds())).ConfigureAwait(false);
        }, cancellationToken).AsTask());
    }

    public ValueTask<byte[]?> TakePendingKeyAsync(string pcid, ReadOnlyMemory<byte> rand, CancellationToken cancellationToken = default)
    {
        var r = Convert.ToHexStringLower(rand.Span);
        return db.RunAsync<byte[]?>(async c =>
        {
            await using var command = SqlDatabase.Command(c, null,
                "DELETE FROM icf_pending_keys WHERE pcid = @p AND rand = @r RETURNING k_ro_enc, expires_at", ("@p", pcid), ("@r", r));
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                return null;
            var blob = (byte[])reader.GetValue(0);
            return reader.GetInt64(1) < db.NowMs ? null : db.Protector.Unprotect(blob, Place(pcid, r));
        }, cancellationToken);
    }

    public ValueTask<IcfPcidUse?> FindUseAsync(string pcid, CancellationToken cancellationToken = default) =>
        db.ReadAsync<IcfPcidUse?>(async c =>
        {
            await using var command = SqlDatabase.Command(c, null, "SELECT state, ip_address, at FROM icf_pcid_uses WHERE pcid = @p", ("@p", pcid));
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            return await reader.ReadAsync(cancellationToken).ConfigureAwait(false)
                ? new IcfPcidUse(pcid, reader.GetString(0), reader.GetString(1), SqlDatabase.FromMs(reader.GetInt64(2)))
                : null;
        }, cancellationToken);

    public ValueTask<bool> TryRecordUseAsync(IcfPcidUse use, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(use);
        return db.TryInsertAsync("INSERT INTO icf_pcid_uses (pcid, state, ip_address, at) VALUES (@p, @s, @a, @t)", cancellationToken,
            ("@p", use.Pcid), ("@s", use.State), ("@a", use.IpAddress), ("@t", use.At.ToUnixTimeMilliseconds()));
    }

    public ValueTask<IReadOnlyList<IcfPcidUse>> FindUsesAsync(IReadOnlyCollection<string> pcids, CancellationToken cancellationToken = default) =>
        db.QueryByIdsAsync("SELECT pcid, state, ip_address, at FROM icf_pcid_uses WHERE pcid IN ({ids})", pcids,
            r => new IcfPcidUse(r.GetString(0), r.GetString(1), r.GetString(2), SqlDatabase.FromMs(r.GetInt64(3))), cancellationToken);

    public ValueTask<bool> ClearUseAsync(string pcid, CancellationToken cancellationToken = default) =>
        db.RunAsync(async c => await SqlDatabase.ExecuteAsync(c, null, "DELETE FROM icf_pcid_uses WHERE pcid = @p", cancellationToken, ("@p", pcid)).ConfigureAwait(false) == 1,
            cancellationToken);
}
