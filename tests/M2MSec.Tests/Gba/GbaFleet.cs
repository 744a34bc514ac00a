using System.Security.Cryptography;
using System.Text;
using M2MSec.Aka;
using M2MSec.Device.Gba;
using M2MSec.Device.M2me;
using M2MSec.Device.Provisioning;
using M2MSec.Device.Tre;
using M2MSec.Device.Uicc;
using M2MSec.NetworkFunctions.Hosting;
using M2MSec.NetworkFunctions.Hss;
using M2MSec.Tests.Support;

namespace M2MSec.Tests.Gba;

/// <summary>
/// Issue 18: every role of the catalog in one process under mutual TLS (as `serve all`), with helpers for GBA: subscribers of the
/// HSS with their GUSS GBA type, TRE (GBA_ME) and UICC (GBA_U) devices, the device's client to the BSF's device listener and a NAF's
/// client to its Zn (role naf, dNSName = the NAF's FQDN).
/// </summary>
public sealed class GbaFleet : IAsyncLifetime
{
    private int _next;

    public const string NafFqdn = NetworkFunctionCatalog.DefaultNafFqdn;

    /// <summary>Ua security protocol id of TLS_PSK_WITH_AES_128_GCM_SHA256 (TS 33.220 Annex H: 01 00 01 ‖ the suite).</summary>
    public static readonly byte[] UaPskAes128Gcm = [0x01, 0x00, 0x01, 0x00, 0xA8];

    public static byte[] NafId(string fqdn = NafFqdn) => GbaKeys.NafId(fqdn, UaPskAes128Gcm);

    public string Directory { get; } = TestKeyRing.TempDirectory("m2msec-gba-");

    public NetworkFunctionFleet Fleet { get; private set; } = null!;

    public string Fuses => Path.Combine(Directory, "fuses");

    public async ValueTask InitializeAsync() =>
        Fleet = await NetworkFunctionCatalog.StartAllAsync(new StoreOptions(Path.Combine(Directory, "nf"), Path.Combine(Directory, "kek.json")), createKeyRing: true,
            cancellationToken: TestContext.Current.CancellationToken);

    public async ValueTask DisposeAsync()
    {
        await Fleet.DisposeAsync();
        System.IO.Directory.Delete(Directory, true);
    }

    /// <summary>A device's client to the BSF's device listener (server certificate checked against the operator root).</summary>
    public HttpClient BsfDevice(Uri? address = null) => RoProvisioningClient.Client(address ?? Fleet["bsf"].DeviceAddress!, Fleet.Hierarchy!.Root);

    /// <summary>A NAF's client to the BSF's Zn: role naf (or <paramref name="role"/>), dNSName <paramref name="fqdn"/>.</summary>
    public Task<HttpClient> NafAsync(CancellationToken ct, string fqdn = NafFqdn, string role = "naf") =>
        Fleet.ClientAsAsync(role, "bsf", TimeSpan.FromSeconds(30), ct, "naf-" + fqdn.Split('.')[0], [fqdn]);

    /// <summary>A new IMSI with K/OPc in the HSS and its GUSS GBA type.</summary>
    public async Task<(string Imsi, byte[] K, byte[] Opc)> SubscriberAsync(string gbaType, CancellationToken ct)
    {
        var imsi = $"00101{Interlocked.Increment(ref _next) + 80_000_000:D10}";
        var (k, opc) = (RandomNumberGenerator.GetBytes(16), RandomNumberGenerator.GetBytes(16));
        using var hss = Fleet.AdminClient("hss", TimeSpan.FromSeconds(30));
        var client = new HssClient(hss);
        await client.AddSubscriberAsync(imsi, k, opc, new byte[] { 0x80, 0x00 }, ct);
        await client.SetGbaTypeAsync(imsi, gbaType, ct);
        return (imsi, k, opc);
    }

    /// <summary>A TRE-based device holding the subscription in its TRE (GBA_ME).</summary>
    public async Task<GbaTestDevice> TreDeviceAsync(CancellationToken ct, TimeProvider? time = null)
    {
        var (imsi, k, opc) = await SubscriberAsync(GbaTypes.GbaMe, ct);
        var device = M2meDevice.Create(Path.Combine(Directory, "dev-" + imsi), Fuses, "0019" + imsi[4..], M2meKind.Tre);
        device.Tre.InstallSubscription(TreCaller.Manufacturer, imsi, k, opc);
        return new GbaTestDevice(imsi, k, opc, new TreGbaAuthenticator(device.Tre, imsi, time), null);
    }

    /// <summary>A UICC-based device: the USIM's GBA security context runs Ub (GBA_U).</summary>
    public async Task<GbaTestDevice> UiccDeviceAsync(CancellationToken ct, TimeProvider? time = null)
    {
        var (imsi, k, opc) = await SubscriberAsync(GbaTypes.GbaU, ct);
        var usim = new SimulatedUsim(imsi, k, opc);
        return new GbaTestDevice(imsi, k, opc, new UiccGbaAuthenticator(usim, time), usim);
    }
}

/// <summary>A GBA device of the tests and, for the independent checks, the subscription the test itself knows.</summary>
public sealed record GbaTestDevice(string Imsi, byte[] K, byte[] Opc, IGbaAuthenticator Authenticator, SimulatedUsim? Usim)
{
    public string Impi => Authenticator.Impi;

    /// <summary>
    /// TS 33.220 Annex B by hand, apart from GbaKeys/Kdf3gpp: Key = CK ‖ IK from MILENAGE with this RAND,
    /// S = FC(0x01) ‖ P0 ‖ L0 ‖ P1 = RAND ‖ L1 = 00 10 ‖ P2 = IMPI ‖ L2 ‖ P3 = NAF_Id ‖ L3, HMAC-SHA-256.
    /// </summary>
    public byte[] HandWrittenNafKey(string label, byte[] rand, byte[] nafId)
    {
        Milenage.Default.Compute(K, Opc, rand, new byte[6], new byte[2], out var o);
        byte[] key = [.. o.Ck, .. o.Ik];
        o.Clear();
        static byte[] L(int n) => [(byte)(n >> 8), (byte)n];
        var p0 = Encoding.ASCII.GetBytes(label); // "gba-me" = 67 62 61 2d 6d 65, "gba-u" = 67 62 61 2d 75
        var impi = Encoding.UTF8.GetBytes(Impi);
        byte[] s = [0x01, .. p0, .. L(p0.Length), .. rand, 0x00, 0x10, .. impi, .. L(impi.Length), .. nafId, .. L(nafId.Length)];
        return HMACSHA256.HashData(key, s);
    }
}
