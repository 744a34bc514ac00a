using M2MSec.Aka;
using M2MSec.NetworkFunctions.Hss;
using M2MSec.Storage.Hss;
using M2MSec.Storage.InMemory;

namespace M2MSec.Tests.Provisioning;

/// <summary>
/// Issue 16: after a change of subscription the old SHO retires the old IMSI in its HSS while a serving network may be asking for its
/// vectors; a request that loses that race is answered "unknown subscriber" (404), never a server error and never a vector.
/// </summary>
public sealed class HssRetireRaceTests
{
    [Fact]
    public async Task VectorRequest_RacingTheOldImsisRetirement_IsUnknownSubscriber_OldImsiAkaRefusedThreat()
    {
        var store = new RetiringStore();
        await store.AddAsync(new HssSubscriber("001010000000777", new byte[16], new byte[16], new byte[] { 0x80, 0x00 }), 0, TestContext.Current.CancellationToken);
        var auc = new AuthenticationCentre(store, new HssOptions());

        var result = await auc.RequestVectorsAsync("001010000000777", 1, [0x00, 0xf1, 0x20], cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal(VectorRequestStatus.UnknownSubscriber, result.Status);
        Assert.Empty(result.Vectors);
        Assert.Null(await store.FindAsync("001010000000777", TestContext.Current.CancellationToken));
    }

    /// <summary>The subscriber is retired between the HSS's read of its keys and its SQN allocation.</summary>
    private sealed class RetiringStore : IEditableHssSubscriberStore
    {
        private readonly InMemoryHssSubscriberStore _inner = new();

        public ValueTask<HssSubscriber?> FindAsync(string imsi, CancellationToken cancellationToken = default) => _inner.FindAsync(imsi, cancellationToken);

        public ValueTask<HssSqnState?> GetSqnStateAsync(string imsi, CancellationToken cancellationToken = default) => _inner.GetSqnStateAsync(imsi, cancellationToken);

        public ValueTask<bool> AddAsync(HssSubscriber subscriber, ulong initialSeqHe = 0, CancellationToken cancellationToken = default) =>
            _inner.AddAsync(subscriber, initialSeqHe, cancellationToken);

        public async ValueTask<ulong[]?> AllocateSqnsAsync(string imsi, int count, SqnScheme scheme, CancellationToken cancellationToken = default)
        {
            await _inner.RemoveAsync(imsi, cancellationToken);
            return await _inner.AllocateSqnsAsync(imsi, count, scheme, cancellationToken);
        }

        public ValueTask<bool> ResynchroniseAsync(string imsi, ulong sqnMs, SqnScheme scheme, CancellationToken cancellationToken = default) =>
            _inner.ResynchroniseAsync(imsi, sqnMs, scheme, cancellationToken);

        public ValueTask<bool> RemoveAsync(string imsi, CancellationToken cancellationToken = default) => _inner.RemoveAsync(imsi, cancellationToken);
    }
}
