using M2MSec.Storage.Audit;
using M2MSec.Storage.Dm;

namespace M2MSec.NetworkFunctions.Dm;

/// <summary>
/// Queues a DM job for a device's next session — `dm job add` and the console's "queue a DM job" (issue 20) go through here, so a
/// job's id, its numbered commands and its `dm.job.add` audit entry are the same whoever queued it. The caller checks the device
/// has an account and the commands are valid first.
/// </summary>
public static class DmJobQueue
{
    public static async Task<DmJobRecord> AddAsync(IDmStore dm, IAuditLog audit, string actor, string devId,
        IReadOnlyList<(string Verb, string Uri, string? Value)> commands, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dm);
        ArgumentNullException.ThrowIfNull(audit);
        ArgumentNullException.ThrowIfNull(commands);
        var id = "dm-" + Guid.NewGuid().ToString("N")[..16];
        var job = new DmJobRecord(id, devId, "queued", now, now, [.. commands.Select((c, i) => new DmCommandRecord(id, i + 1, c.Verb, c.Uri, c.Value, null, null))]);
        await dm.AddJobAsync(job, cancellationToken).ConfigureAwait(false);
        await audit.AppendAsync(actor, "dm.job.add", devId, $"{id}: {commands.Count} commands", cancellationToken).ConfigureAwait(false);
        return job;
    }
}
