using System.Security.Cryptography;
using M2MSec.Storage.Audit;
using M2MSec.Storage.Dm;
using M2MSec.Storage.Hss;

namespace M2MSec.Tests.Storage;

/// <summary>
/// Issue 19: <see cref="IDmStore.InOneCommitAsync"/> — what a DM message changes (statuses, jobs taken, commands sent, the session's end)
/// commits once, all or nothing, in a store with transactions; without them (in memory) the calls still run, one by one.
/// </summary>
public abstract partial class StateStoreContract
{
    /// <summary>Whether the store's batches are transactions (SQL): in memory each call stands alone.</summary>
    protected virtual bool Transactional => true;

    private DmJobRecord Job(string id, params int[] seqs)
    {
        var now = Clock.GetUtcNow();
        return new DmJobRecord(id, "dev-19", "queued", now, now, [.. seqs.Select(q => new DmCommandRecord(id, q, "get", "./DevInfo/Mod", null, null, null))]);
    }

    [Fact]
    public async Task InOneCommit_OthersSeeNothingUntilItEnds_ThenEverything_TornDmMessageThreat()
    {
        var inside = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var ct = TestContext.Current.CancellationToken;
        var batch = Task.Run(async () => await Store.Dm.InOneCommitAsync(async () =>
        {
            await Store.Dm.AddJobAsync(Job("job-a", 1), new AuditRecord("dm-server", "dm.job.add", "dev-19", "job-a"), ct);
            Assert.True(await Store.Dm.SetJobStateAsync("job-a", "running", ["queued"], ct));
            await Store.Dm.MarkSentAsync("job-a", [1], ct);
            Assert.Equal(1, await Store.Dm.RecordResultsAsync([new DmCommandResult("job-a", 1, 200, "model")], ct));
            // A read inside the batch sees the batch's own writes.
            Assert.Equal("running", (await Store.Dm.FindJobAsync("job-a", ct))!.State);
            inside.SetResult();
            await release.Task;
            return 7;
        }, ct), ct);
        await inside.Task;

        if (Transactional)
            Assert.Null(await Store.Dm.FindJobAsync("job-a", ct)); // another flow: nothing of the batch before its commit
        release.SetResult();
        Assert.Equal(7, await batch);
        var job = await Store.Dm.FindJobAsync("job-a", ct);
        Assert.Equal("running", job!.State);
        Assert.Equal((200, "model"), (job.Commands[0].Status!.Value, job.Commands[0].Results));
        Assert.NotNull(job.Commands[0].SentAt);
    }

    [Fact]
    public async Task InOneCommit_BodyThrows_NothingOfItStays_TornDmMessageThreat()
    {
        if (!Transactional)
            return; // in memory each call stands alone: nothing to roll back (the contract says so)
        var ct = TestContext.Current.CancellationToken;
        await Store.Dm.AddJobAsync(Job("job-b", 1), ct);

        await Assert.ThrowsAsync<InvalidOperationException>(async () => await Store.Dm.InOneCommitAsync<int>(async () =>
        {
            Assert.True(await Store.Dm.SetJobStateAsync("job-b", "running", ["queued"], ct));
            await Store.Dm.AddJobAsync(Job("job-c", 1), ct);
            throw new InvalidOperationException("the reply could not be built");
        }, ct));

        Assert.Equal("queued", (await Store.Dm.FindJobAsync("job-b", ct))!.State);
        Assert.Null(await Store.Dm.FindJobAsync("job-c", ct));
        // The store is usable afterwards: the batch's connection and write gate were given back.
        Assert.True(await Store.Dm.SetJobStateAsync("job-b", "running", ["queued"], ct));
    }

    [Fact]
    public async Task InOneCommit_AWriteThatFailsInside_UndoesItsOwnPartOnly_TheRestCommits()
    {
        var ct = TestContext.Current.CancellationToken;
        await Store.Dm.InOneCommitAsync(async () =>
        {
            await Store.Dm.AddJobAsync(Job("job-d", 1), ct);
            // Two commands with one sequence number: the job's row goes in, its second command does not — the whole job is undone (SQL; the
            // store in memory takes both).
            if (Transactional)
                await Assert.ThrowsAnyAsync<Exception>(async () => await Store.Dm.AddJobAsync(Job("job-e", 1, 1), ct));
            await Store.Dm.AddJobAsync(Job("job-f", 1), ct);
            return 0;
        }, ct);

        Assert.NotNull(await Store.Dm.FindJobAsync("job-d", ct));
        Assert.NotNull(await Store.Dm.FindJobAsync("job-f", ct));
        if (Transactional)
            Assert.Null(await Store.Dm.FindJobAsync("job-e", ct));
    }

    [Fact]
    public async Task InOneCommit_Nested_JoinsTheOuter_AndOthersWaitForItsEnd()
    {
        var ct = TestContext.Current.CancellationToken;
        await Store.Dm.AddJobAsync(Job("job-g", 1), ct);
        var inside = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var batch = Task.Run(async () => await Store.Dm.InOneCommitAsync(async () =>
        {
            await Store.Dm.InOneCommitAsync(async () => await Store.Dm.SetJobStateAsync("job-g", "running", ["queued"], ct), ct);
            inside.SetResult();
            await release.Task;
            return await Store.Dm.SetJobStateAsync("job-g", "done", ["running"], ct);
        }, ct), ct);
        await inside.Task;

        // A writer outside waits for the batch (it would otherwise see "queued" and move it): its compare-and-swap loses afterwards.
        var other = Store.Dm.SetJobStateAsync("job-g", "failed", ["queued"], ct).AsTask();
        if (Transactional)
            Assert.False(other.IsCompleted);
        release.SetResult();
        Assert.True(await batch);
        Assert.False(await other);
        Assert.Equal("done", (await Store.Dm.FindJobAsync("job-g", ct))!.State);
    }

    [Fact]
    public async Task InOneCommit_AnInsertThatMeetsAnExistingKey_IsRefused_AndTheBatchGoesOn()
    {
        var ct = TestContext.Current.CancellationToken;
        var now = Clock.GetUtcNow();
        DmAccount Account(string user) => new("dev-19", "srv", user, "c"u8.ToArray(), "s"u8.ToArray(), "md5", "md5", now);
        await Store.Dm.InOneCommitAsync(async () =>
        {
            Assert.True(await Store.Dm.AddAccountAsync(Account("first"), ct));
            // Refused, not thrown — and in PostgreSQL the failed INSERT must not leave the batch's transaction aborted.
            Assert.False(await Store.Dm.AddAccountAsync(Account("second"), ct));
            await Store.Dm.AddJobAsync(Job("job-h", 1), ct);
            return 0;
        }, ct);

        Assert.Equal("first", (await Store.Dm.FindAccountAsync("dev-19", ct))!.ClientUser);
        Assert.NotNull(await Store.Dm.FindJobAsync("job-h", ct));
    }

    [Fact]
    public async Task InOneCommit_OfTheState_AChangeAndItsEntryInAnotherStore_BothOrNeither_TornRequestThreat()
    {
        // Decision 053: a request's changes in several of a function's stores (here the HSS's subscriber and the audit log) commit once.
        var ct = TestContext.Current.CancellationToken;
        HssSubscriber Subscriber(string imsi) => new(imsi, RandomNumberGenerator.GetBytes(16), RandomNumberGenerator.GetBytes(16), [0x80, 0]);
        var before = await Store.Audit.LastSequenceAsync(ct);
        var failed = Store.InOneCommitAsync<bool>(async () =>
        {
            Assert.True(await Store.Subscribers.AddAsync(Subscriber("001010000000531"), 0, ct));
            await Store.Audit.AppendAsync("hss", "subscriber.add", "001010000000531", null, ct);
            throw new InvalidOperationException("the disk filled before the answer");
        }, ct);
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await failed);
        if (Transactional)
        {
            Assert.Null(await Store.Subscribers.FindAsync("001010000000531", ct));
            Assert.Equal(before, await Store.Audit.LastSequenceAsync(ct));
        }

        Assert.True(await Store.InOneCommitAsync(async () =>
        {
            Assert.True(await Store.Subscribers.AddAsync(Subscriber("001010000000532"), 0, ct));
            await Store.Audit.AppendAsync("hss", "subscriber.add", "001010000000532", null, ct);
            return true;
        }, ct));
        Assert.NotNull(await Store.Subscribers.FindAsync("001010000000532", ct));
        Assert.Contains(await Store.Audit.ReadAsync(before, 100, ct), e => e.Subject == "001010000000532" && e.Action == "subscriber.add");
    }
}
