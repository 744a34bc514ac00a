using System.Collections.Concurrent;

namespace M2MSec.NetworkFunctions.Dm;

/// <summary>
/// Failed authentications, in memory and bounded: per source address (its failing answers are delayed once it
/// passes the threshold — a correct credential is never delayed nor refused for it) and per (source, DevId,
/// SessionID), so that the second failure in a session ends it. The first failure of each DevId from a source in
/// the window is not held against the source: it is what every device whose stored nonce went stale sends (a fleet
/// behind one NAT address would otherwise back itself off); guessing one account's password pays from the second
/// guess on. No store writes: unauthenticated callers leave no state beyond these bounded tables.
/// </summary>
internal sealed class DmBackOff(TimeProvider time, DmSessionOptions options)
{
    /// <summary>Entries kept per table; when full and nothing has aged out, new keys are not tracked.</summary>
    public const int MaxEntries = 16_384;

    private readonly ConcurrentDictionary<string, Entry> _sources = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string Source, string DevId, string SessionId), Entry> _sessions = new();
    private readonly ConcurrentDictionary<(string Source, string DevId), Entry> _accounts = new();

    private sealed record Entry(int Failures, DateTimeOffset Last);

    /// <summary>Counts a failure; returns the failures in this session so far and how long to hold the answer.</summary>
    public (int SessionFailures, TimeSpan Delay) Fail(string source, string devId, string sessionId)
    {
        var session = Bump(_sessions, (source, devId, sessionId));
        if (Bump(_accounts, (source, devId)) == 1)
            return (session, TimeSpan.Zero); // a stale nonce, most likely
        var s = Bump(_sources, source);
        var over = s - options.BackOffThreshold;
        var delay = over < 0 ? TimeSpan.Zero
            : TimeSpan.FromTicks(Math.Min(options.MaxBackOff.Ticks, options.BackOffUnit.Ticks * (1L << Math.Min(over, 20))));
        return (session, delay);
    }

    /// <summary>Failures so far in this session (0 if none or forgotten).</summary>
    public int SessionFailures(string source, string devId, string sessionId) =>
        _sessions.TryGetValue((source, devId, sessionId), out var e) && Live(e) ? e.Failures : 0;

    /// <summary>Failures counted against a source address in its window.</summary>
    public int SourceFailures(string source) => _sources.TryGetValue(source, out var e) && Live(e) ? e.Failures : 0;

    private bool Live(Entry e) => time.GetUtcNow() - e.Last < options.BackOffWindow;

    private int Bump<TKey>(ConcurrentDictionary<TKey, Entry> table, TKey key)
        where TKey : notnull
    {
        if (table.Count >= MaxEntries && !table.ContainsKey(key))
        {
            foreach (var (k, e) in table)
            {
                if (!Live(e))
                    table.TryRemove(k, out _);
            }
            if (table.Count >= MaxEntries)
                return options.BackOffThreshold + 1; // untracked, treated as backed off
        }
        var now = time.GetUtcNow();
        return table.AddOrUpdate(key, _ => new Entry(1, now), (_, e) => Live(e) ? new Entry(e.Failures + 1, now) : new Entry(1, now)).Failures;
    }
}
