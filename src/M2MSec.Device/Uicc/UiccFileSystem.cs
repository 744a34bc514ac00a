using M2MSec.Ota.RemoteApdu;

namespace M2MSec.Device.Uicc;

/// <summary>A file of the UICC (ETSI TS 102 221 §8).</summary>
public abstract class UiccFile(ushort fid, string name)
{
    public ushort Fid { get; } = fid;

    public string Name { get; } = name;

    public DedicatedFile? Parent { get; internal set; }
}

/// <summary>The MF, a DF or an ADF (with its AID).</summary>
public sealed class DedicatedFile(ushort fid, string name, byte[]? aid = null) : UiccFile(fid, name)
{
    private readonly List<UiccFile> _children = [];

    public byte[]? Aid { get; } = aid;

    public IReadOnlyList<UiccFile> Children => _children;

    public T Add<T>(T file)
        where T : UiccFile
    {
        file.Parent = this;
        _children.Add(file);
        return file;
    }
}

/// <summary>A transparent EF: one string of octets.</summary>
public sealed class TransparentEf(ushort fid, string name, byte[] content) : UiccFile(fid, name)
{
    public byte[] Content { get; } = content;
}

/// <summary>A linear fixed EF: records of one length.</summary>
public sealed class LinearFixedEf(ushort fid, string name, int recordLength, IEnumerable<byte[]> records) : UiccFile(fid, name)
{
    public int RecordLength { get; } = recordLength;

    public List<byte[]> Records { get; } = [.. records];
}

/// <summary>
/// The card's file tree and the file commands the RFM application runs on it (TS 102 221 §11:
/// SELECT, READ/UPDATE BINARY, READ/UPDATE RECORD, GET RESPONSE), with one selection state per
/// script. Status words as the specification gives them; nothing here throws on bad input.
/// </summary>
public sealed class UiccFileSystem(DedicatedFile mf)
{
    public const ushort MfId = 0x3F00;
    public const ushort CurrentAdfId = 0x7FFF;

    public DedicatedFile Mf { get; } = mf;

    /// <summary>Where a script stands: current DF, current EF, pending GET RESPONSE data.</summary>
    public sealed class Session(DedicatedFile df)
    {
        public DedicatedFile CurrentDf { get; set; } = df;

        public UiccFile? CurrentEf { get; set; }

        public DedicatedFile? CurrentAdf { get; set; }

        public byte[] Pending { get; set; } = [];
    }

    public Session NewSession() => new(Mf);

    public UiccFile? Find(params ushort[] path)
    {
        UiccFile? at = Mf;
        foreach (var fid in path.SkipWhile(f => f == MfId))
            at = (at as DedicatedFile)?.Children.FirstOrDefault(c => c.Fid == fid);
        return at;
    }

    public ResponseApdu Execute(Session s, CommandApdu c)
    {
        if (c.Cla is not (0x00 or 0x80 or 0xA0) && (c.Cla & 0xF0) != 0x00)
            return ResponseApdu.Status(StatusWords.ClaNotSupported);
        return c.Ins switch
        {
            0xA4 => Select(s, c),
            0xB0 => ReadBinary(s, c),
            0xD6 => UpdateBinary(s, c),
            0xB2 => ReadRecord(s, c),
            0xDC => UpdateRecord(s, c),
            0xC0 => GetResponse(s, c),
            _ => ResponseApdu.Status(StatusWords.InsNotSupported),
        };
    }

    private ResponseApdu Select(Session s, CommandApdu c)
    {
        UiccFile? target = c.P1 switch
        {
            0x00 when c.Data.Length == 2 => ById(s, (ushort)(c.Data[0] << 8 | c.Data[1])),
            0x04 => AllFiles(Mf).OfType<DedicatedFile>().FirstOrDefault(d => d.Aid is { } aid && c.Data.Length >= 5 && aid.AsSpan().StartsWith(c.Data)),
            0x08 or 0x09 when c.Data.Length % 2 == 0 => ByPath(c.P1 == 0x08 ? Mf : s.CurrentDf, c.Data),
            _ => null,
        };
        if (target is null)
            return ResponseApdu.Status(c.P1 is 0x00 or 0x04 or 0x08 or 0x09 ? StatusWords.FileNotFound : StatusWords.WrongParameters);
        if (target is DedicatedFile df)
        {
            s.CurrentDf = df;
            s.CurrentEf = null;
            if (df.Aid is not null)
                s.CurrentAdf = df;
        }
        else
        {
            s.CurrentDf = target.Parent ?? Mf;
            s.CurrentEf = target;
        }
        if ((c.P2 & 0x0C) == 0x0C)
            return ResponseApdu.Status(StatusWords.Ok);
        s.Pending = Fcp(target);
        return ResponseApdu.Status((ushort)(0x6100 | s.Pending.Length));
    }

    private UiccFile? ById(Session s, ushort fid)
    {
        if (fid == MfId)
            return Mf;
        if (fid == CurrentAdfId)
            return s.CurrentAdf;
        if (s.CurrentDf.Fid == fid)
            return s.CurrentDf;
        return s.CurrentDf.Children.FirstOrDefault(f => f.Fid == fid)
            ?? s.CurrentDf.Parent?.Children.FirstOrDefault(f => f.Fid == fid && f is DedicatedFile)
            ?? (s.CurrentDf.Parent?.Fid == fid ? s.CurrentDf.Parent : null);
    }

    private static UiccFile? ByPath(DedicatedFile start, byte[] path)
    {
        UiccFile? at = start;
        for (var i = 0; i < path.Length; i += 2)
        {
            var fid = (ushort)(path[i] << 8 | path[i + 1]);
            if (i == 0 && fid == MfId && start.Parent is null)
                continue;
            at = (at as DedicatedFile)?.Children.FirstOrDefault(f => f.Fid == fid);
        }
        return at;
    }

    private static IEnumerable<UiccFile> AllFiles(DedicatedFile df) =>
        df.Children.SelectMany(c => c is DedicatedFile d ? AllFiles(d).Prepend(c) : [c]);

    /// <summary>A minimal FCP template (TS 102 221 §11.1.1.3): descriptor, id, size or AID, life cycle.</summary>
    private static byte[] Fcp(UiccFile f)
    {
        byte[] body = f switch
        {
            TransparentEf t => [0x82, 0x02, 0x41, 0x21, 0x83, 0x02, (byte)(f.Fid >> 8), (byte)f.Fid, 0x80, 0x02, (byte)(t.Content.Length >> 8), (byte)t.Content.Length],
            LinearFixedEf l => [0x82, 0x05, 0x42, 0x21, 0x00, (byte)l.RecordLength, (byte)l.Records.Count, 0x83, 0x02, (byte)(f.Fid >> 8), (byte)f.Fid],
            DedicatedFile { Aid: { } aid } => [0x82, 0x02, 0x78, 0x21, 0x83, 0x02, (byte)(f.Fid >> 8), (byte)f.Fid, 0x84, (byte)aid.Length, .. aid],
            _ => [0x82, 0x02, 0x78, 0x21, 0x83, 0x02, (byte)(f.Fid >> 8), (byte)f.Fid],
        };
        return [0x62, (byte)(body.Length + 3), .. body, 0x8A, 0x01, 0x05];
    }

    private static ResponseApdu GetResponse(Session s, CommandApdu c)
    {
        if (s.Pending.Length == 0)
            return ResponseApdu.Status(StatusWords.WrongParameters);
        var data = s.Pending[..Math.Min(s.Pending.Length, c.Le ?? 256)];
        s.Pending = [];
        return new ResponseApdu(data, StatusWords.Ok);
    }

    private static ResponseApdu ReadBinary(Session s, CommandApdu c)
    {
        if (s.CurrentEf is null)
            return ResponseApdu.Status(StatusWords.NoCurrentEf);
        if (s.CurrentEf is not TransparentEf ef)
            return ResponseApdu.Status(StatusWords.IncompatibleFileStructure);
        if ((c.P1 & 0x80) != 0)
            return ResponseApdu.Status(StatusWords.WrongParameters); // short-FID addressing not offered
        var offset = c.P1 << 8 | c.P2;
        if (offset > ef.Content.Length)
            return ResponseApdu.Status(StatusWords.OutOfRange);
        var want = c.Le ?? 256;
        var available = ef.Content.Length - offset;
        var data = ef.Content.AsSpan(offset, Math.Min(want, available)).ToArray();
        return new ResponseApdu(data, want > available && want != 256 ? StatusWords.EndOfFileReached : StatusWords.Ok);
    }

    private static ResponseApdu UpdateBinary(Session s, CommandApdu c)
    {
        if (s.CurrentEf is null)
            return ResponseApdu.Status(StatusWords.NoCurrentEf);
        if (s.CurrentEf is not TransparentEf ef)
            return ResponseApdu.Status(StatusWords.IncompatibleFileStructure);
        var offset = c.P1 << 8 | c.P2;
        if ((c.P1 & 0x80) != 0 || offset > ef.Content.Length)
            return ResponseApdu.Status(StatusWords.OutOfRange);
        if (c.Data.Length == 0 || offset + c.Data.Length > ef.Content.Length)
            return ResponseApdu.Status(StatusWords.WrongLength);
        c.Data.CopyTo(ef.Content, offset);
        return ResponseApdu.Status(StatusWords.Ok);
    }

    private static ResponseApdu ReadRecord(Session s, CommandApdu c)
    {
        if (s.CurrentEf is not LinearFixedEf ef)
            return ResponseApdu.Status(s.CurrentEf is null ? StatusWords.NoCurrentEf : StatusWords.IncompatibleFileStructure);
        if ((c.P2 & 0x07) != 0x04)
            return ResponseApdu.Status(StatusWords.WrongParameters); // absolute mode only
        if (c.P1 < 1 || c.P1 > ef.Records.Count)
            return ResponseApdu.Status(StatusWords.RecordNotFound);
        if (c.Le is { } le && le != 256 && le != ef.RecordLength)
            return ResponseApdu.Status((ushort)(0x6C00 | ef.RecordLength));
        return new ResponseApdu((byte[])ef.Records[c.P1 - 1].Clone(), StatusWords.Ok);
    }

    private static ResponseApdu UpdateRecord(Session s, CommandApdu c)
    {
        if (s.CurrentEf is not LinearFixedEf ef)
            return ResponseApdu.Status(s.CurrentEf is null ? StatusWords.NoCurrentEf : StatusWords.IncompatibleFileStructure);
        if ((c.P2 & 0x07) != 0x04)
            return ResponseApdu.Status(StatusWords.WrongParameters);
        if (c.P1 < 1 || c.P1 > ef.Records.Count)
            return ResponseApdu.Status(StatusWords.RecordNotFound);
        if (c.Data.Length != ef.RecordLength)
            return ResponseApdu.Status(StatusWords.WrongLength);
        ef.Records[c.P1 - 1] = (byte[])c.Data.Clone();
        return ResponseApdu.Status(StatusWords.Ok);
    }
}
