using System.Security.Cryptography;
using M2MSec.Device.Groups;
using M2MSec.Nas.Group;

namespace M2MSec.Tests.Groups;

/// <summary>
/// Issue 17 (TR 33.868 §5.2, docs/decisions/028): group messages are AES-256-GCM under the group key and signed by the network
/// (ECDSA P-256); a member holds the group key but not the network's private key, an outsider neither; a member checks shape,
/// epoch and sequence, then the signature, then decrypts, and stores the sequence (replay protection that survives a restart).
/// </summary>
public sealed class GroupMessageTests
{
    private const string Group = "meters@mnc002.mcc001.3gppnetwork.org";

    private static readonly ECDsa Network = ECDsa.Create(ECCurve.NamedCurves.nistP256);

    private static (GroupMember Member, byte[] GroupKey) Member(string identity, uint epoch = 2, IGroupVault? vault = null)
    {
        var member = new GroupMember(identity, vault ?? new FileGroupVault());
        var kasme = RandomNumberGenerator.GetBytes(32);
        member.OnAttached(kasme);
        var groupKey = GroupKeys.NewGroupKey();
        var delivery = GroupKeyDelivery.Wrap(GroupKeys.MemberKey(kasme), new GroupKeyGrant(Group, identity, epoch, 0, groupKey, GroupKeys.PublicKeyOf(Network)));
        Assert.Equal(GroupKeyDeliveryStatus.Installed, member.AcceptDelivery(delivery));
        return (member, groupKey);
    }

    [Fact]
    public void NetworkMessage_IsReadByTheMember()
    {
        var (member, key) = Member("001010000000001");
        var result = member.Receive(GroupMessageProtection.Protect(key, Network, Group, 2, 1, [1, 2, 3]));
        Assert.True(result.IsAccepted, result.Detail);
        Assert.Equal(new byte[] { 1, 2, 3 }, result.Payload);
        Assert.Equal(1u, member.StateOf(Group)!.LastSequence);
    }

    [Fact]
    public void MessageFromAMemberHoldingTheGroupKey_IsRefusedBeforeDecryption_ForgedByMemberThreat()
    {
        var (member, key) = Member("001010000000001");
        // A member encrypts correctly under the group key but can only sign with a key of its own.
        using var own = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var forged = GroupMessageProtection.Protect(key, own, Group, 2, 5, "open the valves"u8);
        Assert.Equal(GroupMessageStatus.BadSignature, member.Receive(forged).Status);
        // Or alters a real message (the ciphertext, or the sequence to get it replayed): the signature covers every octet.
        var real = GroupMessageProtection.Protect(key, Network, Group, 2, 6, "close"u8);
        var altered = (byte[])real.Clone();
        altered[^70] ^= 1;
        Assert.Equal(GroupMessageStatus.BadSignature, member.Receive(altered).Status);
        var resequenced = (byte[])real.Clone();
        resequenced[2 + Group.Length + 7] ^= 0x10;
        Assert.Equal(GroupMessageStatus.BadSignature, member.Receive(resequenced).Status);
        Assert.Equal(0u, member.StateOf(Group)!.LastSequence);
        Assert.True(member.Receive(real).IsAccepted);
    }

    [Fact]
    public void MessageFromAnOutsider_IsRefused_ForgedByOutsiderThreat()
    {
        var (member, _) = Member("001010000000001");
        using var own = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        Assert.Equal(GroupMessageStatus.BadSignature, member.Receive(GroupMessageProtection.Protect(GroupKeys.NewGroupKey(), own, Group, 2, 1, [9])).Status);
        // Even a (hypothetically) valid signature does not help without the group key: GCM refuses.
        Assert.Equal(GroupMessageStatus.DecryptFailed, member.Receive(GroupMessageProtection.Protect(GroupKeys.NewGroupKey(), Network, Group, 2, 2, [9])).Status);
        Assert.Equal(0u, member.StateOf(Group)!.LastSequence);
    }

    [Fact]
    public void ReplayedAndOldEpochMessages_AreRefused_AlsoAfterARestart_ReplayedGroupMessageThreat()
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("m2msec-grp-").FullName, "groups.json");
        var (member, key) = Member("001010000000001", vault: new FileGroupVault(path));
        var m1 = GroupMessageProtection.Protect(key, Network, Group, 2, 1, [1]);
        var m2 = GroupMessageProtection.Protect(key, Network, Group, 2, 2, [2]);
        Assert.True(member.Receive(m2).IsAccepted);
        Assert.Equal(GroupMessageStatus.Replayed, member.Receive(m2).Status);
        Assert.Equal(GroupMessageStatus.Replayed, member.Receive(m1).Status);
        // The device restarts: the sequence was stored.
        var restarted = new GroupMember("001010000000001", new FileGroupVault(path));
        Assert.Equal(GroupMessageStatus.Replayed, restarted.Receive(m2).Status);
        // A message of an earlier epoch (under an earlier key) is refused; a later one needs its delivery first.
        Assert.Equal(GroupMessageStatus.OldEpoch, restarted.Receive(GroupMessageProtection.Protect(key, Network, Group, 1, 9, [1])).Status);
        Assert.Equal(GroupMessageStatus.NewerEpoch, restarted.Receive(GroupMessageProtection.Protect(key, Network, Group, 3, 9, [1])).Status);
        Assert.True(restarted.Receive(GroupMessageProtection.Protect(key, Network, Group, 2, 3, [3])).IsAccepted);
    }

    [Fact]
    public void KeyDelivery_OpensOnlyForItsMember_UnderItsOwnKey_NotReplayed_MemberImpersonatesMemberThreat()
    {
        var kasmeA = RandomNumberGenerator.GetBytes(32);
        var kasmeB = RandomNumberGenerator.GetBytes(32);
        var grant = new GroupKeyGrant(Group, "001010000000001", 3, 7, GroupKeys.NewGroupKey(), GroupKeys.PublicKeyOf(Network));
        var forA = GroupKeyDelivery.Wrap(GroupKeys.MemberKey(kasmeA), grant);
        Assert.NotNull(GroupKeyDelivery.Unwrap(GroupKeys.MemberKey(kasmeA), "001010000000001", forA));
        // B cannot open A's delivery with its own key, nor claim to be A.
        Assert.Null(GroupKeyDelivery.Unwrap(GroupKeys.MemberKey(kasmeB), "001010000000001", forA));
        Assert.Null(GroupKeyDelivery.Unwrap(GroupKeys.MemberKey(kasmeA), "001010000000002", forA));
        // B's acknowledgement MAC for A (under B's key, or under the group key) differs from A's.
        var a = GroupKeyDelivery.AckMac(GroupKeys.MemberKey(kasmeA), Group, "001010000000001", 3);
        Assert.NotEqual(a, GroupKeyDelivery.AckMac(GroupKeys.MemberKey(kasmeB), Group, "001010000000001", 3));
        Assert.NotEqual(a, GroupKeyDelivery.AckMac(grant.GroupKey, Group, "001010000000001", 3));
        // The member takes an epoch once, only upwards.
        var member = new GroupMember("001010000000001", new FileGroupVault());
        member.OnAttached(kasmeA);
        Assert.Equal(GroupKeyDeliveryStatus.Installed, member.AcceptDelivery(forA));
        Assert.Equal(7u, member.StateOf(Group)!.LastSequence);
        Assert.Equal(GroupKeyDeliveryStatus.Stale, member.AcceptDelivery(forA));
        Assert.Equal(GroupKeyDeliveryStatus.Refused, member.AcceptDelivery(forA.AsSpan(1)));
    }

    [Fact]
    public void K_GRP_IsTheKdfOfKasmeUnderFc0xF1()
    {
        var kasme = Convert.FromHexString("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff");
        Assert.Equal(M2MSec.Aka.Kdf3gpp.Derive(kasme, 0xF1, "mtc-group-key-wrap"u8.ToArray()), GroupKeys.MemberKey(kasme));
        Assert.Throws<ArgumentException>(() => GroupKeys.MemberKey(kasme.AsSpan(1)));
    }

    public static TheoryData<string, string> MalformedMessages() => new()
    {
        { "", "version" },
        { "02", "version" },
        { "0100", "group_id" },
        { "0103616263", "group_id" },
        { "0105612d622d63" + "0000000100000001" + "0010" + new string('0', 32) + new string('0', 128), "group_id" },
        { "0103614062" + "0000000100000001" + "000f" + new string('0', 30) + new string('0', 128), "ciphertext_length" },
        { "0103614062" + "0000000100000001" + "0411" + new string('0', 128), "ciphertext_length" },
        { "0103614062" + "0000000100000001" + "0010" + new string('0', 32) + new string('0', 126), "signature" },
        { "0103614062" + "0000000100000001" + "0010" + new string('0', 32) + new string('0', 130), "signature" },
    };

    [Theory]
    [MemberData(nameof(MalformedMessages))]
    public void Decode_Malformed_NamesTheField_AndTheMemberStaysUnchanged(string hex, string field)
    {
        var e = Assert.Throws<GroupMessageFormatException>(() => GroupMessageCodec.Decode(Convert.FromHexString(hex)));
        Assert.Equal(field, e.Field);
        var (member, _) = Member("001010000000001");
        Assert.Equal(GroupMessageStatus.Malformed, member.Receive(Convert.FromHexString(hex)).Status);
        Assert.Equal(0u, member.StateOf(Group)!.LastSequence);
    }

    [Fact]
    public void Decode_RoundTrips()
    {
        var m = GroupMessageProtection.Protect(GroupKeys.NewGroupKey(), Network, Group, 4, 9, [7, 7]);
        var decoded = GroupMessageCodec.Decode(m);
        Assert.Equal((Group, 4u, 9u), (decoded.GroupId, decoded.Epoch, decoded.Sequence));
        Assert.Equal(m, decoded.Encode());
        Assert.Equal(m.Length, decoded.GetEncodedLength());
    }

    [Theory]
    [InlineData("meters@Example.COM", "meters@example.com")]
    [InlineData("a.b_c-d@x-y.example", "a.b_c-d@x-y.example")]
    public void ExternalGroupId_Valid_Normalised(string value, string expected)
    {
        Assert.True(ExternalGroupId.TryNormalise(value, out var n, out _));
        Assert.Equal(expected, n);
    }

    [Theory]
    [InlineData("")]
    [InlineData("meters")]
    [InlineData("@example.com")]
    [InlineData("meters@")]
    [InlineData("a@b@c")]
    [InlineData("me ters@example.com")]
    [InlineData("meters@-bad.example")]
    [InlineData("meters@a..b")]
    [InlineData("m\u00e9ters@example.com")]
    public void ExternalGroupId_Invalid(string value) => Assert.False(ExternalGroupId.IsValid(value));

    /// <summary>Issue 17: `m2msec bench group` measures one rekey per member count and both message rates (one JSON object).</summary>
    [Fact]
    public async Task BenchGroup_ReportsRekeyTimeAndRates()
    {
        var (code, stdout, stderr) = await M2MSec.Tests.Support.CliRunner.RunAsync("bench", "group", "--members", "50", "--seconds", "1", "--json");
        Assert.True(code == 0, stderr);
        using var json = System.Text.Json.JsonDocument.Parse(stdout);
        Assert.Equal(50, json.RootElement.GetProperty("wraps_per_rekey").GetInt32());
        Assert.True(json.RootElement.GetProperty("rekey_ms_median").GetDouble() > 0);
        Assert.True(json.RootElement.GetProperty("open_per_s").GetDouble() > 0);
    }

    /// <summary>Issue 17: a TRE device's K_GRP and group state are sealed TRE objects only the network side may read; the replay state survives a reboot.</summary>
    [Fact]
    public void TreVault_SealsKGrpAndState_OnlyForTheNetworkCaller_SurvivesReboot_ReplayedGroupMessageThreat()
    {
        var dir = Directory.CreateTempSubdirectory("m2msec-grp-tre-").FullName;
        try
        {
            var device = M2MSec.Device.M2me.M2meDevice.Create(Path.Combine(dir, "dev"), Path.Combine(dir, "fuse"), "001900000000777", M2MSec.Device.M2me.M2meKind.Tre);
            var (member, key) = Member("001010000000001", vault: new TreGroupVault(device.Tre));
            var m1 = GroupMessageProtection.Protect(key, Network, Group, 2, 1, [1]);
            Assert.True(member.Receive(m1).IsAccepted);
            Assert.Throws<M2MSec.Device.Tre.TreAccessDeniedException>(() => device.Tre.ReadObject(M2MSec.Device.Tre.TreCaller.DeviceManagement, "grp/k_grp"));
            Assert.Throws<M2MSec.Device.Tre.TreAccessDeniedException>(() => device.Tre.WriteObject(M2MSec.Device.Tre.TreCaller.Provisioning, "grp/state/" + Group, new byte[109]));
            var rebooted = M2MSec.Device.M2me.M2meDevice.Open(Path.Combine(dir, "dev"), Path.Combine(dir, "fuse"));
            var again = new GroupMember("001010000000001", new TreGroupVault(rebooted.Tre));
            Assert.Equal(GroupMessageStatus.Replayed, again.Receive(m1).Status);
            Assert.True(again.Receive(GroupMessageProtection.Protect(key, Network, Group, 2, 2, [2])).IsAccepted);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
