using System.Text.Json;
using M2MSec.NetworkFunctions.Hosting;
using M2MSec.NetworkFunctions.MtcIwf;
using M2MSec.NetworkFunctions.Sho;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace M2MSec.NetworkFunctions.Console;

/// <summary>
/// The console's actions (issue 20, docs/decisions/032), each through the same path as its CLI command and each audited (by the
/// service it goes through, and in the console's own log with the logged-in actor): queue a DM job (`dm job add --nas`: the DM
/// server's store, the value checked against the TS 24.368 model before anything is queued), revoke a certificate (`pki revoke`'s
/// OCSP admin API, POST /admin/revocations), send a trigger (`trigger send`: the MTC-IWF as the MTC server), move a device to
/// another SHO (`sho change`: the new SHO's change API). A bad field is 400 naming it, with nothing changed.
/// </summary>
internal sealed class ConsoleActions(ConsoleOptions options, ConsoleStores stores)
{
    public static void Map(WebApplication app)
    {
        app.MapPost("/devices/{id}/dm-jobs", (string id, HttpContext c, ConsoleActions a) => a.QueueDmJobAsync(RouteId(id), c));
        app.MapPost("/devices/{id}/triggers", (string id, HttpContext c, ConsoleActions a) => a.SendTriggerAsync(RouteId(id), c));
        app.MapPost("/devices/{id}/sho", (string id, HttpContext c, ConsoleActions a) => a.MoveAsync(RouteId(id), c));
        app.MapPost("/pki/revocations", (HttpContext c, ConsoleActions a) => a.RevokeAsync(c));
    }

    /// <summary>A device id from the path: Kestrel leaves an escaped '/' (%2F) escaped in a route value; a DevId may hold one.</summary>
    internal static string RouteId(string id) => id.Replace("%2F", "/", StringComparison.OrdinalIgnoreCase);

    private static string Actor(HttpContext context) => ConsoleHost.SessionOf(context)?.Actor ?? "unknown";

    private static IResult Outcome(HttpContext context, bool ok, string text, string back, int status = StatusCodes.Status200OK) =>
        ConsolePages.Render(context, ok ? "Done" : "Refused", Html.Of($"""
            <h1>{(ok ? "Done" : "Refused")}</h1>
            <p id="action-result" data-testid="action-result" data-outcome="{(ok ? "ok" : "refused")}">{text}</p>
            <p><a href="{back}" id="back" data-testid="back">Back</a></p>
            """), ok ? status : status == StatusCodes.Status200OK ? StatusCodes.Status400BadRequest : status);

    private static string Back(string id) => "/devices/" + Uri.EscapeDataString(id);

    public async Task<IResult> QueueDmJobAsync(string id, HttpContext context)
    {
        var form = await context.Request.ReadFormAsync(context.RequestAborted).ConfigureAwait(false);
        var leaf = form["leaf"].ToString();
        var value = form["value"].ToString();
        // TS 24.368: the leaf must exist and the value fit its type and range — checked before anything is queued.
        try
        {
            M2MSec.Nas.NasConfigMo.ApplyLeaf(M2MSec.Nas.NasConfiguration.Empty, leaf, value);
        }
        catch (M2MSec.Nas.NasConfigurationException e)
        {
            return Outcome(context, false, (M2MSec.Nas.NasParameters.ByLeaf(leaf) is null ? "leaf: " : "value: ") + e.Message, Back(id));
        }
        // A TRE-based device's row is its PCID; its account at the DM server has its TRE id as DevId (the CCIF joins them).
        var tre = await stores.FindAsync("ccif").ConfigureAwait(false) is { } ccif
            ? (await ccif.Ccif.FindByIdsAsync([id], context.RequestAborted).ConfigureAwait(false)).FirstOrDefault(d => d.Pcid == id)?.TreId : null;
        if (await stores.FindAsync("dm").ConfigureAwait(false) is not { } dm)
            return Outcome(context, false, $"device: {id} has no DM account at the DM server", Back(id));
        var devId = id;
        var account = tre is null ? null : await dm.Dm.FindAccountAsync(tre, context.RequestAborted).ConfigureAwait(false);
        if (account is not null)
            devId = tre!;
        else if ((account = await dm.Dm.FindAccountAsync(id, context.RequestAborted).ConfigureAwait(false)) is null)
            return Outcome(context, false, $"device: {id} has no DM account at the DM server", Back(id));
        Array.Clear(account.ClientPassword);
        Array.Clear(account.ServerPassword);
        var commands = M2MSec.NetworkFunctions.Dm.DmJobReadBack.WithReadBack([("replace", $"{M2MSec.Nas.NasConfigMo.DefaultRoot}/{leaf}", value)]);
        var jobId = (await M2MSec.NetworkFunctions.Dm.DmJobQueue.AddAsync(dm.Dm, dm.Audit, "console:" + Actor(context), devId, commands, options.Time.GetUtcNow(),
            context.RequestAborted).ConfigureAwait(false)).Id;
        await ConsoleLogin.AuditAsync(stores, Actor(context), "console.dm.job.add", $"{jobId}: {leaf}={value}", devId).ConfigureAwait(false);
        return Outcome(context, true, $"queued {jobId} for {devId}: {leaf} = {value} (read back in its next DM session)", Back(id));
    }

    public async Task<IResult> RevokeAsync(HttpContext context)
    {
        var form = await context.Request.ReadFormAsync(context.RequestAborted).ConfigureAwait(false);
        var serial = form["serial"].ToString();
        var reason = form["reason"].ToString();
        if (!M2MSec.Pki.CertificateSerial.TryParse(serial, out _))
            return Outcome(context, false, "serial: expected hex, positive, at most 20 octets", "/pki");
        if (!M2MSec.Pki.Authority.RevocationReasons.TryParse(reason, out _))
            return Outcome(context, false, $"reason: expected one of {string.Join(", ", M2MSec.Pki.Authority.RevocationReasons.Names)}", "/pki");
        return await CallAsync(context, "ocsp-admin", "ocsp", options.Admin, "/pki", async http =>
        {
            var revoked = await JsonApiClient.PostAsync<Ocsp.OcspFunction.RevocationRequest, Ocsp.OcspFunction.RevocationResponse>(http, "admin/revocations",
                new(serial, reason), context.RequestAborted).ConfigureAwait(false);
            await ConsoleLogin.AuditAsync(stores, Actor(context), "console.pki.revoke", revoked.Reason, "operator/" + revoked.Serial).ConfigureAwait(false);
            return $"revoked {revoked.Serial} ({revoked.Reason}): OCSP answers revoked from now on";
        }).ConfigureAwait(false);
    }

    public async Task<IResult> SendTriggerAsync(string id, HttpContext context)
    {
        var form = await context.Request.ReadFormAsync(context.RequestAborted).ConfigureAwait(false);
        var device = form["device"].ToString();
        var action = form["action"].ToString();
        var payload = form["payload"].ToString();
        if (!MtcIdentifier.IsValid(device))
            return Outcome(context, false, "device: expected the external identifier the grant names (1 to 128 of letters, digits and . _ - @)", Back(id));
        if (action is not ("dm-session" or "application-data"))
            return Outcome(context, false, "action: expected dm-session or application-data", Back(id));
        if (action == "application-data" ? payload.Length is 0 or > 2048 || payload.Length % 2 != 0 || !payload.All(Uri.IsHexDigit) : payload.Length != 0)
            return Outcome(context, false, action == "application-data" ? "payload: expected hex, 1 to 1024 octets" : "payload: only for application-data", Back(id));
        return await CallAsync(context, MtcIwfFunction.RoleName, MtcIwfFunction.RoleName, options.MtcServer, Back(id), async http =>
        {
            var accepted = await JsonApiClient.PostAsync<MtcTriggerRequest, MtcTriggerAccepted>(http, "triggers",
                new(device, action, action == "application-data" ? payload.ToLowerInvariant() : null, null), context.RequestAborted).ConfigureAwait(false);
            await ConsoleLogin.AuditAsync(stores, Actor(context), "console.trigger", $"{accepted.TriggerId} {accepted.Action} to {accepted.Device}: {accepted.Delivery}", id)
                .ConfigureAwait(false);
            return $"trigger {accepted.TriggerId} ({accepted.Action}) for {accepted.Device}: {accepted.Delivery} via {accepted.ServingNode}";
        }).ConfigureAwait(false);
    }

    public async Task<IResult> MoveAsync(string id, HttpContext context)
    {
        var form = await context.Request.ReadFormAsync(context.RequestAborted).ConfigureAwait(false);
        var to = form["to"].ToString();
        if (!ConsoleViews.ShoInstances.Contains(to, StringComparer.Ordinal))
            return Outcome(context, false, $"to: expected one of {string.Join(", ", ConsoleViews.ShoInstances)}", Back(id));
        if (!M2MSec.Storage.Hss.Imsi.IsValid(id))
            return Outcome(context, false, "device: only a device with a PCID moves between SHOs", Back(id));
        return await CallAsync(context, to, to, options.Admin, Back(id), async http =>
        {
            var accepted = await new ShoClient(http).RequestChangeAsync(new ShoChangeRequest(id, null), context.RequestAborted).ConfigureAwait(false);
            await ConsoleLogin.AuditAsync(stores, Actor(context), "console.sho.change", $"from {accepted.FromSho} to {accepted.ToSho}: {accepted.State}", id).ConfigureAwait(false);
            return $"{id} moves from {accepted.FromSho} to {accepted.ToSho} ({accepted.State}): the device picks the change up in its next DM sessions";
        }).ConfigureAwait(false);
    }

    /// <summary>Calls <paramref name="endpoint"/> (an endpoints.json name) as <paramref name="identity"/>; a refusal is shown with the service's detail.</summary>
    private async Task<IResult> CallAsync(HttpContext context, string endpoint, string service, NetworkFunctionTls? identity, string back, Func<HttpClient, Task<string>> call)
    {
        if (!options.Endpoints.TryGetValue(endpoint, out var address))
            return Outcome(context, false, $"{service}: the console knows no running '{endpoint}' (endpoints.json)", back, StatusCodes.Status503ServiceUnavailable);
        if (address.Scheme == "https" && identity is null)
            return Outcome(context, false, $"{service}: no credentials for it beside endpoints.json", back, StatusCodes.Status503ServiceUnavailable);
        using var http = identity is not null && address.Scheme == "https" ? identity.CreateClient(address, TimeSpan.FromSeconds(30))
            : new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(30) };
        try
        {
            return Outcome(context, true, await call(http).ConfigureAwait(false), back);
        }
        catch (PeerRequestException e)
        {
            var status = (int?)e.StatusCode ?? 502;
            return Outcome(context, false, $"{service}: {Detail(e.Problem)}", back, status is >= 400 and < 500 ? status : StatusCodes.Status502BadGateway);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return Outcome(context, false, $"{service}: not reachable", back, StatusCodes.Status502BadGateway);
        }
    }

    private static string Detail(string problem)
    {
        try
        {
            using var doc = JsonDocument.Parse(problem);
            return doc.RootElement.TryGetProperty("detail", out var d) && d.GetString() is { } s ? s : "refused";
        }
        catch (JsonException)
        {
            return "refused";
        }
    }
}
