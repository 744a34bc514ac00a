using System.Globalization;
using System.Net;
using System.Text.Json;
using M2MSec.NetworkFunctions.Console;
using M2MSec.NetworkFunctions.Hosting;
using M2MSec.NetworkFunctions.MtcIwf;
using M2MSec.Tests.Support;
using OpenQA.Selenium;

namespace M2MSec.Tests.Browser;

/// <summary>
/// Issue 20: the web console in a real browser (Debian's chromium through chromedriver), against a small demo's fleet running as
/// `serve all` would: the one-time token login and its cookie, every page, each action — checked through the services' APIs and
/// the CLI's readers, not only on the page —, requests without the session or without the anti-forgery token refused, the live
/// view updated by server-sent events without a reload, the administrator-certificate login (AutoSelectCertificateForUrls), and a
/// browser without the operator root refusing the console. The main pages' screenshots are docs/images/console-*.png.
/// </summary>
[Collection(ChromiumCollection.Name)]
public sealed class ConsoleBrowserTests(ConsoleRigFixture fixture) : IClassFixture<ConsoleRigFixture>
{
    private static readonly TimeSpan ApiTimeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Token_login_gives_an_HttpOnly_Secure_SameSiteStrict_session_cookie_and_the_token_works_once_ReplayedLoginTokenThreat()
    {
        var rig = await fixture.GetAsync();

        // The rig typed the printed token into the login page: the session names the token as its actor.
        rig.Go("/");
        Assert.Equal("token", rig.Browser.Driver.FindElement(By.Id("who")).Text);
        var cookie = rig.Browser.Driver.Manage().Cookies.GetCookieNamed(ConsoleHost.SessionCookie);
        Assert.NotNull(cookie);
        Assert.True(cookie.IsHttpOnly);
        Assert.True(cookie.Secure);
        Assert.Equal("Strict", cookie.SameSite);
        Assert.Equal("/", cookie.Path);

        // Script in the page cannot read it (HttpOnly).
        var visible = rig.Browser.Driver.ExecuteScript("return document.cookie;") as string ?? "";
        Assert.DoesNotContain(ConsoleHost.SessionCookie, visible, StringComparison.Ordinal);

        // A fresh token works once: its replay is refused and opens no session.
        var token = rig.Console.NewLoginToken();
        using var first = rig.Client();
        Assert.Equal(HttpStatusCode.SeeOther, (await LogInAsync(first, token)).StatusCode);
        using var replay = rig.Client();
        var refused = await LogInAsync(replay, token);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Equal(HttpStatusCode.SeeOther, (await replay.GetAsync("/")).StatusCode); // still sent to /login
    }

    [Fact]
    public async Task Every_page_renders_in_the_browser_with_the_demo_fleet_and_is_reached_from_the_navigation()
    {
        var rig = await fixture.GetAsync();
        var driver = rig.Browser.Driver;

        // Fleet: every device of the demo, TRE- and UICC-based.
        rig.Go("/");
        // One row per device: a TRE-based device's DM accounts (TRE id at the DM server, PCID at the DPF) join its row.
        Assert.Equal(ConsoleRig.Devices, int.Parse(driver.FindElement(By.Id("fleet-count")).GetAttribute("data-count")!, CultureInfo.InvariantCulture));
        var rows = driver.FindElements(By.CssSelector("#fleet tbody tr"));
        Assert.Contains(rows, r => r.FindElements(By.TagName("td"))[1].Text == "tre");
        Assert.Contains(rows, r => r.FindElements(By.TagName("td"))[1].Text == "uicc");
        rig.Screenshot("fleet");

        // A device: reached by its link, with its summary, DM jobs and audit entries.
        var tre = rows.First(r => r.FindElements(By.TagName("td"))[1].Text == "tre");
        var id = tre.GetAttribute("data-device")!;
        tre.FindElement(By.CssSelector("a[data-testid=device-link]")).Click();
        Assert.Equal(id, rig.Browser.Wait(d => d.FindElement(By.Id("device-id"))).Text);
        Assert.Equal("tre", driver.FindElement(By.Id("device-kind")).Text);
        Assert.NotEmpty(driver.FindElements(By.CssSelector("#device-audit tbody tr")));
        Assert.NotEmpty(driver.FindElements(By.Id("dm-job-form")));
        rig.Screenshot("device");

        // The provisioning funnel: manufactured, then the 21 steps; the demo's TRE devices at step 21.
        Click(rig, "nav-funnel");
        Assert.Equal(Enumerable.Range(0, 22).Select(i => i.ToString(CultureInfo.InvariantCulture)),
            driver.FindElements(By.CssSelector("#funnel tbody tr")).Select(r => r.GetAttribute("data-step")));
        Assert.NotEqual("0", driver.FindElement(By.CssSelector("#funnel tr[data-step='21'] td.count")).Text);
        rig.Screenshot("funnel");

        // DM and OTA jobs: the demo configured devices by both.
        Click(rig, "nav-jobs");
        Assert.NotEmpty(driver.FindElements(By.CssSelector("#dm-jobs tbody tr")));
        Assert.NotEmpty(driver.FindElements(By.CssSelector("#ota-jobs tbody tr")));
        rig.Screenshot("jobs");

        // PKI: the operator hierarchy's certificates, each revocable through the OCSP admin API.
        Click(rig, "nav-pki");
        Assert.NotEmpty(driver.FindElements(By.CssSelector("#certificates-ocsp tbody tr")));
        Assert.NotEmpty(driver.FindElements(By.CssSelector("form[data-testid=revoke-form]")));
        rig.Screenshot("pki");

        // Groups: the demo's MTC group at the VNO.
        Click(rig, "nav-groups");
        Assert.NotEmpty(driver.FindElements(By.CssSelector("#groups tbody tr")));
        rig.Screenshot("groups");

        // Audit, filtered by action in the form.
        Click(rig, "nav-audit");
        var all = int.Parse(driver.FindElement(By.Id("audit-count")).GetAttribute("data-count")!, CultureInfo.InvariantCulture);
        Assert.True(all > 0);
        driver.FindElement(By.Id("filter-action")).SendKeys("console.login");
        driver.FindElement(By.Id("filter-submit")).Click();
        rig.Browser.Wait(d => d.Url.Contains("action=console.login", StringComparison.Ordinal));
        var filtered = driver.FindElements(By.CssSelector("#audit tbody tr"));
        Assert.NotEmpty(filtered);
        Assert.All(filtered, r => Assert.StartsWith("console.login", r.FindElements(By.TagName("td"))[3].Text, StringComparison.Ordinal));
        Assert.True(filtered.Count < all);
        rig.Screenshot("audit");

        // Live: connected to the event stream, the counts filled in.
        Click(rig, "nav-live");
        rig.Browser.Wait(d => d.FindElement(By.Id("live-status")).GetAttribute("data-state") == "connected");
        rig.Browser.Wait(d => d.FindElement(By.Id("live-devices")).Text != "…");
        rig.Screenshot("live");
    }

    [Fact]
    public async Task Queue_DM_job_from_the_device_page_is_queued_at_the_DM_server_and_a_value_outside_TS_24_368_queues_nothing()
    {
        var rig = await fixture.GetAsync();
        var driver = rig.Browser.Driver;
        var dev = Device(rig, "uicc");
        var before = await DmJobsAsync(rig, dev);

        // Out of range for the TS 24.368 model: refused on the page, nothing queued.
        rig.Go("/devices/" + Uri.EscapeDataString(dev));
        Choose(driver.FindElement(By.Id("dm-job-leaf")), "NAS_SignallingPriority");
        driver.FindElement(By.Id("dm-job-value")).SendKeys("7");
        driver.FindElement(By.Id("dm-job-submit")).Click();
        var refused = rig.Browser.Wait(d => d.FindElement(By.Id("action-result")));
        Assert.Equal("refused", refused.GetAttribute("data-outcome"));
        Assert.Equal(before.Count, (await DmJobsAsync(rig, dev)).Count);

        // A valid value: queued, with its read-back, in the DM server's store (what `dm job show` reads).
        rig.Go("/devices/" + Uri.EscapeDataString(dev));
        Choose(driver.FindElement(By.Id("dm-job-leaf")), "NAS_SignallingPriority");
        driver.FindElement(By.Id("dm-job-value")).SendKeys("1");
        driver.FindElement(By.Id("dm-job-submit")).Click();
        var done = rig.Browser.Wait(d => d.FindElement(By.Id("action-result")));
        Assert.Equal("ok", done.GetAttribute("data-outcome"));
        var after = await DmJobsAsync(rig, dev);
        var queued = Assert.Single(after, j => !before.Any(b => b.GetProperty("id").GetString() == j.GetProperty("id").GetString()));
        Assert.Contains(queued.GetProperty("id").GetString()!, done.Text, StringComparison.Ordinal);
        Assert.Equal("queued", queued.GetProperty("state").GetString());
        Assert.Contains(queued.GetProperty("commands").EnumerateArray(), c => c.GetProperty("verb").GetString() == "replace"
            && c.GetProperty("uri").GetString()!.EndsWith("/NAS_SignallingPriority", StringComparison.Ordinal) && c.GetProperty("value").GetString() == "1");
        Assert.Contains(await AuditAsync(rig, "dm", "dm.job.add"), e => e.Actor == "console:token" && e.Subject == dev);
    }

    [Fact]
    public async Task Revoke_certificate_from_the_PKI_page_the_OCSP_function_lists_it_revoked_in_its_CRL()
    {
        var rig = await fixture.GetAsync();
        var driver = rig.Browser.Driver;
        // A certificate of its own (the fleet's stay good): issued through the PKI admin API.
        using var pkiHttp = rig.Fleet.AdminClient(NetworkFunctionRole.Ocsp, ApiTimeout);
        using var issued = await new M2MSec.NetworkFunctions.Ocsp.PkiAdminClient(pkiHttp).IssueAsync(M2MSec.Pki.Authority.CertificateProfile.DmServer,
            new M2MSec.Pki.Authority.CertificateSubject("browser-revoke-" + Guid.NewGuid().ToString("N")[..8], ["127.0.0.1"]), days: 1);
        var serial = M2MSec.Pki.CertificateSerial.Of(issued);
        Assert.False(await RevokedInCrlAsync(rig, serial));

        rig.Go("/pki");
        var row = driver.FindElements(By.CssSelector($"tr[data-serial='{serial}']")).FirstOrDefault();
        Assert.True(row is not null, $"{serial} not on the PKI page: {driver.FindElement(By.Id("page")).Text[..Math.Min(2000, driver.FindElement(By.Id("page")).Text.Length)]}");
        Choose(row.FindElement(By.CssSelector("select[data-testid=revoke-reason]")), "keyCompromise");
        row.FindElement(By.CssSelector("button[data-testid=revoke-submit]")).Click();
        Assert.Equal("ok", rig.Browser.Wait(d => d.FindElement(By.Id("action-result"))).GetAttribute("data-outcome"));

        Assert.True(await RevokedInCrlAsync(rig, serial));
        rig.Go("/pki");
        Assert.StartsWith("revoked (keyCompromise)", driver.FindElement(By.CssSelector($"tr[data-serial='{serial}'] td.state")).Text, StringComparison.Ordinal);
        Assert.Contains(await AuditAsync(rig, ConsoleStores.ConsoleRole, "console.pki.revoke"), e => e.Subject.EndsWith(serial, StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task Send_trigger_from_the_device_page_reaches_the_MTC_IWF_and_is_delivered_through_the_VNO()
    {
        var rig = await fixture.GetAsync();
        var driver = rig.Browser.Driver;
        using var admin = rig.Fleet.AdminClient(MtcIwfFunction.RoleName, ApiTimeout);
        var grants = await JsonApiClient.GetAsync<MtcGrantList>(admin, "authorisations", CancellationToken.None);
        var grant = grants.Grants.First(g => g.MtcServer == AdminCredentials.MtcServerFile && !g.Device.StartsWith("live-", StringComparison.Ordinal));
        var before = (await AuditAsync(rig, MtcIwfFunction.RoleName, "mtciwf.trigger")).Count;

        rig.Go("/devices/" + Uri.EscapeDataString(Device(rig, "tre")));
        driver.FindElement(By.Id("trigger-device")).SendKeys(grant.Device);
        Choose(driver.FindElement(By.Id("trigger-action")), "dm-session");
        driver.FindElement(By.Id("trigger-submit")).Click();
        var result = rig.Browser.Wait(d => d.FindElement(By.Id("action-result")));
        Assert.True(result.GetAttribute("data-outcome") == "ok", result.Text);

        var entries = await AuditAsync(rig, MtcIwfFunction.RoleName, "mtciwf.trigger");
        Assert.Equal(before + 1, entries.Count);
        Assert.Equal(grant.Device, entries[^1].Subject);
        Assert.Equal("cert:" + AdminCredentials.MtcServerFile, entries[^1].Actor); // the MTC server's certificate, as for `trigger send`
    }

    [Fact]
    public async Task Move_to_another_SHO_from_the_device_page_the_RO_holds_the_change_to_the_new_SHO()
    {
        var rig = await fixture.GetAsync();
        var driver = rig.Browser.Driver;
        rig.Go("/");
        var pcid = driver.FindElements(By.CssSelector("#fleet tbody tr")).First(r =>
        {
            var cells = r.FindElements(By.TagName("td"));
            return cells[1].Text == "tre" && cells[5].Text == "sho";
        }).GetAttribute("data-device")!;
        // The RO (DRF) keeps the change of subscription the new SHO asked for (GET /changes/{pcid}, as an administrator).
        using var drf = rig.Fleet.AdminClient("drf", ApiTimeout);
        Assert.Equal(HttpStatusCode.NotFound, (await drf.GetAsync($"changes/{pcid}")).StatusCode);

        rig.Go("/devices/" + Uri.EscapeDataString(pcid));
        Choose(driver.FindElement(By.Id("move-to")), "sho-b");
        driver.FindElement(By.Id("move-submit")).Click();
        var result = rig.Browser.Wait(d => d.FindElement(By.Id("action-result")));
        Assert.True(result.GetAttribute("data-outcome") == "ok", result.Text);

        var change = await JsonApiClient.GetAsync<M2MSec.NetworkFunctions.Drf.DrfChangeDto>(drf, $"changes/{pcid}", CancellationToken.None);
        Assert.Equal(("sho", "sho-b"), (change.FromSho, change.ToSho));
        Assert.Contains(await AuditAsync(rig, "sho-b", "sho.change.requested"), e => e.Subject == pcid);
        Assert.Contains(await AuditAsync(rig, ConsoleStores.ConsoleRole, "console.sho.change"), e => e.Subject == pcid && e.Actor == "console:token");
    }

    [Fact]
    public async Task Action_without_a_session_is_refused_401_and_changes_nothing_ForgedConsoleRequestThreat()
    {
        var rig = await fixture.GetAsync();
        var dev = Device(rig, "uicc");
        var before = (await DmJobsAsync(rig, dev)).Count;
        using var anonymous = rig.Client();
        // A genuine anti-forgery token of the login page, but no session.
        var token = ConsoleRig.AntiforgeryToken(await anonymous.GetStringAsync("/login"));

        var refused = await anonymous.PostAsync($"/devices/{Uri.EscapeDataString(dev)}/dm-jobs", Form(token, ("leaf", "NAS_SignallingPriority"), ("value", "1")));

        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Equal(before, (await DmJobsAsync(rig, dev)).Count);
        Assert.Equal(HttpStatusCode.SeeOther, (await anonymous.GetAsync("/pki")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/live/events")).StatusCode);
    }

    [Fact]
    public async Task Action_without_the_anti_forgery_token_is_refused_and_changes_nothing_CrossSiteRequestForgeryThreat()
    {
        var rig = await fixture.GetAsync();
        var driver = rig.Browser.Driver;
        var dev = Device(rig, "uicc");
        var before = (await DmJobsAsync(rig, dev)).Count;

        // In the logged-in browser, the form with its anti-forgery field taken out.
        rig.Go("/devices/" + Uri.EscapeDataString(dev));
        driver.ExecuteScript($"document.querySelector('#dm-job-form input[name={ConsolePages.AntiforgeryField}]').remove();");
        driver.FindElement(By.Id("dm-job-value")).SendKeys("1");
        driver.FindElement(By.Id("dm-job-submit")).Click();
        Assert.Equal("antiforgery", rig.Browser.Wait(d => d.FindElement(By.Id("message"))).GetAttribute("data-testid"));
        Assert.Equal(before, (await DmJobsAsync(rig, dev)).Count);

        // The session cookie alone (what a forged cross-site form would carry), outside the browser: 400, nothing queued.
        var cookies = new CookieContainer();
        var session = driver.Manage().Cookies.GetCookieNamed(ConsoleHost.SessionCookie)!;
        cookies.Add(rig.Console.Address, new System.Net.Cookie(session.Name, session.Value, "/"));
        using var forged = rig.Client(cookies);
        var refused = await forged.PostAsync($"/devices/{Uri.EscapeDataString(dev)}/dm-jobs",
            new FormUrlEncodedContent([new("leaf", "NAS_SignallingPriority"), new("value", "1")]));
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Equal(before, (await DmJobsAsync(rig, dev)).Count);
    }

    [Fact]
    public async Task Live_view_shows_a_new_audit_entry_pushed_by_server_sent_events_without_reloading_the_page()
    {
        var rig = await fixture.GetAsync();
        var driver = rig.Browser.Driver;
        rig.Go("/live");
        rig.Browser.Wait(d => d.FindElement(By.Id("live-status")).GetAttribute("data-state") == "connected");
        var firstAt = rig.Browser.Wait(d => d.FindElement(By.Id("live-at")).Text is var t && t != "…" ? t : null);
        driver.ExecuteScript("window.m2msecNoReload = 'same page';");

        // Something happens elsewhere: an administrator grants a trigger at the MTC-IWF (audited there).
        var device = "live-" + Guid.NewGuid().ToString("N")[..12];
        using var admin = rig.Fleet.AdminClient(MtcIwfFunction.RoleName, ApiTimeout);
        var imsi = (await JsonApiClient.GetAsync<MtcGrantList>(admin, "authorisations", CancellationToken.None)).Grants[0].Imsi;
        await JsonApiClient.PostAsync<MtcGrantRequest, MtcGrant>(admin, "authorisations", new MtcGrantRequest(AdminCredentials.MtcServerFile, device, imsi), CancellationToken.None);

        var row = rig.Browser.Wait(d => d.FindElements(By.CssSelector("#live-events tr.live-event")).FirstOrDefault(r => r.Text.Contains(device, StringComparison.Ordinal)), 20)!;
        Assert.Contains("mtciwf.grant", row.Text, StringComparison.Ordinal);
        Assert.Equal("same page", driver.ExecuteScript("return window.m2msecNoReload;"));
        rig.Browser.Wait(d => d.FindElement(By.Id("live-at")).Text != firstAt); // the counts keep coming
        Assert.Equal("same page", driver.ExecuteScript("return window.m2msecNoReload;"));
    }

    [Fact]
    public async Task Administrator_certificate_chosen_by_AutoSelectCertificateForUrls_logs_in_and_a_browser_without_one_is_refused()
    {
        var rig = await fixture.GetAsync();
        using var admin = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPemFile(
            Path.Combine(rig.Directory, "admin.crt"), Path.Combine(rig.Directory, "admin.key"));
        using var chain = System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadCertificateFromFile(Path.Combine(rig.Directory, "chain.pem"));
        using var withCertificate = await ChromiumBrowser.StartAsync(rig.Root, admin, [chain], rig.Console.Address);

        Assert.Null(withCertificate.Open(rig.Url("/login")));
        withCertificate.Wait(d => d.FindElement(By.Id("certificate-submit"))).Click();
        Assert.Equal("cert:" + NetworkFunctionTls.DefaultAdminSubject, withCertificate.Wait(d => d.FindElement(By.Id("who"))).Text);
        Assert.Contains(await AuditAsync(rig, ConsoleStores.ConsoleRole, "console.login"), e => e.Actor == "console:cert:" + NetworkFunctionTls.DefaultAdminSubject);

        // The token browser holds no certificate: the same button is refused (403) and opens no session.
        var driver = rig.Browser.Driver;
        rig.Go("/login");
        driver.FindElement(By.Id("certificate-submit")).Click();
        Assert.Contains("no client certificate", rig.Browser.Wait(d => d.FindElement(By.Id("login-error"))).Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Browser_without_the_operator_root_does_not_load_the_console_UntrustedConsoleCertificateThreat()
    {
        var rig = await fixture.GetAsync();
        using var untrusting = await ChromiumBrowser.StartAsync(trustedRoot: null);

        var error = untrusting.Open(rig.Url("/login"));

        var source = untrusting.Driver.PageSource;
        Assert.DoesNotContain("token-login", source, StringComparison.Ordinal);
        Assert.True(error?.Contains("ERR_CERT", StringComparison.Ordinal) == true || source.Contains("ERR_CERT_AUTHORITY_INVALID", StringComparison.Ordinal),
            $"no certificate refusal: {error} {untrusting.Driver.Title}");
    }

    /// <summary>Picks the option shown as <paramref name="text"/> of a select element.</summary>
    private static void Choose(IWebElement select, string text) => select.FindElement(By.XPath($"./option[normalize-space(.)='{text}']")).Click();

    private static void Click(ConsoleRig rig, string navId)
    {
        rig.Browser.Driver.FindElement(By.Id(navId)).Click();
        rig.Browser.Wait(d => d.FindElement(By.Id(navId)).GetAttribute("href") is { } href && d.Url == href ? d.FindElement(By.Id("page")) : null);
    }

    /// <summary>A device of <paramref name="kind"/> from the fleet page.</summary>
    private static string Device(ConsoleRig rig, string kind)
    {
        rig.Go("/");
        return rig.Browser.Driver.FindElements(By.CssSelector("#fleet tbody tr")).First(r => r.FindElements(By.TagName("td"))[1].Text == kind).GetAttribute("data-device")!;
    }

    private static async Task<HttpResponseMessage> LogInAsync(HttpClient client, string token)
    {
        var af = ConsoleRig.AntiforgeryToken(await client.GetStringAsync("/login"));
        return await client.PostAsync("/login", Form(af, ("token", token)));
    }

    private static FormUrlEncodedContent Form(string antiforgery, params (string Name, string Value)[] fields) =>
        new([new(ConsolePages.AntiforgeryField, antiforgery), .. fields.Select(f => new KeyValuePair<string, string>(f.Name, f.Value))]);

    /// <summary>`m2msec dm job show --json`: the device's jobs in the DM server's store.</summary>
    private static async Task<List<JsonElement>> DmJobsAsync(ConsoleRig rig, string devId)
    {
        var (code, stdout, stderr) = await CliRunner.RunAsync("dm", "job", "show", "--data", Path.Combine(rig.Directory, NetworkFunctionRole.Dm), "--dev-id", devId, "--json");
        Assert.True(code == 0, stderr);
        return [.. JsonDocument.Parse(stdout).RootElement.GetProperty("jobs").EnumerateArray().Select(j => j.Clone())];
    }

    private sealed record Entry(string Actor, string Action, string Subject, string? Detail);

    /// <summary>`m2msec audit show --json` of a store of the fleet (or the console's own).</summary>
    private static async Task<List<Entry>> AuditAsync(ConsoleRig rig, string instance, string action)
    {
        var (code, stdout, stderr) = await CliRunner.RunAsync("audit", "show", "--data", Path.Combine(rig.Directory, instance), "--action", action + "*", "--json");
        Assert.True(code == 0, stderr);
        return [.. JsonDocument.Parse(stdout).RootElement.GetProperty("entries").EnumerateArray().Select(e => new Entry(e.GetProperty("actor").GetString()!,
            e.GetProperty("action").GetString()!, e.GetProperty("subject").GetString()!, e.GetProperty("detail").GetString()))];
    }

    /// <summary>Whether the OCSP function's public CRL (GET /crl) lists <paramref name="serial"/>.</summary>
    private static async Task<bool> RevokedInCrlAsync(ConsoleRig rig, string serial)
    {
        using var http = new HttpClient { BaseAddress = rig.Fleet[NetworkFunctionRole.Ocsp].Address, Timeout = ApiTimeout };
        var crl = new Org.BouncyCastle.X509.X509CrlParser().ReadCrl(await http.GetByteArrayAsync("crl"));
        return crl.GetRevokedCertificate(new Org.BouncyCastle.Math.BigInteger(serial, 16)) is not null;
    }
}
