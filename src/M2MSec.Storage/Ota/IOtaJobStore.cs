namespace M2MSec.Storage.Ota;

/// <summary>
/// One OTA job for one card as the server keeps it: what was sent (TAR, key version, SPI, KIc/KID,
/// counter) and what came back (state, PoR status, additional data, failure). The expected
/// read-back of a NAS job is kept too: it is configuration, not a secret. <see cref="Script"/>, the
/// secured data before wrapping, is kept only while the job is "submitting" (so a reconciler can
/// re-wrap it under a fresh counter); it may carry secrets, so SQL stores keep it encrypted.
/// </summary>
/// <remarks>
/// States: "submitting" (counter reserved, the SMSC's answer not yet recorded) → "sent" (the SMSC
/// accepted it) → "triggered" (SCP81 push acknowledged) → "done" | "verified" | "failed"; a
/// "submitting" job can also become "failed" with a reason when it cannot be resubmitted.
/// </remarks>
public sealed record OtaJobRecord(
    string Id, string Iccid, string Tar, int KeyVersion, byte[] Spi, byte Kic, byte Kid, ulong Counter,
    string State, string? PorStatus, string? Data, string? Failure, byte[]? ExpectedReadBack, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt,
    string Transport = "scp80", string? PskIdentity = null, byte[]? Script = null)
{
    public const string Submitting = "submitting";
    public const string Sent = "sent";
    public const string Failed = "failed";
}

/// <summary>The OTA server's jobs, durable, shared by every OTA server instance on the database.</summary>
public interface IOtaJobStore
{
    ValueTask AddAsync(OtaJobRecord job, CancellationToken cancellationToken = default);

    ValueTask<OtaJobRecord?> FindAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>Jobs of a card still waiting for their PoR ("submitting" or "sent": a PoR proves delivery).</summary>
    ValueTask<IReadOnlyList<OtaJobRecord>> PendingAsync(string iccid, CancellationToken cancellationToken = default);

    /// <summary>SCP81 jobs of a PSK identity whose admin session is still to come ("submitting", "sent" or "triggered").</summary>
    ValueTask<IReadOnlyList<OtaJobRecord>> AwaitingSessionAsync(string pskIdentity, CancellationToken cancellationToken = default);

    /// <summary>Moves a job from "submitting" or "sent" to "triggered" (its SCP80 push was acknowledged); false otherwise.</summary>
    ValueTask<bool> MarkTriggeredAsync(string id, string? porStatus, CancellationToken cancellationToken = default);

    /// <summary>Records the outcome if the job is still open ("submitting", "sent" or "triggered"): a job completes once.</summary>
    ValueTask<bool> CompleteAsync(string id, string state, string? porStatus, string? data, string? failure, CancellationToken cancellationToken = default);

    /// <summary>"submitting" → "sent" once the SMSC accepted the packet with <paramref name="counter"/>; the kept script is dropped.</summary>
    ValueTask<bool> MarkSentAsync(string id, ulong counter, DateTimeOffset now, CancellationToken cancellationToken = default);

    /// <summary>"submitting" → "failed" with <paramref name="failure"/> (shown by GET /jobs/{id}); the kept script is dropped.</summary>
    ValueTask<bool> FailSubmissionAsync(string id, string failure, DateTimeOffset now, CancellationToken cancellationToken = default);

    /// <summary>Up to <paramref name="limit"/> "submitting" jobs last updated at or before <paramref name="notAfter"/>, oldest first.</summary>
    ValueTask<IReadOnlyList<OtaJobRecord>> StuckAsync(DateTimeOffset notAfter, int limit, CancellationToken cancellationToken = default);

    /// <summary>
    /// Claims a stuck job for one reconciler: a compare-and-set of updated_at from
    /// <paramref name="seenUpdatedAt"/> to <paramref name="now"/> while the job is "submitting".
    /// Of several instances claiming the same job, exactly one gets true.
    /// </summary>
    ValueTask<bool> ClaimAsync(string id, DateTimeOffset seenUpdatedAt, DateTimeOffset now, CancellationToken cancellationToken = default);

    /// <summary>A claimed "submitting" job takes a fresh counter (compare-and-set from <paramref name="oldCounter"/>) before it is resubmitted.</summary>
    ValueTask<bool> RecounterAsync(string id, ulong oldCounter, ulong newCounter, DateTimeOffset now, CancellationToken cancellationToken = default);
}
