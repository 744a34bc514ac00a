namespace M2MSec.Dm.Notification;

/// <summary>ui-mode of a notification (OMA-TS-DM_Notification-V1_2 §6.2.1): what the user sees before the session.</summary>
public enum DmUiMode
{
    NotSpecified = 0,
    Background = 1,
    Informative = 2,
    UserInteraction = 3,
}

/// <summary>initiator (§6.2.1): whether the server or the user asked for the session.</summary>
public enum DmInitiator
{
    User = 0,
    Server = 1,
}

/// <summary>
/// Package 0, the General Notification Initiated Session Alert (OMA-TS-DM_Notification-V1_2 §6):
/// trigger-hdr (version, ui-mode, initiator, session id, server identifier) and the vendor-specific
/// trigger-body. The digest in front of it is computed and checked by <see cref="DmNotificationCodec"/>.
/// </summary>
public sealed record DmNotification(string ServerId, ushort SessionId, DmUiMode UiMode = DmUiMode.Background,
    DmInitiator Initiator = DmInitiator.Server, int Version = DmNotification.Version12)
{
    /// <summary>version (10 bits) for DM 1.2.</summary>
    public const int Version12 = 12;

    /// <summary>The vendor-specific trigger-body (empty by default).</summary>
    public byte[] VendorData { get; init; } = [];

    /// <summary>Session ids are hex in SyncHdr (§6.2.1: the 16-bit session id "in hexadecimal" in SessionID).</summary>
    public string SyncMlSessionId => SessionId.ToString("X", System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>Why a package 0 was refused.</summary>
public enum DmNotificationError
{
    None,
    Truncated,
    UnsupportedVersion,
    BadServerId,
    BadDigest,
}
