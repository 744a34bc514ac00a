using System.Net.Http.Json;
using System.Security.Cryptography;
using M2MSec.Aka;
using M2MSec.Device.Groups;
using M2MSec.Device.M2me;
using M2MSec.Device.Provisioning;
using M2MSec.Device.Tre;
using M2MSec.Device.Triggering;
using M2MSec.NetworkFunctions.Hosting;
using M2MSec.Storage;
using M2MSec.Storage.Hss;
using M2MSec.Tests.Provisioning;
using Microsoft.Extensions.DependencyInjection;

namespace M2MSec.Tests.Groups;

/// <summary>
/// Issue 17 item "K_ASME to the group member on attach" (docs/decisions/028): the device's real attach path — the TRE device's
/// <see cref="RoProvisioningClient.AttachAsync(M2meDevice, string, HttpClient, CancellationToken)"/> and a UICC device's
/// <see cref="ServingNetworkClient.AttachAsync"/> — hands the attach's K_ASME to the member, so its K_GRP matches the VNO's and
/// the group key delivered under it opens, with no K_ASME computed by the test.
/// </summary>
public sealed class GroupAttachTests : IAsyncLifetime
{
    private const string Group = "fleet@mnc002.mcc001.3gppnetwork.org";

    private RegistrationOperatorFixture _ro = null!;

    public async ValueTask InitializeAsync() => _ro = await RegistrationOperatorFixture.StartAsync(TestContext.Current.CancellationToken);

    public async ValueTask DisposeAsync() => await _ro.DisposeAsync();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<(byte[] K, byte[] Opc)> SubscribeAsync(string imsi)
    {
        var k = RandomNumberGenerator.GetBytes(16);
        var opc = RandomNumberGenerator.GetBytes(16);
        await _ro.Hss.Services.GetRequiredService<IStateStore>().Subscribers.AddAsync(new HssSubscriber(imsi, k, opc, [0x80, 0]), 0, Ct);
        return (k, opc);
    }

    private async Task AdminOkAsync(HttpMethod method, string path, object body)
    {
        var admin = await _ro.AdminClientAsync("vno", Ct);
        using var request = new HttpRequestMessage(method, path) { Content = JsonContent.Create(body, options: NetworkFunctionHost.JsonOptions) };
        using var response = await admin.SendAsync(request, Ct);
        Assert.True(response.IsSuccessStatusCode, $"{method} {path}: {(int)response.StatusCode}");
    }

    private async Task GroupOfAsync(params string[] imsis)
    {
        await AdminOkAsync(HttpMethod.Post, "groups", new { group_id = Group });
        foreach (var imsi in imsis)
        {
            await AdminOkAsync(HttpMethod.Put, $"subscribers/{imsi}/mtc-features", new { features = new[] { "group-messaging" } });
            await AdminOkAsync(HttpMethod.Post, $"groups/{Uri.EscapeDataString(Group)}/members", new { identity = imsi });
        }
        await AdminOkAsync(HttpMethod.Post, $"groups/{Uri.EscapeDataString(Group)}/messages", new { payload = "0a0b" });
    }

    [Fact]
    public async Task TreDevice_AttachWithMcim_KeepsKgrpInTheTre_ItsGroupKeyDeliveryOpens_AttachToGroupMemberItem()
    {
        const string imsi = "001010000000201";
        var device = M2meDevice.Create(Path.Combine(_ro.Directory, "dev-tre"), Path.Combine(_ro.Directory, "fuse-tre"), "001900000000201", M2meKind.Tre);
        var (k, opc) = await SubscribeAsync(imsi);
        device.Tre.InstallSubscription(TreCaller.Manufacturer, imsi, k, opc);
        using var vno = _ro.DeviceClient(_ro.Vno);

        await RoProvisioningClient.AttachAsync(device, imsi, vno, Ct);

        await GroupOfAsync(imsi);
        var member = new GroupMember(imsi, new TreGroupVault(device.Tre));
        Assert.NotNull(new TreGroupVault(device.Tre).MemberKey); // sealed in the TRE by the attach itself
        var poll = await GroupClient.PollAsync(member, vno, Ct);
        Assert.Equal(1, poll.KeysInstalled);
        Assert.Empty(poll.Refused);
        Assert.Equal("0a0b", Convert.ToHexStringLower(Assert.Single(poll.Accepted).Payload));
    }

    [Fact]
    public async Task UiccDevice_AttachThroughServingNetworkClient_GivesTheMemberItsKgrp_ItsGroupKeyDeliveryOpens_AttachToGroupMemberItem()
    {
        const string imsi = "001010000000202";
        var (k, opc) = await SubscribeAsync(imsi);
        var usim = new UsimAka(Milenage.Default, k, opc, new UsimSqnState(SqnScheme.Default));
        using var vno = _ro.DeviceClient(_ro.Vno);
        var member = new GroupMember(imsi, new FileGroupVault());

        await ServingNetworkClient.AttachAsync(vno, imsi, (rand, autn) => usim.Authenticate(rand, autn, requireSeparationBit: true), new MeNasContextHolder(null), Ct, member);

        await GroupOfAsync(imsi);
        var poll = await GroupClient.PollAsync(member, vno, Ct);
        Assert.Equal(1, poll.KeysInstalled);
        Assert.Equal("0a0b", Convert.ToHexStringLower(Assert.Single(poll.Accepted).Payload));
    }
}
