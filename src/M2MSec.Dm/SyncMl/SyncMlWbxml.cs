using System.Diagnostics.CodeAnalysis;

namespace M2MSec.Dm.SyncMl;

/// <summary>
/// SyncML DM 1.2 in WBXML (WAP-192-WBXML 1.2/1.3; tokens in OMA-SUP-DTD_SyncML_RepPro-V1_2 and
/// OMA-TS-SyncML_MetaInfo-V1_2). Reads public id 0x1201 or the string-table reference to
/// "-//SYNCML//DTD SyncML 1.2//EN", charset UTF-8 (MIBenum 106), code pages 0 (SyncML) and 1 (MetInf),
/// STR_I, STR_T, ENTITY and OPAQUE. Writes WBXML 1.2 with public id 0x1201 and an empty string table, Data
/// that came as OPAQUE as OPAQUE, and switches code page only before a tag of the other page (as libdmclient).
/// Same limits and typed errors as <see cref="SyncMlXml"/>.
/// </summary>
public static class SyncMlWbxml
{
    /// <summary>Registered public identifier of "-//SYNCML//DTD SyncML 1.2//EN" (OMA WBXML registry).</summary>
    public const int SyncMl12PublicId = 0x1201;

    public const string SyncMl12PublicIdText = "-//SYNCML//DTD SyncML 1.2//EN";

    /// <summary>IANA MIBenum of UTF-8.</summary>
    public const int Utf8Charset = 106;

    public static SyncMlMessage Parse(ReadOnlySpan<byte> wbxml, SyncMlLimits? limits = null) =>
        TryParse(wbxml, out var message, out var error, limits) ? message : throw new SyncMlParseException(error);

    public static bool TryParse(
        ReadOnlySpan<byte> wbxml,
        [NotNullWhen(true)] out SyncMlMessage? message,
        [NotNullWhen(false)] out SyncMlError? error,
        SyncMlLimits? limits = null)
    {
        limits ??= SyncMlLimits.Default;
        if (wbxml.Length > limits.MaxDocumentBytes)
        {
            message = null;
            error = new SyncMlError(SyncMlErrorReason.TooLarge, $"{wbxml.Length} bytes > {limits.MaxDocumentBytes}");
            return false;
        }
        var bytes = wbxml.ToArray();
        return SyncMlCodec.TryDecode(
            onHdr => new WbxmlTreeReader(bytes, limits).Read(onHdr),
            e => e is System.Text.DecoderFallbackException ? new SyncMlError(SyncMlErrorReason.Malformed, "invalid UTF-8") : null,
            limits,
            out message,
            out error);
    }

    public static byte[] Write(SyncMlMessage message) => WbxmlTreeWriter.Write(SyncMlTreeWriter.Write(message));
}
