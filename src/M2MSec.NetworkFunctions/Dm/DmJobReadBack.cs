using M2MSec.Storage.Dm;

namespace M2MSec.NetworkFunctions.Dm;

/// <summary>
/// Read-back verification of a DM job: a Replace or Add that the device accepted is verified by the first
/// later Get of the same URI in the same job — its Results must equal the value written. A job whose
/// read-back differs has failed even though every command got a 2xx status.
/// </summary>
public static class DmJobReadBack
{
    /// <summary>True/false for a written value that a later Get read back (equal or not); null when nothing reads it back.</summary>
    public static bool? Verified(DmJobRecord job, DmCommandRecord command)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(command);
        if (command.Verb is not ("replace" or "add") || command.Value is null || command.Status is null or >= 300)
            return null;
        var get = job.Commands.FirstOrDefault(c => c.Seq > command.Seq && c.Verb == "get" && c.Uri == command.Uri);
        if (get?.Status is null)
            return get is null ? null : false;
        return get.Status < 300 && string.Equals(get.Results, command.Value, StringComparison.Ordinal);
    }

    /// <summary>"done" when every command succeeded and every read-back matched, else "failed".</summary>
    public static string FinalState(DmJobRecord job)
    {
        ArgumentNullException.ThrowIfNull(job);
        var ok = job.Commands.All(c => c.Status is < 300) && job.Commands.All(c => Verified(job, c) != false);
        return ok ? "done" : "failed";
    }

    /// <summary>The commands to queue for "set these values, then read them back": each write, then a Get of each written URI.</summary>
    public static IReadOnlyList<(string Verb, string Uri, string? Value)> WithReadBack(IReadOnlyList<(string Verb, string Uri, string? Value)> commands)
    {
        ArgumentNullException.ThrowIfNull(commands);
        var reads = commands.Where(c => c.Verb is "replace" or "add" && c.Value is not null).Select(c => c.Uri).Distinct(StringComparer.Ordinal)
            .Select(uri => ("get", uri, (string?)null));
        return [.. commands, .. reads];
    }
}
