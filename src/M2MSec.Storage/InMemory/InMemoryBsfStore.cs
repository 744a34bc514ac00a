using System.Collections.Concurrent;
using M2MSec.Storage.Audit;
using M2MSec.Storage.Bsf;

namespace M2MSec.Storage.InMemory;

/// <summary>The BSF's challenges and contexts in memory (issue 18): a challenge is removed by the first taker.</summary>
internal sealed class InMemoryBsfStore(TimeProvider time, IAuditLog? log = null) : IBsfStore
{
    private readonly ConcurrentDictionary<string, BsfChallenge> _challenges = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, BsfBootstrappingContext> _contexts = new(StringComparer.Ordinal);

    public ValueTask PutChallengeAsync(BsfChallenge challenge, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(challenge);
        var now = time.GetUtcNow();
        foreach (var (id, c) in _challenges)
        {
            if (c.ExpiresAt < now)
                _challenges.TryRemove(id, out _);
        }
        _challenges[challenge.Id] = challenge with { Xres = [.. challenge.Xres], Ks = [.. challenge.Ks] };
        return ValueTask.CompletedTask;
    }

    public ValueTask<BsfChallenge?> TakeChallengeAsync(string id, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(_challenges.TryRemove(id, out var c) && c.ExpiresAt >= time.GetUtcNow() ? c : null);

    public ValueTask PutContextAsync(BsfBootstrappingContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        _contexts[context.BTid] = context with { Ks = [.. context.Ks] };
        return ValueTask.CompletedTask;
    }

    public async ValueTask PutContextAsync(BsfBootstrappingContext context, AuditRecord audit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(audit);
        InMemoryAudit.Check(audit);
        await PutContextAsync(context, cancellationToken).ConfigureAwait(false);
        await InMemoryAudit.AppendAsync(log, audit, cancellationToken).ConfigureAwait(false);
    }

    public ValueTask<BsfBootstrappingContext?> FindContextAsync(string bTid, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(_contexts.TryGetValue(bTid, out var c) ? c with { Ks = [.. c.Ks] } : null);
}

/// <summary>The HSS's GUSS choices in memory (issue 18).</summary>
internal sealed class InMemoryHssGussStore : IHssGussStore
{
    private readonly ConcurrentDictionary<string, string> _types = new(StringComparer.Ordinal);

    public ValueTask SetGbaTypeAsync(string imsi, string gbaType, CancellationToken cancellationToken = default)
    {
        _types[imsi] = gbaType;
        return ValueTask.CompletedTask;
    }

    public ValueTask<string?> FindGbaTypeAsync(string imsi, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(_types.TryGetValue(imsi, out var t) ? t : null);
}
