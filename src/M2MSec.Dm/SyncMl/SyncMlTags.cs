namespace M2MSec.Dm.SyncMl;

/// <summary>
/// Element names and their WBXML tag tokens. Code page 0 = SyncML (OMA-SUP-DTD_SyncML_RepPro-V1_2 §"WBXML
/// definition"), code page 1 = MetInf (OMA-TS-SyncML_MetaInfo-V1_2 §7). Checked against libdmclient's WBXML
/// (tests/vectors/syncml/pkg1_client_init.wbxml and the server packages of session_md5_challenge_wbxml).
/// </summary>
internal static class SyncMlTags
{
    public const string SyncMlNamespace = "SYNCML:SYNCML1.2";
    public const string MetInfNamespace = "syncml:metinf";

    private static readonly string?[] Page0 = Table(0x05,
        "Add", "Alert", "Archive", "Atomic", "Chal", "Cmd", "CmdID", "CmdRef", "Copy", "Cred", "Data", "Delete",
        "Exec", "Final", "Get", "Item", "Lang", "LocName", "LocURI", "Map", "MapItem", "Meta", "MsgID", "MsgRef",
        "NoResp", "NoResults", "Put", "Replace", "RespURI", "Results", "Search", "Sequence", "SessionID", "SftDel",
        "Source", "SourceRef", "Status", "Sync", "SyncBody", "SyncHdr", "SyncML", "Target", "TargetRef", null,
        "VerDTD", "VerProto", "NumberOfChanges", "MoreData", "Field", "Filter", "Record", "FilterType",
        "SourceParent", "TargetParent", "Move", "Correlator");

    private static readonly string?[] Page1 = Table(0x05,
        "Anchor", "EMI", "Format", "FreeID", "FreeMem", "Last", "Mark", "MaxMsgSize", "Mem", "MetInf", "Next",
        "NextNonce", "SharedMem", "Size", "Type", "Version", "MaxObjSize", "FieldLevel");

    private static readonly Dictionary<string, byte> Page0Tokens = Index(Page0);
    private static readonly Dictionary<string, byte> Page1Tokens = Index(Page1);

    /// <summary>The element name of a tag token (low 6 bits), or null if the page has no such tag.</summary>
    public static string? NameOf(int page, int token)
    {
        var table = page == 0 ? Page0 : page == 1 ? Page1 : null;
        return table is not null && token < table.Length ? table[token] : null;
    }

    /// <summary>The tag token of an element; false for a name outside the page.</summary>
    public static bool TryGetToken(string name, bool metInf, out byte token) =>
        (metInf ? Page1Tokens : Page0Tokens).TryGetValue(name, out token);

    private static string?[] Table(int first, params string?[] names)
    {
        var table = new string?[first + names.Length];
        names.CopyTo(table, first);
        return table;
    }

    private static Dictionary<string, byte> Index(string?[] table)
    {
        var index = new Dictionary<string, byte>(StringComparer.Ordinal);
        for (var i = 0; i < table.Length; i++)
            if (table[i] is { } name)
                index[name] = (byte)i;
        return index;
    }
}
