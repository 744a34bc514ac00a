using System.Collections.Concurrent;
using M2MSec.Storage.Dm;

namespace M2MSec.Storage.InMemory;

/// <summary>DM accounts and jobs in memory (tests, throwaway runs).</summary>
public sealed class InMemoryDmStore(TimeProvider time) : IDmStore
{
    private readonly ConcurrentDictionary<string, DmAccount> _accounts = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private readonly List<DmJobRecord> _jobs = [];

    public ValueTask<bool> AddAccountAsync(DmAccount account, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(account);
        return ValueTask.FromResult(_accounts.TryAdd(account.DevId, account with
        {
            ClientPassword = (byte[])account.ClientPassword.Clone(),
            ServerPassword = (byte[])account.ServerPassword.Clone(),
        }));
    }

    public ValueTask<DmAccount?> FindAccountAsync(string devId, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(_accounts.TryGetValue(devId, out var a)
            ? a with { ClientPassword = (byte[])a.ClientPassword.Clone(), ServerPassword = (byte[])a.ServerPassword.Clone() }
            : null);

    public ValueTask<bool> SetServerNonceAsync(string devId, string nonce, CancellationToken cancellationToken = default)
    {
        while (_accounts.TryGetValue(devId, out var a))
        {
            if (_accounts.TryUpdate(devId, a with { ServerNonce = nonce }, a))
                return ValueTask.FromResult(true);
        }
        return ValueTask.FromResult(false);
    }

    public ValueTask AddJobAsync(DmJobRecord job, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(job);
        lock (_lock)
        {
            if (_jobs.Any(j => j.Id == job.Id))
                throw new StoreException($"DM job {job.Id} exists");
            _jobs.Add(job with { Commands = [.. job.Commands] });
        }
        return ValueTask.CompletedTask;
    }

    public ValueTask<IReadOnlyList<DmJobRecord>> ListJobsAsync(string devId, CancellationToken cancellationToken = default)
    {
        lock (_lock)
            return ValueTask.FromResult<IReadOnlyList<DmJobRecord>>([.. _jobs.Where(j => j.DevId == devId).OrderBy(j => j.CreatedAt).ThenBy(j => j.Id, StringComparer.Ordinal)]);
    }

    public ValueTask<bool> RecordResultAsync(string jobId, int seq, int status, string? results, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            var i = _jobs.FindIndex(j => j.Id == jobId);
            if (i < 0)
                return ValueTask.FromResult(false);
            var commands = _jobs[i].Commands.ToList();
            var c = commands.FindIndex(x => x.Seq == seq);
            if (c < 0 || commands[c].Status is not null)
                return ValueTask.FromResult(false);
            commands[c] = commands[c] with { Status = status, Results = results };
            _jobs[i] = _jobs[i] with { Commands = commands };
            return ValueTask.FromResult(true);
        }
    }

    public ValueTask<bool> SetJobStateAsync(string jobId, string state, IReadOnlyList<string> from, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(from);
        lock (_lock)
        {
            var i = _jobs.FindIndex(j => j.Id == jobId);
            if (i < 0 || !from.Contains(_jobs[i].State))
                return ValueTask.FromResult(false);
            _jobs[i] = _jobs[i] with { State = state, UpdatedAt = time.GetUtcNow() };
            return ValueTask.FromResult(true);
        }
    }

    public ValueTask<bool> ReplaceClientNonceAsync(string devId, string? expected, string nonce, DateTimeOffset expiresAt, CancellationToken cancellationToken = default)
    {
        while (_accounts.TryGetValue(devId, out var a))
        {
            if (a.ClientNonce != expected)
                return ValueTask.FromResult(false);
            if (_accounts.TryUpdate(devId, a with { ClientNonce = nonce, ClientNonceExpiresAt = expiresAt }, a))
                return ValueTask.FromResult(true);
        }
        return ValueTask.FromResult(false);
    }

    public ValueTask MarkSentAsync(string jobId, IReadOnlyList<int> seqs, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(seqs);
        lock (_lock)
        {
            var i = _jobs.FindIndex(j => j.Id == jobId);
            if (i >= 0)
            {
                var now = time.GetUtcNow();
                _jobs[i] = _jobs[i] with
                {
                    UpdatedAt = now,
                    Commands = [.. _jobs[i].Commands.Select(c => seqs.Contains(c.Seq) && c.SentAt is null ? c with { SentAt = now } : c)],
                };
            }
        }
        return ValueTask.CompletedTask;
    }

    public ValueTask<bool> FailJobAsync(string jobId, string reason, IReadOnlyList<string> from, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(from);
        lock (_lock)
        {
            var i = _jobs.FindIndex(j => j.Id == jobId);
            if (i < 0 || !from.Contains(_jobs[i].State))
                return ValueTask.FromResult(false);
            _jobs[i] = _jobs[i] with { State = "failed", Reason = reason, UpdatedAt = time.GetUtcNow() };
            return ValueTask.FromResult(true);
        }
    }

    public ValueTask<DmJobRecord?> FindJobAsync(string jobId, CancellationToken cancellationToken = default)
    {
        lock (_lock)
            return ValueTask.FromResult(_jobs.FirstOrDefault(j => j.Id == jobId));
    }

    public ValueTask<IReadOnlyList<DmJobRecord>> ListIdleJobsAsync(string state, DateTimeOffset before, CancellationToken cancellationToken = default)
    {
        lock (_lock)
            return ValueTask.FromResult<IReadOnlyList<DmJobRecord>>([.. _jobs.Where(j => j.State == state && j.UpdatedAt < before).OrderBy(j => j.UpdatedAt)]);
    }
}
