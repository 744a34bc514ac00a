using System.Net.Sockets;
using System.Security.Cryptography;
using M2MSec.Device.Uicc;
using M2MSec.Ota.RemoteApdu;
using M2MSec.Ota.Scp81;
using M2MSec.Tests.Support;

namespace M2MSec.Tests.Ota;

/// <summary>
/// Decision 057: the SCP81 admin server's listener against peers that connect and say nothing, or say it one octet at a time, or
/// come in numbers — before any PSK is checked. Each session has a thread of its own (never the thread pool), a deadline, and a
/// cap on how many run at once.
/// </summary>
public sealed class Scp81ListenerThreatTests
{
    private const string Identity = "8988211000000000709";
    private readonly byte[] _psk = RandomNumberGenerator.GetBytes(16);

    [Fact]
    public async Task IdleConnections_HoldNoPoolThread_ACardIsStillServed_SlowlorisThreat()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = new Scp81AdminServer(id => id == Identity ? _psk : null);
        // Before decision 057 each silent connection held a pool thread in BouncyCastle's blocking handshake: the card waited
        // 4–29 s for the pool to grow past them.
        var served = 0;
        var elapsed = await SilentPeers.TimeWhileHeldAsync(server.EndPoint, server.SessionGate, Scp81AdminServer.SessionThreadName,
            async () => served = await CardSessionAsync(server, ct), ct);
        Assert.Equal(1, served);
        Assert.True(elapsed < TimeSpan.FromSeconds(10), $"the card waited {elapsed.TotalSeconds:F1} s behind 64 silent connections");
    }

    [Fact]
    public async Task OctetByOctet_ClosedAtTheDeadline_SlowlorisThreat()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = new Scp81AdminServer(id => id == Identity ? _psk : null, sessions: new PskTlsSessionGate(8, TimeSpan.FromSeconds(1)));
        using var client = new TcpClient();
        await client.ConnectAsync(server.EndPoint, ct);
        var stream = client.GetStream();
        // A TLS record header, one octet every 100 ms: each read is answered in time, the whole never completes.
        byte[] header = [0x16, 0x03, 0x03, 0x40, 0x00];
        var closed = false;
        for (var i = 0; i < 200 && !closed; i++)
        {
            try
            {
                await stream.WriteAsync(header.AsMemory(i % header.Length, 1), ct);
                await Task.Delay(100, ct);
                closed = !client.Client.Connected || (client.Client.Poll(0, SelectMode.SelectRead) && client.Client.Available == 0);
            }
            catch (IOException)
            {
                closed = true;
            }
        }
        Assert.True(closed, "the server kept a connection that never finished its handshake");
        Assert.Equal(1, server.SessionGate.ClosedAtDeadline);
        await Eventually.HoldsAsync(() => server.SessionGate.OpenSessions == 0, ct);
    }

    [Fact]
    public async Task ConnectionsBeyondTheCap_ClosedUnread_ThenCardsServedAgain_ConnectionFloodThreat()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = new Scp81AdminServer(id => id == Identity ? _psk : null, sessions: new PskTlsSessionGate(2, TimeSpan.FromMinutes(1)));
        var idle = await SilentPeers.ConnectAsync(server.EndPoint, 2, ct);
        await Eventually.HoldsAsync(() => server.SessionGate.OpenSessions == 2, ct);
        using (var third = new TcpClient())
        {
            await third.ConnectAsync(server.EndPoint, ct);
            using var within = CancellationTokenSource.CreateLinkedTokenSource(ct);
            within.CancelAfter(TimeSpan.FromSeconds(10));
            var read = await ReadOrResetAsync(third.GetStream(), within.Token);
            Assert.Equal(0, read); // closed by the server, nothing sent
        }
        Assert.Equal(1, server.SessionGate.TurnedAway);
        idle.ForEach(c => c.Dispose());
        await Eventually.HoldsAsync(() => server.SessionGate.OpenSessions == 0, ct);
        Assert.Equal(1, await CardSessionAsync(server, ct));
    }

    [Fact]
    public async Task SynchronousStream_ReadsAndWritesOnTheCallersThread_NotThePools()
    {
        var inner = new MemoryStream();
        var stream = new SynchronousStream(inner);
        var write = stream.WriteAsync("abc"u8.ToArray(), TestContext.Current.CancellationToken);
        Assert.True(write.IsCompleted); // done before it returned: nothing was queued to the pool
        await write;
        inner.Position = 0;
        var buffer = new byte[8];
        var read = stream.ReadAsync(buffer, TestContext.Current.CancellationToken);
        Assert.True(read.IsCompleted);
        Assert.Equal(3, await read);
        Assert.Equal("abc"u8.ToArray(), buffer[..3]);
        Assert.False(stream.CanSeek);
    }

    [Fact]
    public void Gate_RefusesNonsenseLimits()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new PskTlsSessionGate(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new PskTlsSessionGate(1, TimeSpan.Zero));
    }

    /// <summary>A card's whole session with one queued script: 1 when the card ran it and reported back.</summary>
    private async Task<int> CardSessionAsync(Scp81AdminServer server, CancellationToken ct)
    {
        server.Enqueue(Identity, RemoteCommandScript.EncodeExpanded([new(0x00, 0xA4, 0x04, 0x0C, UiccProfile.UsimAid, null)]));
        var files = UiccProfile.Create(Identity, "001010000000709");
        var agent = new Scp81CardAgent(Identity, _psk, $"//se-id/iccid/{Identity}", commands => [.. commands.Select(c => files.Execute(files.NewSession(), c))]);
        return await agent.RunSessionAsync(server.EndPoint, ct);
    }

    /// <summary>Octets read, 0 at end of stream; a reset counts as closed (0).</summary>
    private static async Task<int> ReadOrResetAsync(Stream stream, CancellationToken ct)
    {
        try
        {
            return await stream.ReadAsync(new byte[16], ct);
        }
        catch (IOException)
        {
            return 0;
        }
    }
}
