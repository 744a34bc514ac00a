using System.Security.Cryptography;
using M2MSec.Storage.Nonces;

namespace M2MSec.Storage.Sql;

/// <summary>Nonces in SQL: consumption is one conditional UPDATE, so it succeeds at most once.</summary>
internal sealed class SqlNonceStore(SqlDatabase db) : INonceStore
{
    public ValueTask<byte[]> IssueAsync(string purpose, TimeSpan lifetime, int size = 16, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(purpose);
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 8);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(lifetime, TimeSpan.Zero);
        var nonce = RandomNumberGenerator.GetBytes(size);
        var expires = db.Time.GetUtcNow().Add(lifetime).ToUnixTimeMilliseconds();
        return db.RunAsync(async c =>
        {
            await SqlDatabase.ExecuteAsync(c, null, "INSERT INTO nonces (purpose, nonce, expires_at) VALUES (@p, @n, @e)",
                cancellationToken, ("@p", purpose), ("@n", nonce), ("@e", expires)).ConfigureAwait(false);
            return nonce;
        }, cancellationToken);
    }

    public ValueTask<bool> ConsumeAsync(string purpose, ReadOnlyMemory<byte> nonce, CancellationToken cancellationToken = default)
    {
        var now = db.NowMs;
        var value = nonce.ToArray();
        return db.RunAsync(async c =>
            await SqlDatabase.ExecuteAsync(c, null,
                "UPDATE nonces SET consumed_at = @t WHERE purpose = @p AND nonce = @n AND consumed_at IS NULL AND expires_at > @t",
                cancellationToken, ("@t", now), ("@p", purpose), ("@n", value)).ConfigureAwait(false) == 1, cancellationToken);
    }

    public ValueTask<int> PurgeExpiredAsync(CancellationToken cancellationToken = default)
    {
        var now = db.NowMs;
        return db.RunAsync(c => SqlDatabase.ExecuteAsync(c, null, "DELETE FROM nonces WHERE expires_at <= @t", cancellationToken, ("@t", now)), cancellationToken);
    }
}
