using M2MSec.Storage.Bsf;

namespace M2MSec.Tests.Storage;

public abstract partial class StateStoreContract
{
    private static readonly byte[] GbaKs = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();

    /// <summary>
    /// Issue 18, schema v25: a Digest AKA challenge is taken once — of 20 concurrent takers exactly one gets it, with XRES and Ks as
    /// stored; an expired one is nobody's (nonce single use, ReplayThreat).
    /// </summary>
    [Fact]
    public async Task BsfChallenge_TakenExactlyOnce_EvenConcurrently_ExpiredIsNobodys_ReplayThreat()
    {
        var now = Clock.GetUtcNow();
        await Store.Bsf.PutChallengeAsync(new BsfChallenge("c1", "i@x", new byte[16], [1, 2, 3, 4], GbaKs, "gba_u", now.AddMinutes(1)));
        var takers = await Task.WhenAll(Enumerable.Range(0, 20).Select(async _ => await Store.Bsf.TakeChallengeAsync("c1")));
        var taken = Assert.Single(takers, t => t is not null)!;
        Assert.Equal(("i@x", "gba_u"), (taken.Impi, taken.GbaType));
        Assert.Equal(new byte[] { 1, 2, 3, 4 }, taken.Xres);
        Assert.Equal(GbaKs, taken.Ks);
        Assert.Null(await Store.Bsf.TakeChallengeAsync("c1"));

        await Store.Bsf.PutChallengeAsync(new BsfChallenge("c2", "i@x", new byte[16], [1], GbaKs, "gba_me", now.AddMinutes(1)));
        Clock.Advance(TimeSpan.FromMinutes(2));
        Assert.Null(await Store.Bsf.TakeChallengeAsync("c2"));
        Assert.Null(await Store.Bsf.TakeChallengeAsync("c2"));
    }

    /// <summary>Issue 18: a bootstrapping context round-trips (Ks as stored, times to the millisecond), expired ones are still found (410, not 404).</summary>
    [Fact]
    public async Task BsfContext_RoundTrips_ExpiredStillFound_GussPerImsi()
    {
        var at = DateTimeOffset.FromUnixTimeSeconds(Clock.GetUtcNow().ToUnixTimeSeconds());
        var context = new BsfBootstrappingContext("AAAAAAAAAAAAAAAAAAAAAA==@bsf", "i@x", Enumerable.Repeat((byte)7, 16).ToArray(), GbaKs, "gba_me", at, at.AddHours(1));
        await Store.Bsf.PutContextAsync(context);
        var found = await Store.Bsf.FindContextAsync(context.BTid);
        Assert.Equal((context.Impi, context.GbaType, context.BootstrappedAt, context.ExpiresAt), (found!.Impi, found.GbaType, found.BootstrappedAt, found.ExpiresAt));
        Assert.Equal(GbaKs, found.Ks);
        Assert.Equal(context.Rand, found.Rand);
        Assert.Null(await Store.Bsf.FindContextAsync("BBBB@bsf"));
        Clock.Advance(TimeSpan.FromHours(2));
        Assert.NotNull(await Store.Bsf.FindContextAsync(context.BTid));

        Assert.Null(await Store.Guss.FindGbaTypeAsync("001010000000001"));
        await Store.Guss.SetGbaTypeAsync("001010000000001", "gba_u");
        await Store.Guss.SetGbaTypeAsync("001010000000002", "gba_me");
        await Store.Guss.SetGbaTypeAsync("001010000000001", "gba_me");
        Assert.Equal("gba_me", await Store.Guss.FindGbaTypeAsync("001010000000001"));
    }
}
