namespace M2MSec.Tests.Storage;

public abstract partial class StateStoreContract
{
    /// <summary>
    /// Issue 17, schema v23 (docs/decisions/028): a membership change rekeys in the same step (epoch + 1, new key, floor = sequence),
    /// a repeated change does nothing; sequences are taken one by one with the current key; K_GRP and features are kept per identity;
    /// the signing key is made once.
    /// </summary>
    [Fact]
    public async Task MtcGroups_MembershipRekeys_SequencesUnique_MemberKeysFeaturesSigningKey()
    {
        const string g = "meters@example.com";
        var k1 = Enumerable.Repeat((byte)1, 32).ToArray();
        var k2 = Enumerable.Repeat((byte)2, 32).ToArray();
        Assert.True(await Store.MtcGroups.CreateGroupAsync(g, k1));
        Assert.False(await Store.MtcGroups.CreateGroupAsync(g, k2));
        Assert.Equal(k1, (await Store.MtcGroups.GetGroupKeyAsync(g))!.Key);
        var (key, seq) = (await Store.MtcGroups.NextSequenceAsync(g))!.Value;
        Assert.Equal((1u, 1u), (key.Epoch, seq));
        await Store.MtcGroups.AppendMessageAsync(g, seq, new byte[] { 9 });
        Assert.Equal(2u, await Store.MtcGroups.ChangeMemberAsync(g, "001010000000001", add: true, k2));
        Assert.Null(await Store.MtcGroups.ChangeMemberAsync(g, "001010000000001", add: true, k1));
        Assert.Null(await Store.MtcGroups.ChangeMemberAsync("other@example.com", "001010000000001", add: true, k1));
        var now = await Store.MtcGroups.GetGroupKeyAsync(g);
        Assert.Equal((2u, 1u), (now!.Epoch, now.SequenceFloor));
        Assert.Equal(k2, now.Key);
        Assert.Equal(2u, (await Store.MtcGroups.NextSequenceAsync(g))!.Value.Sequence);
        Assert.Equal([g], await Store.MtcGroups.GroupsOfAsync("001010000000001"));
        Assert.True(await Store.MtcGroups.RecordAckAsync(g, "001010000000001", 2));
        Assert.Equal(2u, Assert.Single(await Store.MtcGroups.ListMembersAsync(g)).AckedEpoch);
        Assert.Equal(3u, await Store.MtcGroups.ChangeMemberAsync(g, "001010000000001", add: false, k1));
        Assert.Null(await Store.MtcGroups.ChangeMemberAsync(g, "001010000000001", add: false, k1));
        Assert.Empty(await Store.MtcGroups.GroupsOfAsync("001010000000001"));
        Assert.False(await Store.MtcGroups.RecordAckAsync(g, "001010000000001", 3));
        var group = Assert.Single(await Store.MtcGroups.ListGroupsAsync());
        Assert.Equal((3u, 2u, 2u, 0), (group.Epoch, group.Sequence, group.SequenceFloor, group.Members));
        Assert.Equal(new byte[] { 9 }, Assert.Single(await Store.MtcGroups.ListMessagesAsync(g, 0, 10)).Message);
        Assert.Empty(await Store.MtcGroups.ListMessagesAsync(g, 1, 10));

        Assert.Null(await Store.MtcGroups.GetMemberKeyAsync("001010000000001"));
        await Store.MtcGroups.SetMemberKeyAsync("001010000000001", k1);
        await Store.MtcGroups.SetMemberKeyAsync("001010000000001", k2);
        Assert.Equal(k2, await Store.MtcGroups.GetMemberKeyAsync("001010000000001"));
        Assert.Empty(await Store.MtcGroups.GetFeaturesAsync("001010000000001"));
        await Store.MtcGroups.SetFeaturesAsync("001010000000001", ["triggering", "group-messaging", "triggering"]);
        Assert.Equal(["group-messaging", "triggering"], await Store.MtcGroups.GetFeaturesAsync("001010000000001"));
        await Store.MtcGroups.SetFeaturesAsync("001010000000001", []);
        Assert.Empty(await Store.MtcGroups.GetFeaturesAsync("001010000000001"));
        var made = 0;
        var first = await Store.MtcGroups.GetOrCreateSigningKeyAsync(() => { made++; return [1, 2, 3]; });
        var second = await Store.MtcGroups.GetOrCreateSigningKeyAsync(() => { made++; return [4, 5, 6]; });
        Assert.Equal(first, second);
        Assert.Equal(1, made);
    }
}
