using System.Text.Json;
using M2MSec.Storage.Dpf;
using M2MSec.Storage.Sho;
using Microsoft.AspNetCore.Http;

namespace M2MSec.NetworkFunctions.Console;

/// <summary>
/// The live view's event stream (issue 20, docs/decisions/032): GET /live/events, server-sent events (text/event-stream) — a
/// <c>summary</c> event every second with the fleet's counts (counts by state: no full list of a store is read), and an <c>audit</c> event for each new audit entry of any store. Data
/// is JSON; the page's script puts it in the document as text (never as markup).
/// </summary>
internal static class ConsoleLive
{
    public static async Task StreamAsync(HttpContext context, ConsoleViews views, ConsoleOptions options)
    {
        var ct = context.RequestAborted;
        context.Response.ContentType = "text/event-stream";
        context.Response.Headers.CacheControl = "no-store";
        var cursors = new Dictionary<string, long>(StringComparer.Ordinal);
        // Start after what is there now: the page shows what happens from here on (the audit page has the past).
        foreach (var (name, store) in await views.Stores.AllAsync().ConfigureAwait(false))
            cursors[name] = await store.Audit.LastSequenceAsync(ct).ConfigureAwait(false);
        // A small backlog first, so a freshly opened page is not empty.
        var backlog = await views.AuditAsync(null, null, null, null, 20, ct).ConfigureAwait(false);
        try
        {
            foreach (var (instance, entry) in backlog.Reverse())
                await SendAsync(context, "audit", Audit(instance, entry), ct).ConfigureAwait(false);
            while (!ct.IsCancellationRequested)
            {
                await SendAsync(context, "summary", await SummaryAsync(views, options, ct).ConfigureAwait(false), ct).ConfigureAwait(false);
                foreach (var (name, store) in await views.Stores.AllAsync().ConfigureAwait(false))
                {
                    var after = cursors.GetValueOrDefault(name);
                    var fresh = await store.Audit.ReadAsync(after, 200, ct).ConfigureAwait(false);
                    foreach (var entry in fresh)
                        await SendAsync(context, "audit", Audit(name, entry), ct).ConfigureAwait(false);
                    if (fresh.Count > 0)
                        cursors[name] = fresh[^1].Sequence;
                }
                await Task.Delay(TimeSpan.FromSeconds(1), options.Time, ct).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static Dictionary<string, object?> Audit(string instance, M2MSec.Storage.Audit.AuditEntry e) => new()
    {
        ["at"] = e.At.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture),
        ["where"] = instance,
        ["actor"] = e.Actor,
        ["action"] = e.Action,
        ["subject"] = e.Subject,
        ["detail"] = e.Detail,
    };

    private static async Task<Dictionary<string, object?>> SummaryAsync(ConsoleViews views, ConsoleOptions options, CancellationToken ct)
    {
        // Counts by state (one GROUP BY per store, every second): no record is read.
        var dpf = await views.Stores.FindAsync("dpf").ConfigureAwait(false) is { } d
            ? await d.Dpf.CountByStateAsync(ct).ConfigureAwait(false) : new Dictionary<string, int>();
        var provisioned = 0;
        foreach (var sho in await views.ShoStoresAsync().ConfigureAwait(false))
            provisioned += (await sho.Sho.CountByStateAsync(ct).ConfigureAwait(false)).GetValueOrDefault(ShoSubscription.Active);
        var jobs = await views.Stores.FindAsync("dm").ConfigureAwait(false) is { } dm
            ? await dm.Dm.CountJobsByStateAsync(ct).ConfigureAwait(false) : new Dictionary<string, int>();
        return new()
        {
            ["devices"] = dpf.Values.Sum(),
            ["provisioned"] = provisioned,
            ["failed"] = dpf.GetValueOrDefault(DpfProvisioning.Failed),
            ["dm_done"] = jobs.GetValueOrDefault("done"),
            ["dm_queued"] = jobs.GetValueOrDefault("queued"),
            ["at"] = options.Time.GetUtcNow().UtcDateTime.ToString("HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture),
        };
    }

    private static async Task SendAsync(HttpContext context, string name, object data, CancellationToken ct)
    {
        // One line of JSON: it holds no newline, so it cannot end the event or start another.
        await context.Response.WriteAsync($"event: {name}\ndata: {JsonSerializer.Serialize(data)}\n\n", ct).ConfigureAwait(false);
        await context.Response.Body.FlushAsync(ct).ConfigureAwait(false);
    }
}
