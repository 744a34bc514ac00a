using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text;
using M2MSec.Dm.Auth;

namespace M2MSec.Dm.Notification;

/// <summary>
/// Package 0 bytes (OMA-TS-DM_Notification-V1_2 §6.2): digest(16) ‖ trigger, trigger = trigger-hdr ‖ trigger-body,
/// trigger-hdr = version(10) ui-mode(2) initiator(1) future-use(27) session-id(16) server-identifier length(8)
/// ‖ server-identifier. digest = H(B64(H(server-identifier ":" password)) ":" nonce ":" B64(H(trigger))), H = MD5,
/// with the server's credentials and the nonce the device last gave the server (its AAuthData for SRVCRED) —
/// the same keyed digest as auth-MAC over the trigger.
/// </summary>
public static class DmNotificationCodec
{
    public const int DigestLength = 16;
    private const int HeaderLength = 8;

    /// <summary>Versions accepted from a server: 1.2 and libdmclient's 11 (it sends and accepts only 11).</summary>
    private static readonly int[] AcceptedVersions = [11, DmNotification.Version12];

    public static byte[] Encode(DmNotification notification, DmCredentials server, DmNonce nonce)
    {
        ArgumentNullException.ThrowIfNull(notification);
        ArgumentNullException.ThrowIfNull(server);
        ArgumentNullException.ThrowIfNull(nonce);
        var id = Encoding.UTF8.GetBytes(notification.ServerId);
        if (id.Length is 0 or > 255)
            throw new ArgumentException("the server identifier must be 1..255 octets", nameof(notification));
        if (notification.Version is < 0 or > 0x3FF)
            throw new ArgumentException("version is 10 bits", nameof(notification));
        var header = ((ulong)(uint)notification.Version << 54) | ((ulong)(uint)notification.UiMode << 52)
            | ((ulong)(uint)notification.Initiator << 51) | ((ulong)notification.SessionId << 8) | (uint)id.Length;
        var trigger = new byte[HeaderLength + id.Length + notification.VendorData.Length];
        BinaryPrimitives.WriteUInt64BigEndian(trigger, header);
        id.CopyTo(trigger, HeaderLength);
        notification.VendorData.CopyTo(trigger, HeaderLength + id.Length);
        return [.. AuthMac.ComputeDigest(server, nonce.Bytes, trigger), .. trigger];
    }

    /// <summary>Reads the trigger without checking the digest (the device needs the server id to find the credentials).</summary>
    public static bool TryDecode(ReadOnlySpan<byte> package0, [NotNullWhen(true)] out DmNotification? notification, out DmNotificationError error)
    {
        notification = null;
        if (package0.Length < DigestLength + HeaderLength)
        {
            error = DmNotificationError.Truncated;
            return false;
        }
        var header = BinaryPrimitives.ReadUInt64BigEndian(package0.Slice(DigestLength, HeaderLength));
        var version = (int)(header >> 54);
        if (!AcceptedVersions.Contains(version))
        {
            error = DmNotificationError.UnsupportedVersion;
            return false;
        }
        var idLength = (int)(header & 0xFF);
        if (package0.Length < DigestLength + HeaderLength + idLength)
        {
            error = DmNotificationError.Truncated;
            return false;
        }
        string serverId;
        try
        {
            serverId = new UTF8Encoding(false, true).GetString(package0.Slice(DigestLength + HeaderLength, idLength));
        }
        catch (DecoderFallbackException)
        {
            error = DmNotificationError.BadServerId;
            return false;
        }
        if (idLength == 0 || serverId.Any(char.IsControl))
        {
            error = DmNotificationError.BadServerId;
            return false;
        }
        notification = new DmNotification(serverId, (ushort)(header >> 8), (DmUiMode)((header >> 52) & 3), (DmInitiator)((header >> 51) & 1), version)
        {
            VendorData = package0[(DigestLength + HeaderLength + idLength)..].ToArray(),
        };
        error = DmNotificationError.None;
        return true;
    }

    /// <summary>The digest check, in fixed time, with the server's credentials and the nonce the device gave the server last.</summary>
    public static bool VerifyDigest(ReadOnlySpan<byte> package0, DmCredentials server, DmNonce nonce)
    {
        ArgumentNullException.ThrowIfNull(server);
        ArgumentNullException.ThrowIfNull(nonce);
        if (package0.Length < DigestLength + HeaderLength)
            return false;
        var expected = AuthMac.ComputeDigest(server, nonce.Bytes, package0[DigestLength..]);
        return CryptographicOperations.FixedTimeEquals(expected, package0[..DigestLength]);
    }
}
