using M2MSec.Dm.SyncMl;

namespace M2MSec.NetworkFunctions.Dm;

/// <summary>
/// Lengths the server accepts in a SyncHdr before it reads anything else or touches the store: a message beyond
/// them gets 400 on SyncHdr and is otherwise ignored. DevId as `dm account add` allows it; SessionID and MsgID far
/// above what clients send (OMA-TS-DM_Protocol-V1_2 §8.3: up to 4 hex digits; MsgID a counter).
/// </summary>
internal static class DmHeaderLimits
{
    public const int MaxDevId = 128;
    public const int MaxSessionId = 32;
    public const int MaxMsgId = 16;
    public const int MaxUri = 512;
    public const int MaxCredData = 512;
    public const int MaxHmacHeader = 512;

    /// <summary>The field that is too long or not printable; null when the header is within limits.</summary>
    public static string? Violation(SyncHeader header, string? hmacHeader, string requestUri)
    {
        if (!Printable(header.Source.LocUri, MaxDevId))
            return "Source/LocURI";
        if (!Printable(header.SessionId, MaxSessionId))
            return "SessionID";
        if (!Printable(header.MsgId, MaxMsgId))
            return "MsgID";
        if (header.Target.LocUri.Length > MaxUri || requestUri.Length > MaxUri || header.RespUri?.Length > MaxUri)
            return "Target/LocURI";
        if (header.Cred?.Data?.Text.Length > MaxCredData)
            return "Cred/Data";
        return hmacHeader?.Length > MaxHmacHeader ? "x-syncml-hmac" : null;
    }

    /// <summary>The message with every header field cut to its limit (what a refusal may echo).</summary>
    public static SyncMlMessage Clipped(SyncMlMessage message) => message with
    {
        Header = message.Header with
        {
            Source = new SyncMlLocation(Clip(message.Header.Source.LocUri, MaxDevId)),
            Target = new SyncMlLocation(Clip(message.Header.Target.LocUri, MaxUri)),
            SessionId = Clip(message.Header.SessionId, MaxSessionId),
            MsgId = Clip(message.Header.MsgId, MaxMsgId),
            RespUri = null,
            Cred = null,
        },
        Commands = [],
    };

    private static bool Printable(string value, int max) => value.Length is > 0 && value.Length <= max && !value.Any(char.IsControl);

    private static string Clip(string value, int max) => new([.. value.Take(max).Select(c => char.IsControl(c) ? '?' : c)]);
}
