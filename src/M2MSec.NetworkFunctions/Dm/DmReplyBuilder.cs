using System.Globalization;
using M2MSec.Dm.SyncMl;

namespace M2MSec.NetworkFunctions.Dm;

/// <summary>Builds one server message: our header (Target = the device, MsgID echoes the client's), Status for what we got, our commands.</summary>
internal sealed class DmReplyBuilder(SyncMlMessage incoming, string serverUri, long? maxMsgSize = null)
{
    private readonly List<SyncMlCommand> _commands = [];
    private int _nextId = 1;

    public int CommandCount => _commands.Count;

    /// <summary>Where the client must send its next message of this session (SyncHdr RespURI, OMA-TS-DM_Protocol-V1_2 §8.3).</summary>
    public string? RespUri { get; set; }

    public void HeaderStatus(int code, SyncMlChal? chal) => _commands.Add(new StatusCommand
    {
        CmdId = Next(),
        MsgRef = incoming.Header.MsgId,
        CmdRef = "0",
        Cmd = "SyncHdr",
        TargetRefs = [incoming.Header.Target.LocUri],
        SourceRefs = [incoming.Header.Source.LocUri],
        Chal = chal,
        Data = code.ToString(CultureInfo.InvariantCulture),
    });

    public void Status(SyncMlCommand command, int code) => _commands.Add(new StatusCommand
    {
        CmdId = Next(),
        MsgRef = incoming.Header.MsgId,
        CmdRef = command.CmdId,
        Cmd = command.ElementName,
        Data = code.ToString(CultureInfo.InvariantCulture),
    });

    /// <summary>Alert 1222 (next message, OMA-TS-DM_Protocol-V1_2 §8.7): the client's package is not complete yet.</summary>
    public void NextMessageAlert() => _commands.Add(new AlertCommand { CmdId = Next(), Data = "1222" });

    public string Add(SyncMlCommand command)
    {
        var id = Next();
        _commands.Add(command switch
        {
            ItemCommand c => c with { CmdId = id },
            _ => throw new ArgumentException("only item commands are queued", nameof(command)),
        });
        return id;
    }

    /// <summary>Takes back the command added last (it did not fit the device's MaxMsgSize).</summary>
    public void RemoveLast()
    {
        _commands.RemoveAt(_commands.Count - 1);
        _nextId--;
    }

    public SyncMlMessage Build(SyncMlCred? cred, bool final) => new()
    {
        Header = new SyncHeader
        {
            SessionId = incoming.Header.SessionId,
            MsgId = incoming.Header.MsgId,
            Target = new SyncMlLocation(incoming.Header.Source.LocUri),
            Source = new SyncMlLocation(serverUri),
            RespUri = RespUri,
            Cred = cred,
            Meta = maxMsgSize is null ? null : new SyncMlMeta { MaxMsgSize = maxMsgSize },
        },
        Commands = [.. _commands],
        Final = final,
    };

    private string Next() => (_nextId++).ToString(CultureInfo.InvariantCulture);
}
