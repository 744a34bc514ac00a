using M2MSec.Dm.Notification;
using M2MSec.Ota.SmsPp;

namespace M2MSec.Device.Dm;

/// <summary>
/// The ME's WAP push handler for OMA DM: SMS-DELIVER TPDUs → the WDP datagram for port 2948 → the WSP push →
/// package 0 when its content type is application/vnd.syncml.notification. Anything else is not for DM.
/// </summary>
public static class DmPushReceiver
{
    /// <summary>The package 0 the messages carry, or null (with why) when they are not a DM notification.</summary>
    public static byte[]? Package0(IEnumerable<byte[]> tpdus, out string? why)
    {
        ushort port;
        byte[] datagram;
        try
        {
            datagram = PortAddressedSms.Datagram(tpdus, out port);
        }
        catch (FormatException e)
        {
            why = e.Message;
            return null;
        }
        if (port != WspPush.PushPort)
        {
            why = $"port {port} is not WAP push";
            return null;
        }
        if (!WspPush.TryDecode(datagram, out var push) || push.ContentType != WspPush.SyncMlNotification)
        {
            why = "not a WSP push of application/vnd.syncml.notification";
            return null;
        }
        why = null;
        return push.Data;
    }
}
