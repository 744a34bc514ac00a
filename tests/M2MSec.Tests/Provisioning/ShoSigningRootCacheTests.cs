using M2MSec.NetworkFunctions.Ccif;
using Microsoft.Extensions.Time.Testing;

namespace M2MSec.Tests.Provisioning;

/// <summary>Issue 19: the CCIF asks the SHO for its signing root once per lifetime, not once per device manufactured.</summary>
public sealed class ShoSigningRootCacheTests
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private int _fetches;

    [Fact]
    public async Task ManyManufactures_OneFetchPerLifetime()
    {
        var cache = new ShoSigningRootCache(_time, new CcifOptions());
        var root = new byte[] { 1, 2, 3 };

        for (var i = 0; i < 50; i++)
            Assert.Equal(root, await cache.GetAsync(Fetch(root), TestContext.Current.CancellationToken));

        Assert.Equal(1, _fetches);
    }

    /// <summary>A rotated SHO root reaches the devices made after the lifetime: the old one is never given out past it.</summary>
    [Fact]
    public async Task AfterTheLifetime_TheRotatedRootIsFetched_StaleShoRootThreat()
    {
        var cache = new ShoSigningRootCache(_time, new CcifOptions { ShoSigningRootLifetime = TimeSpan.FromMinutes(1) });
        var old = new byte[] { 1 };
        var rotated = new byte[] { 2 };
        await cache.GetAsync(Fetch(old), TestContext.Current.CancellationToken);

        _time.Advance(TimeSpan.FromSeconds(59));
        var within = await cache.GetAsync(Fetch(rotated), TestContext.Current.CancellationToken);
        _time.Advance(TimeSpan.FromSeconds(1));
        var after = await cache.GetAsync(Fetch(rotated), TestContext.Current.CancellationToken);

        Assert.Equal(old, within);
        Assert.Equal(rotated, after);
        Assert.Equal(2, _fetches);
    }

    [Fact]
    public async Task FailedFetch_IsNotKept_TheNextManufactureAsksAgain()
    {
        var cache = new ShoSigningRootCache(_time, new CcifOptions());

        Assert.Null(await cache.GetAsync(Fetch(null), TestContext.Current.CancellationToken));
        Assert.Equal([9], await cache.GetAsync(Fetch([9]), TestContext.Current.CancellationToken));
        Assert.Equal(2, _fetches);
    }

    private Func<CancellationToken, Task<byte[]?>> Fetch(byte[]? root) => _ =>
    {
        _fetches++;
        return Task.FromResult(root);
    };
}
