using System.Globalization;

namespace M2MSec.Dm.SyncMl;

/// <summary>
/// Maps an element tree to the model (OMA-SUP-DTD_SyncML_RepPro-V1_2 content models). Elements outside the
/// SyncML/MetInf vocabulary, and known elements DM does not use, are ignored; a SyncML command we do not
/// model becomes an <see cref="UnknownCommand"/>. A missing required element is <see cref="SyncMlErrorReason.Malformed"/>.
/// </summary>
internal sealed class SyncMlTreeReader(SyncMlLimits limits)
{
    private int _commands;

    /// <summary>Reads a SyncHdr node alone (also used to put the header into an error).</summary>
    public static SyncHeader ReadHeader(SyncMlNode hdr)
    {
        var meta = Optional(hdr, "Meta");
        return new SyncHeader
        {
            VerDtd = RequiredText(hdr, "VerDTD"),
            VerProto = RequiredText(hdr, "VerProto"),
            SessionId = RequiredText(hdr, "SessionID"),
            MsgId = RequiredText(hdr, "MsgID"),
            Target = Location(Required(hdr, "Target")),
            Source = Location(Required(hdr, "Source")),
            RespUri = OptionalText(hdr, "RespURI"),
            NoResp = Optional(hdr, "NoResp") is not null,
            Cred = Optional(hdr, "Cred") is { } cred ? Cred(cred) : null,
            Meta = meta is null ? null : Meta(meta),
        };
    }

    public SyncMlMessage ReadMessage(SyncMlNode root, SyncHeader header)
    {
        var body = Required(root, "SyncBody");
        var commands = new List<SyncMlCommand>();
        var final = false;
        foreach (var child in body.Children)
        {
            if (child.MetInf || child.Unknown)
                continue;
            if (child.Name == "Final")
                final = true;
            else if (Command(child) is { } command)
                commands.Add(command);
        }
        return new SyncMlMessage { Header = header, Commands = commands.ToEquatableList(), Final = final };
    }

    private SyncMlCommand? Command(SyncMlNode n)
    {
        SyncMlCommand? command = n.Name switch
        {
            "Alert" => new AlertCommand
            {
                CmdId = RequiredText(n, "CmdID"),
                Data = OptionalText(n, "Data"),
                Correlator = OptionalText(n, "Correlator"),
                Items = Items(n),
            },
            "Add" => Fill(new AddCommand { CmdId = RequiredText(n, "CmdID") }, n),
            "Copy" => Fill(new CopyCommand { CmdId = RequiredText(n, "CmdID") }, n),
            "Delete" => Fill(new DeleteCommand { CmdId = RequiredText(n, "CmdID") }, n),
            "Exec" => Fill(new ExecCommand { CmdId = RequiredText(n, "CmdID"), Correlator = OptionalText(n, "Correlator") }, n),
            "Get" => Fill(new GetCommand { CmdId = RequiredText(n, "CmdID") }, n),
            "Replace" => Fill(new ReplaceCommand { CmdId = RequiredText(n, "CmdID") }, n),
            "Atomic" => Container(new AtomicCommand { CmdId = RequiredText(n, "CmdID") }, n),
            "Sequence" => Container(new SequenceCommand { CmdId = RequiredText(n, "CmdID") }, n),
            "Results" => new ResultsCommand
            {
                CmdId = RequiredText(n, "CmdID"),
                MsgRef = OptionalText(n, "MsgRef"),
                CmdRef = RequiredText(n, "CmdRef"),
                Meta = Optional(n, "Meta") is { } m ? Meta(m) : null,
                TargetRef = OptionalText(n, "TargetRef"),
                SourceRef = OptionalText(n, "SourceRef"),
                Items = Items(n),
            },
            "Status" => new StatusCommand
            {
                CmdId = RequiredText(n, "CmdID"),
                MsgRef = RequiredText(n, "MsgRef"),
                CmdRef = RequiredText(n, "CmdRef"),
                Cmd = RequiredText(n, "Cmd"),
                TargetRefs = Texts(n, "TargetRef"),
                SourceRefs = Texts(n, "SourceRef"),
                Cred = Optional(n, "Cred") is { } c ? Cred(c) : null,
                Chal = Optional(n, "Chal") is { } ch ? new SyncMlChal { Meta = Optional(ch, "Meta") is { } cm ? Meta(cm) : null } : null,
                Data = RequiredText(n, "Data"),
                Items = Items(n),
            },
            "Sync" or "Map" or "Put" or "Search" or "Move" => new UnknownCommand { Name = n.Name, CmdId = OptionalText(n, "CmdID") ?? "" },
            _ => null,
        };
        if (command is null)
            return null;
        if (++_commands > limits.MaxCommands)
            throw new SyncMlFormatException(SyncMlErrorReason.TooManyElements, $"more than {limits.MaxCommands} commands");
        return command with { NoResp = Optional(n, "NoResp") is not null };
    }

    private T Fill<T>(T command, SyncMlNode n) where T : ItemCommand => command with
    {
        Cred = Optional(n, "Cred") is { } c ? Cred(c) : null,
        Meta = Optional(n, "Meta") is { } m ? Meta(m) : null,
        Items = Items(n),
    };

    private T Container<T>(T command, SyncMlNode n) where T : ContainerCommand
    {
        var nested = new List<SyncMlCommand>();
        foreach (var child in n.Children)
            if (!child.MetInf && !child.Unknown && child.Name is not ("CmdID" or "NoResp" or "Meta") && Command(child) is { } c)
                nested.Add(c);
        return command with { Meta = Optional(n, "Meta") is { } m ? Meta(m) : null, Commands = nested.ToEquatableList() };
    }

    private EquatableList<SyncMlItem> Items(SyncMlNode n)
    {
        List<SyncMlItem>? items = null;
        foreach (var child in n.Children)
        {
            if (child.MetInf || child.Name != "Item")
                continue;
            items ??= [];
            if (items.Count == limits.MaxItemsPerCommand)
                throw new SyncMlFormatException(SyncMlErrorReason.TooManyElements, $"more than {limits.MaxItemsPerCommand} items in {n.Name}");
            items.Add(new SyncMlItem
            {
                Target = Optional(child, "Target") is { } t ? Location(t) : null,
                Source = Optional(child, "Source") is { } s ? Location(s) : null,
                Meta = Optional(child, "Meta") is { } m ? Meta(m) : null,
                Data = Optional(child, "Data") is { } d ? Data(d) : null,
                MoreData = Optional(child, "MoreData") is not null,
            });
        }
        return items is null ? [] : items.ToEquatableList();
    }

    private static SyncMlData Data(SyncMlNode n) =>
        n.Opaque is { } opaque ? SyncMlData.FromOpaque(opaque) : SyncMlData.FromText(n.Text ?? "");

    private static SyncMlLocation Location(SyncMlNode n) => new(RequiredText(n, "LocURI"), OptionalText(n, "LocName"));

    private static SyncMlCred Cred(SyncMlNode n) => new()
    {
        Meta = Optional(n, "Meta") is { } m ? Meta(m) : null,
        Data = Optional(n, "Data") is { } d ? Data(d) : null,
    };

    /// <summary>MetInf children; also accepted without the metinf namespace, as some peers send them.</summary>
    private static SyncMlMeta Meta(SyncMlNode n) => new()
    {
        Format = MetaText(n, "Format"),
        Type = MetaText(n, "Type"),
        Mark = MetaText(n, "Mark"),
        Size = Number(MetaText(n, "Size"), "Size"),
        Version = MetaText(n, "Version"),
        NextNonce = MetaText(n, "NextNonce"),
        MaxMsgSize = Number(MetaText(n, "MaxMsgSize"), "MaxMsgSize"),
        MaxObjSize = Number(MetaText(n, "MaxObjSize"), "MaxObjSize"),
    };

    /// <summary>The first child named <paramref name="name"/> in either namespace.</summary>
    private static string? MetaText(SyncMlNode n, string name)
    {
        foreach (var c in n.Children)
            if (c.Name == name)
                return LeafText(c);
        return null;
    }

    private static long? Number(string? text, string name) =>
        text is null ? null
        : long.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v
        : throw new SyncMlFormatException(SyncMlErrorReason.Malformed, $"{name} is not a number");

    /// <summary>The first SyncML-namespace child named <paramref name="name"/> (a loop: the parse's hot path, no LINQ).</summary>
    internal static SyncMlNode? Optional(SyncMlNode n, string name)
    {
        foreach (var c in n.Children)
            if (!c.MetInf && c.Name == name)
                return c;
        return null;
    }

    internal static SyncMlNode Required(SyncMlNode n, string name) =>
        Optional(n, name) ?? throw new SyncMlFormatException(SyncMlErrorReason.Malformed, $"{n.Name} without {name}");

    private static string RequiredText(SyncMlNode n, string name) => LeafText(Required(n, name));

    private static string? OptionalText(SyncMlNode n, string name) => Optional(n, name) is { } c ? LeafText(c) : null;

    private static EquatableList<string> Texts(SyncMlNode n, string name)
    {
        List<string>? texts = null;
        foreach (var c in n.Children)
            if (!c.MetInf && c.Name == name)
                (texts ??= []).Add(LeafText(c));
        return texts is null ? [] : texts.ToEquatableList();
    }

    private static string LeafText(SyncMlNode n) =>
        n.Children.Length > 0 ? throw new SyncMlFormatException(SyncMlErrorReason.Malformed, $"{n.Name} has element content")
        : n.Opaque is { } o ? SyncMlData.FromOpaque(o).Text
        : n.Text ?? "";
}
