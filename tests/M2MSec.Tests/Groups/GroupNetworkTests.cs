using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using M2MSec.Aka;
using M2MSec.Device.Groups;
using M2MSec.Device.M2me;
using M2MSec.Device.Tre;
using M2MSec.NetworkFunctions.Hosting;
using M2MSec.NetworkFunctions.Vno;
using M2MSec.NetworkFunctions.Vno.Groups;
using M2MSec.Storage;
using M2MSec.Storage.Hss;
using M2MSec.Tests.Provisioning;
using M2MSec.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace M2MSec.Tests.Groups;

/// <summary>
/// Issue 17, MTC groups end to end (TR 33.868 §5.2 and clause 4, docs/decisions/028): the VNO and the SHO's HSS as real hosts on
/// loopback (mutual TLS for the operator, server-authenticated TLS on the device listener); devices attach with AKA (one TRE device,
/// one USIM device), each keeps K_GRP from its K_ASME; the operator creates a group, adds members (each change rekeys), sends a
/// signed, encrypted group message; members fetch their key delivery and the messages and check them.
/// </summary>
public sealed class GroupNetworkTests : IAsyncLifetime
{
    private const string Group = "meters@mnc002.mcc001.3gppnetwork.org";
    private const string ImsiA = "001010000000101";
    private const string ImsiB = "001010000000102";

    private RegistrationOperatorFixture _ro = null!;

    public async ValueTask InitializeAsync() => _ro = await RegistrationOperatorFixture.StartAsync(TestContext.Current.CancellationToken);

    public async ValueTask DisposeAsync() => await _ro.DisposeAsync();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private IStateStore VnoStore => _ro.Vno.Services.GetRequiredService<IStateStore>();

    /// <summary>A TRE device attached with <paramref name="imsi"/>: AKA in the TRE, K_GRP sealed in the TRE.</summary>
    private async Task<GroupMember> TreMemberAsync(string imsi)
    {
        var device = M2meDevice.Create(Path.Combine(_ro.Directory, "dev-" + imsi), Path.Combine(_ro.Directory, "fuse-" + imsi), "001900000000" + imsi[^3..], M2meKind.Tre);
        var (k, opc) = await SubscribeAsync(imsi);
        device.Tre.InstallSubscription(TreCaller.Manufacturer, imsi, k, opc);
        var member = new GroupMember(imsi, new TreGroupVault(device.Tre));
        member.OnAttached(await AttachAsync(imsi, (rand, autn) => device.Tre.RunAka(TreCaller.Network, imsi, rand, autn, eUtran: true)));
        return member;
    }

    /// <summary>A USIM device attached with <paramref name="imsi"/>: K_GRP in the ME's storage.</summary>
    private async Task<GroupMember> UsimMemberAsync(string imsi, string? vaultPath = null)
    {
        var (k, opc) = await SubscribeAsync(imsi);
        var usim = new UsimAka(Milenage.Default, k, opc, new UsimSqnState(SqnScheme.Default));
        var member = new GroupMember(imsi, new FileGroupVault(vaultPath));
        member.OnAttached(await AttachAsync(imsi, (rand, autn) => usim.Authenticate(rand, autn, requireSeparationBit: true)));
        return member;
    }

    private async Task<(byte[] K, byte[] Opc)> SubscribeAsync(string imsi)
    {
        var k = RandomNumberGenerator.GetBytes(16);
        var opc = RandomNumberGenerator.GetBytes(16);
        await _ro.Hss.Services.GetRequiredService<IStateStore>().Subscribers.AddAsync(new HssSubscriber(imsi, k, opc, [0x80, 0]), 0, Ct);
        return (k, opc);
    }

    /// <summary>Attach at the VNO's device listener (steps 1, 5, 6); the device's K_ASME (TS 33.401 A.2) from CK, IK, the serving PLMN and SQN ⊕ AK.</summary>
    private async Task<byte[]> AttachAsync(string imsi, Func<byte[], byte[], UsimAuthenticationResult> aka)
    {
        using var vno = _ro.DeviceClient(_ro.Vno);
        using var first = await vno.PostAsJsonAsync("attach", new { identity = imsi }, Ct);
        first.EnsureSuccessStatusCode();
        var challenge = await first.Content.ReadFromJsonAsync<JsonElement>(Ct);
        var rand = Convert.FromHexString(challenge.GetProperty("rand").GetString()!);
        var autn = Convert.FromHexString(challenge.GetProperty("autn").GetString()!);
        var result = aka(rand, autn);
        Assert.True(result.IsSuccess);
        using var answer = await vno.PostAsJsonAsync($"attach/{challenge.GetProperty("attach_id").GetString()}", new { res = Convert.ToHexStringLower(result.Res!) }, Ct);
        answer.EnsureSuccessStatusCode();
        return EpsKeys.Kasme(result.Ck!, result.Ik!, PlmnId.Encode(new VnoOptions().ServingPlmn), autn.AsSpan(0, 6));
    }

    private async Task<HttpResponseMessage> AdminAsync(HttpMethod method, string path, object? body = null)
    {
        var admin = await _ro.AdminClientAsync("vno", Ct);
        using var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body, options: NetworkFunctionHost.JsonOptions) };
        return await admin.SendAsync(request, Ct);
    }

    private async Task<JsonElement> AdminOkAsync(HttpMethod method, string path, object? body = null)
    {
        using var response = await AdminAsync(method, path, body);
        Assert.True(response.IsSuccessStatusCode, $"{method} {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(Ct)}");
        return await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
    }

    private Task<JsonElement> AllowGroupsAsync(string imsi) =>
        AdminOkAsync(HttpMethod.Put, $"subscribers/{imsi}/mtc-features", new { features = new[] { "group-messaging" } });

    private static string G => Uri.EscapeDataString(Group);

    private async Task<JsonElement> SendAsync(string payloadHex) => await AdminOkAsync(HttpMethod.Post, $"groups/{G}/messages", new { payload = payloadHex });

    private async Task<(GroupMember A, GroupMember B)> GroupOfTwoAsync()
    {
        var a = await TreMemberAsync(ImsiA);
        var b = await UsimMemberAsync(ImsiB);
        await AllowGroupsAsync(ImsiA);
        await AllowGroupsAsync(ImsiB);
        Assert.Equal(1u, (await AdminOkAsync(HttpMethod.Post, "groups", new { group_id = Group })).GetProperty("epoch").GetUInt32());
        Assert.Equal(2u, (await AdminOkAsync(HttpMethod.Post, $"groups/{G}/members", new { identity = ImsiA })).GetProperty("epoch").GetUInt32());
        Assert.Equal(3u, (await AdminOkAsync(HttpMethod.Post, $"groups/{G}/members", new { identity = ImsiB })).GetProperty("epoch").GetUInt32());
        return (a, b);
    }

    [Fact]
    public async Task GroupMessage_FromTheVno_ReachesEveryMember_OverLoopback_AcksOnEachOwnChannel_Audited()
    {
        var (a, b) = await GroupOfTwoAsync();
        var sent = await SendAsync("c0ffee");
        Assert.Equal(3u, sent.GetProperty("epoch").GetUInt32());
        Assert.Equal(1u, sent.GetProperty("sequence").GetUInt32());

        using var vno = _ro.DeviceClient(_ro.Vno);
        foreach (var member in new[] { a, b })
        {
            var poll = await GroupClient.PollAsync(member, vno, Ct);
            Assert.Equal(1, poll.KeysInstalled);
            Assert.Empty(poll.Refused);
            var (groupId, sequence, payload) = Assert.Single(poll.Accepted);
            Assert.Equal((Group, 1u, "c0ffee"), (groupId, sequence, Convert.ToHexStringLower(payload)));
            // Polling again brings nothing new (the sequence is stored).
            var again = await GroupClient.PollAsync(member, vno, Ct);
            Assert.Empty(again.Accepted);
        }
        var group = await AdminOkAsync(HttpMethod.Get, $"groups/{G}");
        Assert.All(group.GetProperty("members").EnumerateArray(), m => Assert.Equal(3u, m.GetProperty("acked_epoch").GetUInt32()));
        var listed = await AdminOkAsync(HttpMethod.Get, "groups");
        Assert.Equal(2, Assert.Single(listed.GetProperty("groups").EnumerateArray()).GetProperty("member_count").GetInt32());
        var audit = await VnoStore.Audit.ReadAsync(cancellationToken: Ct);
        Assert.Contains(audit, e => e.Action == "vno.group.create" && e.Subject == Group);
        Assert.Equal(2, audit.Count(e => e.Action == "vno.group.member.add"));
        Assert.Contains(audit, e => e.Action == "vno.group.send");
        // Secrets are never in a listing.
        Assert.DoesNotContain("key", group.GetRawText(), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task RemovedMember_CannotReadALaterMessage_TheGroupIsRekeyed_RemovedMemberReadsLaterMessageThreat()
    {
        var (a, b) = await GroupOfTwoAsync();
        using var vno = _ro.DeviceClient(_ro.Vno);
        await GroupClient.PollAsync(a, vno, Ct);
        await GroupClient.PollAsync(b, vno, Ct);
        var held = b.StateOf(Group)!;

        var removed = await AdminOkAsync(HttpMethod.Delete, $"groups/{G}/members/{ImsiB}");
        Assert.Equal(4u, removed.GetProperty("epoch").GetUInt32());
        var later = Convert.FromHexString((await SendAsync("5ec2e7")).GetProperty("message").GetString()!);

        // B gets no new key, and what it holds does not open the later message (another epoch, another key).
        var poll = await GroupClient.PollAsync(b, vno, Ct);
        Assert.Equal(0, poll.KeysInstalled);
        Assert.Empty(poll.Accepted);
        Assert.Equal(M2MSec.Nas.Group.GroupMessageStatus.NewerEpoch, GroupMessageStatusOf(b, later));
        // Even ignoring the epoch, B's old key fails GCM on the later message.
        var spoofedState = held with { Epoch = 4 };
        Assert.Equal(M2MSec.Nas.Group.GroupMessageStatus.DecryptFailed, M2MSec.Nas.Group.GroupMessageProtection.Open(spoofedState, later).Status);
        // A, still a member, gets epoch 4 and reads it.
        var aPoll = await GroupClient.PollAsync(a, vno, Ct);
        Assert.Equal(1, aPoll.KeysInstalled);
        Assert.Equal("5ec2e7", Convert.ToHexStringLower(Assert.Single(aPoll.Accepted).Payload));
        Assert.Contains(await VnoStore.Audit.ReadAsync(cancellationToken: Ct), e => e.Action == "vno.group.member.remove" && e.Subject == ImsiB);
    }

    private static M2MSec.Nas.Group.GroupMessageStatus GroupMessageStatusOf(GroupMember m, byte[] message) => m.Receive(message).Status;

    [Fact]
    public async Task MemberHoldingTheGroupKey_CannotActOnAnotherMembersChannel_NorForge_MemberImpersonatesMemberThreat()
    {
        var (a, b) = await GroupOfTwoAsync();
        using var vno = _ro.DeviceClient(_ro.Vno);
        await GroupClient.PollAsync(b, vno, Ct);
        var groupKey = b.StateOf(Group)!.GroupKey;

        // B fetches A's delivery (anyone may): it does not open under B's key.
        var forA = await vno.GetFromJsonAsync<JsonElement>($"groups/keys/{ImsiA}", Ct);
        var delivery = Convert.FromHexString(forA.GetProperty("deliveries")[0].GetProperty("delivery").GetString()!);
        var posingAsA = new GroupMember(ImsiA, new FileGroupVault());
        posingAsA.OnAttached(RandomNumberGenerator.GetBytes(32));
        Assert.Equal(GroupKeyDeliveryStatus.Refused, posingAsA.AcceptDelivery(delivery));
        // B acknowledges as A, with the group key or with its own K_GRP: refused on A's channel.
        foreach (var mac in new[] { M2MSec.Nas.Group.GroupKeyDelivery.AckMac(groupKey, Group, ImsiA, 3), b.AckMac(Group, 3) })
        {
            using var ack = await vno.PostAsJsonAsync($"groups/{G}/acks", new { identity = ImsiA, epoch = 3, mac = Convert.ToHexStringLower(mac) }, Ct);
            Assert.Equal(HttpStatusCode.Forbidden, ack.StatusCode);
        }
        var members = (await AdminOkAsync(HttpMethod.Get, $"groups/{G}")).GetProperty("members").EnumerateArray().ToList();
        Assert.Equal(JsonValueKind.Null, members.Single(m => m.GetProperty("identity").GetString() == ImsiA).GetProperty("acked_epoch").ValueKind);
        // B, with the group key, encrypts a message for the group and signs with what it has: A refuses it.
        using var own = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        await GroupClient.PollAsync(a, vno, Ct);
        var forged = M2MSec.Nas.Group.GroupMessageProtection.Protect(groupKey, own, Group, 3, 50, "from b"u8);
        Assert.Equal(M2MSec.Nas.Group.GroupMessageStatus.BadSignature, a.Receive(forged).Status);
        // A's own acknowledgement is taken.
        using var real = await vno.PostAsJsonAsync($"groups/{G}/acks", new { identity = ImsiA, epoch = 3, mac = Convert.ToHexStringLower(a.AckMac(Group, 3)) }, Ct);
        Assert.Equal(HttpStatusCode.NoContent, real.StatusCode);
    }

    [Fact]
    public async Task DeviceWithoutGroupMessaging_IsRefusedMembershipAndDelivery_FeatureNotSubscribedThreat()
    {
        var a = await UsimMemberAsync(ImsiA);
        await AdminOkAsync(HttpMethod.Post, "groups", new { group_id = Group });
        // No MTC features at all, then triggering only: no membership.
        using (var refused = await AdminAsync(HttpMethod.Post, $"groups/{G}/members", new { identity = ImsiA }))
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        await AdminOkAsync(HttpMethod.Put, $"subscribers/{ImsiA}/mtc-features", new { features = new[] { "triggering" } });
        using (var refused = await AdminAsync(HttpMethod.Post, $"groups/{G}/members", new { identity = ImsiA }))
        {
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
            Assert.StartsWith("identity:", (await refused.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("detail").GetString(), StringComparison.Ordinal);
        }
        Assert.Equal(0, (await AdminOkAsync(HttpMethod.Get, $"groups/{G}")).GetProperty("member_count").GetInt32());
        // Subscribed, added; then the feature is withdrawn: the network no longer delivers the key.
        await AllowGroupsAsync(ImsiA);
        await AdminOkAsync(HttpMethod.Post, $"groups/{G}/members", new { identity = ImsiA });
        await AdminOkAsync(HttpMethod.Put, $"subscribers/{ImsiA}/mtc-features", new { features = Array.Empty<string>() });
        using var vno = _ro.DeviceClient(_ro.Vno);
        var e = await Assert.ThrowsAsync<GroupRefusedException>(() => GroupClient.PollAsync(a, vno, Ct));
        Assert.Equal("feature-not-subscribed", e.Reason);
        Assert.Null(a.StateOf(Group));
        // The check the triggering side calls.
        var check = _ro.Vno.Services.GetRequiredService<IMtcFeatureCheck>();
        Assert.False(await check.IsSubscribedAsync(ImsiA, MtcFeatures.Triggering, Ct));
        await AdminOkAsync(HttpMethod.Put, $"subscribers/{ImsiA}/mtc-features", new { features = new[] { "triggering" } });
        Assert.True(await check.IsSubscribedAsync(ImsiA, MtcFeatures.Triggering, Ct));
        Assert.Contains(await VnoStore.Audit.ReadAsync(cancellationToken: Ct), x => x.Action == "vno.group.refused");
    }

    public static TheoryData<string, string, string?, string> BadFields() => new()
    {
        { "POST", "groups", """{"group_id":"no-at-sign"}""", "group_id" },
        { "POST", "groups", """{}""", "group_id" },
        { "GET", "groups/bad%20id", null, "group_id" },
        { "POST", "groups/meters@x.example/members", """{"identity":"12ab"}""", "identity" },
        { "POST", "groups/nope/members", """{"identity":"001010000000101"}""", "group_id" },
        { "DELETE", "groups/meters@x.example/members/1", null, "identity" },
        { "POST", "groups/meters@x.example/messages", """{"payload":"abc"}""", "payload" },
        { "POST", "groups/meters@x.example/messages", """{"payload":"zz"}""", "payload" },
        { "POST", "groups/meters@x.example/messages", "{\"payload\":\"" + new string('a', 2050) + "\"}", "payload" },
        { "PUT", "subscribers/001010000000101/mtc-features", """{"features":["flying"]}""", "features" },
        { "PUT", "subscribers/001010000000101/mtc-features", """{}""", "features" },
        { "PUT", "subscribers/x/mtc-features", """{"features":[]}""", "identity" },
        { "GET", "subscribers/x/mtc-features", null, "identity" },
    };

    [Theory]
    [MemberData(nameof(BadFields))]
    public async Task AdminApi_BadField_400ProblemNamingIt_NothingChanged(string method, string path, string? body, string field)
    {
        var admin = await _ro.AdminClientAsync("vno", Ct);
        using var request = new HttpRequestMessage(new HttpMethod(method), path)
        {
            Content = body is null ? null : new StringContent(body, System.Text.Encoding.UTF8, "application/json"),
        };
        using var response = await admin.SendAsync(request, Ct);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.StartsWith(field + ":", (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Empty(await VnoStore.MtcGroups.ListGroupsAsync(Ct));
        Assert.Empty(await VnoStore.MtcGroups.GetFeaturesAsync("001010000000101", Ct));
    }

    public static TheoryData<string, string, string?, string> BadDeviceFields() => new()
    {
        { "GET", "groups/keys/12x", null, "identity" },
        { "GET", "groups/bad/messages", null, "group_id" },
        { "GET", "groups/meters@x.example/messages?after=-1", null, "after" },
        { "GET", "groups/meters@x.example/messages?limit=0", null, "limit" },
        { "GET", "groups/meters@x.example/messages?limit=101", null, "limit" },
        { "POST", "groups/bad/acks", """{"identity":"001010000000101","epoch":1,"mac":"00"}""", "group_id" },
        { "POST", "groups/meters@x.example/acks", """{"identity":"1","epoch":1,"mac":"00"}""", "identity" },
        { "POST", "groups/meters@x.example/acks", """{"identity":"001010000000101","mac":"00"}""", "epoch" },
        { "POST", "groups/meters@x.example/acks", """{"identity":"001010000000101","epoch":1,"mac":"00"}""", "mac" },
    };

    [Theory]
    [MemberData(nameof(BadDeviceFields))]
    public async Task DeviceApi_BadField_400ProblemNamingIt(string method, string path, string? body, string field)
    {
        using var vno = _ro.DeviceClient(_ro.Vno);
        using var request = new HttpRequestMessage(new HttpMethod(method), path)
        {
            Content = body is null ? null : new StringContent(body, System.Text.Encoding.UTF8, "application/json"),
        };
        using var response = await vno.SendAsync(request, Ct);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.StartsWith(field + ":", (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AdminApi_RefusesANetworkFunctionCertificate_AndIsNotOnTheDeviceListener()
    {
        var asNf = await _ro.ClientAsync("drf", "vno", Ct);
        using var refused = await asNf.PostAsJsonAsync("groups", new { group_id = Group }, Ct);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        using var vno = _ro.DeviceClient(_ro.Vno);
        using var notThere = await vno.PostAsJsonAsync("groups", new { group_id = Group }, Ct);
        Assert.True(notThere.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.MethodNotAllowed);
        Assert.Empty(await VnoStore.MtcGroups.ListGroupsAsync(Ct));
    }

    /// <summary>Issue 17: `m2msec group create|add|remove|list|send|features` against the running VNO — JSON fields, bad arguments (2), refusals (1, 2), peer down (4).</summary>
    [Fact]
    public async Task GroupCli_CreateAddSendListRemove_Json_ExitCodes()
    {
        var a = await UsimMemberAsync(ImsiA);
        var services = Path.Combine(_ro.Directory, "services");
        var admin = await _ro.Hierarchy.IssueAsync(M2MSec.Pki.Authority.CertificateProfile.Admin,
            new M2MSec.Pki.Authority.CertificateSubject(NetworkFunctionTls.DefaultAdminSubject), cancellationToken: Ct);
        await AdminCredentials.WriteAsync(services, admin, _ro.Hierarchy, Ct);
        var endpoints = Path.Combine(services, "endpoints.json");
        await File.WriteAllTextAsync(endpoints, $$"""{"vno": "{{_ro.Vno.Address}}"}""", Ct);

        async Task<JsonElement> Ok(params string[] args)
        {
            var (code, stdout, stderr) = await CliRunner.RunAsync([.. args, "--endpoints", endpoints, "--json"]);
            Assert.True(code == 0, string.Join(' ', args) + ": " + stderr);
            return JsonDocument.Parse(stdout).RootElement.Clone();
        }

        Assert.Equal(1u, (await Ok("group", "create", "--group-id", Group)).GetProperty("epoch").GetUInt32());
        // Not subscribed: the network refuses (exit 1).
        var (refused, _, err) = await CliRunner.RunAsync("group", "add", "--endpoints", endpoints, "--group-id", Group, "--identity", ImsiA);
        Assert.True(refused == 1, err);
        Assert.Equal("group-messaging", (await Ok("group", "features", "--identity", ImsiA, "--set", "group-messaging")).GetProperty("features")[0].GetString());
        var added = await Ok("group", "add", "--group-id", Group, "--identity", ImsiA);
        Assert.Equal(("added", 2u), (added.GetProperty("change").GetString(), added.GetProperty("epoch").GetUInt32()));
        var sent = await Ok("group", "send", "--group-id", Group, "--payload", "0a0b");
        Assert.Equal((2u, 1u), (sent.GetProperty("epoch").GetUInt32(), sent.GetProperty("sequence").GetUInt32()));
        using (var vno = _ro.DeviceClient(_ro.Vno))
            Assert.Equal("0a0b", Convert.ToHexStringLower(Assert.Single((await GroupClient.PollAsync(a, vno, Ct)).Accepted).Payload));
        var listed = await Ok("group", "list");
        Assert.Equal(Group, listed.GetProperty("groups")[0].GetProperty("group_id").GetString());
        var members = await Ok("group", "list", "--group-id", Group);
        Assert.Equal(ImsiA, members.GetProperty("members")[0].GetProperty("identity").GetString());
        Assert.Equal(3u, (await Ok("group", "remove", "--group-id", Group, "--identity", ImsiA)).GetProperty("epoch").GetUInt32());

        // Bad arguments: exit 2, one line naming the option; the network's 4xx other than 403 is 2 as well.
        foreach (var (args, option) in new[]
        {
            (new[] { "group", "create", "--group-id", "no-at" }, "--group-id"),
            (new[] { "group", "add", "--group-id", Group, "--identity", "12x" }, "--identity"),
            (new[] { "group", "send", "--group-id", Group, "--payload", "abc" }, "--payload"),
            (new[] { "group", "features", "--identity", ImsiA, "--set", "flying" }, "--set"),
        })
        {
            var (code, _, stderr) = await CliRunner.RunAsync([.. args, "--endpoints", endpoints]);
            Assert.True(code == 2, string.Join(' ', args) + ": " + stderr);
            Assert.Contains(option, stderr, StringComparison.Ordinal);
        }
        var (again, _, againErr) = await CliRunner.RunAsync("group", "create", "--endpoints", endpoints, "--group-id", Group);
        Assert.True(again == 2, againErr);
        Assert.Contains("group_id", againErr, StringComparison.Ordinal);
        // The VNO down: exit 4.
        var down = Path.Combine(services, "down.json");
        await File.WriteAllTextAsync(down, $$"""{"vno": "https://127.0.0.1:{{LoopbackPort.Free()}}"}""", Ct);
        var (unreachable, _, downErr) = await CliRunner.RunAsync("group", "list", "--endpoints", down);
        Assert.True(unreachable == 4, downErr);
    }
}
