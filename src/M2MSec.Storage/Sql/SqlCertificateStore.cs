using System.Data.Common;
using M2MSec.Storage.Certificates;
using M2MSec.Storage.Security;

namespace M2MSec.Storage.Sql;

/// <summary>Issued certificates and their revocation in SQL; the first revocation stands.</summary>
internal sealed class SqlCertificateStore(SqlDatabase db) : IEditableCertificateStore
{
    private const string Columns = "issuer, serial, subject, not_before, not_after, der, revoked_at, reason";

    public ValueTask<IssuedCertificate?> FindAsync(string issuer, string serialHex, CancellationToken cancellationToken = default) =>
        db.ReadAsync<IssuedCertificate?>(async c =>
        {
            await using var command = SqlDatabase.Command(c, null, $"SELECT {Columns} FROM certificates WHERE issuer = @i AND serial = @s",
                ("@i", issuer), ("@s", serialHex.ToLowerInvariant()));
            await using var r = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            return await r.ReadAsync(cancellationToken).ConfigureAwait(false) ? Read(r) : null;
        }, cancellationToken);

    public ValueTask<IReadOnlyList<IssuedCertificate>> ListRevokedAsync(string issuer, CancellationToken cancellationToken = default) =>
        db.QueryAsync($"SELECT {Columns} FROM certificates WHERE issuer = @i AND revoked_at IS NOT NULL ORDER BY serial", Read, cancellationToken, ("@i", issuer));

    public ValueTask<IReadOnlyList<IssuedCertificate>> ListAsync(string issuer, CancellationToken cancellationToken = default) =>
        db.QueryAsync($"SELECT {Columns} FROM certificates WHERE issuer = @i ORDER BY serial", Read, cancellationToken, ("@i", issuer));

    public ValueTask<bool> AddAsync(IssuedCertificate certificate, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return db.TryInsertAsync($"INSERT INTO certificates ({Columns}) VALUES (@i, @s, @sub, @nb, @na, @der, @ra, @r)", cancellationToken,
            ("@i", certificate.Issuer), ("@s", certificate.SerialHex.ToLowerInvariant()), ("@sub", certificate.Subject),
            ("@nb", certificate.NotBefore.ToUnixTimeMilliseconds()), ("@na", certificate.NotAfter.ToUnixTimeMilliseconds()),
            ("@der", certificate.Der), ("@ra", certificate.RevokedAt?.ToUnixTimeMilliseconds()), ("@r", certificate.RevocationReason));
    }

    public ValueTask<bool> RevokeAsync(string issuer, string serialHex, int reason, CancellationToken cancellationToken = default)
    {
        var now = db.NowMs;
        return db.RunAsync(async c => await SqlDatabase.ExecuteAsync(c, null,
            "UPDATE certificates SET revoked_at = @t, reason = @r WHERE issuer = @i AND serial = @s AND revoked_at IS NULL",
            cancellationToken, ("@t", now), ("@r", reason), ("@i", issuer), ("@s", serialHex.ToLowerInvariant())).ConfigureAwait(false) == 1, cancellationToken);
    }

    public ValueTask<AuthorityKey?> FindAuthorityKeyAsync(string hierarchy, string slot, CancellationToken cancellationToken = default) =>
        db.ReadAsync<AuthorityKey?>(async c =>
        {
            await using var command = SqlDatabase.Command(c, null, "SELECT cert, key_enc FROM pki_keys WHERE hierarchy = @h AND slot = @s",
                ("@h", hierarchy), ("@s", slot));
            await using var r = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            if (!await r.ReadAsync(cancellationToken).ConfigureAwait(false))
                return null;
            return new AuthorityKey(hierarchy, slot, (byte[])r.GetValue(0),
                db.Protector.Unprotect((byte[])r.GetValue(1), SecretProtector.Place("pki_keys", $"{hierarchy}/{slot}", "key")));
        }, cancellationToken);

    public ValueTask<bool> PutAuthorityKeyAsync(AuthorityKey key, bool replace, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        var wrapped = db.Protector.Protect(key.PrivateKeyPkcs8, SecretProtector.Place("pki_keys", $"{key.Hierarchy}/{key.Slot}", "key"));
        var sql = "INSERT INTO pki_keys (hierarchy, slot, cert, key_enc, updated_at) VALUES (@h, @s, @c, @k, @t)" +
            (replace ? " ON CONFLICT (hierarchy, slot) DO UPDATE SET cert = excluded.cert, key_enc = excluded.key_enc, updated_at = excluded.updated_at" : "");
        return db.TryInsertAsync(sql, cancellationToken,
            ("@h", key.Hierarchy), ("@s", key.Slot), ("@c", key.CertificateDer), ("@k", wrapped), ("@t", db.NowMs));
    }

    public ValueTask<PkiHierarchyRecord?> FindHierarchyAsync(string name, CancellationToken cancellationToken = default) =>
        db.ReadAsync<PkiHierarchyRecord?>(async c =>
        {
            await using var command = SqlDatabase.Command(c, null, "SELECT key_algorithm, ocsp_url, created_at FROM pki_hierarchies WHERE name = @n", ("@n", name));
            await using var r = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            return await r.ReadAsync(cancellationToken).ConfigureAwait(false)
                ? new PkiHierarchyRecord(name, r.GetString(0), r.IsDBNull(1) ? null : r.GetString(1), SqlDatabase.FromMs(r.GetInt64(2)))
                : null;
        }, cancellationToken);

    public ValueTask<bool> AddHierarchyAsync(PkiHierarchyRecord hierarchy, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(hierarchy);
        return db.TryInsertAsync("INSERT INTO pki_hierarchies (name, key_algorithm, ocsp_url, crl_number, created_at) VALUES (@n, @a, @u, 0, @t)", cancellationToken,
            ("@n", hierarchy.Name), ("@a", hierarchy.KeyAlgorithm), ("@u", hierarchy.OcspUrl), ("@t", hierarchy.CreatedAt.ToUnixTimeMilliseconds()));
    }

    public ValueTask<bool> SetHierarchyOcspUrlAsync(string name, string? ocspUrl, CancellationToken cancellationToken = default) =>
        db.RunAsync(async c => await SqlDatabase.ExecuteAsync(c, null, "UPDATE pki_hierarchies SET ocsp_url = @u WHERE name = @n",
            cancellationToken, ("@u", ocspUrl), ("@n", name)).ConfigureAwait(false) == 1, cancellationToken);

    public ValueTask<long> NextCrlNumberAsync(string hierarchy, CancellationToken cancellationToken = default) =>
        db.RunAsync(async c =>
        {
            await using var command = SqlDatabase.Command(c, null,
                "UPDATE pki_hierarchies SET crl_number = crl_number + 1 WHERE name = @n RETURNING crl_number", ("@n", hierarchy));
            return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is { } v
                ? Convert.ToInt64(v, System.Globalization.CultureInfo.InvariantCulture)
                : throw new StoreException($"no PKI hierarchy '{hierarchy}'");
        }, cancellationToken);

    private static IssuedCertificate Read(DbDataReader r) => new(
        r.GetString(0), r.GetString(1), r.GetString(2), SqlDatabase.FromMs(r.GetInt64(3)), SqlDatabase.FromMs(r.GetInt64(4)),
        (byte[])r.GetValue(5), r.IsDBNull(6) ? null : SqlDatabase.FromMs(r.GetInt64(6)), r.IsDBNull(7) ? null : r.GetInt32(7));
}
