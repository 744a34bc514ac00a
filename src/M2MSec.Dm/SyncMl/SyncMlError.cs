namespace M2MSec.Dm.SyncMl;

/// <summary>Why a message was refused.</summary>
public enum SyncMlErrorReason
{
    /// <summary>Not well-formed XML/WBXML, or a required element is missing or repeated.</summary>
    Malformed,
    /// <summary>The input ends before the document does.</summary>
    Truncated,
    /// <summary>A DOCTYPE (DTD) in XML: never processed (no entity expansion).</summary>
    DtdProhibited,
    /// <summary>Larger than <see cref="SyncMlLimits.MaxDocumentBytes"/>.</summary>
    TooLarge,
    /// <summary>Nested deeper than <see cref="SyncMlLimits.MaxDepth"/>.</summary>
    TooDeep,
    /// <summary>More commands or items than <see cref="SyncMlLimits"/> allow.</summary>
    TooManyElements,
    /// <summary>Not SyncML 1.2: root namespace, WBXML public id, charset or code page.</summary>
    UnsupportedFormat,
    /// <summary>VerDTD is not 1.2.</summary>
    UnsupportedDtdVersion,
    /// <summary>VerProto is not DM/1.2.</summary>
    UnsupportedProtocolVersion,
}

/// <summary>
/// A refused message. <see cref="StatusCode"/> is the DM status to answer the SyncHdr with
/// (OMA-TS-DM_RepPro-V1_2 §10); <see cref="Header"/> is set when the SyncHdr itself was readable, so that the
/// answer can carry MsgRef / TargetRef / SourceRef.
/// </summary>
public sealed record SyncMlError(SyncMlErrorReason Reason, string Message, SyncHeader? Header = null)
{
    /// <summary>SyncML status 505 "DTD version not supported" (OMA-TS-DM_RepPro-V1_2 §10).</summary>
    public const int DtdVersionNotSupported = 505;

    /// <summary>SyncML status 513 "Protocol version not supported" (OMA-TS-DM_RepPro-V1_2 §10).</summary>
    public const int ProtocolVersionNotSupported = 513;

    public int StatusCode => Reason switch
    {
        SyncMlErrorReason.TooLarge or SyncMlErrorReason.TooManyElements => DmStatusCode.RequestEntityTooLarge,
        SyncMlErrorReason.UnsupportedFormat or SyncMlErrorReason.DtdProhibited => DmStatusCode.UnsupportedMediaTypeOrFormat,
        SyncMlErrorReason.UnsupportedDtdVersion => DtdVersionNotSupported,
        SyncMlErrorReason.UnsupportedProtocolVersion => ProtocolVersionNotSupported,
        _ => DmStatusCode.BadRequest,
    };

    public override string ToString() => $"{Reason} ({StatusCode}): {Message}";
}

/// <summary>Thrown inside the codecs only; the public entry points turn it into a <see cref="SyncMlError"/>.</summary>
internal sealed class SyncMlFormatException(SyncMlErrorReason reason, string message) : Exception(message)
{
    public SyncMlErrorReason Reason { get; } = reason;
}

/// <summary>Thrown by the Parse entry points.</summary>
public sealed class SyncMlParseException(SyncMlError error) : FormatException(error.ToString())
{
    public SyncMlError Error { get; } = error;
}
