using M2MSec.Storage.Dm;

namespace M2MSec.NetworkFunctions.Dm;

/// <summary>
/// Read-back verification of a DM job: a Get reads back the last value the job wrote to its URI before it. A
/// Replace or Add that the device accepted is verified by the first later Get of the same URI in the same job —
/// unless another write to that URI (Replace, Add, Delete) that did not fail comes between them: then the Get reads
/// that one, and the earlier write is superseded (not read back, not a failure). A job whose read-back differs has
/// failed even though every command got a 2xx status.
/// </summary>
public static class DmJobReadBack
{
    /// <summary>True/false for a written value that a later Get read back (equal or not); null when nothing reads it back (or it was superseded).</summary>
    public static bool? Verified(DmJobRecord job, DmCommandRecord command)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(command);
        if (command.Verb is not ("replace" or "add") || command.Value is null || command.Status is null or >= 300)
            return null;
        var get = ReadBy(job, command);
        if (get is null || SupersededBy(job, command) is not null)
            return null;
        if (get.Status is null)
            return false;
        return get.Status < 300 && string.Equals(get.Results, command.Value, StringComparison.Ordinal);
    }

    /// <summary>The later write to the same URI, before the Get that reads it back, that did not fail — what that Get reads instead; null if none.</summary>
    public static DmCommandRecord? SupersededBy(DmJobRecord job, DmCommandRecord command)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(command);
        if (command.Verb is not ("replace" or "add") || command.Value is null || command.Status is >= 300)
            return null; // a failed write wrote nothing
        var until = ReadBy(job, command)?.Seq ?? int.MaxValue;
        return job.Commands.LastOrDefault(c => c.Seq > command.Seq && c.Seq < until && c.Uri == command.Uri && IsWrite(c) && c.Status is not >= 300);
    }

    /// <summary>The first Get of the written URI after the write.</summary>
    private static DmCommandRecord? ReadBy(DmJobRecord job, DmCommandRecord command) =>
        job.Commands.FirstOrDefault(c => c.Seq > command.Seq && c.Verb == "get" && c.Uri == command.Uri);

    private static bool IsWrite(DmCommandRecord c) => c.Verb is "replace" or "add" or "delete";

    /// <summary>"done" when every command succeeded and every read-back matched, else "failed".</summary>
    public static string FinalState(DmJobRecord job)
    {
        ArgumentNullException.ThrowIfNull(job);
        var ok = job.Commands.All(c => c.Status is < 300) && job.Commands.All(c => Verified(job, c) != false);
        return ok ? "done" : "failed";
    }

    /// <summary>
    /// The commands to queue for "set these values, then read them back": each write, then a Get of each written URI
    /// (once; none for a URI whose last write is a Delete — there is nothing to read back).
    /// </summary>
    public static IReadOnlyList<(string Verb, string Uri, string? Value)> WithReadBack(IReadOnlyList<(string Verb, string Uri, string? Value)> commands)
    {
        ArgumentNullException.ThrowIfNull(commands);
        var reads = commands.Where(c => c.Verb is "replace" or "add" && c.Value is not null).Select(c => c.Uri).Distinct(StringComparer.Ordinal)
            .Where(uri => commands.Last(c => c.Uri == uri && (c.Verb is "replace" or "delete" || c.Verb == "add" && c.Value is not null)).Verb != "delete")
            .Select(uri => ("get", uri, (string?)null));
        return [.. commands, .. reads];
    }
}
