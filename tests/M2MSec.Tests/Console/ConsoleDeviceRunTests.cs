using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;
using M2MSec.Pki.Tls;
using M2MSec.Tests.DeviceRun;

namespace M2MSec.Tests.Console;

/// <summary>
/// Issue 20, "`device run` against `serve all` … visible in the console": the console `serve all` starts, opened on devices that
/// `m2msec device run` runs in other processes — a TRE-based device provisioned through the 21 steps, and a UICC-based one
/// (`--kind uicc`: an HSS subscriber and an OTA card, no DM account) — each one row of the fleet with its stage, IMSI and the battery
/// figure it reported to the VNO, and its device page.
/// </summary>
public sealed partial class ConsoleDeviceRunTests(DeviceRunFleet fleet) : IClassFixture<DeviceRunFleet>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task DeviceRunInAnotherProcess_ShowsOnFleetAndDevicePage_WithStageAndBattery()
    {
        var devices = Path.Combine(fleet.Directory, "devices");
        await using var tre = fleet.Run("--data", Path.Combine(devices, "tre"), "--dm-interval", "3600");
        await using var uicc = fleet.Run("--data", Path.Combine(devices, "uicc"), "--kind", "uicc");
        var provisioned = (await tre.WaitForAsync("provisioned"))[0];
        var pcid = provisioned.GetProperty("pcid").GetString()!;
        var imsi = DeviceProcess.Detail(provisioned).Split(' ')[1];
        var created = DeviceProcess.Detail((await uicc.WaitForAsync("created"))[0]).Split(' ', ',', ':').Where(w => w.Length > 0).ToList();
        var (uiccImsi, iccid) = (created[created.IndexOf("imsi") + 1], created[created.IndexOf("iccid") + 1]);
        await tre.WaitForAsync("battery-reported");
        await uicc.WaitForAsync("battery-reported");

        using var browser = await LoggedInAsync();
        var page = await browser.GetStringAsync("/", Ct);
        // One row per device: the TRE-based device (its DPF account under its PCID joins its row) and the UICC-based one (its card, by ICCID).
        Assert.Equal(2, Regex.Count(page, "<tr data-device="));
        Assert.Contains("data-count=\"2\"", page, StringComparison.Ordinal);
        var treRow = Row(page, pcid);
        Assert.Contains($"data-kind=\"tre\" data-step=\"21\"", treRow, StringComparison.Ordinal);
        Assert.Contains($"<td>{imsi}</td>", treRow, StringComparison.Ordinal);
        Assert.Contains("<td>provisioned</td>", treRow, StringComparison.Ordinal);
        Assert.Matches(Battery(), treRow);
        var uiccRow = Row(page, iccid);
        Assert.Contains("data-kind=\"uicc\"", uiccRow, StringComparison.Ordinal);
        Assert.Contains($"<td>{uiccImsi}</td>", uiccRow, StringComparison.Ordinal);
        Assert.Matches(Battery(), uiccRow);

        var trePage = await browser.GetStringAsync($"/devices/{pcid}", Ct);
        Assert.Contains($"id=\"device-imsi\">{imsi}<", trePage, StringComparison.Ordinal);
        Assert.Contains("id=\"device-stage\">step 21: provisioned<", trePage, StringComparison.Ordinal);
        Assert.Matches("<dt>battery</dt><dd>" + Battery(), trePage);
        var uiccPage = await browser.GetStringAsync($"/devices/{iccid}", Ct);
        Assert.Contains("id=\"device-kind\">uicc<", uiccPage, StringComparison.Ordinal);
        Assert.Contains($"id=\"device-imsi\">{uiccImsi}<", uiccPage, StringComparison.Ordinal);
        Assert.Matches("<dt>battery</dt><dd>" + Battery(), uiccPage);

        Assert.Equal(0, await tre.StopAsync());
        Assert.Equal(0, await uicc.StopAsync());
    }

    /// <summary>The fleet row of <paramref name="id"/> (exactly one).</summary>
    private static string Row(string page, string id) =>
        Assert.Single(RowOf().Matches(page).Select(m => m.Value), r => r.StartsWith($"<tr data-device=\"{id}\"", StringComparison.Ordinal));

    [GeneratedRegex("<tr data-device=.*?</tr>", RegexOptions.Singleline)]
    private static partial Regex RowOf();

    /// <summary>A reported figure ("50.0 % at 2026-12-04 15:20:00Z"), not "not reported to the network".</summary>
    private static string Battery() => @"[0-9]+\.[0-9] % at [0-9-]+ [0-9:]+Z";

    /// <summary>A browser-like client logged in with the administrator's certificate `serve all` wrote, trusting the operator root.</summary>
    private async Task<HttpClient> LoggedInAsync()
    {
        var root = X509CertificateLoader.LoadCertificateFromFile(Path.Combine(fleet.Directory, "root.pem"));
        var chain = new X509Certificate2Collection();
        chain.ImportFromPemFile(Path.Combine(fleet.Directory, "chain.pem"));
        var admin = X509Certificate2.CreateFromPemFile(Path.Combine(fleet.Directory, "admin.crt"), Path.Combine(fleet.Directory, "admin.key"));
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            CookieContainer = new CookieContainer(),
            UseCookies = true,
            SslOptions =
            {
                RemoteCertificateValidationCallback = ProfileChainValidator.ServerCallback(root, chain),
                ClientCertificates = [admin],
                LocalCertificateSelectionCallback = (_, _, _, _, _) => admin,
            },
        };
        var browser = new HttpClient(handler) { BaseAddress = new Uri(fleet.Address("console")), Timeout = TimeSpan.FromSeconds(60) };
        using var login = await ConsoleFleet.PostFormAsync(browser, "/login", "/login/certificate", [], Ct);
        Assert.Equal(HttpStatusCode.SeeOther, login.StatusCode);
        return browser;
    }
}
