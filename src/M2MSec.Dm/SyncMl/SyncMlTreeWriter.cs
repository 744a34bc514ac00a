using System.Globalization;

namespace M2MSec.Dm.SyncMl;

/// <summary>Maps the model to an element tree in DTD order (OMA-SUP-DTD_SyncML_RepPro-V1_2).</summary>
internal static class SyncMlTreeWriter
{
    public static SyncMlNode Write(SyncMlMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var body = new SyncMlNode("SyncBody", false);
        foreach (var command in message.Commands)
            body.Add(Command(command));
        if (message.Final)
            body.Add(new SyncMlNode("Final", false));
        return new SyncMlNode("SyncML", false).Add(Header(message.Header)).Add(body);
    }

    private static SyncMlNode Header(SyncHeader h)
    {
        var n = new SyncMlNode("SyncHdr", false)
            .Add(Leaf("VerDTD", h.VerDtd))
            .Add(Leaf("VerProto", h.VerProto))
            .Add(Leaf("SessionID", h.SessionId))
            .Add(Leaf("MsgID", h.MsgId))
            .Add(Location("Target", h.Target))
            .Add(Location("Source", h.Source));
        AddText(n, "RespURI", h.RespUri);
        if (h.NoResp)
            n.Add(new SyncMlNode("NoResp", false));
        AddCred(n, h.Cred);
        AddMeta(n, h.Meta);
        return n;
    }

    private static SyncMlNode Command(SyncMlCommand command)
    {
        var n = new SyncMlNode(command.ElementName, false).Add(Leaf("CmdID", command.CmdId));
        switch (command)
        {
            case StatusCommand s:
                n.Add(Leaf("MsgRef", s.MsgRef)).Add(Leaf("CmdRef", s.CmdRef)).Add(Leaf("Cmd", s.Cmd));
                foreach (var t in s.TargetRefs)
                    n.Add(Leaf("TargetRef", t));
                foreach (var t in s.SourceRefs)
                    n.Add(Leaf("SourceRef", t));
                AddCred(n, s.Cred);
                if (s.Chal is { } chal)
                    AddMeta(AddChild(n, new SyncMlNode("Chal", false)), chal.Meta);
                n.Add(Leaf("Data", s.Data));
                AddItems(n, s.Items);
                return n;
            case ResultsCommand r:
                AddText(n, "MsgRef", r.MsgRef);
                n.Add(Leaf("CmdRef", r.CmdRef));
                AddMeta(n, r.Meta);
                AddText(n, "TargetRef", r.TargetRef);
                AddText(n, "SourceRef", r.SourceRef);
                AddItems(n, r.Items);
                return n;
        }
        if (command.NoResp)
            n.Add(new SyncMlNode("NoResp", false));
        switch (command)
        {
            case AlertCommand a:
                AddText(n, "Data", a.Data);
                AddText(n, "Correlator", a.Correlator);
                AddItems(n, a.Items);
                break;
            case ItemCommand i:
                AddCred(n, i.Cred);
                AddMeta(n, i.Meta);
                if (i is ExecCommand { Correlator: { } correlator })
                    n.Add(Leaf("Correlator", correlator));
                AddItems(n, i.Items);
                break;
            case ContainerCommand c:
                AddMeta(n, c.Meta);
                foreach (var nested in c.Commands)
                    n.Add(Command(nested));
                break;
        }
        return n;
    }

    private static SyncMlNode AddChild(SyncMlNode parent, SyncMlNode child)
    {
        parent.Add(child);
        return child;
    }

    private static void AddItems(SyncMlNode n, EquatableList<SyncMlItem> items)
    {
        foreach (var item in items)
        {
            var i = new SyncMlNode("Item", false);
            if (item.Target is { } t)
                i.Add(Location("Target", t));
            if (item.Source is { } s)
                i.Add(Location("Source", s));
            AddMeta(i, item.Meta);
            if (item.Data is { } d)
                i.Add(Data(d));
            if (item.MoreData)
                i.Add(new SyncMlNode("MoreData", false));
            n.Add(i);
        }
    }

    private static void AddCred(SyncMlNode n, SyncMlCred? cred)
    {
        if (cred is null)
            return;
        var c = AddChild(n, new SyncMlNode("Cred", false));
        AddMeta(c, cred.Meta);
        if (cred.Data is { } d)
            c.Add(Data(d));
    }

    /// <summary>MetInf children in the order of the MetInf DTD (OMA-TS-SyncML_MetaInfo-V1_2 §5).</summary>
    private static void AddMeta(SyncMlNode n, SyncMlMeta? meta)
    {
        if (meta is null)
            return;
        var m = AddChild(n, new SyncMlNode("Meta", false));
        void Add(string name, string? value)
        {
            if (value is not null)
                m.Add(new SyncMlNode(name, true) { Text = value });
        }
        Add("Format", meta.Format);
        Add("Type", meta.Type);
        Add("Mark", meta.Mark);
        Add("Size", meta.Size?.ToString(CultureInfo.InvariantCulture));
        Add("Version", meta.Version);
        Add("NextNonce", meta.NextNonce);
        Add("MaxMsgSize", meta.MaxMsgSize?.ToString(CultureInfo.InvariantCulture));
        Add("MaxObjSize", meta.MaxObjSize?.ToString(CultureInfo.InvariantCulture));
    }

    private static SyncMlNode Location(string name, SyncMlLocation location)
    {
        var n = new SyncMlNode(name, false).Add(Leaf("LocURI", location.LocUri));
        AddText(n, "LocName", location.LocName);
        return n;
    }

    private static SyncMlNode Data(SyncMlData data) =>
        data.IsOpaque ? new SyncMlNode("Data", false) { Opaque = data.RawBytes } : Leaf("Data", data.Text);

    private static void AddText(SyncMlNode n, string name, string? value)
    {
        if (value is not null)
            n.Add(Leaf(name, value));
    }

    private static SyncMlNode Leaf(string name, string value) => new(name, false) { Text = value };
}
