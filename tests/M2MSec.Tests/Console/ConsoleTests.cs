using System.Net;
using System.Net.Http.Json;
using M2MSec.NetworkFunctions.Console;
using M2MSec.Pki.Authority;
using static M2MSec.Tests.Console.ConsoleFleet;

namespace M2MSec.Tests.Console;

/// <summary>
/// Issue 20, the web console (docs/decisions/032): logins (one-time token, administrator certificate), the session cookie, every
/// page after a provisioning run, each action's effect through the services, and the threats — cross-site request forgery, no
/// session, stored script injection, token replay.
/// </summary>
public sealed class ConsoleTests(ConsoleFleet fixture) : IClassFixture<ConsoleFleet>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task TokenLogin_WrongTokenRefused_RightTokenOpensSession_CookieHttpOnlySecureSameSiteStrict()
    {
        using var browser = fixture.Browser();
        var token = fixture.Console.NewLoginToken();
        using (var wrong = await PostFormAsync(browser, "/login", "/login", new() { ["token"] = token[..^2] + "xx" }, Ct))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
            Assert.False(wrong.Headers.Contains("Set-Cookie") && wrong.Headers.GetValues("Set-Cookie").Any(c => c.StartsWith(ConsoleHost.SessionCookie, StringComparison.Ordinal)));
        }
        // A wrong try does not use the token up.
        using var right = await PostFormAsync(browser, "/login", "/login", new() { ["token"] = token }, Ct);
        Assert.Equal(HttpStatusCode.SeeOther, right.StatusCode);
        Assert.Equal("/", right.Headers.Location?.OriginalString);
        var cookie = Assert.Single(right.Headers.GetValues("Set-Cookie"), c => c.StartsWith(ConsoleHost.SessionCookie + "=", StringComparison.Ordinal)).ToLowerInvariant();
        Assert.Contains("httponly", cookie, StringComparison.Ordinal);
        Assert.Contains("secure", cookie, StringComparison.Ordinal);
        Assert.Contains("samesite=strict", cookie, StringComparison.Ordinal);
        Assert.Contains("path=/", cookie, StringComparison.Ordinal);
        var fleet = await browser.GetAsync("/", Ct);
        Assert.Equal(HttpStatusCode.OK, fleet.StatusCode);
        Assert.Contains("id=\"fleet\"", await fleet.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        Assert.Contains(fleet.Headers.GetValues("Content-Security-Policy"), h => h.Contains("script-src 'self'", StringComparison.Ordinal));
    }

    [Fact]
    public async Task TokenLogin_TheTokenWorksOnce_ASecondLoginWithItIsRefused_LoginTokenReplayThreat()
    {
        var token = fixture.Console.NewLoginToken();
        using (var first = fixture.Browser())
        using (var ok = await PostFormAsync(first, "/login", "/login", new() { ["token"] = token }, Ct))
            Assert.Equal(HttpStatusCode.SeeOther, ok.StatusCode);
        using var attacker = fixture.Browser();
        using var replay = await PostFormAsync(attacker, "/login", "/login", new() { ["token"] = token }, Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, replay.StatusCode);
        Assert.Contains("login-error", await replay.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        using var page = await attacker.GetAsync("/", Ct);
        Assert.Equal(HttpStatusCode.SeeOther, page.StatusCode);
    }

    [Fact]
    public async Task CertificateLogin_AdministratorCertificateOpensSession_OtherOperatorCertificateAndNoCertificateRefused()
    {
        using (var admin = fixture.Browser(fixture.AdminCertificate()))
        {
            using var ok = await PostFormAsync(admin, "/login", "/login/certificate", [], Ct);
            Assert.Equal(HttpStatusCode.SeeOther, ok.StatusCode);
            var page = await admin.GetStringAsync("/", Ct);
            Assert.Contains("cert:m2msec-admin", page, StringComparison.Ordinal);
        }
        using (var mtc = fixture.Browser(fixture.MtcServerCertificate()))
        {
            using var refused = await PostFormAsync(mtc, "/login", "/login/certificate", [], Ct);
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
            Assert.Contains("not an administrator", await refused.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
            Assert.Equal(HttpStatusCode.SeeOther, (await mtc.GetAsync("/", Ct)).StatusCode);
        }
        using var none = fixture.Browser();
        using var noCert = await PostFormAsync(none, "/login", "/login/certificate", [], Ct);
        Assert.Equal(HttpStatusCode.Forbidden, noCert.StatusCode);
    }

    [Fact]
    public async Task EveryPage_AfterAProvisioningRun_ShowsTheDeviceItsJobsCertificatesAndAudit()
    {
        using var browser = await fixture.LoggedInAsync(Ct);
        var fleet = await browser.GetStringAsync("/", Ct);
        Assert.Contains($"data-device=\"{Pcid}\"", fleet, StringComparison.Ordinal);
        Assert.Contains(fixture.Imsi!, fleet, StringComparison.Ordinal);
        Assert.Contains("provisioned", fleet, StringComparison.Ordinal);
        // One row per device: the TRE-based device (its DM account under its PCID joins its row) and the hostile DM account (UICC).
        Assert.Equal(2, System.Text.RegularExpressions.Regex.Count(fleet, "<tr data-device="));
        Assert.Contains($"data-device=\"{Pcid}\" data-kind=\"tre\"", fleet, StringComparison.Ordinal);
        Assert.Contains("data-kind=\"uicc\"", fleet, StringComparison.Ordinal);
        Assert.Contains("data-count=\"2\"", fleet, StringComparison.Ordinal);
        var device = await browser.GetStringAsync($"/devices/{Pcid}", Ct);
        Assert.Contains("id=\"device-imsi\">" + fixture.Imsi, device, StringComparison.Ordinal);
        Assert.Contains("step 21", device, StringComparison.Ordinal);
        Assert.Contains("M2MMobj", device, StringComparison.Ordinal); // the DPF's provisioning jobs read it
        Assert.Contains("ccif.manufacture", device, StringComparison.Ordinal);
        Assert.Contains("id=\"dm-job-form\"", device, StringComparison.Ordinal);
        var funnel = await browser.GetStringAsync("/funnel", Ct);
        Assert.Matches("<tr data-step=\"21\"><td>21</td><td>IMSI in the HSS</td><td class=\"count\">1</td>", funnel);
        var jobs = await browser.GetStringAsync("/jobs", Ct);
        Assert.Contains("data-state=\"done\"", jobs, StringComparison.Ordinal);
        var pki = await browser.GetStringAsync("/pki", Ct);
        Assert.Contains(ConsoleSetup.Subject, pki, StringComparison.Ordinal);
        Assert.Contains("id=\"certificates-ocsp\"", pki, StringComparison.Ordinal);
        Assert.Contains("id=\"certificates-ccif\"", pki, StringComparison.Ordinal);
        Assert.Contains("id=\"groups\"", await browser.GetStringAsync("/groups", Ct), StringComparison.Ordinal);
        var audit = await browser.GetStringAsync("/audit?where=ccif&action=ccif.", Ct);
        Assert.Contains("ccif.manufacture", audit, StringComparison.Ordinal);
        Assert.DoesNotContain("drf.bootstrap", audit, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, (await browser.GetAsync("/audit?since=yesterday-ish", Ct)).StatusCode);
        Assert.Contains("id=\"live-events\"", await browser.GetStringAsync("/live", Ct), StringComparison.Ordinal);
        Assert.Contains("new EventSource(\"/live/events\")", await browser.GetStringAsync("/assets/console.js", Ct), StringComparison.Ordinal);

        // The live view: server-sent events, a summary with the provisioned device.
        using var events = await browser.GetAsync("/live/events", HttpCompletionOption.ResponseHeadersRead, Ct);
        Assert.Equal("text/event-stream", events.Content.Headers.ContentType?.MediaType);
        using var reader = new StreamReader(await events.Content.ReadAsStreamAsync(Ct));
        string? line;
        while ((line = await reader.ReadLineAsync(Ct)) is not null && line != "event: summary")
        {
        }
        Assert.Equal("event: summary", line);
        Assert.Contains("\"provisioned\":1", await reader.ReadLineAsync(Ct), StringComparison.Ordinal);
    }

    [Fact]
    public async Task QueueDmJob_NasValueCheckedByTheModel_QueuedAtTheDmServerAndAudited()
    {
        using var browser = await fixture.LoggedInAsync(Ct);
        var page = $"/devices/{Pcid}";
        var before = (await fixture.Dm.Dm.ListJobsAsync(Pcid, Ct)).Count;
        using (var bad = await PostFormAsync(browser, page, page + "/dm-jobs", new() { ["leaf"] = "NAS_SignallingPriority", ["value"] = "7" }, Ct))
        {
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
            Assert.Contains("value: ", await bad.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        }
        using (var unknown = await PostFormAsync(browser, page, page + "/dm-jobs", new() { ["leaf"] = "NoSuchLeaf", ["value"] = "1" }, Ct))
            Assert.Contains("leaf: ", await unknown.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        Assert.Equal(before, (await fixture.Dm.Dm.ListJobsAsync(Pcid, Ct)).Count);

        using var ok = await PostFormAsync(browser, page, page + "/dm-jobs", new() { ["leaf"] = "NAS_SignallingPriority", ["value"] = "1" }, Ct);
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Contains("data-outcome=\"ok\"", await ok.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        var job = (await fixture.Dm.Dm.ListJobsAsync(Pcid, Ct)).Last();
        Assert.Equal("queued", job.State);
        Assert.Contains(job.Commands, c => c is { Verb: "replace", Uri: "./NASConfig/NAS_SignallingPriority", Value: "1" });
        Assert.Contains(job.Commands, c => c is { Verb: "get", Uri: "./NASConfig/NAS_SignallingPriority" }); // read back
        Assert.Contains(await fixture.Dm.Audit.ReadAsync(0, 1000, Ct), e => e.Action == "dm.job.add" && e.Subject == Pcid && e.Actor == "console:token");
    }

    [Fact]
    public async Task RevokeCertificate_ThroughTheOcspAdminApi_OcspAnswersRevoked_AndAudited()
    {
        var victim = await fixture.Fleet.Hierarchy!.IssueAsync(CertificateProfile.NetworkFunction, new CertificateSubject("console-victim", ["127.0.0.1"]), role: "vno",
            cancellationToken: Ct);
        var serial = M2MSec.Pki.CertificateSerial.Of(victim);
        using var browser = await fixture.LoggedInAsync(Ct);
        var pki = await browser.GetStringAsync("/pki", Ct);
        Assert.Contains($"id=\"revoke-{serial}\"", pki, StringComparison.Ordinal);
        using (var bad = await PostFormAsync(browser, "/pki", "/pki/revocations", new() { ["serial"] = serial, ["reason"] = "becauseISaySo" }, Ct))
            Assert.Contains("reason: expected one of", await bad.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        Assert.False((await fixture.Fleet.Hierarchy.FindAsync(serial, Ct))!.IsRevoked);

        using var ok = await PostFormAsync(browser, "/pki", "/pki/revocations", new() { ["serial"] = serial, ["reason"] = "keyCompromise" }, Ct);
        Assert.Contains("data-outcome=\"ok\"", await ok.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        var known = await fixture.Fleet.Hierarchy.FindAsync(serial, Ct);
        Assert.True(known!.IsRevoked);
        Assert.Equal(1, known.RevocationReason);
        await using var ocsp = await (fixture.Store with { DataDirectory = Path.Combine(fixture.Store.DataDirectory, "ocsp") }).OpenAsync(cancellationToken: Ct);
        Assert.Contains(await ocsp.Audit.ReadAsync(0, 10_000, Ct), e => e.Action == "pki.revoke" && e.Subject.EndsWith(serial, StringComparison.Ordinal) && e.Actor == "cert:m2msec-admin");
        Assert.Contains("revoked (keyCompromise)", await browser.GetStringAsync("/pki", Ct), StringComparison.Ordinal);
    }

    [Fact]
    public async Task SendTrigger_GoesToTheMtcIwfAsTheMtcServer_AnUngrantedDeviceIsRefusedThere()
    {
        using var browser = await fixture.LoggedInAsync(Ct);
        var page = $"/devices/{Pcid}";
        using (var bad = await PostFormAsync(browser, page, page + "/triggers", new() { ["device"] = "meter@mtc.example", ["action"] = "application-data", ["payload"] = "0g" }, Ct))
            Assert.Contains("payload: expected hex", await bad.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        using var refused = await PostFormAsync(browser, page, page + "/triggers", new() { ["device"] = "console-meter@mtc.example", ["action"] = "dm-session", ["payload"] = "" }, Ct);
        var text = await refused.Content.ReadAsStringAsync(Ct);
        Assert.Contains("data-outcome=\"refused\"", text, StringComparison.Ordinal);
        Assert.Contains("mtc-iwf: ", text, StringComparison.Ordinal);
        await using var iwf = await (fixture.Store with { DataDirectory = Path.Combine(fixture.Store.DataDirectory, "mtc-iwf") }).OpenAsync(cancellationToken: Ct);
        Assert.Contains(await iwf.Audit.ReadAsync(0, 10_000, Ct), e => e.Action == "mtciwf.trigger.refused" && e.Subject == "console-meter@mtc.example" && e.Actor == "cert:mtc-server");
    }

    /// <summary>
    /// Issue 20 (reviewers): the console's trigger accepted end to end through the API — the subscription given triggering at the VNO,
    /// the MTC server granted the device at the MTC-IWF, the device attached (its MCIM attach ended provisioning): the MTC-IWF audits
    /// the trigger as the MTC server's, the VNO protects and pages it, and the device page lists it under the device's IMSI.
    /// </summary>
    [Fact]
    public async Task SendTrigger_GrantedAttachedDevice_AcceptedByTheMtcIwfAndPagedByTheVno()
    {
        var imsi = fixture.Imsi!;
        const string external = "console-accepted@mtc.example";
        using (var vno = fixture.Fleet.AdminClient("vno", TimeSpan.FromSeconds(30)))
        using (var set = await vno.PutAsJsonAsync($"subscribers/{imsi}/mtc-features", new { features = new[] { "triggering" } },
            M2MSec.NetworkFunctions.Hosting.NetworkFunctionHost.JsonOptions, Ct))
            Assert.True(set.IsSuccessStatusCode, await set.Content.ReadAsStringAsync(Ct));
        using (var iwfAdmin = fixture.Fleet.AdminClient("mtc-iwf", TimeSpan.FromSeconds(30)))
        using (var grant = await iwfAdmin.PostAsJsonAsync("authorisations", new M2MSec.NetworkFunctions.MtcIwf.MtcGrantRequest("mtc-server", external, imsi),
            M2MSec.NetworkFunctions.Hosting.NetworkFunctionHost.JsonOptions, Ct))
            Assert.True(grant.IsSuccessStatusCode, await grant.Content.ReadAsStringAsync(Ct));

        using var browser = await fixture.LoggedInAsync(Ct);
        var page = $"/devices/{Pcid}";
        using var sent = await PostFormAsync(browser, page, page + "/triggers", new() { ["device"] = external, ["action"] = "dm-session", ["payload"] = "" }, Ct);
        var text = await sent.Content.ReadAsStringAsync(Ct);
        Assert.True(text.Contains("data-outcome=\"ok\"", StringComparison.Ordinal), text);

        await using (var iwf = await (fixture.Store with { DataDirectory = Path.Combine(fixture.Store.DataDirectory, "mtc-iwf") }).OpenAsync(cancellationToken: Ct))
            Assert.Contains(await iwf.Audit.ReadBySubjectsAsync([external], 10, Ct), e => e.Action == "mtciwf.trigger" && e.Actor == "cert:mtc-server");
        await using (var vnoStore = await (fixture.Store with { DataDirectory = Path.Combine(fixture.Store.DataDirectory, "vno") }).OpenAsync(cancellationToken: Ct))
            Assert.Contains(await vnoStore.Audit.ReadBySubjectsAsync([imsi], 50, Ct), e => e.Action == "vno.trigger");
        var device = await browser.GetStringAsync(page, Ct);
        Assert.Matches("id=\"device-triggers\"[\\s\\S]*vno\\.trigger<", device);
    }

    /// <summary>
    /// Issue 20: every field of every console action is checked before anything is called or queued — each bad field is a 400 that
    /// names it, and no service hears of the request.
    /// </summary>
    [Fact]
    public async Task EveryActionField_BadValue_Refused400NamingTheField_NothingReachesAService_MalformedConsoleFormThreat()
    {
        using var browser = await fixture.LoggedInAsync(Ct);
        var page = $"/devices/{Pcid}";
        var jobs = (await fixture.Dm.Dm.ListJobsAsync(Pcid, Ct)).Count;
        // (action, the page whose form carries the anti-forgery token, the form, the field the refusal names)
        (string Path, string Back, Dictionary<string, string> Form, string Field)[] cases =
        [
            (page + "/dm-jobs", page, new() { ["leaf"] = "", ["value"] = "1" }, "leaf: "),
            (page + "/dm-jobs", page, new() { ["leaf"] = "NAS_SignallingPriority", ["value"] = "x" }, "value: "),
            ("/pki/revocations", "/pki", new() { ["serial"] = "zz", ["reason"] = "keyCompromise" }, "serial: "),
            ("/pki/revocations", "/pki", new() { ["serial"] = "0102", ["reason"] = "" }, "reason: "),
            (page + "/triggers", page, new() { ["device"] = "<script>", ["action"] = "dm-session", ["payload"] = "" }, "device: "),
            (page + "/triggers", page, new() { ["device"] = "malformed-form@mtc.example", ["action"] = "ota-job", ["payload"] = "" }, "action: "),
            (page + "/triggers", page, new() { ["device"] = "malformed-form@mtc.example", ["action"] = "dm-session", ["payload"] = "00" }, "payload: "),
            (page + "/sho", page, new() { ["to"] = "" }, "to: "),
            ("/devices/TRE-NOT-A-PCID/sho", page, new() { ["to"] = "sho-b" }, "device: "),
        ];
        foreach (var (path, back, form, field) in cases)
        {
            using var bad = await PostFormAsync(browser, back, path, form, Ct);
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
            Assert.Contains(field, await bad.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        }
        Assert.Equal(jobs, (await fixture.Dm.Dm.ListJobsAsync(Pcid, Ct)).Count);
        await using var iwf = await (fixture.Store with { DataDirectory = Path.Combine(fixture.Store.DataDirectory, "mtc-iwf") }).OpenAsync(cancellationToken: Ct);
        Assert.DoesNotContain(await iwf.Audit.ReadAsync(0, 10_000, Ct), e => e.Subject == "malformed-form@mtc.example");
    }

    [Fact]
    public async Task MoveDevice_ToTheOtherSho_TheRoOpensTheChange()
    {
        using var browser = await fixture.LoggedInAsync(Ct);
        var page = $"/devices/{Pcid}";
        using (var bad = await PostFormAsync(browser, page, page + "/sho", new() { ["to"] = "sho-x" }, Ct))
            Assert.Contains("to: expected one of", await bad.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        using var ok = await PostFormAsync(browser, page, page + "/sho", new() { ["to"] = "sho-b" }, Ct);
        var text = await ok.Content.ReadAsStringAsync(Ct);
        Assert.Contains("data-outcome=\"ok\"", text, StringComparison.Ordinal);
        await using var drf = await (fixture.Store with { DataDirectory = Path.Combine(fixture.Store.DataDirectory, "drf") }).OpenAsync(cancellationToken: Ct);
        var change = await drf.Drf.FindChangeAsync(Pcid, Ct);
        Assert.Equal("sho-b", change?.ToSho);
        Assert.Equal("sho", change?.FromSho);
    }

    [Fact]
    public async Task PostWithoutOrWithAForeignAntiforgeryToken_Refused400_NothingQueued_CrossSiteRequestForgeryThreat()
    {
        using var victim = await fixture.LoggedInAsync(Ct);
        using var attacker = await fixture.LoggedInAsync(Ct);
        var before = (await fixture.Dm.Dm.ListJobsAsync(Pcid, Ct)).Count;
        var action = $"/devices/{Pcid}/dm-jobs";
        using (var none = await victim.PostAsync(action, new FormUrlEncodedContent(new Dictionary<string, string> { ["leaf"] = "NAS_SignallingPriority", ["value"] = "1" }), Ct))
            Assert.Equal(HttpStatusCode.BadRequest, none.StatusCode);
        // A token from another session (the attacker's own page) does not fit the victim's session and cookie.
        var foreign = await AntiforgeryAsync(attacker, $"/devices/{Pcid}", Ct);
        using (var forged = await victim.PostAsync(action, new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["leaf"] = "NAS_SignallingPriority",
            ["value"] = "1",
            [ConsolePagesField] = foreign,
        }), Ct))
            Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
        using (var json = await victim.PostAsync(action, new StringContent("{\"leaf\":\"NAS_SignallingPriority\",\"value\":\"1\"}", System.Text.Encoding.UTF8, "application/json"), Ct))
            Assert.Equal(HttpStatusCode.BadRequest, json.StatusCode);
        Assert.Equal(before, (await fixture.Dm.Dm.ListJobsAsync(Pcid, Ct)).Count);
    }

    [Fact]
    public async Task NoSession_PagesRedirectToLogin_PostsAndEventsRefused401_NothingQueued_UnauthenticatedConsoleThreat()
    {
        using var stranger = fixture.Browser();
        foreach (var page in new[] { "/", $"/devices/{Pcid}", "/funnel", "/jobs", "/pki", "/groups", "/audit", "/live" })
        {
            using var response = await stranger.GetAsync(page, Ct);
            Assert.Equal(HttpStatusCode.SeeOther, response.StatusCode);
            Assert.Equal("/login", response.Headers.Location?.OriginalString);
            Assert.DoesNotContain(Pcid, await response.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        }
        Assert.Equal(HttpStatusCode.Unauthorized, (await stranger.GetAsync("/live/events", Ct)).StatusCode);
        var before = (await fixture.Dm.Dm.ListJobsAsync(Pcid, Ct)).Count;
        // Even with a well-formed anti-forgery token (from the login page), no session: 401, nothing done.
        using var post = await PostFormAsync(stranger, "/login", $"/devices/{Pcid}/dm-jobs", new() { ["leaf"] = "NAS_SignallingPriority", ["value"] = "1" }, Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, post.StatusCode);
        // A made-up session cookie is no session either.
        var cookies = new CookieContainer();
        cookies.Add(fixture.Console.Address, new Cookie(ConsoleHost.SessionCookie, "forged-session-value-0123456789abcdef"));
        using var forged = fixture.Browser(cookies: cookies);
        Assert.Equal(HttpStatusCode.SeeOther, (await forged.GetAsync("/", Ct)).StatusCode);
        Assert.Equal(before, (await fixture.Dm.Dm.ListJobsAsync(Pcid, Ct)).Count);
    }

    [Fact]
    public async Task HostileDeviceIdAndDevInfo_RenderedAsText_StoredXssThreat()
    {
        using var browser = await fixture.LoggedInAsync(Ct);
        var pages = new[]
        {
            await browser.GetStringAsync("/", Ct),
            await browser.GetStringAsync("/devices/" + Uri.EscapeDataString(HostileDevId), Ct),
            await browser.GetStringAsync("/audit", Ct),
        };
        foreach (var html in pages)
        {
            Assert.DoesNotContain("<script>alert", html, StringComparison.Ordinal);
            Assert.DoesNotContain("<img src=x", html, StringComparison.Ordinal);
            Assert.Contains("&lt;script&gt;alert(", html, StringComparison.Ordinal);
        }
        Assert.Contains("&lt;img src=x onerror=alert(1)&gt;", pages[1], StringComparison.Ordinal);
        Assert.Equal("<p>" + System.Text.Encodings.Web.HtmlEncoder.Default.Encode(HostileValue) + "</p>", Html.Of($"<p>{HostileValue}</p>").ToString());
        // Fragments nest as markup (a list of them too); text inside them stays encoded.
        List<Html> rows = [Html.Of($"<li>{HostileDevId}</li>")];
        Assert.Equal("<ul><li>" + System.Text.Encodings.Web.HtmlEncoder.Default.Encode(HostileDevId) + "</li></ul>", Html.Of($"<ul>{rows}</ul>").ToString());
    }

    [Fact]
    public async Task ServeConsoleCommand_OverTheFleetDirectory_JsonStartLine_OperatorsTokenLogsInOnce_BadOptionsExit2()
    {
        var kek = Path.Combine(fixture.Directory, "kek.json");
        var (code, _, stderr) = await M2MSec.Tests.Support.CliRunner.RunAsync("serve", "console", "--data", Path.Combine(fixture.Directory, "no-such"), "--kek-file", kek);
        Assert.Equal(2, code);
        Assert.StartsWith("--data", stderr, StringComparison.Ordinal);
        (code, _, stderr) = await M2MSec.Tests.Support.CliRunner.RunAsync("serve", "console", "--data", fixture.Store.DataDirectory, "--kek-file", kek, "--urls", "http://127.0.0.1:0");
        Assert.Equal(2, code);
        Assert.StartsWith("--urls", stderr, StringComparison.Ordinal);

        Environment.SetEnvironmentVariable("M2MSEC_CONSOLE_TEST_TOKEN", "operator-chosen-token-0123456789");
        using var output = new M2MSec.Tests.Support.SyncWriter();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var run = M2MSec.Cli.M2MSecCli.RunAsync(["serve", "console", "--data", fixture.Store.DataDirectory, "--kek-file", kek, "--login-token", "env:M2MSEC_CONSOLE_TEST_TOKEN",
            "--json", "--log-level", "warning"], output, output, stop.Token);
        try
        {
            for (var i = 0; i < 600 && !run.IsCompleted && !output.ToString().Contains("\"url\"", StringComparison.Ordinal); i++)
                await Task.Delay(100, Ct);
            var start = System.Text.Json.JsonDocument.Parse(output.ToString().Split('\n').First(l => l.Contains("\"url\"", StringComparison.Ordinal))).RootElement;
            Assert.Equal(System.Text.Json.JsonValueKind.Null, start.GetProperty("login_token").ValueKind); // the operator's own: not printed
            Assert.DoesNotContain("operator-chosen-token", output.ToString(), StringComparison.Ordinal);
            var url = new Uri(start.GetProperty("url").GetString()!);
            using var browser = fixture.Browser();
            browser.BaseAddress = url;
            using (var ok = await PostFormAsync(browser, "/login", "/login", new() { ["token"] = "operator-chosen-token-0123456789" }, Ct))
                Assert.Equal(HttpStatusCode.SeeOther, ok.StatusCode);
            Assert.Contains($"data-device=\"{Pcid}\"", await browser.GetStringAsync("/", Ct), StringComparison.Ordinal);
            using var again = fixture.Browser();
            again.BaseAddress = url;
            using var replay = await PostFormAsync(again, "/login", "/login", new() { ["token"] = "operator-chosen-token-0123456789" }, Ct);
            Assert.Equal(HttpStatusCode.Unauthorized, replay.StatusCode);
        }
        finally
        {
            await stop.CancelAsync();
            Assert.Equal(0, await run);
            Environment.SetEnvironmentVariable("M2MSEC_CONSOLE_TEST_TOKEN", null);
        }
    }
}
