using M2MSec.NetworkFunctions.Dpf;
using M2MSec.NetworkFunctions.Hosting;
using M2MSec.NetworkFunctions.Sho;
using M2MSec.Storage;
using M2MSec.Storage.Dpf;
using M2MSec.Storage.InMemory;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace M2MSec.Tests.Provisioning;

/// <summary>
/// Issue 15/16 (resumable provisioning): the DPF's step-21 report reaches the SHO even when the SHO was away at the moment of the
/// install — the DPF keeps the outcome unreported and tries again, once it went through never again.
/// </summary>
public sealed class DpfStatusReportTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("m2msec-dpf-report-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    /// <summary>A SHO that is away (503) for its first <paramref name="awayFor"/> reports, then takes them; 409 once it has one.</summary>
    private sealed class FlakySho(int awayFor) : INetworkFunction
    {
        public int Calls;
        public int Taken;

        public string Role => "sho";

        public void ConfigureServices(IServiceCollection services, string dataDirectory)
        {
        }

        public void MapEndpoints(WebApplication app) => app.MapPost("/registrations/{pcid}/status", (string pcid) =>
        {
            var call = Interlocked.Increment(ref Calls);
            if (call <= awayFor)
                return Results.StatusCode(StatusCodes.Status503ServiceUnavailable);
            return Interlocked.Increment(ref Taken) == 1
                ? Results.Ok(new ShoSubscriptionState(pcid, "active", "001010000000001"))
                : ApiProblem.Conflict("not-downloading", "already active");
        });
    }

    [Fact]
    public async Task InstallReportedWhileTheShoWasAway_IsReportedOnceItIsBack_ExactlyOnce_LostStatusThreat()
    {
        var ct = TestContext.Current.CancellationToken;
        var sho = new FlakySho(awayFor: 2);
        var peers = new NetworkFunctionPeers();
        await using var shoHost = await NetworkFunctionHost.StartAsync(sho, Path.Combine(_dir, "sho"), new InMemoryStateStore(), cancellationToken: ct, peers: peers);
        peers.Set("sho", shoHost.Address);
        await using var dpfHost = await NetworkFunctionHost.StartAsync(new DpfFunction(), Path.Combine(_dir, "dpf"), new InMemoryStateStore(), cancellationToken: ct,
            peers: peers);
        var store = dpfHost.Services.GetRequiredService<IStateStore>().Dpf;
        var now = DateTimeOffset.UtcNow;
        Assert.True(await store.AddAsync(new DpfProvisioning("001900000000077", "sho", DpfProvisioning.Installed, now, now, Result: "installed"), ct));
        var provisionings = dpfHost.Services.GetRequiredService<DpfProvisionings>();

        // The reporter in the host may have tried already; drive it by hand until the SHO is back.
        for (var i = 0; i < 5 && !(await store.FindAsync("001900000000077", ct))!.ReportedToSho; i++)
            await provisionings.ReportPendingAsync(ct);

        Assert.True((await store.FindAsync("001900000000077", ct))!.ReportedToSho);
        Assert.Equal(1, sho.Taken);
        Assert.Equal(0, await provisionings.ReportPendingAsync(ct)); // nothing pending: never reported twice
        Assert.Equal(1, sho.Taken);
    }
}
