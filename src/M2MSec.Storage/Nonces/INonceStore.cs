namespace M2MSec.Storage.Nonces;

/// <summary>
/// Server-issued single-use nonces with expiry (registration nonces, DM authentication nonces):
/// a nonce is accepted at most once, before its expiry, for the purpose it was issued for —
/// across instances and restarts.
/// </summary>
public interface INonceStore
{
    /// <summary>Issues a fresh random nonce of <paramref name="size"/> octets valid for <paramref name="lifetime"/>.</summary>
    ValueTask<byte[]> IssueAsync(string purpose, TimeSpan lifetime, int size = 16, CancellationToken cancellationToken = default);

    /// <summary>Consumes the nonce: true exactly once, if it was issued for <paramref name="purpose"/> and has not expired.</summary>
    ValueTask<bool> ConsumeAsync(string purpose, ReadOnlyMemory<byte> nonce, CancellationToken cancellationToken = default);

    /// <summary>Deletes expired nonces; returns how many.</summary>
    ValueTask<int> PurgeExpiredAsync(CancellationToken cancellationToken = default);
}
