using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using M2MSec.Device.Dm;
using M2MSec.Device.Provisioning;
using M2MSec.Device.Tre;
using M2MSec.NetworkFunctions.Drf;
using M2MSec.Storage;
using M2MSec.Storage.Hss;
using Microsoft.Extensions.DependencyInjection;

namespace M2MSec.Tests.Provisioning;

/// <summary>
/// Issue 15, TR 33.812 §5.1.3.6.2 steps 1–12 (helper H3): the device attaches with its PCID at the VNO, which gets EPS
/// vectors from the ICF; AKA in the TRE derives K_RO; the ICF hands PCID, address and K_RO to the DRF; the device's
/// request is answered with the Bootstrap message MAC'd under K_RO; the TRE checks it, the DM account is installed and the
/// SHO kept; the DPF's M2MMobj makes the DRF register the M2ME at the SHO. Real hosts, mutual TLS between them.
/// </summary>
public sealed class RegistrationOperatorTests : IAsyncLifetime
{
    private RegistrationOperatorFixture _ro = null!;

    public async ValueTask InitializeAsync() => _ro = await RegistrationOperatorFixture.StartAsync(TestContext.Current.CancellationToken);

    public async ValueTask DisposeAsync() => await _ro.DisposeAsync();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Steps1To12_AcrossVnoIcfDrf_OverMutualTls_InstallDmAccount_KeepSho_RegisterAtSho()
    {
        var (device, _, _) = await _ro.ManufactureAsync("001900000000001", Ct);

        var outcome = await RoProvisioningClient.AttachAndBootstrapAsync(device, _ro.Vno.DeviceAddress!, _ro.Drf.DeviceAddress!, _ro.Hierarchy.Root, Ct);

        Assert.Equal("sho", outcome.ShoId);
        Assert.Equal(new Uri(RegistrationOperatorFixture.DmUrl), outcome.DmUrl);
        Assert.StartsWith("10.45.", outcome.IpAddress, StringComparison.Ordinal);
        Assert.Equal("sho", Encoding.UTF8.GetString(device.Tre.ReadObject(TreCaller.Provisioning, TreObjects.DesignatedSho)!));
        Assert.False(device.Tre.HasRoBootstrapKey);
        // The DM account the DRF made at the DPF is the one installed in the device (credentials in the TRE only).
        var made = Assert.Single(_ro.DpfProvisionings);
        Assert.Equal(("001900000000001", "sho"), (made.Pcid, made.ShoId));
        Assert.Equal(device.Info.TreId, made.DmAccount!.ClientUser);
        var account = DmClientAccounts.Load(device, outcome.DmServerId);
        Assert.NotNull(account);
        Assert.Equal(new Uri(RegistrationOperatorFixture.DmUrl), account!.ServerUri);
        Assert.Equal(Encoding.UTF8.GetBytes(made.DmAccount.ClientPassword!), account.ClientPassword);

        // Step 12: the DPF passes the M2MMobj it read; the DRF registers the M2ME at the SHO.
        var m2mMobj = new M2MMobjDto("001900000000001", device.Info.TreId, "sho", Der(), Der(), Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)));
        var drf = new DrfClient(await _ro.ClientAsync("dpf", "drf", Ct));
        var accepted = await drf.SubmitM2MMobjAsync("001900000000001", m2mMobj, Ct);
        Assert.Equal("validating", accepted.State);
        var registered = Assert.Single(_ro.ShoRegistrations);
        Assert.Equal(m2mMobj, registered.M2mmobj);
        // Issue 16: the same M2MMobj again (the DPF resuming a lost step 12) goes to the SHO again, whose registration is idempotent;
        // an M2MMobj naming another SHO than the Bootstrap designated is refused before the SHO.
        var again = await drf.SubmitM2MMobjAsync("001900000000001", m2mMobj, Ct);
        Assert.Equal("validating", again.State);
        Assert.Equal(2, _ro.ShoRegistrations.Count);
        var other = await Assert.ThrowsAsync<M2MSec.NetworkFunctions.Hosting.PeerRequestException>(
            () => drf.SubmitM2MMobjAsync("001900000000001", m2mMobj with { ShoId = "sho-b" }, Ct));
        Assert.Equal(HttpStatusCode.Conflict, other.StatusCode);
        Assert.Equal(2, _ro.ShoRegistrations.Count);
        // Only the DPF may submit M2MMobj.
        using var asVno = await (await _ro.ClientAsync("vno", "drf", Ct)).PostAsJsonAsync("registrations/001900000000001/m2mmobj", m2mMobj,
            M2MSec.NetworkFunctions.Hosting.NetworkFunctionHost.JsonOptions, Ct);
        Assert.Equal(HttpStatusCode.Forbidden, asVno.StatusCode);
    }

    [Fact]
    public async Task AttachWithImsi_RoutesToTheShoHss_EpsVector_AkaInTheTre()
    {
        var (device, _, _) = await _ro.ManufactureAsync("001900000000002", Ct);
        var k = RandomNumberGenerator.GetBytes(16);
        var opc = RandomNumberGenerator.GetBytes(16);
        device.Tre.InstallSubscription(TreCaller.Manufacturer, "001010000000077", k, opc);
        await _ro.Hss.Services.GetRequiredService<IStateStore>().Subscribers.AddAsync(new HssSubscriber("001010000000077", k, opc, [0x80, 0]), 0, Ct);

        var attached = await RoProvisioningClient.AttachAsync(device, "001010000000077", _ro.Vno.DeviceAddress!, _ro.Hierarchy.Root, Ct);
        Assert.Null(attached.RestrictedTo);
        Assert.StartsWith("10.45.", attached.IpAddress, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ResynchronisationDuringAttach_AutsToTheIcf_ThenAttached()
    {
        var (device, k, opc) = await _ro.ManufactureAsync("001900000000003", Ct);
        // The TRE accepts a vector far ahead of the ICF's SEQ_HE (made here with the same credential): the ICF is now behind.
        var ahead = M2MSec.Aka.AkaVectors.Generate(M2MSec.Aka.Milenage.Default, k, opc, RandomNumberGenerator.GetBytes(16),
            M2MSec.Aka.SqnScheme.Default.Compose(50, 3), [0x80, 0x00]);
        Assert.True(device.Tre.RunProvisionalAka(TreCaller.Network, ahead.Rand, ahead.Autn).IsSuccess);
        var outcome = await RoProvisioningClient.AttachAndBootstrapAsync(device, _ro.Vno.DeviceAddress!, _ro.Drf.DeviceAddress!, _ro.Hierarchy.Root, Ct);
        Assert.Equal("sho", outcome.ShoId);
    }

    [Fact]
    public async Task Assignment_ByAnAdministrator_DesignatesTheSho_InTheMacdBootstrap_OtherRolesGet403()
    {
        var (device, _, _) = await _ro.ManufactureAsync("001900000000004", Ct);
        var admin = new DrfClient(await _ro.AdminClientAsync("drf", Ct));
        var icf = new DrfClient(await _ro.ClientAsync("icf", "drf", Ct));
        var assigned = await admin.AssignAsync("001900000000004", "sho-east", Ct);
        Assert.Equal("sho-east", assigned.ShoId);
        var refused = await Assert.ThrowsAsync<M2MSec.NetworkFunctions.Hosting.PeerRequestException>(() =>
            icf.AssignAsync("001900000000004", "sho-evil", Ct));
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        var bad = await Assert.ThrowsAsync<M2MSec.NetworkFunctions.Hosting.PeerRequestException>(() =>
            admin.AssignAsync("001900000000004", "no spaces", Ct));
        Assert.Contains("sho_id", bad.Problem, StringComparison.Ordinal);

        var outcome = await RoProvisioningClient.AttachAndBootstrapAsync(device, _ro.Vno.DeviceAddress!, _ro.Drf.DeviceAddress!, _ro.Hierarchy.Root, Ct);
        Assert.Equal("sho-east", outcome.ShoId);
        Assert.Equal("sho-east", Assert.Single(_ro.DpfProvisionings).ShoId);
    }

    private static string Der() => Convert.ToBase64String([0x30, 0x03, 0x02, 0x01, 0x01]);
}
