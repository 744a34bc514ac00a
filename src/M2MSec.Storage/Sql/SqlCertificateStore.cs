using System.Data.Common;
using M2MSec.Storage.Certificates;

namespace M2MSec.Storage.Sql;

/// <summary>Issued certificates and their revocation in SQL; the first revocation stands.</summary>
internal sealed class SqlCertificateStore(SqlDatabase db) : IEditableCertificateStore
{
    private const string Columns = "issuer, serial, subject, not_before, not_after, der, revoked_at, reason";

    public ValueTask<IssuedCertificate?> FindAsync(string issuer, string serialHex, CancellationToken cancellationToken = default) =>
        db.RunAsync<IssuedCertificate?>(async c =>
        {
            await using var command = SqlDatabase.Command(c, null, $"SELECT {Columns} FROM certificates WHERE issuer = @i AND serial = @s",
                ("@i", issuer), ("@s", serialHex.ToLowerInvariant()));
            await using var r = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            return await r.ReadAsync(cancellationToken).ConfigureAwait(false) ? Read(r) : null;
        }, cancellationToken);

    public ValueTask<IReadOnlyList<IssuedCertificate>> ListRevokedAsync(string issuer, CancellationToken cancellationToken = default) =>
        db.QueryAsync($"SELECT {Columns} FROM certificates WHERE issuer = @i AND revoked_at IS NOT NULL ORDER BY serial", Read, cancellationToken, ("@i", issuer));

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

    private static IssuedCertificate Read(DbDataReader r) => new(
        r.GetString(0), r.GetString(1), r.GetString(2), SqlDatabase.FromMs(r.GetInt64(3)), SqlDatabase.FromMs(r.GetInt64(4)),
        (byte[])r.GetValue(5), r.IsDBNull(6) ? null : SqlDatabase.FromMs(r.GetInt64(6)), r.IsDBNull(7) ? null : r.GetInt32(7));
}
