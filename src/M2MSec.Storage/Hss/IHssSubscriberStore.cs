namespace M2MSec.Storage.Hss;

/// <summary>Read-only view of the HSS/AuC subscriber data.</summary>
public interface IHssSubscriberStore
{
    ValueTask<HssSubscriber?> FindAsync(string imsi, CancellationToken cancellationToken = default);

    ValueTask<HssSqnState?> GetSqnStateAsync(string imsi, CancellationToken cancellationToken = default);

    /// <summary>
    /// Issue 20 (the console's funnel): the identities among <paramref name="identities"/> whose SEQ_HE moved (vectors were generated).
    /// A store answers in one query; this default asks one identity at a time.
    /// </summary>
    async ValueTask<IReadOnlyList<string>> FindWithVectorsAsync(IReadOnlyCollection<string> identities, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(identities);
        var found = new List<string>();
        foreach (var id in identities)
        {
            if (await GetSqnStateAsync(id, cancellationToken).ConfigureAwait(false) is { SeqHe: > 0 })
                found.Add(id);
        }
        return found;
    }
}

/// <summary>
/// The editable store. SQN allocation and resynchronisation are atomic per subscriber, across
/// threads, processes and instances sharing a database: two requests never receive the same
/// SQN, and SEQ_HE never goes backwards.
/// </summary>
public interface IEditableHssSubscriberStore : IHssSubscriberStore
{
    /// <summary>Adds a subscriber with SEQ_HE = <paramref name="initialSeqHe"/>; false if the identity exists.</summary>
    ValueTask<bool> AddAsync(HssSubscriber subscriber, ulong initialSeqHe = 0, CancellationToken cancellationToken = default);

    /// <summary>Allocates <paramref name="count"/> consecutive SQNs (Annex C.1); null if the IMSI is unknown.</summary>
    /// <exception cref="InvalidOperationException">SEQ_HE would pass the largest SEQ.</exception>
    ValueTask<ulong[]?> AllocateSqnsAsync(string imsi, int count, Aka.SqnScheme scheme, CancellationToken cancellationToken = default);

    /// <summary>Applies a verified SQN_MS (§6.3.5); false if SEQ_HE was already at or past it.</summary>
    ValueTask<bool> ResynchroniseAsync(string imsi, ulong sqnMs, Aka.SqnScheme scheme, CancellationToken cancellationToken = default);

    /// <summary>
    /// Issue 16 (H-change): retires a subscriber — its row, with K and OPc, is removed, so no vector is made for it again (the old
    /// IMSI after a change of subscription). False if the identity is unknown.
    /// </summary>
    ValueTask<bool> RemoveAsync(string imsi, CancellationToken cancellationToken = default);
}
