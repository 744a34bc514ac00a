using M2MSec.NetworkFunctions.Sho;
using Microsoft.Extensions.Time.Testing;

namespace M2MSec.Tests.Provisioning;

/// <summary>
/// Issue 19: the CCIF asks the SHO for its signing root once per lifetime, not once per device manufactured; the DPF no longer keeps
/// a root forever — both take a rotated root after the lifetime, each SHO its own.
/// </summary>
public sealed class ShoSigningRootCacheTests
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private int _fetches;

    [Fact]
    public async Task ManyManufactures_OneFetchPerLifetime()
    {
        var cache = new ShoSigningRootCache<byte[]>(_time, TimeSpan.FromMinutes(5));
        var root = new byte[] { 1, 2, 3 };

        for (var i = 0; i < 50; i++)
            Assert.Equal(root, await cache.GetAsync("sho", Fetch(root), TestContext.Current.CancellationToken));

        Assert.Equal(1, _fetches);
    }

    /// <summary>A rotated SHO root reaches the devices made after the lifetime: the old one is never given out past it.</summary>
    [Fact]
    public async Task AfterTheLifetime_TheRotatedRootIsFetched_StaleShoRootThreat()
    {
        var cache = new ShoSigningRootCache<byte[]>(_time, TimeSpan.FromMinutes(1));
        var old = new byte[] { 1 };
        var rotated = new byte[] { 2 };
        await cache.GetAsync("sho", Fetch(old), TestContext.Current.CancellationToken);

        _time.Advance(TimeSpan.FromSeconds(59));
        var within = await cache.GetAsync("sho", Fetch(rotated), TestContext.Current.CancellationToken);
        _time.Advance(TimeSpan.FromSeconds(1));
        var after = await cache.GetAsync("sho", Fetch(rotated), TestContext.Current.CancellationToken);

        Assert.Equal(old, within);
        Assert.Equal(rotated, after);
        Assert.Equal(2, _fetches);
    }

    [Fact]
    public async Task FailedFetch_IsNotKept_TheNextManufactureAsksAgain()
    {
        var cache = new ShoSigningRootCache<byte[]>(_time, TimeSpan.FromMinutes(5));

        Assert.Null(await cache.GetAsync("sho", Fetch(null), TestContext.Current.CancellationToken));
        Assert.Equal([9], await cache.GetAsync("sho", Fetch([9]), TestContext.Current.CancellationToken));
        Assert.Equal(2, _fetches);
    }

    [Fact]
    public async Task EachSho_HasItsOwnRoot_NeverAnothersSignatureRoot()
    {
        var cache = new ShoSigningRootCache<byte[]>(_time, TimeSpan.FromMinutes(5));

        Assert.Equal([1], await cache.GetAsync("sho", Fetch([1]), TestContext.Current.CancellationToken));
        Assert.Equal([2], await cache.GetAsync("sho-b", Fetch([2]), TestContext.Current.CancellationToken));
        Assert.Equal([1], await cache.GetAsync("sho", Fetch([9]), TestContext.Current.CancellationToken));
        Assert.Equal(2, _fetches);
    }

    /// <summary>The DPF's fetch throws when the SHO cannot be reached: nothing is kept, and the next verification asks again.</summary>
    [Fact]
    public async Task ThrownFetch_IsNotKept()
    {
        var cache = new ShoSigningRootCache<byte[]>(_time, TimeSpan.FromMinutes(5));

        await Assert.ThrowsAsync<HttpRequestException>(() => cache.GetAsync("sho", _ => throw new HttpRequestException("unreachable"), TestContext.Current.CancellationToken));
        Assert.Equal([3], await cache.GetAsync("sho", Fetch([3]), TestContext.Current.CancellationToken));
    }

    private Func<CancellationToken, Task<byte[]?>> Fetch(byte[]? root) => _ =>
    {
        _fetches++;
        return Task.FromResult(root);
    };
}
