using M2MSec.Storage.Audit;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace M2MSec.NetworkFunctions.Console;

/// <summary>
/// The console's pages, rendered on the server (issue 20, docs/decisions/032): plain HTML from <see cref="Html"/> templates (every value
/// encoded), one stylesheet and one small script shipped in the assembly (no CDN, no client build). Ids and data-testid attributes
/// are stable: docs/console.md lists them for the browser tests.
/// </summary>
internal static partial class ConsolePages
{
    public const string AntiforgeryField = "__console_af";

    /// <summary>The navigation: path, id, title.</summary>
    private static readonly (string Path, string Id, string Title)[] Navigation =
    [
        ("/", "nav-fleet", "Fleet"), ("/funnel", "nav-funnel", "Provisioning"), ("/jobs", "nav-jobs", "Jobs"), ("/pki", "nav-pki", "PKI"),
        ("/groups", "nav-groups", "Groups"), ("/audit", "nav-audit", "Audit"), ("/live", "nav-live", "Live"),
    ];

    public static void Map(WebApplication app)
    {
        app.MapGet("/assets/console.css", () => Asset("console.css", "text/css; charset=utf-8"));
        app.MapGet("/assets/console.js", () => Asset("console.js", "text/javascript; charset=utf-8"));
        app.MapGet("/", FleetAsync);
        app.MapGet("/devices/{id}", DeviceAsync);
        app.MapGet("/funnel", FunnelAsync);
        app.MapGet("/jobs", JobsAsync);
        app.MapGet("/pki", PkiAsync);
        app.MapGet("/groups", GroupsAsync);
        app.MapGet("/audit", AuditAsync);
        app.MapGet("/live", (HttpContext c) => Render(c, "Live", LivePage()));
        app.MapGet("/live/events", ConsoleLive.StreamAsync);
    }

    private static IResult Asset(string name, string contentType)
    {
        using var stream = typeof(ConsolePages).Assembly.GetManifestResourceStream("M2MSec.NetworkFunctions.Console.Assets." + name)
            ?? throw new InvalidOperationException($"asset {name} missing from the assembly");
        using var reader = new StreamReader(stream);
        return Results.Text(reader.ReadToEnd(), contentType);
    }

    /// <summary>The anti-forgery hidden field of a form (the token tied to this browser's anti-forgery cookie and session).</summary>
    public static Html AntiforgeryInput(HttpContext context)
    {
        var tokens = context.RequestServices.GetRequiredService<IAntiforgery>().GetAndStoreTokens(context);
        return Html.Of($"<input type=\"hidden\" name=\"{tokens.FormFieldName}\" value=\"{tokens.RequestToken}\">");
    }

    public static IResult Render(HttpContext context, string title, Html body, int status = StatusCodes.Status200OK) =>
        Results.Content(Page(context, title, body).ToString(), "text/html; charset=utf-8", null, status);

    public static Task WriteAsync(HttpContext context, Html body, int status)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/html; charset=utf-8";
        return context.Response.WriteAsync(Page(context, "M2MSec console", body).ToString());
    }

    public static Html Message(string title, string text, string testId) =>
        Html.Of($"<h1>{title}</h1><p id=\"message\" data-testid=\"{testId}\">{text}</p>");

    private static Html Page(HttpContext context, string title, Html body)
    {
        var session = ConsoleHost.SessionOf(context);
        var nav = session is null ? Html.Empty : Html.Of($"""
            <nav>{Navigation.Select(n => Html.Of($"<a href=\"{n.Path}\" id=\"{n.Id}\" data-testid=\"{n.Id}\">{n.Title}</a>"))}
            <span class="who" id="who" data-testid="who">{session.Actor}</span>
            <form method="post" action="/logout" class="inline">{AntiforgeryInput(context)}<button type="submit" id="logout" data-testid="logout">Log out</button></form></nav>
            """);
        return Html.Of($"""
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>{title} — M2MSec console</title>
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <link rel="stylesheet" href="/assets/console.css"><script src="/assets/console.js" defer></script></head>
            <body><header><span class="brand">M2MSec console</span>{nav}</header><main id="page" data-page="{title}">
            {body}
            </main></body></html>
            """);
    }

    private static Html Table(string id, IEnumerable<string> headers, IEnumerable<Html> rows) => Html.Of($"""
        <table id="{id}" data-testid="{id}"><thead><tr>{headers.Select(h => Html.Of($"<th>{h}</th>"))}</tr></thead>
        <tbody>{rows}</tbody></table>
        """);

    private static Html DeviceLink(string id) => Html.Of($"<a href=\"/devices/{Uri.EscapeDataString(id)}\" data-testid=\"device-link\">{id}</a>");

    private static async Task<IResult> FleetAsync(HttpContext context, ConsoleViews views)
    {
        string? Q(string name) => context.Request.Query[name].ToString() is { Length: > 0 and <= 64 } v ? v : null;
        if (Q("kind") is { } k && k is not ("tre" or "uicc"))
            return Render(context, "Fleet", Message("Fleet", "kind: expected tre or uicc", "bad-filter"), StatusCodes.Status400BadRequest);
        var page = 1;
        if (Q("page") is { } p && (!int.TryParse(p, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out page) || page < 1))
            return Render(context, "Fleet", Message("Fleet", "page: expected a positive number", "bad-filter"), StatusCodes.Status400BadRequest);
        var filter = new FleetFilter(Q("kind"), Q("stage"), Q("q"));
        var fleet = await views.FleetAsync(filter, page, context.RequestAborted).ConfigureAwait(false);
        var rows = fleet.Rows.Select(d => Html.Of($"""
            <tr data-device="{d.Id}" data-kind="{d.Kind}" data-step="{d.Step}"><td>{DeviceLink(d.Id)}</td><td>{d.Kind}</td><td>{d.Imsi ?? "—"}</td><td>{(d.Step < 0 ? "—" : d.Step.ToString(System.Globalization.CultureInfo.InvariantCulture))}</td><td>{d.Stage}</td>
            <td>{d.Sho ?? "—"}</td><td>{d.Mcim ?? "—"}</td><td>{(d.LastDm is { } s ? $"{s.Outcome} at {s.At.UtcDateTime:yyyy-MM-dd HH:mm:ss}Z" : "—")}</td><td>{d.Lockdown}</td><td>{d.Battery}</td></tr>
            """));
        var pages = Math.Max(1, (fleet.Total + ConsoleViews.PageSize - 1) / ConsoleViews.PageSize);
        string Link(int to) => "/?" + string.Join("&", new[] { ("kind", filter.Kind), ("stage", filter.Stage), ("q", filter.Text), ("page", to.ToString(System.Globalization.CultureInfo.InvariantCulture)) }
            .Where(f => f.Item2 is not null).Select(f => f.Item1 + "=" + Uri.EscapeDataString(f.Item2!)));
        return Render(context, "Fleet", Html.Of($"""
            <h1>Fleet</h1>
            <form method="get" action="/" id="fleet-filter" data-testid="fleet-filter">
            <label>kind <select name="kind" id="fleet-kind"><option value="">(any)</option>{new[] { "tre", "uicc" }.Select(o => Html.Of($"<option{(filter.Kind == o ? Html.Raw(" selected") : Html.Empty)}>{o}</option>"))}</select></label>
            <label>stage starts with <input name="stage" id="fleet-stage" value="{filter.Stage}" placeholder="failed"></label>
            <label>PCID, TRE id or DevId contains <input name="q" id="fleet-q" value="{filter.Text}"></label>
            <button type="submit" id="fleet-submit">Filter</button></form>
            <p id="fleet-count" data-testid="fleet-count" data-count="{fleet.Total}" data-page="{fleet.Page}" data-pages="{pages}">{fleet.Total} devices; page {fleet.Page} of {pages} ({ConsoleViews.PageSize} a page)</p>
            {Table("fleet", ["device (PCID / DevId)", "kind", "IMSI", "step", "provisioning stage", "SHO", "MCIM", "last DM session", "lockdown", "battery"], rows)}
            <p class="pager">{(fleet.Page > 1 ? Html.Of($"<a href=\"{Link(fleet.Page - 1)}\" id=\"fleet-previous\">previous</a>") : Html.Empty)}
            {(fleet.Page < pages ? Html.Of($"<a href=\"{Link(fleet.Page + 1)}\" id=\"fleet-next\">next</a>") : Html.Empty)}</p>
            """));
    }

    private static async Task<IResult> FunnelAsync(HttpContext context, ConsoleViews views)
    {
        var (devices, atStep, failures) = await views.FunnelAsync(context.RequestAborted).ConfigureAwait(false);
        var reached = ConsoleViews.Steps.Select(s => Html.Of($"""
            <tr data-step="{s.Step}"><td>{s.Step}</td><td>{s.Name}</td><td class="count">{atStep[s.Step]}</td><td class="count">{atStep.Where(a => a.Key >= s.Step).Sum(a => a.Value)}</td></tr>
            """));
        var failed = failures.Select(f => Html.Of($"<tr><td>{f.Key}</td><td class=\"count\">{f.Value}</td></tr>"));
        return Render(context, "Provisioning", Html.Of($"""
            <h1>Provisioning funnel</h1>
            <p id="funnel-devices" data-count="{devices}">TR 33.812 §5.1.3.6.2, remote MCIM provisioning (TRE-based devices, {devices}). A device counts at the furthest step its records prove: the ICF's (vectors for the PCID, its use), the DRF's (registration), the DPF's and the SHO's.</p>
            {Table("funnel", ["step", "what", "devices at this step", "devices that reached it"], reached)}
            <h2>Failures by reason</h2>
            {Table("failures", ["reason", "devices"], failed)}
            """));
    }

    private static async Task<IResult> JobsAsync(HttpContext context, ConsoleViews views)
    {
        var dm = await views.AllDmJobsAsync(500, context.RequestAborted).ConfigureAwait(false);
        var ota = await views.OtaJobsAsync(null, context.RequestAborted).ConfigureAwait(false);
        return Render(context, "Jobs", Html.Of($"""
            <h1>DM and OTA jobs</h1>
            <h2>DM jobs</h2>
            {DmJobTable("dm-jobs", dm)}
            <h2>OTA jobs</h2>
            {OtaJobTable(ota)}
            """));
    }

    private static Html DmJobTable(string id, IEnumerable<(string Role, M2MSec.Storage.Dm.DmJobRecord Job)> jobs) =>
        Table(id, ["job", "device", "server", "state", "created", "commands (status, read-back)", "reason"], jobs.Select(j => Html.Of($"""
            <tr data-job="{j.Job.Id}" data-state="{j.Job.State}"><td>{j.Job.Id}</td><td>{DeviceLink(j.Job.DevId)}</td><td>{j.Role}</td><td class="state">{j.Job.State}</td><td>{j.Job.CreatedAt}</td>
            <td><ul>{j.Job.Commands.Select(c => Html.Of($"<li>{c.Verb} {c.Uri}{(c.Value is null ? "" : " = " + c.Value)} → {c.Status?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? c.Delivery}{(c.Results is null ? "" : " ⇒ " + c.Results)}</li>"))}</ul></td>
            <td>{j.Job.Reason ?? ""}</td></tr>
            """)));

    private static Html OtaJobTable(IEnumerable<M2MSec.Storage.Ota.OtaJobRecord> jobs) =>
        Table("ota-jobs", ["job", "ICCID", "transport", "TAR", "state", "PoR", "read-back", "failure", "updated"], jobs.Select(j => Html.Of($"""
            <tr data-job="{j.Id}"><td>{j.Id}</td><td>{j.Iccid}</td><td>{j.Transport}</td><td>{j.Tar}</td><td class="state">{j.State}</td><td>{j.PorStatus ?? "—"}</td>
            <td>{j.Data ?? "—"}</td><td>{j.Failure ?? ""}</td><td>{j.UpdatedAt}</td></tr>
            """)));

    private static Html AuditTable(string id, IEnumerable<(string Instance, AuditEntry Entry)> entries) =>
        Table(id, ["when", "where", "who", "what", "subject", "detail"], entries.Select(e => Html.Of($"""
            <tr><td>{e.Entry.At}</td><td>{e.Instance}</td><td>{e.Entry.Actor}</td><td>{e.Entry.Action}</td><td>{e.Entry.Subject}</td><td>{e.Entry.Detail ?? ""}</td></tr>
            """)));

    private static async Task<IResult> AuditAsync(HttpContext context, ConsoleViews views)
    {
        string? Q(string name) => context.Request.Query[name].ToString() is { Length: > 0 and <= 256 } v ? v : null;
        DateTimeOffset? since = null;
        if (Q("since") is { } s)
        {
            if (!DateTimeOffset.TryParse(s, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var at))
                return Render(context, "Audit", Message("Audit", "since: expected an ISO 8601 time, e.g. 2026-12-03T21:00:00Z", "bad-filter"), StatusCodes.Status400BadRequest);
            since = at;
        }
        var entries = await views.AuditAsync(Q("where"), Q("action"), Q("subject"), since, 500, context.RequestAborted).ConfigureAwait(false);
        return Render(context, "Audit", Html.Of($"""
            <h1>Audit log</h1>
            <form method="get" action="/audit" id="audit-filter" data-testid="audit-filter">
            <label>where <select name="where" id="filter-where"><option value="">(every store)</option>{ConsoleStores.Instances.Select(i => Html.Of($"<option{(Q("where") == i ? Html.Raw(" selected") : Html.Empty)}>{i}</option>"))}</select></label>
            <label>action starts with <input name="action" id="filter-action" value="{Q("action")}"></label>
            <label>subject or detail contains <input name="subject" id="filter-subject" value="{Q("subject")}"></label>
            <label>since <input name="since" id="filter-since" value="{Q("since")}" placeholder="2026-12-03T21:00:00Z"></label>
            <button type="submit" id="filter-submit">Filter</button></form>
            <p id="audit-count" data-count="{entries.Count}">{entries.Count} entries (newest first, at most 500)</p>
            {AuditTable("audit", entries)}
            """));
    }

    private static async Task<IResult> PkiAsync(HttpContext context, ConsoleViews views)
    {
        var sections = new List<Html>();
        var now = DateTimeOffset.UtcNow;
        foreach (var (instance, hierarchy) in PkiHierarchies)
        {
            if (await views.Stores.FindAsync(instance).ConfigureAwait(false) is not { } store
                || await store.Certificates.FindHierarchyAsync(hierarchy, context.RequestAborted).ConfigureAwait(false) is not { } record)
                continue;
            var certs = await store.Certificates.ListAsync(hierarchy, context.RequestAborted).ConfigureAwait(false);
            var revocable = instance == "ocsp";
            var rows = certs.OrderByDescending(c => c.NotBefore).Take(1000).Select(c => Html.Of($"""
                <tr data-serial="{c.SerialHex}" data-status="{StatusOf(c, now)}"><td><code>{c.SerialHex}</code></td><td>{c.Subject}</td><td>{c.NotBefore}</td><td>{c.NotAfter}</td>
                <td class="state">{StatusOf(c, now)}</td><td>{(revocable && !c.IsRevoked ? RevokeForm(context, c.SerialHex) : Html.Empty)}</td></tr>
                """));
            sections.Add(Html.Of($"""
                <section id="hierarchy-{record.Name}-{instance}"><h2>{record.Name} <small>({instance}; {record.KeyAlgorithm}; OCSP {record.OcspUrl ?? "—"})</small></h2>
                <p>{certs.Count} certificates, {certs.Count(c => c.IsRevoked)} revoked.</p>
                {Table($"certificates-{instance}", ["serial", "subject", "not before", "not after", "status", revocable ? "revoke (through the OCSP admin API)" : ""], rows)}</section>
                """));
        }
        return Render(context, "PKI", Html.Of($"<h1>PKI</h1>{sections}"));
    }

    /// <summary>Which store keeps which hierarchy: the operator's at the OCSP function, the manufacturer's at the CCIF, each SHO's own.</summary>
    private static readonly (string Instance, string Hierarchy)[] PkiHierarchies =
        [("ocsp", "operator"), ("ccif", "manufacturer"), ("sho", "sho"), ("sho-b", "sho")];

    private static string StatusOf(M2MSec.Storage.Certificates.IssuedCertificate c, DateTimeOffset now) =>
        c.IsRevoked ? "revoked (" + M2MSec.Pki.Authority.RevocationReasons.Name(c.RevocationReason ?? 0) + ")" : c.NotAfter < now ? "expired" : "valid";

    private static Html RevokeForm(HttpContext context, string serial) => Html.Of($"""
        <form method="post" action="/pki/revocations" class="inline" data-testid="revoke-form">{AntiforgeryInput(context)}
        <input type="hidden" name="serial" value="{serial}">
        <select name="reason" data-testid="revoke-reason">{M2MSec.Pki.Authority.RevocationReasons.Names.Select(n => Html.Of($"<option>{n}</option>"))}</select>
        <button type="submit" data-testid="revoke-submit" id="revoke-{serial}">Revoke</button></form>
        """);

    private static async Task<IResult> GroupsAsync(HttpContext context, ConsoleViews views)
    {
        var rows = new List<Html>();
        if (await views.Stores.FindAsync("vno").ConfigureAwait(false) is { } vno)
        {
            foreach (var g in await vno.MtcGroups.ListGroupsAsync(context.RequestAborted).ConfigureAwait(false))
            {
                var members = await vno.MtcGroups.ListMembersAsync(g.Id, context.RequestAborted).ConfigureAwait(false);
                rows.Add(Html.Of($"""
                    <tr data-group="{g.Id}"><td>{g.Id}</td><td>{g.Epoch}</td><td>{g.Sequence}</td><td>{g.Members}</td><td>{g.CreatedAt}</td>
                    <td>{string.Join(", ", members.Select(m => $"{m.Identity}{(m.AckedEpoch == g.Epoch ? "" : " (key not acknowledged)")}"))}</td></tr>
                    """));
            }
        }
        return Render(context, "Groups", Html.Of($"""
            <h1>MTC groups</h1><p>TS 23.682 §5.2 groups at the VNO (docs/decisions/028).</p>
            {Table("groups", ["group (External Group Identifier)", "key epoch", "messages sent", "members", "created", "members"], rows)}
            """));
    }

    private static Html LivePage() => Html.Of($"""
        <h1>Live</h1>
        <p>What the fleet is doing now, pushed by the server (server-sent events, no reload): the counts every second and each new audit entry.</p>
        <dl id="live-summary" data-testid="live-summary">
        <dt>devices in provisioning records</dt><dd id="live-devices">…</dd><dt>provisioned (step 21)</dt><dd id="live-provisioned">…</dd>
        <dt>failed</dt><dd id="live-failed">…</dd><dt>DM jobs done / queued</dt><dd id="live-dm">…</dd><dt>updated</dt><dd id="live-at">…</dd></dl>
        <p id="live-status" data-testid="live-status">connecting…</p>
        <table id="live-events" data-testid="live-events"><thead><tr><th>when</th><th>where</th><th>who</th><th>what</th><th>subject</th><th>detail</th></tr></thead><tbody></tbody></table>
        """);
}
