namespace M2MSec.Storage.Ota;

/// <summary>
/// One OTA job for one card as the server keeps it: what was sent (TAR, key version, SPI, KIc/KID,
/// counter) and what came back (state, PoR status, additional data, failure). The expected
/// read-back of a NAS job is kept too: it is configuration, not a secret.
/// </summary>
public sealed record OtaJobRecord(
    string Id, string Iccid, string Tar, int KeyVersion, byte[] Spi, byte Kic, byte Kid, ulong Counter,
    string State, string? PorStatus, string? Data, string? Failure, byte[]? ExpectedReadBack, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt,
    string Transport = "scp80", string? PskIdentity = null);

/// <summary>The OTA server's jobs, durable, shared by every OTA server instance on the database.</summary>
public interface IOtaJobStore
{
    ValueTask AddAsync(OtaJobRecord job, CancellationToken cancellationToken = default);

    ValueTask<OtaJobRecord?> FindAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>Jobs of a card still waiting for their PoR ("sent").</summary>
    ValueTask<IReadOnlyList<OtaJobRecord>> PendingAsync(string iccid, CancellationToken cancellationToken = default);

    /// <summary>SCP81 jobs of a PSK identity whose admin session is still to come ("sent" or "triggered").</summary>
    ValueTask<IReadOnlyList<OtaJobRecord>> AwaitingSessionAsync(string pskIdentity, CancellationToken cancellationToken = default);

    /// <summary>Moves a job from "sent" to "triggered" (its SCP80 push was acknowledged); false if it was not "sent".</summary>
    ValueTask<bool> MarkTriggeredAsync(string id, string? porStatus, CancellationToken cancellationToken = default);

    /// <summary>Records the outcome if the job is still open ("sent" or "triggered"): a job completes once.</summary>
    ValueTask<bool> CompleteAsync(string id, string state, string? porStatus, string? data, string? failure, CancellationToken cancellationToken = default);
}
