namespace M2MSec.Storage.Ota;

/// <summary>
/// One OTA job for one card as the server keeps it: what was sent (TAR, key version, SPI, KIc/KID,
/// counter) and what came back (state, PoR status, additional data, failure). The expected
/// read-back of a NAS job is kept too: it is configuration, not a secret.
/// </summary>
public sealed record OtaJobRecord(
    string Id, string Iccid, string Tar, int KeyVersion, byte[] Spi, byte Kic, byte Kid, ulong Counter,
    string State, string? PorStatus, string? Data, string? Failure, byte[]? ExpectedReadBack, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

/// <summary>The OTA server's jobs, durable, shared by every OTA server instance on the database.</summary>
public interface IOtaJobStore
{
    ValueTask AddAsync(OtaJobRecord job, CancellationToken cancellationToken = default);

    ValueTask<OtaJobRecord?> FindAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>Jobs of a card still waiting for their PoR.</summary>
    ValueTask<IReadOnlyList<OtaJobRecord>> PendingAsync(string iccid, CancellationToken cancellationToken = default);

    /// <summary>Records the outcome if the job is still "sent" (compare-and-set: a PoR completes a job once).</summary>
    ValueTask<bool> CompleteAsync(string id, string state, string? porStatus, string? data, string? failure, CancellationToken cancellationToken = default);
}
