using System.Security.Cryptography;
using M2MSec.Dm.Auth;
using M2MSec.Dm.Notification;
using M2MSec.Ota.SmsPp;
using M2MSec.Storage.Dm;

namespace M2MSec.NetworkFunctions.Dm;

/// <summary>A package 0 ready to go: the notification, its bytes, and the SMS-DELIVER TPDUs that carry it as WAP push.</summary>
public sealed record DmNotificationPush(DmNotification Notification, byte[] Package0, IReadOnlyList<byte[]> Tpdus);

/// <summary>
/// Server-initiated sessions (OMA-TS-DM_Notification-V1_2): package 0 for a device's account, its digest keyed
/// by the server's credentials and the nonce the device gave the server last (persisted with the account), so
/// only its own server can start a session — then carried as a WSP push (application/vnd.syncml.notification,
/// x-wap-application:syncml.dm) in WDP datagrams to port 2948 over SMS (the simulated SMS path; a protected
/// trigger replaces it later).
/// </summary>
public static class DmNotifications
{
    /// <summary>Null when the device has no DM account.</summary>
    public static async Task<DmNotificationPush?> CreateAsync(IDmStore store, string devId, DmUiMode uiMode, string serverAddress, TimeProvider time,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(time);
        var account = await store.FindAccountAsync(devId, cancellationToken).ConfigureAwait(false);
        if (account is null)
            return null;
        var notification = new DmNotification(account.ServerId, (ushort)RandomNumberGenerator.GetInt32(1, 0x10000), uiMode);
        var package0 = DmNotificationCodec.Encode(notification, new DmCredentials(account.ServerId, account.ServerPassword), DmSessionEngine.ServerNonce(account));
        var push = new WspPush(WspPush.SyncMlNotification, WspPush.SyncMlDmApplication, package0).Encode();
        var tpdus = PortAddressedSms.Tpdus(push, WspPush.PushPort, WspPush.OriginatorPort, new AddressField(serverAddress, AddressField.TonInternational, AddressField.NpiIsdn),
            Scts(time.GetUtcNow()), (byte)RandomNumberGenerator.GetInt32(256));
        return new DmNotificationPush(notification, package0, tpdus);
    }

    /// <summary>TP-SCTS (TS 23.040 §9.2.3.11): semi-octet swapped YYMMDDhhmmss, time zone 0.</summary>
    private static byte[] Scts(DateTimeOffset t)
    {
        static byte Swap(int v) => (byte)((v % 10) << 4 | v / 10);
        var u = t.UtcDateTime;
        return [Swap(u.Year % 100), Swap(u.Month), Swap(u.Day), Swap(u.Hour), Swap(u.Minute), Swap(u.Second), 0];
    }
}
