using M2MSec.Device.Dm;
using M2MSec.Device.M2me;
using M2MSec.Device.Tre;
using M2MSec.Dm;
using M2MSec.Dm.Auth;
using M2MSec.Dm.SyncMl;
using M2MSec.Nas;
using M2MSec.NetworkFunctions.Dm;
using M2MSec.Storage.Dm;
using M2MSec.Storage.InMemory;

namespace M2MSec.Tests.Dm.Client;

/// <summary>
/// Issue 16: the DM client answers a server credential that fails with SyncHdr 401 and a Chal carrying a fresh nonce
/// (OMA-TS-DM_Security-V1_2 §5.3), once per session, running none of that message's commands; the server keeps the nonce and
/// resends with a Cred over it. A server that kept an older nonce (the DPF SIGKILLed between keeping the device's last Chal and
/// answering) recovers within the session; a server without the password never gets a command run.
/// </summary>
public sealed class DmServerNonceResyncTests : IDisposable
{
    private const string ServerId = "m2msec-dm";
    private static readonly Uri ServerUri = new("https://dm.example/dm");
    private readonly string _dir = Directory.CreateTempSubdirectory("m2msec-dmresync-").FullName;
    private readonly InMemoryDmStore _store = new(TimeProvider.System);
    private readonly DmSessionEngine _engine;
    private readonly M2meDevice _device;

    public DmServerNonceResyncTests()
    {
        _engine = new DmSessionEngine(_store, ServerUri.ToString(), TimeProvider.System);
        _device = M2meDevice.Create(Path.Combine(_dir, "dev"), Path.Combine(_dir, "fuse"), "001010000000019", M2meKind.Tre);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private async Task<DmClient> ClientAsync(string auth, byte[] serverPasswordAtServer)
    {
        Assert.True(await _store.AddAccountAsync(new DmAccount(_device.Info.TreId, ServerId, "dev", "client-secret"u8.ToArray(), serverPasswordAtServer,
            auth, auth, DateTimeOffset.UtcNow)));
        var scheme = Enum.Parse<DmAuthScheme>(auth, true);
        return new DmClient(_device, new DmClientAccount(ServerId, ServerUri, "dev", "client-secret"u8.ToArray(), "server-secret"u8.ToArray(), scheme, scheme));
    }

    private async Task<string> QueueAsync(string uri, string value)
    {
        var id = Guid.NewGuid().ToString("N");
        await _store.AddJobAsync(new DmJobRecord(id, _device.Info.TreId, "queued", DateTimeOffset.UtcNow, DateTimeOffset.UtcNow,
            [.. DmJobReadBack.WithReadBack([("replace", uri, value)]).Select((c, i) => new DmCommandRecord(id, i + 1, c.Verb, c.Uri, c.Value, null, null))]));
        return id;
    }

    private async Task<DmJobRecord> JobAsync(string id) => (await _store.ListJobsAsync(_device.Info.TreId)).Single(j => j.Id == id);

    private Func<SyncMlWireMessage, CancellationToken, Task<SyncMlWireMessage>> Recording(List<(SyncMlMessage Up, SyncMlMessage Down)> log) => async (up, ct) =>
    {
        var down = await _engine.ExchangeXmlAsync(up, ct);
        log.Add((SyncMlXml.Parse(up.Body), SyncMlXml.Parse(down.Body)));
        return down;
    };

    private static StatusCommand? HeaderStatus(SyncMlMessage up) => up.Commands.OfType<StatusCommand>().FirstOrDefault(s => s.CmdRef == "0");

    [Theory]
    [InlineData("md5")]
    [InlineData("hmac")]
    public async Task StaleServerNonce_AfterServerKilledBeforeAnswering_ClientChallengesOnce_AndThePendingJobCompletes_NonceDesyncThreat(string auth)
    {
        var client = await ClientAsync(auth, "server-secret"u8.ToArray());
        Assert.True((await client.RunSessionAsync(_engine.ExchangeXmlAsync, TestContext.Current.CancellationToken)).Completed);
        // The server kept a nonce from the device's Chal but died before its answer reached the device: the device still holds
        // the one before (what a DPF SIGKILLed between the store write and the HTTP answer leaves).
        Assert.True(await _store.SetServerNonceAsync(_device.Info.TreId, DmNonce.New().ToWire(), TestContext.Current.CancellationToken));
        var job = await QueueAsync("./NASConfig/NAS_SignallingPriority", "1");

        var log = new List<(SyncMlMessage Up, SyncMlMessage Down)>();
        var outcome = await client.RunSessionAsync(Recording(log), TestContext.Current.CancellationToken);

        Assert.True(outcome.Completed, outcome.Detail);
        Assert.Equal("done", (await JobAsync(job)).State);
        Assert.Contains((NasParameters.NasSignallingPriority, 1), _device.ReadNasConfiguration(TreCaller.DeviceManagement).Values);
        // Exactly one challenge from the device: 401 with a Chal of its server-auth scheme; the commands of that message not run (407).
        var challenges = log.Where(l => HeaderStatus(l.Up)?.Code == DmStatusCode.InvalidCredentials).ToList();
        var challenge = Assert.Single(challenges).Up;
        Assert.Equal(DmAuthSchemeNames.TryParseAccountName(auth, out var scheme) ? scheme.ToWireName() : null, HeaderStatus(challenge)!.Chal!.Meta!.Type);
        Assert.All(challenge.Commands.OfType<StatusCommand>().Where(s => s.CmdRef != "0"), s => Assert.Equal(DmStatusCode.MissingCredentials, s.Code));
        Assert.Contains(challenge.Commands.OfType<StatusCommand>(), s => s.CmdRef != "0");

        // In step again: the next session needs no challenge.
        var next = new List<(SyncMlMessage Up, SyncMlMessage Down)>();
        await QueueAsync("./NASConfig/NAS_SignallingPriority", "0");
        Assert.True((await client.RunSessionAsync(Recording(next), TestContext.Current.CancellationToken)).Completed);
        Assert.DoesNotContain(next, l => HeaderStatus(l.Up)?.Code == DmStatusCode.InvalidCredentials);
    }

    [Theory]
    [InlineData("md5")]
    [InlineData("hmac")]
    public async Task ForgedServerCredential_ClientChallengesOnce_ExecutesNoCommand_ForgedServerThreat(string auth)
    {
        // A server that does not hold the device's server password (it has the client's account otherwise).
        var client = await ClientAsync(auth, "not-the-server-secret"u8.ToArray());
        var job = await QueueAsync("./NASConfig/NAS_SignallingPriority", "1");
        var log = new List<(SyncMlMessage Up, SyncMlMessage Down)>();

        var outcome = await client.RunSessionAsync(Recording(log), TestContext.Current.CancellationToken);

        Assert.False(outcome.Completed);
        Assert.Contains("did not authenticate", outcome.Detail, StringComparison.Ordinal);
        Assert.Equal(0, outcome.CommandsExecuted);
        Assert.Empty(_device.ReadNasConfiguration(TreCaller.DeviceManagement).Values);
        // Package 1 (challenged by the server on first contact, then with its Cred), then the device's one challenge; the server's
        // retry fails too and the session ends there (nothing more sent).
        var challenge = Assert.Single(log, l => HeaderStatus(l.Up)?.Code == DmStatusCode.InvalidCredentials);
        Assert.Same(log[^1].Up, challenge.Up);
        Assert.NotNull(HeaderStatus(challenge.Up)!.Chal?.Meta?.NextNonce);
        Assert.DoesNotContain(challenge.Up.Commands.OfType<StatusCommand>(), s => s.CmdRef != "0" && s.Code is >= 200 and < 300);
        Assert.DoesNotContain(challenge.Up.Commands, c => c is ResultsCommand);
        Assert.Contains(challenge.Down.Commands, c => c is ReplaceCommand); // the server did resend: the device refused it again
        Assert.All((await JobAsync(job)).Commands, c => Assert.Null(c.Status));
    }
}
