using M2MSec.NetworkFunctions.Dpf;
using M2MSec.NetworkFunctions.Hosting;
using M2MSec.Storage;
using M2MSec.Storage.Dpf;
using M2MSec.Tests.Support;

namespace M2MSec.Tests.Provisioning;

/// <summary>
/// Issue 19 (docs/decisions/055): the DPF writes a request's changes and the DM job it queues in one commit. Before, `POST /provisionings`
/// made four (DM account, provisioning, read job, entry): a failure between them left a provisioning with no read job and an account no
/// provisioning owned, and of two creates for one PCID at once the loser replaced the winner's account. Run per store.
/// </summary>
public abstract class DpfOneCommitContract : StateTest
{
    private const string Pcid = "001010000005501";

    private static CreateProvisioningRequest Request(string sho = "sho") =>
        new(Pcid, sho, new DmAccountDto("m2msec-dpf", "dev-" + Pcid, "client-password-" + sho, "server-password-" + sho, "hmac", "hmac"));

    [Fact]
    public async Task CreateProvisioning_ItsReadJobFails_NoProvisioningAndNoAccountStay_TornRequestThreat()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var host = await NetworkFunctionHost.StartAsync(new DpfFunction(), Path.Combine(Dir, "dpf"),
            StateWithFailingCall.Wrap(State, nameof(IStateStore.Dm), "AddJobAsync"), cancellationToken: ct);
        using var http = new HttpClient { BaseAddress = host.Address };

        await Assert.ThrowsAnyAsync<HttpRequestException>(() => new DpfClient(http).CreateProvisioningAsync(Request(), ct));

        Assert.Null(await State.Dpf.FindAsync(Pcid, ct));
        Assert.Null(await State.Dm.FindAccountAsync(Pcid, ct));
        Assert.Empty(await State.Dm.ListJobsAsync(Pcid, ct));
        Assert.DoesNotContain(await State.Audit.ReadAsync(cancellationToken: ct), e => e.Action == "dpf.provisioning.create");
    }

    [Fact]
    public async Task CreateProvisioning_TwoAtOnceForOnePcid_OneWins_TheOtherWritesNothing_AccountHijackThreat()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var host = await NetworkFunctionHost.StartAsync(new DpfFunction(), Path.Combine(Dir, "dpf"), State, cancellationToken: ct);
        using var http = new HttpClient { BaseAddress = host.Address };
        var client = new DpfClient(http);

        var tries = await Task.WhenAll(new[] { "sho", "sho-b" }.Select(async sho =>
        {
            try
            {
                await client.CreateProvisioningAsync(Request(sho), ct);
                return sho;
            }
            catch (HttpRequestException e) when (e.StatusCode == System.Net.HttpStatusCode.Conflict)
            {
                return null;
            }
        }));

        // One provisioning, and its DM account the winner's: the loser's Bootstrap credentials must not replace it.
        await AssertProvisionedForAsync(Assert.Single(tries, t => t is not null)!, ct);
    }

    [Fact]
    public async Task CreateProvisioning_WritesProvisioningAccountReadJobAndEntry()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var host = await NetworkFunctionHost.StartAsync(new DpfFunction(), Path.Combine(Dir, "dpf"), State, cancellationToken: ct);
        using var http = new HttpClient { BaseAddress = host.Address };

        var created = await new DpfClient(http).CreateProvisioningAsync(Request(), ct);

        Assert.Equal(Pcid, created.Pcid);
        await AssertProvisionedForAsync("sho", ct);
    }

    /// <summary>One provisioning of <see cref="Pcid"/>, being read, for <paramref name="sho"/>: that request's DM account, its read job, one entry.</summary>
    private async Task AssertProvisionedForAsync(string sho, CancellationToken ct)
    {
        var p = await State.Dpf.FindAsync(Pcid, ct);
        Assert.Equal(DpfProvisioning.Reading, p!.State);
        Assert.Equal(sho, p.ShoId);
        Assert.Equal("client-password-" + sho, System.Text.Encoding.UTF8.GetString((await State.Dm.FindAccountAsync(Pcid, ct))!.ClientPassword));
        Assert.Equal(p.ReadJobId, Assert.Single(await State.Dm.ListJobsAsync(Pcid, ct)).Id);
        Assert.Single(await State.Audit.ReadAsync(cancellationToken: ct), e => e.Action == "dpf.provisioning.create" && e.Subject == Pcid);
    }
}

public sealed class SqliteDpfOneCommitTests : DpfOneCommitContract
{
    protected override Task<IStateStore> OpenStateAsync() => OpenSqliteAsync();
}

public sealed class PostgresDpfOneCommitTests(PostgresServer server) : DpfOneCommitContract
{
    protected override Task<IStateStore> OpenStateAsync() => OpenPostgresAsync(server);
}
