using System.Security.Cryptography;
using M2MSec.Aka;
using M2MSec.Device.Uicc;
using M2MSec.NetworkFunctions.Hss;
using M2MSec.Storage.Hss;
using M2MSec.Storage.InMemory;

namespace M2MSec.Tests.Aka;

/// <summary>HSS/AuC and USIM together (TS 33.102 §6.3): the sequence rules end to end, no HTTP.</summary>
public sealed class AkaFlowTests
{
    private const string Imsi = "001010123456789";
    private static readonly byte[] AmfValue = [0x80, 0x00];

    private static async Task<(AuthenticationCentre Auc, InMemoryHssSubscriberStore Store, SimulatedUsim Usim)> SetUpAsync(UsimSqnState? state = null)
    {
        var store = new InMemoryHssSubscriberStore();
        var usim = SimulatedUsim.Manufacture(Imsi, out var k, out var opc, state);
        Assert.True(await store.AddAsync(new HssSubscriber(Imsi, k, opc, AmfValue)));
        return (new AuthenticationCentre(store, new HssOptions()), store, usim);
    }

    private static async Task<ServingNetworkVector> VectorAsync(AuthenticationCentre auc)
    {
        var r = await auc.RequestVectorsAsync(Imsi, 1);
        Assert.Equal(VectorRequestStatus.Ok, r.Status);
        return r.Vectors[0];
    }

    [Fact]
    public async Task Authenticate_FreshVector_ResAndKeysMatchTheHss()
    {
        var (auc, _, usim) = await SetUpAsync();
        var v = await VectorAsync(auc);
        var r = usim.Authenticate(v.Rand, v.Autn);
        Assert.Equal(UsimAuthenticationStatus.Success, r.Status);
        Assert.Equal(v.Xres, r.Res);
        Assert.Equal(v.Ck, r.Ck);
        Assert.Equal(v.Ik, r.Ik);
    }

    [Fact]
    public async Task Authenticate_TamperedAutnMac_IsMacFailure_AndStateUnchanged()
    {
        var (auc, _, usim) = await SetUpAsync();
        var v = await VectorAsync(auc);
        var autn = (byte[])v.Autn.Clone();
        autn[15] ^= 0x01;
        var before = usim.SqnState.Snapshot();
        Assert.Equal(UsimAuthenticationStatus.MacFailure, usim.Authenticate(v.Rand, autn).Status);
        Assert.Equal(before, usim.SqnState.Snapshot());
        // The untampered vector still works afterwards.
        Assert.True(usim.Authenticate(v.Rand, v.Autn).IsSuccess);
    }

    [Fact]
    public async Task Authenticate_TamperedSqnOrAmf_IsMacFailure()
    {
        var (auc, _, usim) = await SetUpAsync();
        var v = await VectorAsync(auc);
        foreach (var index in new[] { 0, 5, 6, 7 })
        {
            var autn = (byte[])v.Autn.Clone();
            autn[index] ^= 0x40;
            Assert.Equal(UsimAuthenticationStatus.MacFailure, usim.Authenticate(v.Rand, autn).Status);
        }
        var rand = (byte[])v.Rand.Clone();
        rand[0] ^= 1;
        Assert.Equal(UsimAuthenticationStatus.MacFailure, usim.Authenticate(rand, v.Autn).Status);
    }

    [Fact]
    public async Task VectorsConsumedOutOfOrderAcrossIndSlots_AreAccepted()
    {
        var (auc, _, usim) = await SetUpAsync();
        var batch = (await auc.RequestVectorsAsync(Imsi, 5)).Vectors;
        foreach (var i in new[] { 4, 1, 3, 0, 2 })
            Assert.Equal(UsimAuthenticationStatus.Success, usim.Authenticate(batch[i].Rand, batch[i].Autn).Status);
    }

    [Fact]
    public async Task ReplayedAutn_IsRefusedWithSynchronisationFailure()
    {
        var (auc, _, usim) = await SetUpAsync();
        var v = await VectorAsync(auc);
        Assert.True(usim.Authenticate(v.Rand, v.Autn).IsSuccess);
        var replay = usim.Authenticate(v.Rand, v.Autn);
        Assert.Equal(UsimAuthenticationStatus.SynchronisationFailure, replay.Status);
        Assert.Null(replay.Res);
        Assert.Equal(AkaVectors.AutsSize, replay.Auts!.Length);
    }

    [Fact]
    public async Task StaleSqn_GivesAuts_HssResynchronises_NextVectorIsAccepted()
    {
        var seqMs = new ulong[SqnScheme.Default.IndCount];
        seqMs[7] = 1_000_000;
        var (auc, store, usim) = await SetUpAsync(new UsimSqnState(SqnScheme.Default, seqMs));

        var v = await VectorAsync(auc);
        var failure = usim.Authenticate(v.Rand, v.Autn);
        Assert.Equal(UsimAuthenticationStatus.SynchronisationFailure, failure.Status);

        var resynced = await auc.RequestVectorsAsync(Imsi, 1, resync: (v.Rand, failure.Auts!));
        Assert.Equal(VectorRequestStatus.Ok, resynced.Status);
        Assert.True(resynced.Resynchronised);
        // Issue 19 (decision 035): SEQ_HE := SEQ_MS, then a block of 32 reserved durably past it, of which the vector took the first.
        Assert.Equal(1_000_000UL + 32, (await store.GetSqnStateAsync(Imsi))!.Value.SeqHe);
        Assert.True(usim.Authenticate(resynced.Vectors[0].Rand, resynced.Vectors[0].Autn).IsSuccess);
        Assert.Equal(1_000_000UL + 1, usim.SqnState.HighestSeq);
    }

    [Fact]
    public async Task ForgedAuts_IsRefused_AndSeqHeUnchanged()
    {
        var (auc, store, _) = await SetUpAsync();
        var v = await VectorAsync(auc);
        var before = (await store.GetSqnStateAsync(Imsi))!.Value;
        var forged = RandomNumberGenerator.GetBytes(AkaVectors.AutsSize);
        var r = await auc.RequestVectorsAsync(Imsi, 1, resync: (v.Rand, forged));
        Assert.Equal(VectorRequestStatus.ResyncMacFailure, r.Status);
        Assert.Empty(r.Vectors);
        Assert.Equal(before, (await store.GetSqnStateAsync(Imsi))!.Value);
    }

    [Fact]
    public async Task ReplayedOldAuts_DoesNotLowerSeqHe()
    {
        var seqMs = new ulong[SqnScheme.Default.IndCount];
        seqMs[0] = 5000;
        var (auc, store, usim) = await SetUpAsync(new UsimSqnState(SqnScheme.Default, seqMs));
        var v = await VectorAsync(auc);
        var auts = usim.Authenticate(v.Rand, v.Autn).Auts!;
        await auc.RequestVectorsAsync(Imsi, 3, resync: (v.Rand, auts));
        var after = (await store.GetSqnStateAsync(Imsi))!.Value.SeqHe;
        var again = await auc.RequestVectorsAsync(Imsi, 1, resync: (v.Rand, auts));
        Assert.False(again.Resynchronised);
        // Issue 19 (decision 035): a verified AUTS drops the block held in memory (it may lie behind SQN_MS) and the vector comes
        // from a new block of 32 past SEQ_HE — forwards, never back.
        Assert.Equal(after + 32, (await store.GetSqnStateAsync(Imsi))!.Value.SeqHe);
    }

    [Fact]
    public async Task EpsVector_SetsSeparationBit_AndCarriesKasmeNotCkIk()
    {
        var (auc, _, usim) = await SetUpAsync();
        byte[] snId = [0x00, 0xf1, 0x10];
        var r = await auc.RequestVectorsAsync(Imsi, 1, snId);
        var v = r.Vectors[0];
        Assert.Null(v.Ck);
        Assert.Null(v.Ik);
        Assert.True(Amf.HasSeparationBit(v.Autn.AsSpan(6, 2)));
        var result = usim.Authenticate(v.Rand, v.Autn, eUtran: true);
        Assert.True(result.IsSuccess);
        Assert.Equal(EpsKeys.Kasme(result.Ck, result.Ik, snId, v.Autn.AsSpan(0, 6)), v.Kasme);
    }

    [Fact]
    public async Task UmtsVectorWithoutSeparationBit_IsRefusedInEutran()
    {
        var store = new InMemoryHssSubscriberStore();
        var usim = SimulatedUsim.Manufacture(Imsi, out var k, out var opc);
        await store.AddAsync(new HssSubscriber(Imsi, k, opc, [0x00, 0x00]));
        var auc = new AuthenticationCentre(store, new HssOptions());
        var v = (await auc.RequestVectorsAsync(Imsi, 1)).Vectors[0];
        Assert.Equal(UsimAuthenticationStatus.AmfSeparationBitInvalid, usim.Authenticate(v.Rand, v.Autn, eUtran: true).Status);
    }

    [Fact]
    public async Task ConcurrentVectorRequests_NeverShareAnSqn()
    {
        var (auc, store, _) = await SetUpAsync();
        var sqns = new System.Collections.Concurrent.ConcurrentBag<ulong>();
        await Parallel.ForEachAsync(Enumerable.Range(0, 400), async (_, ct) =>
        {
            var got = await store.AllocateSqnsAsync(Imsi, 3, SqnScheme.Default, ct);
            foreach (var s in got!)
                sqns.Add(s);
        });
        Assert.Equal(1200, sqns.Distinct().Count());
        Assert.Equal(1200UL, (await store.GetSqnStateAsync(Imsi))!.Value.SeqHe);
    }

    [Fact]
    public async Task UnknownSubscriber_IsReported()
    {
        var (auc, _, _) = await SetUpAsync();
        Assert.Equal(VectorRequestStatus.UnknownSubscriber, (await auc.RequestVectorsAsync("001019999999999", 1)).Status);
    }
}
