using System.Diagnostics.CodeAnalysis;

namespace M2MSec.Dm.Notification;

/// <summary>
/// A connectionless WSP Push PDU (WAP-230-WSP §8.2.4.1, §8.4): TID ‖ PDU type 0x06 ‖ HeadersLen (uintvar) ‖
/// ContentType ‖ Headers ‖ Data — how package 0 (and the bootstrap) reach a device over SMS (WDP port 2948).
/// Only well-known short-integer content types and the X-Wap-Application-Id header are modelled; other
/// headers are skipped, not interpreted.
/// </summary>
public sealed record WspPush(byte ContentType, int? ApplicationId, byte[] Data, byte TransactionId = 0)
{
    /// <summary>WDP destination port of connectionless WAP push (WAP-259 WDP, Appendix B).</summary>
    public const ushort PushPort = 2948;

    /// <summary>WDP source port of a WAP push originator (WSP connectionless session).</summary>
    public const ushort OriginatorPort = 9200;

    /// <summary>application/vnd.syncml.notification (WINA well-known content type 0x44).</summary>
    public const byte SyncMlNotification = 0x44;

    /// <summary>application/vnd.syncml.dm+wbxml (0x42).</summary>
    public const byte SyncMlDmWbxml = 0x42;

    /// <summary>x-wap-application:syncml.dm (WINA push application id 0x07).</summary>
    public const int SyncMlDmApplication = 0x07;

    private const byte PushPdu = 0x06;
    private const byte ApplicationIdHeader = 0x2F;

    public byte[] Encode()
    {
        if (ContentType > 0x7F || ApplicationId is < 0 or > 0x7F)
            throw new ArgumentException("only short-integer content types and application ids");
        List<byte> headers = [(byte)(0x80 | ContentType)];
        if (ApplicationId is { } app)
            headers.AddRange([0x80 | ApplicationIdHeader, (byte)(0x80 | app)]);
        return [TransactionId, PushPdu, .. Uintvar(headers.Count), .. headers, .. Data];
    }

    public static bool TryDecode(ReadOnlySpan<byte> pdu, [NotNullWhen(true)] out WspPush? push)
    {
        push = null;
        if (pdu.Length < 3 || pdu[1] != PushPdu)
            return false;
        var at = 2;
        if (!TryReadUintvar(pdu, ref at, out var headersLength) || headersLength < 1 || at + headersLength > pdu.Length)
            return false;
        var headers = pdu.Slice(at, headersLength);
        if ((headers[0] & 0x80) == 0)
            return false; // a textual or general-form content type: not one we handle
        var contentType = (byte)(headers[0] & 0x7F);
        int? appId = null;
        for (var i = 1; i + 1 < headers.Length; i++)
        {
            if (headers[i] == (0x80 | ApplicationIdHeader) && (headers[i + 1] & 0x80) != 0)
            {
                appId = headers[i + 1] & 0x7F;
                break;
            }
        }
        push = new WspPush(contentType, appId, pdu[(at + headersLength)..].ToArray(), pdu[0]);
        return true;
    }

    private static byte[] Uintvar(int value)
    {
        var bytes = new List<byte> { (byte)(value & 0x7F) };
        for (value >>= 7; value > 0; value >>= 7)
            bytes.Insert(0, (byte)(0x80 | (value & 0x7F)));
        return [.. bytes];
    }

    private static bool TryReadUintvar(ReadOnlySpan<byte> data, ref int at, out int value)
    {
        value = 0;
        for (var i = 0; i < 5 && at < data.Length; i++)
        {
            var b = data[at++];
            value = (value << 7) | (b & 0x7F);
            if ((b & 0x80) == 0)
                return value >= 0;
        }
        return false;
    }
}
