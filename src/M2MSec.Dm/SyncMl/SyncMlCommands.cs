namespace M2MSec.Dm.SyncMl;

/// <summary>A command in &lt;SyncBody&gt; (OMA-TS-DM_RepPro-V1_2 §6.6). <see cref="ElementName"/> is its tag.</summary>
public abstract record SyncMlCommand
{
    public required string CmdId { get; init; }
    public bool NoResp { get; init; }
    public abstract string ElementName { get; }
}

/// <summary>Alert (§6.6.2): Data = alert code (1200/1201 session, 1222 more messages, 1223 abort, 1226 generic).</summary>
public sealed record AlertCommand : SyncMlCommand
{
    public override string ElementName => "Alert";
    public string? Data { get; init; }
    public string? Correlator { get; init; }
    public EquatableList<SyncMlItem> Items { get; init; } = [];

    /// <summary>The alert code, when Data is an integer.</summary>
    public int? Code => int.TryParse(Data, out var c) ? c : null;
}

/// <summary>The commands with Meta, Cred and Items: Add, Copy, Delete, Exec, Get, Replace (§6.6.1–§6.6.11).</summary>
public abstract record ItemCommand : SyncMlCommand
{
    public SyncMlCred? Cred { get; init; }
    public SyncMlMeta? Meta { get; init; }
    public EquatableList<SyncMlItem> Items { get; init; } = [];
}

public sealed record AddCommand : ItemCommand
{
    public override string ElementName => "Add";
}

/// <summary>Copy (§6.6.4): each Item carries the Source to copy and the Target.</summary>
public sealed record CopyCommand : ItemCommand
{
    public override string ElementName => "Copy";
}

public sealed record DeleteCommand : ItemCommand
{
    public override string ElementName => "Delete";
}

/// <summary>Exec (§6.6.7), with the optional Correlator echoed by a later Generic Alert.</summary>
public sealed record ExecCommand : ItemCommand
{
    public override string ElementName => "Exec";
    public string? Correlator { get; init; }
}

public sealed record GetCommand : ItemCommand
{
    public override string ElementName => "Get";
}

public sealed record ReplaceCommand : ItemCommand
{
    public override string ElementName => "Replace";
}

/// <summary>Atomic and Sequence (§6.6.3, §6.6.14): nested commands.</summary>
public abstract record ContainerCommand : SyncMlCommand
{
    public SyncMlMeta? Meta { get; init; }
    public EquatableList<SyncMlCommand> Commands { get; init; } = [];
}

public sealed record AtomicCommand : ContainerCommand
{
    public override string ElementName => "Atomic";
}

public sealed record SequenceCommand : ContainerCommand
{
    public override string ElementName => "Sequence";
}

/// <summary>Results (§6.6.12) of a Get: MsgRef, CmdRef, Items.</summary>
public sealed record ResultsCommand : SyncMlCommand
{
    public override string ElementName => "Results";
    public string? MsgRef { get; init; }
    public required string CmdRef { get; init; }
    public SyncMlMeta? Meta { get; init; }
    public string? TargetRef { get; init; }
    public string? SourceRef { get; init; }
    public EquatableList<SyncMlItem> Items { get; init; } = [];
}

/// <summary>Status (§6.6.15): the answer to the command <see cref="CmdRef"/> (0 = SyncHdr) of message <see cref="MsgRef"/>.</summary>
public sealed record StatusCommand : SyncMlCommand
{
    public override string ElementName => "Status";
    public required string MsgRef { get; init; }
    public required string CmdRef { get; init; }
    public required string Cmd { get; init; }
    public EquatableList<string> TargetRefs { get; init; } = [];
    public EquatableList<string> SourceRefs { get; init; } = [];
    public SyncMlCred? Cred { get; init; }
    public SyncMlChal? Chal { get; init; }

    /// <summary>The status code text (§10), e.g. "212".</summary>
    public required string Data { get; init; }

    public EquatableList<SyncMlItem> Items { get; init; } = [];

    public int? Code => int.TryParse(Data, out var c) ? c : null;
}

/// <summary>A command element this codec does not model (e.g. Sync, Map, Put, Search): kept by name so that a
/// peer can answer it with Status 406 (§10); its content is skipped.</summary>
public sealed record UnknownCommand : SyncMlCommand
{
    public required string Name { get; init; }
    public override string ElementName => Name;
}
