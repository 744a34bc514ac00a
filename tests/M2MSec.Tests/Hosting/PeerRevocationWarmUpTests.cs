using System.Security.Cryptography.X509Certificates;
using M2MSec.NetworkFunctions.Hosting;
using M2MSec.Pki;
using M2MSec.Pki.Ocsp;
using M2MSec.Pki.Validation;
using M2MSec.Tests.Pki.Ocsp;
using Microsoft.Extensions.Time.Testing;

namespace M2MSec.Tests.Hosting;

/// <summary>
/// Issue 19: a checker's warm-up asks about its peers <see cref="PeerRevocationChecker.WarmUpBatch"/> to a request (RFC 6960
/// §4.1.1) against an in-process responder, counting the queries; what a batch answer does not settle is asked about alone.
/// </summary>
public sealed class PeerRevocationWarmUpTests : IDisposable
{
    private static readonly DateTimeOffset Start = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds());

    private readonly OcspTestPki _pki = OcspTestPki.Create();
    private readonly FakeTimeProvider _time = new(Start);
    private readonly Dictionary<string, OcspCertificateStatus> _statuses = [];
    private readonly List<X509Certificate2> _leaves = [];
    private int _queries;

    public void Dispose()
    {
        foreach (var leaf in _leaves)
            leaf.Dispose();
        _pki.Dispose();
    }

    [Fact]
    public async Task WarmUp_AsksAboutSixteenPeersPerQuery_AndCachesEachOnesOwnVerdict()
    {
        using var responder = Responder(new OcspResponderOptions());
        var peers = Peers(20, revoked: 7);
        var checker = Checker(responder);

        await checker.WarmUpAsync(peers);
        var afterWarmUp = _queries;
        var verdicts = peers.Select(checker.CheckWithoutWaiting).ToArray();
        await checker.WarmUpAsync(peers); // all cached: no query

        Assert.Equal(2, afterWarmUp); // 16 + 4, not 20
        Assert.Equal(2, _queries);
        Assert.Equal(19, verdicts.Count(v => v.IsValid));
        Assert.Equal(RefusalReason.Revoked, verdicts[7].Reason);
    }

    /// <summary>An RFC 5019 responder takes one CertID per request (malformedRequest for more): each peer is then asked about alone, none left unchecked.</summary>
    [Fact]
    public async Task WarmUp_ResponderTakingOneCertIdPerRequest_AsksAboutEachAlone()
    {
        using var responder = Responder(new OcspResponderOptions { MaxRequestsPerMessage = 1 });
        var peers = Peers(5, revoked: 2);
        var checker = Checker(responder);

        await checker.WarmUpAsync(peers);
        var afterWarmUp = _queries;
        var verdicts = peers.Select(checker.CheckWithoutWaiting).ToArray();

        Assert.Equal(1 + 5, afterWarmUp);
        Assert.Equal(6, _queries);
        Assert.Equal(4, verdicts.Count(v => v.IsValid));
        Assert.Equal(RefusalReason.Revoked, verdicts[2].Reason);
    }

    /// <summary>
    /// A batch answer replayed from an earlier warm-up (all "good" then) carries the old nonce: nothing in it is cached, each
    /// peer is asked about alone, and the one revoked since is refused.
    /// </summary>
    [Fact]
    public async Task WarmUp_ReplayedBatchAnswer_NothingCachedFromIt_RevokedSinceIsRefused_ReplayedBatchAnswerThreat()
    {
        using var responder = Responder(new OcspResponderOptions());
        var peers = Peers(3, revoked: null);
        byte[]? recorded = null;
        var first = new PeerRevocationChecker([_pki.Issuing], der => throw new InvalidOperationException("not in a handshake"), async (der, ct) =>
        {
            recorded = await responder.RespondAsync(der, ct);
            return recorded;
        }, _time);
        await first.WarmUpAsync(peers);
        _statuses[CertificateSerial.Of(peers[1])] = OcspCertificateStatus.Revoked(Start, 1);
        var replaying = new PeerRevocationChecker([_pki.Issuing], der => throw new InvalidOperationException("not in a handshake"), async (der, ct) =>
        {
            Interlocked.Increment(ref _queries);
            // The batch gets the recorded answer; single requests reach the responder.
            return new Org.BouncyCastle.Ocsp.OcspReq(der).GetRequestList().Length > 1 ? recorded! : await responder.RespondAsync(der, ct);
        }, _time);

        await replaying.WarmUpAsync(peers);
        var verdicts = peers.Select(replaying.CheckWithoutWaiting).ToArray();

        Assert.Equal(1 + 3, _queries);
        Assert.Equal([true, false, true], verdicts.Select(v => v.IsValid));
        Assert.Equal(RefusalReason.Revoked, verdicts[1].Reason);
    }

    private OcspResponder Responder(OcspResponderOptions options) =>
        new(_pki.Issuing, _pki.Signer, (serial, _) => ValueTask.FromResult(_statuses.GetValueOrDefault(serial, OcspCertificateStatus.Unknown)), _time, options);

    private PeerRevocationChecker Checker(OcspResponder responder) =>
        new([_pki.Issuing], der => throw new InvalidOperationException("not in a handshake"), async (der, ct) =>
        {
            Interlocked.Increment(ref _queries);
            return await responder.RespondAsync(der, ct);
        }, _time);

    private X509Certificate2[] Peers(int count, int? revoked)
    {
        var peers = Enumerable.Range(0, count).Select(i => _pki.IssueLeaf($"nf-{i}")).ToArray();
        _leaves.AddRange(peers);
        for (var i = 0; i < count; i++)
            _statuses[CertificateSerial.Of(peers[i])] = i == revoked ? OcspCertificateStatus.Revoked(Start.AddHours(-1), 1) : OcspCertificateStatus.Good;
        return peers;
    }
}
