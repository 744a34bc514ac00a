using M2MSec.Dm.SyncMl;

namespace M2MSec.Tests.Dm.SyncMl;

/// <summary>Messages built with the model, as a DM server would send them.</summary>
internal static class SyncMlTestMessages
{
    /// <summary>Package 2: Status 212 for the SyncHdr, Get ./DevInfo/Mod, Replace a NAS configuration leaf, Final.</summary>
    public static SyncMlMessage ServerPackage() => new()
    {
        Header = new SyncHeader
        {
            SessionId = "1",
            MsgId = "1",
            Target = new SyncMlLocation("DMCtest"),
            Source = new SyncMlLocation("http://127.0.0.1:8080/funambol/dm"),
            Cred = new SyncMlCred
            {
                Meta = new SyncMlMeta { Format = "b64", Type = "syncml:auth-md5" },
                Data = "Lx7CSZp0iHRedCEbryGJuw==",
            },
        },
        Commands =
        [
            new StatusCommand
            {
                CmdId = "1",
                MsgRef = "1",
                CmdRef = "0",
                Cmd = "SyncHdr",
                TargetRefs = ["http://127.0.0.1:8080/funambol/dm"],
                SourceRefs = ["DMCtest"],
                Chal = new SyncMlChal { Meta = new SyncMlMeta { Format = "b64", Type = "syncml:auth-md5", NextNonce = "c3J2bm9uY2UtMDAwMQ==" } },
                Data = "212",
            },
            new GetCommand { CmdId = "2", Items = [new SyncMlItem { Target = new SyncMlLocation("./DevInfo/Mod") }] },
            new ReplaceCommand
            {
                CmdId = "3",
                Items =
                [
                    new SyncMlItem
                    {
                        Target = new SyncMlLocation("./Vendor/memory/NASConfig/NAS_SignallingPriority"),
                        Meta = new SyncMlMeta { Format = "int", Type = "text/plain" },
                        Data = "1",
                    },
                ],
            },
        ],
        Final = true,
    };
}
