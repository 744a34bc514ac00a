using System.Net;
using System.Security.Cryptography;
using M2MSec.NetworkFunctions.Hosting;
using M2MSec.NetworkFunctions.Hss;
using M2MSec.Storage;
using M2MSec.Storage.Audit;
using M2MSec.Storage.Security;
using M2MSec.Storage.Sqlite;
using M2MSec.Tests.Support;

namespace M2MSec.Tests.Hss;

/// <summary>
/// Issue 19 (docs/decisions/053): `POST /subscribers` writes the subscriber and its audit entry in one commit. Before, they were two: a
/// failure (or a kill) between them left a subscriber the audit log never heard of.
/// </summary>
public sealed class HssAddSubscriberOneCommitTests : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("m2msec-hss-commit-").FullName;
    private IStateStore _state = null!;
    private NetworkFunctionHost _host = null!;
    private HttpClient _http = null!;

    public async ValueTask InitializeAsync()
    {
        _state = await SqliteStateStore.OpenAsync(Path.Combine(_dir, "store"), KeyRing.CreateEphemeral(), TimeProvider.System);
        _host = await NetworkFunctionHost.StartAsync(new HssFunction(), _dir, StateWithFailingCall.Wrap(_state, nameof(IStateStore.Audit), nameof(IAuditLog.AppendAsync)));
        _http = new HttpClient { BaseAddress = _host.Address };
    }

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        await _host.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task AddSubscriber_ItsAuditEntryFails_TheSubscriberIsNotStored_TornRequestThreat()
    {
        var ct = TestContext.Current.CancellationToken;
        var client = new HssClient(_http);

        var e = await Assert.ThrowsAnyAsync<Exception>(() => client.AddSubscriberAsync("001010000000533", RandomNumberGenerator.GetBytes(16),
            RandomNumberGenerator.GetBytes(16), new byte[] { 0x80, 0 }, ct));

        Assert.DoesNotContain("201", e.Message, StringComparison.Ordinal);
        Assert.Null(await _state.Subscribers.FindAsync("001010000000533", ct));
        Assert.Equal(HttpStatusCode.NotFound, (await _http.GetAsync("subscribers/001010000000533", ct)).StatusCode);
    }
}
