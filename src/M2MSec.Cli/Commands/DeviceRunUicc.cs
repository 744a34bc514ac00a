using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using M2MSec.Cli.Internal;
using M2MSec.Device.Dm;
using M2MSec.Device.M2me;
using M2MSec.Device.Uicc;
using M2MSec.NetworkFunctions.Dm;
using M2MSec.NetworkFunctions.Hosting;
using M2MSec.NetworkFunctions.Hss;
using M2MSec.NetworkFunctions.Ota;

namespace M2MSec.Cli.Commands;

/// <summary>
/// Issue 20 (docs/decisions/033): the UICC-based devices of `device run --kind uicc` — opened, or made on an empty directory as the
/// demo makes its UICC devices: an ME with a card (uicc/card.bin, sealed under the device's fuse) personalised with random keys — the
/// USIM's K and OPc, the OTA key set (KIc, KID; KVN 1, AES-128 CBC / CMAC, for the RFM TAR and the Security Domain's) and the SCP81 PSK —
/// registered as `hss subscriber add` and `ota card add` do, through the admin APIs of FILE with the administrator credentials beside it
/// (the card with its IMSI: the OTA server keeps the link, by which the console lists the device). When FILE lists the DM server's admin
/// listener (dm-admin), the device also gets a DM account there as an operator gives one: the DM server makes it and answers with its
/// bootstrap package, MAC'd with a key the creator shares with the device only; the device checks the MAC before installing the DMAcc
/// in its TRE, with the operator root to check the DM server by.
/// The subscriber is added first, then the DM account, then the card; a refusal removes what was made before it: nothing is left half-made.
/// </summary>
internal static class DeviceRunUicc
{
    /// <summary>The RFM application's TAR (TS 101 220 Annex D), as the demo's cards have it.</summary>
    private static readonly byte[] RfmTar = [0xB0, 0x00, 0x01];
    private static readonly byte[] DefaultAmf = [0x80, 0x00];

    /// <summary>The device and its card in <paramref name="dir"/>, or a new one made and registered at the HSS and the OTA server.</summary>
    public static (M2meDevice Device, SimulatedUicc Uicc, bool Created) OpenOrCreate(TextWriter error, RunningServices services, string dir, string fuseDir, CancellationToken ct)
    {
        if (M2meDevice.Exists(dir))
        {
            DeviceCommand.CheckExisting(dir, fuseDir);
            var existing = M2meDevice.Open(dir, fuseDir);
            if (existing.Info.Kind != M2meKind.Uicc)
                throw CliExitException.Bad($"--kind: {dir} is a TRE-based device; run it with --kind tre");
            var card = CliPaths.Guard("--data", dir, () =>
            {
                try
                {
                    return SimulatedUicc.Load(dir, fuseDir, existing.Info.TreId);
                }
                catch (Exception e) when (e is InvalidDataException or FileNotFoundException or DirectoryNotFoundException)
                {
                    throw CliExitException.Bad($"--data: {dir}: its card does not open ({e.Message})");
                }
            });
            return card.IsPersonalised ? (existing, card, false)
                : throw CliExitException.Bad($"--data: {dir}: its card holds no USIM subscription or SCP81 PSK (not made by `device run --kind uicc`)");
        }
        // Both admin clients before anything is made: a FILE without hss or ota is exit 2 with nothing created.
        using var hssHttp = services.AdminClient("--endpoints", "hss");
        using var otaHttp = services.AdminClient("--endpoints", "ota");
        using var dmHttp = services.Find("dm-admin") is null ? null : services.AdminClient("--endpoints", "dm-admin");
        var dm = dmHttp is null ? null : new DmRegistration(dmHttp, services.Require("--endpoints", "dm"),
            services.OperatorRoot ?? throw CliExitException.Bad("--endpoints: no operator root (root.pem) beside it for the DM server's certificate"));
        // An IMSI of the HSS's PLMN (MCC+MNC 001 01) and an ICCID (issuer 89 882 11…), random like every key.
        var imsi = "00101" + Digits(10);
        var iccid = "89882110" + Digits(11);
        var k = RandomNumberGenerator.GetBytes(16);
        var opc = RandomNumberGenerator.GetBytes(16);
        var kic = RandomNumberGenerator.GetBytes(16);
        var kid = RandomNumberGenerator.GetBytes(16);
        var psk = RandomNumberGenerator.GetBytes(16);
        var pskIdentity = "card-" + iccid;
        var uiccDir = Path.Combine(dir, "uicc");
        try
        {
            var device = DeviceCommand.CreateOrUndo(dir, fuseDir, () =>
            {
                try
                {
                    var made = M2meDevice.Create(dir, fuseDir, imsi, M2meKind.Uicc);
                    var uicc = SimulatedUicc.Issue(dir, fuseDir, made.Info.TreId, iccid, imsi);
                    uicc.AddKeySet(RfmTar, 1, kic, kid);
                    uicc.AddKeySet(OtaJobs.IsdTar, 1, kic, kid);
                    uicc.Personalise(k, opc, pskIdentity, psk);
                    RegisterAsync(new HssClient(hssHttp), otaHttp, dm is null ? null : token => BootstrapDmAsync(dm, made, iccid, token), imsi, iccid, k, opc, kic, kid, pskIdentity,
                        psk, ct).GetAwaiter().GetResult();
                    return made;
                }
                catch when (Directory.Exists(uiccDir))
                {
                    Directory.Delete(uiccDir, recursive: true);
                    throw;
                }
            });
            error.WriteLine($"made UICC device {device.Info.TreId} (imsi {imsi}, iccid {iccid}) in {dir}; registered at the HSS and the OTA server");
            // Opened again from its sealed image: the card made above shares the key arrays wiped below.
            return (device, SimulatedUicc.Load(dir, fuseDir, device.Info.TreId), true);
        }
        finally
        {
            foreach (var secret in new[] { k, opc, kic, kid, psk })
                CryptographicOperations.ZeroMemory(secret);
        }
    }

    /// <summary>
    /// The subscriber at the HSS, then the DM account (when there is a DM server), then the card at the OTA server; the DM server or the OTA
    /// server refusing removes the subscriber (and the DM account) again.
    /// </summary>
    private static async Task RegisterAsync(HssClient hss, HttpClient ota, Func<CancellationToken, Task<Func<Task>>>? dm, string imsi, string iccid, byte[] k, byte[] opc, byte[] kic, byte[] kid,
        string pskIdentity, byte[] psk, CancellationToken ct)
    {
        try
        {
            await hss.AddSubscriberAsync(imsi, k, opc, DefaultAmf, ct);
        }
        catch (HttpRequestException e)
        {
            throw RunningServices.Refusal("hss", e);
        }
        Func<Task>? undoDm = null;
        try
        {
            if (dm is not null)
                undoDm = await dm(ct);
            using var added = await ota.PostAsJsonAsync("cards", new AddCardRequest(iccid, "12", "12", Convert.ToHexStringLower(kic), Convert.ToHexStringLower(kid),
                pskIdentity, Convert.ToHexStringLower(psk), imsi), NetworkFunctionHost.JsonOptions, ct);
            if (!added.IsSuccessStatusCode)
            {
                var status = (int)added.StatusCode;
                throw new CliExitException(added.StatusCode switch
                {
                    HttpStatusCode.Forbidden => ExitCodes.SecurityRefused,
                    >= HttpStatusCode.InternalServerError => ExitCodes.CouldNotRun,
                    _ => ExitCodes.BadArguments,
                }, $"ota: refused the card {iccid} ({status}); the HSS subscriber {imsi} was removed again");
            }
        }
        catch (Exception e) when (e is CliExitException or HttpRequestException or OperationCanceledException)
        {
            if (undoDm is not null)
                await undoDm();
            await hss.RetireAsync(imsi, CancellationToken.None);
            if (e is CliExitException { Message: var m } x && m.StartsWith("dm", StringComparison.Ordinal))
                throw new CliExitException(x.ExitCode, $"{m}; the HSS subscriber {imsi} was removed again");
            if (e is HttpRequestException h)
                throw new CliExitException(ExitCodes.CouldNotRun, $"ota: not reachable ({h.Message.Split('\n')[0]}); the HSS subscriber {imsi} was removed again");
            throw;
        }
    }

    /// <summary>The DM server's admin API, where devices reach it (its account's Addr), and the root its certificate chains to.</summary>
    private sealed record DmRegistration(HttpClient Admin, Uri DeviceUrl, X509Certificate2 OperatorRoot);

    /// <summary>
    /// The device's DM account, as an operator gives it: the DM server makes the account (its passwords random, made there) and answers
    /// with the bootstrap package (OMA-TS-DM_Bootstrap-V1_2 §5), its MAC keyed with a fresh secret only this creator and the device share;
    /// the device checks the MAC over the body before it installs the DMAcc (sealed in its TRE), with the operator root as its DM root.
    /// </summary>
    /// <returns>What removes the account again (the card refused after it).</returns>
    private static async Task<Func<Task>> BootstrapDmAsync(DmRegistration dm, M2meDevice device, string iccid, CancellationToken ct)
    {
        device.Tre.ProvisionTrustAnchor(M2MSec.Device.Tre.TreCaller.Manufacturer, DeviceCommand.DmRootName, dm.OperatorRoot);
        var key = RandomNumberGenerator.GetBytes(32);
        byte[] body = [];
        try
        {
            DmAccountBootstrapResponse made;
            try
            {
                made = await JsonApiClient.PostAsync<DmAccountRequest, DmAccountBootstrapResponse>(dm.Admin, "accounts",
                    new DmAccountRequest(iccid, dm.DeviceUrl.ToString(), Convert.ToHexStringLower(key)), ct);
            }
            catch (HttpRequestException e)
            {
                throw RunningServices.Refusal("dm", e);
            }
            body = made.BodyHex is { Length: > 0 } hex && hex.Length % 2 == 0 && hex.All(Uri.IsHexDigit) ? Convert.FromHexString(hex) : [];
            async Task Undo()
            {
                try
                {
                    using var removed = await dm.Admin.DeleteAsync($"accounts/{Uri.EscapeDataString(iccid)}", CancellationToken.None);
                }
                catch (HttpRequestException)
                {
                    // Best effort: an account for an ICCID no device will use again.
                }
            }
            var applied = DmBootstrap.ApplyWithKey(device, body, key, made.Mac, devId: iccid);
            if (!applied.Applied)
            {
                await Undo();
                throw new CliExitException(ExitCodes.SecurityRefused, $"dm: the device refused its DM bootstrap ({applied.Detail}); its DM account was removed again");
            }
            return Undo;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
            CryptographicOperations.ZeroMemory(body);
        }
    }

    /// <summary>The OTA role's SCP81 admin listener of FILE (ota-scp81), where an OTA-job trigger's PSK-TLS session goes.</summary>
    public static IPEndPoint Scp81(RunningServices services)
    {
        var url = services.Require("--endpoints", "ota-scp81");
        return IPAddress.TryParse(url.Host, out var address) ? new IPEndPoint(address, url.Port)
            : throw CliExitException.Bad($"--endpoints: ota-scp81 ({url}) is not an IP address and port");
    }

    private static string Digits(int n) =>
        string.Concat(Enumerable.Range(0, n).Select(_ => RandomNumberGenerator.GetInt32(0, 10).ToString(CultureInfo.InvariantCulture)));
}
