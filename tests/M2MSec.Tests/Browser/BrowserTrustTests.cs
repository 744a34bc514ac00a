using OpenQA.Selenium;

namespace M2MSec.Tests.Browser;

/// <summary>
/// Issue 20: the browser fixture itself, against a loopback HTTPS page with a certificate of the project's operator hierarchy —
/// chromium trusts exactly what the throwaway NSS database holds (never --ignore-certificate-errors), and the administrator's
/// certificate imported there is presented without a prompt through the AutoSelectCertificateForUrls policy.
/// </summary>
[Collection(ChromiumCollection.Name)]
public sealed class BrowserTrustTests
{
    [Fact]
    public async Task Without_the_operator_root_in_the_NSS_database_the_page_does_not_load_UntrustedServerCertificateThreat()
    {
        ChromiumBrowser.RequireTools();
        await using var page = await LoopbackHttpsPage.StartAsync();
        using var browser = await ChromiumBrowser.StartAsync(trustedRoot: null);

        var error = browser.Open(page.Address);

        // Chromium's interstitial ("Your connection is not private"), never the page.
        var source = browser.Driver.PageSource;
        Assert.DoesNotContain(LoopbackHttpsPage.Marker, source, StringComparison.Ordinal);
        Assert.True(error?.Contains("ERR_CERT", StringComparison.Ordinal) == true || source.Contains("ERR_CERT_AUTHORITY_INVALID", StringComparison.Ordinal),
            $"no certificate refusal: {error} {browser.Driver.Title}");
        Assert.Equal(0, page.Requests); // the handshake failed: no request ever reached the server
    }

    [Fact]
    public async Task With_the_operator_root_the_page_loads_and_the_administrator_certificate_is_chosen_without_a_prompt()
    {
        ChromiumBrowser.RequireTools();
        await using var page = await LoopbackHttpsPage.StartAsync();
        using var browser = await ChromiumBrowser.StartAsync(page.Hierarchy.Root, page.Admin, [page.Hierarchy.Issuing], page.Address);

        Assert.Null(browser.Open(page.Address));

        Assert.Equal(LoopbackHttpsPage.Marker, browser.Wait(d => d.FindElement(By.Id("marker"))).Text);
        Assert.Equal("m2msec-admin", browser.Driver.FindElement(By.Id("client")).Text);
        Assert.Equal(1, page.Requests);
    }
}
