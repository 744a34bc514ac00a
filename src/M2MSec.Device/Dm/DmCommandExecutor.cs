using System.Globalization;
using System.Text;
using M2MSec.Dm;
using M2MSec.Dm.SyncMl;
using M2MSec.Dm.Tree;

namespace M2MSec.Device.Dm;

/// <summary>
/// Runs the server's commands against the device's tree under its ACLs (OMA-TS-DM_Protocol-V1_2 §6, §8.8):
/// Get/Replace/Add/Delete/Exec; Sequence in order; Atomic all-or-nothing (any failure restores the tree as
/// it was, the others answer 216, the Atomic 507); large objects reassembled from MoreData chunks (213 per
/// chunk, 424 when the octets differ from the announced Size). Each command yields its Status and, for a
/// successful Get, Results.
/// </summary>
internal sealed class DmCommandExecutor(string serverId, DmTree tree)
{
    private PendingObject? _pending;

    public DmTree Tree { get; private set; } = tree;

    public int Executed { get; private set; }
    public int Refused { get; private set; }

    /// <summary>The Status (and Results) answering <paramref name="command"/>, in order, without CmdID/MsgRef (the caller numbers them).</summary>
    public IReadOnlyList<SyncMlCommand> Execute(SyncMlCommand command)
    {
        var answers = new List<SyncMlCommand>();
        switch (command)
        {
            case AtomicCommand atomic:
                RunAtomic(atomic, answers);
                break;
            case SequenceCommand sequence:
                answers.Add(Status(sequence, DmStatusCode.Ok));
                foreach (var inner in sequence.Commands)
                    answers.AddRange(Execute(inner));
                break;
            default:
                var (status, results) = Single(command);
                Count(status);
                answers.Add(Status(command, status));
                if (results is not null)
                    answers.Add(results);
                break;
        }
        return answers;
    }

    private void RunAtomic(AtomicCommand atomic, List<SyncMlCommand> answers)
    {
        var rollback = DmTreeSerializer.Serialize(Tree);
        var (executed, refused) = (Executed, Refused);
        var inner = atomic.Commands.SelectMany(Execute).ToList();
        var failed = inner.OfType<StatusCommand>().Any(s => s.Code is >= 300);
        if (!failed)
        {
            answers.Add(Status(atomic, DmStatusCode.Ok));
            answers.AddRange(inner);
            return;
        }
        // Roll back: the tree as before the Atomic; what had succeeded says so (216), no Results.
        Tree = DeviceDmTree.Restore(rollback);
        (Executed, Refused) = (executed, refused + 1);
        answers.Add(Status(atomic, DmStatusCode.AtomicFailed));
        answers.AddRange(inner.OfType<StatusCommand>().Select(s => s.Code is < 300 ? s with { Data = Code(DmStatusCode.AtomicRollbackOk) } : s));
    }

    private (int Status, ResultsCommand? Results) Single(SyncMlCommand command)
    {
        if (command is not ItemCommand items || items.Items.Count != 1 || items.Items[0].Target?.LocUri is not { } uri)
            return (command is CopyCommand or UnknownCommand ? DmStatusCode.OptionalFeatureNotSupported : DmStatusCode.BadRequest, null);
        var item = items.Items[0];
        var format = (item.Meta ?? items.Meta)?.Format is { } f && DmFormatNames.TryParse(f, out var parsed) ? parsed : (DmFormat?)null;
        if (!TryAssemble(items, item, uri, out var value, out var chunkStatus))
            return (chunkStatus, null);
        switch (command)
        {
            case GetCommand:
                var got = Tree.Get(serverId, uri);
                if (got.Status != DmStatusCode.Ok)
                    return (got.Status, null);
                return (got.Status, new ResultsCommand
                {
                    CmdId = "0",
                    CmdRef = command.CmdId,
                    Items = [new SyncMlItem { Source = new SyncMlLocation(uri), Meta = new SyncMlMeta { Format = DmFormatNames.ToWireName(got.Format) }, Data = Encoding.UTF8.GetString(got.Data.Span) }],
                });
            case ReplaceCommand:
                return (Tree.Replace(serverId, uri, format, value), null);
            case AddCommand:
                return (Tree.Add(serverId, uri, format ?? DmFormat.Chr, value), null);
            case DeleteCommand:
                return (Tree.Delete(serverId, uri), null);
            case ExecCommand:
                return (Tree.Exec(serverId, uri, value), null);
            default:
                return (DmStatusCode.OptionalFeatureNotSupported, null);
        }
    }

    /// <summary>
    /// A value in one piece, or the last chunk of a large object (then the whole object). False with 213 while
    /// chunks are still coming, or with the error that ends the object.
    /// </summary>
    private bool TryAssemble(ItemCommand command, SyncMlItem item, string uri, out byte[] value, out int status)
    {
        value = item.Data?.RawBytes ?? [];
        status = DmStatusCode.Ok;
        var continues = _pending is { } p && p.Uri == uri && p.Command == command.ElementName;
        if (!continues)
            _pending = null; // an object left unfinished is dropped
        if (!item.MoreData && !continues)
            return true;
        if (!continues)
            _pending = new PendingObject(command.ElementName, uri, (item.Meta ?? command.Meta)?.Size);
        var pending = _pending!;
        pending.Data.AddRange(value);
        if (pending.Data.Count > DmTree.MaxLeafSize || pending.Size is > DmTree.MaxLeafSize)
        {
            _pending = null;
            (status, value) = (DmStatusCode.RequestEntityTooLarge, []);
            return false;
        }
        if (item.MoreData)
        {
            status = DmStatusCode.ChunkAccepted;
            return false;
        }
        _pending = null;
        value = [.. pending.Data];
        if (pending.Size is { } size && size != value.Length)
        {
            status = DmStatusCode.SizeMismatch;
            return false;
        }
        return true;
    }

    private void Count(int status)
    {
        if (status == DmStatusCode.ChunkAccepted)
            return;
        if (status < 300)
            Executed++;
        else
            Refused++;
    }

    private static StatusCommand Status(SyncMlCommand command, int code) => new()
    {
        CmdId = "0",
        MsgRef = "0",
        CmdRef = command.CmdId,
        Cmd = command.ElementName,
        Data = Code(code),
    };

    private static string Code(int code) => code.ToString(CultureInfo.InvariantCulture);

    private sealed record PendingObject(string Command, string Uri, long? Size)
    {
        public List<byte> Data { get; } = [];
    }
}
