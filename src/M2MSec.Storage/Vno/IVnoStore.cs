namespace M2MSec.Storage.Vno;

/// <summary>
/// What the VNO keeps of a device's EPS NAS security context (issue 17, seed 002 §6.1.2: "network entities should store the last
/// security context used when the MTC device was attached"): the serving PLMN, a context id (new at every attach), the next NAS
/// downlink COUNT and the device's connection state ("offline" detached, "idle" attached without a data connection, "connected"
/// with one) — never K_NASint (see <see cref="VnoDownlinkCount"/>).
/// </summary>
public sealed record VnoNasContextInfo(string Identity, string Plmn, string ContextId, uint NextDownlinkCount, string State, DateTimeOffset UpdatedAt);

/// <summary>One NAS downlink COUNT taken (never handed out twice) with the key to protect under it; K_NASint is a secret.</summary>
public sealed record VnoDownlinkCount(string Identity, string Plmn, string ContextId, uint Count, byte[] KnasInt, string State)
{
    public override string ToString() => $"VnoDownlinkCount {{ {Identity}, context {ContextId}, COUNT {Count} }}";
}

/// <summary>
/// Issue 17: what the VNO checks a device state report against — the current context's K_NASint (a secret) and the last NAS uplink
/// COUNT it accepted (null: none yet under this context).
/// </summary>
public sealed record VnoUplinkContext(string Identity, string ContextId, byte[] KnasInt, uint? LastUplinkCount, string State)
{
    public override string ToString() => $"VnoUplinkContext {{ {Identity}, context {ContextId}, last uplink COUNT {LastUplinkCount} }}";
}

/// <summary>
/// Issue 20 (decision 033): the last battery figure a device reported (its remaining charge in per mille), under which uplink COUNT and when.
/// Keyed by the IMSI the device attached with.
/// </summary>
public sealed record VnoBattery(string Identity, int LevelPermille, uint UplinkCount, DateTimeOffset ReportedAt);

/// <summary>
/// A trigger the VNO protected for a device (issue 17): the indication's fields (to protect again under a new context), the
/// protected NAS message, how it was delivered ("queued" offline, "paging" idle, "direct" connected), until it expires or the
/// device reports a COUNT at or above it.
/// </summary>
public sealed record VnoTrigger(string Id, string Identity, uint Reference, byte Action, byte[] Payload, string ContextId, uint Count, byte[] Message,
    string Delivery, DateTimeOffset CreatedAt, DateTimeOffset ExpiresAt);

/// <summary>The VNO's NAS contexts and protected triggers (issue 17; schema v21). K_NASint wrapped at rest.</summary>
public interface IVnoStore
{
    /// <summary>The NAS COUNT is 24 bits (TS 24.301 §4.4.3.1): <see cref="TakeDownlinkCountAsync"/> never hands out more.</summary>
    public const uint MaxCount = 0xFFFFFF;

    /// <summary>Stores the context of an attach (replacing the previous one): COUNT restarts at 0 under the new K_NASint.</summary>
    ValueTask PutContextAsync(string identity, string plmn, ReadOnlyMemory<byte> knasInt, string contextId, string state, CancellationToken cancellationToken = default);

    ValueTask<VnoNasContextInfo?> FindContextAsync(string identity, CancellationToken cancellationToken = default);

    /// <summary>Sets the connection state; false when the identity has no context.</summary>
    ValueTask<bool> SetStateAsync(string identity, string state, CancellationToken cancellationToken = default);

    /// <summary>
    /// Takes the next downlink COUNT atomically (across instances and restarts: one durable increment); null when the identity has
    /// no context; throws <see cref="StoreException"/> when the COUNT is exhausted (the device must attach again).
    /// </summary>
    ValueTask<VnoDownlinkCount?> TakeDownlinkCountAsync(string identity, CancellationToken cancellationToken = default);

    ValueTask AddTriggerAsync(VnoTrigger trigger, CancellationToken cancellationToken = default);

    /// <summary>The identity's triggers not yet expired nor acknowledged, in COUNT order.</summary>
    ValueTask<IReadOnlyList<VnoTrigger>> PendingTriggersAsync(string identity, CancellationToken cancellationToken = default);

    /// <summary>Replaces a pending trigger's protection (a new context after an attach); false if it is gone.</summary>
    ValueTask<bool> ReprotectTriggerAsync(string id, string contextId, uint count, byte[] message, string delivery, CancellationToken cancellationToken = default);

    /// <summary>Issue 17: the current context's K_NASint and last accepted uplink COUNT; null when the identity has no context.</summary>
    ValueTask<VnoUplinkContext?> FindUplinkAsync(string identity, CancellationToken cancellationToken = default);

    /// <summary>
    /// Issue 17: stores <paramref name="count"/> as the last accepted uplink COUNT of <paramref name="contextId"/> only if it is above the
    /// stored one (one conditional UPDATE: two requests, or two instances, never accept the same COUNT); false otherwise — a replay, a
    /// concurrent duplicate, or a context replaced meanwhile.
    /// </summary>
    ValueTask<bool> AcceptUplinkCountAsync(string identity, string contextId, uint count, CancellationToken cancellationToken = default);

    /// <summary>Issue 20: stores the device's battery figure (replacing the one before); call only after its report verified.</summary>
    ValueTask PutBatteryAsync(VnoBattery battery, CancellationToken cancellationToken = default);

    /// <summary>Issue 20: the last battery figure of <paramref name="identity"/> (an IMSI), or null when it never reported one.</summary>
    ValueTask<VnoBattery?> FindBatteryAsync(string identity, CancellationToken cancellationToken = default);

    /// <summary>Drops the identity's triggers of <paramref name="contextId"/> up to COUNT <paramref name="throughCount"/> (the device has them).</summary>
    ValueTask<int> AcknowledgeTriggersAsync(string identity, string contextId, uint throughCount, CancellationToken cancellationToken = default);
}
