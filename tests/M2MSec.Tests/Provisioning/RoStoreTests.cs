using System.Security.Cryptography;
using M2MSec.Storage;
using M2MSec.Storage.Drf;
using M2MSec.Storage.Icf;
using M2MSec.Storage.InMemory;
using M2MSec.Storage.Security;
using M2MSec.Storage.Sqlite;
using M2MSec.Tests.Support;

namespace M2MSec.Tests.Provisioning;

/// <summary>
/// Issue 15 (H3), schema v13: the ICF's pending K_RO and used PCIDs, the DRF's bootstrap requests and registrations — the
/// same behaviour in memory and in SQLite; K_RO is wrapped at rest (never in the database file), taken once, expires.
/// </summary>
public sealed class RoStoreTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("m2msec-rostore-").FullName;
    private readonly HostClock _clock = new(DateTimeOffset.UtcNow);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private async Task<IStateStore> OpenAsync(string backend) => backend == "sqlite"
        ? await SqliteStateStore.OpenAsync(_dir, KeyRing.CreateEphemeral(), _clock)
        : new InMemoryStateStore(_clock);

    [Theory]
    [InlineData("memory")]
    [InlineData("sqlite")]
    public async Task PendingKRo_TakenOnce_ExpiresAfterItsLifetime_PcidUseRecordedOnce(string backend)
    {
        await using var store = await OpenAsync(backend);
        var rand = RandomNumberGenerator.GetBytes(16);
        var kRo = RandomNumberGenerator.GetBytes(32);
        await store.Icf.AddPendingKeyAsync("001900000000001", rand, kRo, _clock.GetUtcNow().AddMinutes(5));
        Assert.Null(await store.Icf.TakePendingKeyAsync("001900000000002", rand));
        Assert.Equal(kRo, await store.Icf.TakePendingKeyAsync("001900000000001", rand));
        Assert.Null(await store.Icf.TakePendingKeyAsync("001900000000001", rand));

        var other = RandomNumberGenerator.GetBytes(16);
        await store.Icf.AddPendingKeyAsync("001900000000001", other, kRo, _clock.GetUtcNow().AddMinutes(5));
        _clock.Advance(TimeSpan.FromMinutes(6));
        Assert.Null(await store.Icf.TakePendingKeyAsync("001900000000001", other));

        var use = new IcfPcidUse("001900000000001", "bootstrapped", "10.45.1.1", _clock.GetUtcNow());
        Assert.True(await store.Icf.TryRecordUseAsync(use));
        Assert.False(await store.Icf.TryRecordUseAsync(use with { IpAddress = "10.45.1.2" }));
        Assert.Equal("10.45.1.1", (await store.Icf.FindUseAsync("001900000000001"))!.IpAddress);
        Assert.True(await store.Icf.ClearUseAsync("001900000000001"));
        Assert.Null(await store.Icf.FindUseAsync("001900000000001"));
    }

    [Theory]
    [InlineData("memory")]
    [InlineData("sqlite")]
    public async Task DrfState_Assignments_BootstrapRequestTakenOnce_RegistrationMovesByCompareAndSwap(string backend)
    {
        await using var store = await OpenAsync(backend);
        await store.Drf.SetAssignmentAsync("001900000000001", "sho-a");
        await store.Drf.SetAssignmentAsync("001900000000001", "sho-b");
        Assert.Equal("sho-b", await store.Drf.FindAssignmentAsync("001900000000001"));
        var kRo = RandomNumberGenerator.GetBytes(32);
        await store.Drf.PutBootstrapRequestAsync(new DrfBootstrapRequest("001900000000001", "10.45.1.1", kRo, _clock.GetUtcNow().AddMinutes(10)));
        var taken = await store.Drf.TakeBootstrapRequestAsync("001900000000001");
        Assert.Equal(kRo, taken!.KRo);
        Assert.Equal("10.45.1.1", taken.IpAddress);
        Assert.Null(await store.Drf.TakeBootstrapRequestAsync("001900000000001"));

        await store.Drf.PutRegistrationAsync(new DrfRegistration("001900000000001", "sho-b", "https://127.0.0.1:1/dm", "TRE-1", "bootstrapped", _clock.GetUtcNow()));
        Assert.True(await store.Drf.TryMoveRegistrationAsync("001900000000001", "bootstrapped", "registering"));
        Assert.False(await store.Drf.TryMoveRegistrationAsync("001900000000001", "bootstrapped", "registering"));
        Assert.Equal("registering", (await store.Drf.FindRegistrationAsync("001900000000001"))!.State);
    }

    [Fact]
    public async Task KRo_IsWrappedAtRest_InTheSqliteFile()
    {
        var kRo = RandomNumberGenerator.GetBytes(32);
        await using (var store = await SqliteStateStore.OpenAsync(_dir, KeyRing.CreateEphemeral(), _clock))
        {
            await store.Icf.AddPendingKeyAsync("001900000000001", RandomNumberGenerator.GetBytes(16), kRo, _clock.GetUtcNow().AddMinutes(5));
            await store.Drf.PutBootstrapRequestAsync(new DrfBootstrapRequest("001900000000001", "10.45.1.1", kRo, _clock.GetUtcNow().AddMinutes(10)));
        }
        var bytes = Directory.EnumerateFiles(_dir).SelectMany(File.ReadAllBytes).ToArray();
        Assert.True(bytes.Length > 0);
        Assert.True(bytes.AsSpan().IndexOf(kRo) < 0, "K_RO appears in clear in the database");
    }
}
