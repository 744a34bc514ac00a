using M2MSec.Storage.Security;
using M2MSec.Storage.Sqlite;
using Microsoft.Data.Sqlite;

namespace M2MSec.Tests.Storage;

/// <summary>
/// Issue 19: a lookup of one row is a read — SQLite's WAL readers never wait for the writer — so it takes no write gate (it waited
/// behind every commit's fsync) and is no durable commit in the fleet bound (a third of the demo's "commits" were such lookups).
/// </summary>
public sealed class SqlReadGateTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("m2msec-readgate-").FullName;

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task Lookups_DoNotWaitForAWriter_ButWritesDo_OverstatedFleetBoundThreat()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var store = await SqliteStateStore.OpenAsync(_dir, KeyRing.CreateEphemeral(), cancellationToken: ct);
        var gate = new SqliteDialect(Path.Combine(_dir, SqliteStateStore.FileName)).WriteGate!;
        await gate.WaitAsync(ct); // a writer holds the store's write gate (as during its commit)
        Task write;
        try
        {
            // Each completes while the writer holds the gate.
            Task[] lookups =
            [
                store.Certificates.FindAsync("operator", "01", ct).AsTask(),
                store.Certificates.FindHierarchyAsync("operator", ct).AsTask(),
                store.Subscribers.FindAsync("001010000000001", ct).AsTask(),
                store.Subscribers.GetSqnStateAsync("001010000000001", ct).AsTask(),
                store.Dm.FindAccountAsync("dev-1", ct).AsTask(),
                store.OtaKeySets.FindAsync("8988000000000000001", 1, ct).AsTask(),
                store.OtaJobs.FindAsync("job-1", ct).AsTask(),
                store.Sho.FindAsync("pcid-1", ct).AsTask(),
                store.Icf.FindUseAsync("pcid-1", ct).AsTask(),
                store.Vno.FindUplinkAsync("001010000000001", ct).AsTask(),
            ];
            await Task.WhenAll(lookups).WaitAsync(TimeSpan.FromSeconds(10), ct);

            // A write waits for the gate.
            write = store.Certificates.RevokeAsync("operator", "01", 1, ct).AsTask();
            await Task.Delay(200, ct);
            Assert.False(write.IsCompleted);
        }
        finally
        {
            gate.Release();
        }
        await write.WaitAsync(TimeSpan.FromSeconds(10), ct);
    }
}
