using System.Security.Cryptography.X509Certificates;
using M2MSec.Device.Dm;
using M2MSec.Device.M2me;
using M2MSec.Device.Power;
using M2MSec.Device.Provisioning;
using M2MSec.Device.Tre;
using M2MSec.Dm.SyncMl;
using M2MSec.Pki.Validation;

namespace M2MSec.Device.Run;

/// <summary>
/// Issue 20 (docs/decisions/033): a running device's sessions with one DM server, for both kinds of device — through the account its
/// TRE holds for <paramref name="serverId"/> (installed by a MAC-checked DM bootstrap, sealed in the device directory). A notification
/// (package 0) opens a session only when its digest verifies under the account's server password and the nonce the device gave that
/// server last, and it is not a replay (<see cref="DmClient.RunNotifiedSessionAsync"/>, OMA-TS-DM_Notification-V1_2 §6). Every session
/// is a new TLS connection whose server certificate is checked against <paramref name="root"/> by OCSP with a fresh nonce.
/// </summary>
internal sealed class DeviceDmSessions(M2meDevice device, string serverId, X509Certificate2 root, ProvisioningEndpoints endpoints, BatteryMeter battery,
    Func<DmClientAccount, DmClient> client, Action<string, string> report)
{
    /// <summary>DM sessions this run completed (any initiation).</summary>
    public int Completed { get; private set; }

    /// <summary>The account the device holds for the server, or null (never bootstrapped).</summary>
    public DmClientAccount? Account() => DmClientAccounts.Load(device, serverId);

    /// <summary>A session the notification asks for, once it verified; null when it was refused (an event) and nothing was opened.</summary>
    public async Task<DmSessionOutcome?> NotifiedAsync(string from, byte[] package0, CancellationToken ct)
    {
        if (Account() is not { } account)
        {
            report("notification-refused", $"from {from}: no DM account to check it with; no session opened");
            return null;
        }
        using var transport = Transport(account);
        var outcome = await client(account).RunNotifiedSessionAsync(package0, Counting(transport), ct).ConfigureAwait(false);
        if (!outcome.Completed && outcome.Detail.StartsWith("notification refused", StringComparison.Ordinal))
        {
            report("notification-refused", $"from {from}: {outcome.Detail["notification refused: ".Length..]}; no session opened");
            return null;
        }
        return Reported("notified", outcome);
    }

    /// <summary>A client-initiated session (Alert 1201): queued jobs run, the nonces move on; null when the device has no account.</summary>
    public async Task<DmSessionOutcome?> SessionAsync(string why, CancellationToken ct)
    {
        if (Account() is not { } account)
            return null;
        using var transport = Transport(account);
        return Reported(why, await client(account).RunSessionAsync(Counting(transport), ct).ConfigureAwait(false));
    }

    private DmSessionOutcome Reported(string why, DmSessionOutcome outcome)
    {
        if (outcome.Completed)
            Completed++;
        report("dm-session", $"{why}: {(outcome.Completed ? "completed" : "not completed")}, {outcome.CommandsExecuted} commands executed, {outcome.CommandsRefused} refused"
            + (outcome.Completed ? "" : $" ({outcome.Detail})"));
        return outcome;
    }

    /// <summary>
    /// A new TLS connection per session: the server's certificate is checked against the root on every handshake, by OCSP with a fresh
    /// nonce when a responder is known — nothing cached, so no response goes stale (decision 033).
    /// </summary>
    private DmHttpTransport Transport(DmClientAccount account)
    {
        var checker = new ServerCertificateChecker(root, device.Tre.TrustedClock(TreCaller.DeviceManagement),
            endpoints.Ocsp is null ? new CheckPolicy { MaxValidity = TimeSpan.FromDays(400) } : null, endpoints.Ocsp);
        return endpoints.Ocsp is null
            ? new DmHttpTransport(account.ServerUri, checker, CheckMode.SecureClock)
            : new DmHttpTransport(account.ServerUri, checker, CheckMode.OcspNonce, endpoints.OcspUrl);
    }

    private Func<SyncMlWireMessage, CancellationToken, Task<SyncMlWireMessage>> Counting(DmHttpTransport transport) => (m, ct) =>
    {
        battery.RecordSent(m.Body.Length);
        return transport.ExchangeAsync(m, ct);
    };
}
