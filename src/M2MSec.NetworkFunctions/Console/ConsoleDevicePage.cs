using Microsoft.AspNetCore.Http;

namespace M2MSec.NetworkFunctions.Console;

/// <summary>The device page: what every store knows of one device, and the forms of the actions on it.</summary>
internal static partial class ConsolePages
{
    private static async Task<IResult> DeviceAsync(string id, HttpContext context, ConsoleViews views, ConsoleOptions options)
    {
        var ct = context.RequestAborted;
        id = ConsoleActions.RouteId(id);
        var device = await views.DeviceAsync(id, ct).ConfigureAwait(false);
        var devIds = device?.DevIds ?? [id];
        var reports = await views.ReportsAsync(devIds, ct).ConfigureAwait(false);
        var jobs = await views.DmJobsAsync(devIds, ct).ConfigureAwait(false);
        if (device is null && jobs.Count == 0 && reports.All(r => r.Report.DevInfo.Count == 0 && r.Report.LastSession is null))
            return Render(context, "Device", Message("No such device", $"no store knows a device '{id}'", "no-device"), StatusCodes.Status404NotFound);
        var keys = devIds.ToHashSet(StringComparer.Ordinal);
        // The audit store's query by subject (issue 20): the device's entries only, never a read of every log.
        var audit = await views.AuditOfAsync(keys, 200, ct).ConfigureAwait(false);
        var triggers = audit.Where(e => e.Entry.Action.StartsWith("mtciwf.trigger", StringComparison.Ordinal) || e.Entry.Action.StartsWith("vno.trigger", StringComparison.Ordinal)
            || e.Entry.Action.StartsWith("console.trigger", StringComparison.Ordinal)).ToList();
        var certificates = new List<(string Hierarchy, M2MSec.Storage.Certificates.IssuedCertificate Cert)>();
        foreach (var (instance, hierarchy) in PkiHierarchies)
        {
            if (await views.Stores.FindAsync(instance).ConfigureAwait(false) is { } store)
                certificates.AddRange((await store.Certificates.ListAsync(hierarchy, ct).ConfigureAwait(false))
                    .Where(c => keys.Any(k => c.Subject.Contains(k, StringComparison.Ordinal))).Select(c => (hierarchy, c)));
        }
        var ota = await views.OtaJobsAsync(keys, ct).ConfigureAwait(false);
        var devInfo = reports.SelectMany(r => r.Report.DevInfo.Select(i => Html.Of($"<tr><td>{r.Role}</td><td>{i.Uri}</td><td>{i.Value}</td><td>{i.UpdatedAt}</td></tr>")));
        var alerts = reports.SelectMany(r => r.Report.GenericAlerts.Select(a => Html.Of(
            $"<tr><td>{r.Role}</td><td>{a.ReceivedAt}</td><td>{a.Source}</td><td>{a.Type}</td><td>{a.Format}</td><td>{a.Mark}</td><td>{a.Correlator}</td><td>{a.Data}</td></tr>")));
        var tree = ConsoleViews.TreeOf(jobs).Select(n => Html.Of($"<tr><td>{n.Uri}</td><td>{n.Value}</td><td>{n.At}</td></tr>"));
        var now = DateTimeOffset.UtcNow;
        var summary = device is null ? Html.Empty : Html.Of($"""
            <dl id="device-summary" data-testid="device-summary"><dt>kind</dt><dd id="device-kind">{device.Kind}</dd>
            <dt>ids (PCID, TRE id, IMSI; DevIds)</dt><dd id="device-ids" data-testid="device-ids">{string.Join(", ", device.DevIds)}</dd><dt>IMSI</dt><dd id="device-imsi">{device.Imsi ?? "—"}</dd>
            <dt>provisioning</dt><dd id="device-stage">step {device.Step}: {device.Stage}</dd><dt>SHO</dt><dd id="device-sho">{device.Sho ?? "—"}</dd>
            <dt>MCIM</dt><dd id="device-mcim">{device.Mcim ?? "—"}</dd><dt>last DM session</dt><dd id="device-last-dm">{(device.LastDm is { } s ? $"{s.Outcome} at {s.At.UtcDateTime:yyyy-MM-dd HH:mm:ss}Z" : "—")}</dd>
            <dt>lockdown</dt><dd>{device.Lockdown}</dd><dt>battery</dt><dd>{device.Battery}</dd></dl>
            """);
        return Render(context, "Device", Html.Of($"""
            <h1>Device <span id="device-id" data-testid="device-id">{id}</span></h1>
            {summary}
            <h2>Actions</h2>
            {DmJobForm(context, id, device?.DmDevId ?? id)}
            {TriggerForm(context, id, options)}
            {MoveForm(context, id, device)}
            <h2>DevInfo</h2>
            {Table("devinfo", ["server", "node", "value", "reported"], devInfo)}
            <h2>DM tree as last read</h2>
            {Table("dm-tree", ["node", "value", "read"], tree)}
            <h2>Generic Alerts</h2>
            {Table("alerts", ["server", "received", "source", "type", "format", "mark", "correlator", "data"], alerts)}
            <h2>DM jobs</h2>
            {DmJobTable("device-dm-jobs", jobs)}
            <h2>OTA jobs</h2>
            {OtaJobTable(ota)}
            <h2>Certificates</h2>
            {Table("device-certificates", ["hierarchy", "serial", "subject", "not after", "status"], certificates.Select(c => Html.Of(
                $"<tr><td>{c.Hierarchy}</td><td><code>{c.Cert.SerialHex}</code></td><td>{c.Cert.Subject}</td><td>{c.Cert.NotAfter}</td><td>{StatusOf(c.Cert, now)}</td></tr>")))}
            <h2>Triggers</h2>
            {AuditTable("device-triggers", triggers)}
            <h2>Audit</h2>
            {AuditTable("device-audit", audit)}
            """));
    }

    private static Html DmJobForm(HttpContext context, string id, string dmDevId) => Html.Of($"""
        <form method="post" action="/devices/{Uri.EscapeDataString(id)}/dm-jobs" id="dm-job-form" data-testid="dm-job-form" class="action" data-dm-dev-id="{dmDevId}">
        <h3>Queue a DM job: NAS configuration (TS 24.368), at the DM server</h3>{AntiforgeryInput(context)}
        <label>leaf <select name="leaf" id="dm-job-leaf" data-testid="dm-job-leaf">{M2MSec.Nas.NasParameters.All.Select(p => Html.Of($"<option>{p.Leaf}</option>"))}</select></label>
        <label>value <input name="value" id="dm-job-value" data-testid="dm-job-value" required></label>
        <button type="submit" id="dm-job-submit" data-testid="dm-job-submit">Queue (read back)</button></form>
        """);

    private static Html TriggerForm(HttpContext context, string id, ConsoleOptions options) => Html.Of($"""
        <form method="post" action="/devices/{Uri.EscapeDataString(id)}/triggers" id="trigger-form" data-testid="trigger-form" class="action">
        <h3>Send a trigger (through the MTC-IWF, as the MTC server{(options.MtcServer is null ? " — no MTC server credentials: off" : "")})</h3>{AntiforgeryInput(context)}
        <label>external identifier <input name="device" id="trigger-device" data-testid="trigger-device" required placeholder="meter-1@mtc.example"></label>
        <label>action <select name="action" id="trigger-action" data-testid="trigger-action"><option>dm-session</option><option>application-data</option></select></label>
        <label>payload (hex, application-data) <input name="payload" id="trigger-payload" data-testid="trigger-payload"></label>
        <button type="submit" id="trigger-submit" data-testid="trigger-submit">Send</button></form>
        """);

    private static Html MoveForm(HttpContext context, string id, FleetDevice? device) => device?.Kind != "tre" ? Html.Empty : Html.Of($"""
        <form method="post" action="/devices/{Uri.EscapeDataString(id)}/sho" id="move-form" data-testid="move-form" class="action">
        <h3>Move to another SHO (change of subscription)</h3>{AntiforgeryInput(context)}
        <label>to <select name="to" id="move-to" data-testid="move-to">{ConsoleViews.ShoInstances.Where(s => s != device.Sho).Select(s => Html.Of($"<option>{s}</option>"))}</select></label>
        <button type="submit" id="move-submit" data-testid="move-submit">Move</button></form>
        """);
}
