using System.Security.Cryptography;
using System.Text;
using M2MSec.Cli.Commands;
using M2MSec.Device.Dm;
using M2MSec.Device.Tre;
using M2MSec.Dm.Bootstrap;
using M2MSec.NetworkFunctions.Dm;
using M2MSec.NetworkFunctions.Smsc;
using M2MSec.Pki.Validation;
using M2MSec.Storage;
using M2MSec.Storage.Dm;
using Microsoft.Extensions.DependencyInjection;

namespace M2MSec.Cli.Demo.Stages;

/// <summary>
/// Seeds 000/001, OMA DM: every device gets its NAS configuration (TS 24.368 MO) from the DM server
/// over HTTPS. The device's DM account comes by a MAC-checked DM bootstrap. The device checks the
/// server certificate against the root its TRE holds, by OCSP with a nonce; server and device authenticate each other with auth-md5; the device applies what it
/// accepts to the TRE; the server reads every value back and compares.
/// </summary>
internal sealed class DmNasConfigurationStage : IDemoStage
{
    public const string DmEvent = "dm-verified";
    public const string NotifiedEvent = "dm-notified";
    private const string ServerSmsAddress = "4930000000";
    private const string ServerId = "m2msec-dm";

    private static readonly (string Leaf, string Value)[] Nas =
    [
        ("NAS_SignallingPriority", "1"), ("AttachWithIMSI", "1"), ("MinimumPeriodicSearchTimer", "60"), ("ExtendedAccessBarring", "1"),
    ];

    public string Name => "NAS config by DM";

    public async Task<bool> RunAsync(DemoDevice device, DemoEnvironment environment, DemoReport report, CancellationToken ct)
    {
        var m2me = device.M2me!;
        var devId = m2me.Info.TreId;
        // Manufacture / provisioning: the operator root into the TRE, the account on both sides.
        if (m2me.Tre.TrustAnchor(TreCaller.DeviceManagement, "dm") is null)
            m2me.Tre.ProvisionTrustAnchor(TreCaller.Manufacturer, "dm", environment.OperatorRoot);
        // Passwords are text: the bootstrap carries them as DMAcc AAuthSecret, a chr leaf.
        var clientPassword = Encoding.ASCII.GetBytes(Convert.ToHexString(RandomNumberGenerator.GetBytes(16)));
        var serverPassword = Encoding.ASCII.GetBytes(Convert.ToHexString(RandomNumberGenerator.GetBytes(16)));
        var dm = environment.Dm.Services.GetRequiredService<IStateStore>().Dm;
        await dm.AddAccountAsync(new DmAccount(devId, ServerId, devId, clientPassword, serverPassword, "md5", "md5", DateTimeOffset.UtcNow), ct);
        var jobId = "demo-" + devId;
        await dm.AddJobAsync(NasJob(jobId, devId), ct);

        var server = new Uri(environment.Dm.Address, "/dm");
        // The device's account arrives by DM bootstrap (what `m2msec dm bootstrap` prints), MAC-keyed with a secret only
        // the device and the Registration Operator share. A fresh random key stands for it here; the provisioning
        // issue will supply the real one.
        var sharedKey = RandomNumberGenerator.GetBytes(32);
        var body = BootstrapPackageBuilder.Build(DmBootstrapCommand.Package((await dm.FindAccountAsync(devId, ct))!, server));
        var bootstrap = DmBootstrap.ApplyWithKey(m2me, body, sharedKey, BootstrapAuthenticator.ComputeMacWithKey(sharedKey, body));
        if (!bootstrap.Applied || DmClientAccounts.Load(m2me, ServerId) is not { } account)
        {
            device.FailureReason = $"DM bootstrap: {bootstrap.Detail}";
            return false;
        }
        var checker = new ServerCertificateChecker(environment.OperatorRoot, m2me.Tre.TrustedClock(TreCaller.DeviceManagement), null,
            // Blocking on purpose: the check runs inside the TLS handshake's synchronous callback.
            (url, der, _) => Task.FromResult(M2MSec.NetworkFunctions.Ocsp.OcspEndpoints.Query(OcspHttp, url, der)));
        using var transport = new DmHttpTransport(server, checker, CheckMode.OcspNonce, environment.OcspUrl);
        var client = new DmClient(m2me, account);
        DmSessionOutcome outcome;
        try
        {
            outcome = NotificationInitiated(device)
                ? await NotifiedSessionAsync(client, devId, dm, environment, transport, ct)
                : await client.RunSessionAsync(transport.ExchangeAsync, ct);
        }
        catch (HttpRequestException e)
        {
            device.FailureReason = transport.LastVerdict is { Accepted: false } v
                ? $"DM server certificate refused: {v.ReasonName} ({v.Detail})"
                : $"DM: {e.InnerException?.Message ?? e.Message}";
            return false;
        }
        if (!outcome.Completed)
        {
            device.FailureReason = $"DM: {outcome.Detail}";
            return false;
        }
        // The server ends a job "done" only when every command succeeded and every value read back equal.
        var job = (await dm.ListJobsAsync(devId, ct)).Single(j => j.Id == jobId);
        if (job.State != "done")
        {
            device.FailureReason = $"DM: job {job.State}, read back {string.Join(",", job.Commands.Where(c => c.Verb == "get").Select(c => c.Results))}";
            return false;
        }
        report.Event(DmEvent);
        if (NotificationInitiated(device))
            report.Event(NotifiedEvent);
        return true;
    }

    /// <summary>Every other device is asked to connect by the server (package 0 over SMS) rather than calling in itself.</summary>
    private static bool NotificationInitiated(DemoDevice device) => device.Index % 2 == 0;

    /// <summary>
    /// Server-initiated: the DM server sends package 0 as WAP push through the SMSC; the ME takes it from its
    /// SMS, the DM client checks its digest and opens the session the server asked for (Alert 1200).
    /// </summary>
    private static async Task<DmSessionOutcome> NotifiedSessionAsync(DmClient client, string devId, IDmStore dm, DemoEnvironment environment, DmHttpTransport transport,
        CancellationToken ct)
    {
        var push = await DmNotifications.CreateAsync(dm, devId, M2MSec.Dm.Notification.DmUiMode.Background, ServerSmsAddress, TimeProvider.System, ct)
            ?? throw new InvalidOperationException("no DM account");
        await environment.Smsc.SubmitAsync(new SmsMessage(devId, ServerSmsAddress, [.. push.Tpdus.Select(Convert.ToHexStringLower)], null), ct);
        var received = await environment.DeviceSmsc.DeliverAsync(devId, 10, ct);
        var package0 = DmPushReceiver.Package0([.. received.SelectMany(m => m.Tpdus ?? []).Select(Convert.FromHexString)], out var why)
            ?? throw new InvalidOperationException($"no DM notification in the device's SMS: {why}");
        return await client.RunNotifiedSessionAsync(package0, transport.ExchangeAsync, ct);
    }

    /// <summary>The demo's NAS values: each Replace, then each read back with Get (also what `bench dm` runs).</summary>
    internal static DmJobRecord NasJob(string jobId, string devId) => new(jobId, devId, "queued", DateTimeOffset.UtcNow, DateTimeOffset.UtcNow,
    [
        .. Nas.Select((n, i) => new DmCommandRecord(jobId, i + 1, "replace", $"./NASConfig/{n.Leaf}", n.Value, null, null)),
        .. Nas.Select((n, i) => new DmCommandRecord(jobId, Nas.Length + i + 1, "get", $"./NASConfig/{n.Leaf}", null, null, null)),
    ]);

    // Retrying within the DM transport's 30 s: four attempts of 6 s and the back-off between them.
    private static readonly HttpClient OcspHttp = DemoHttp.Client(TimeSpan.FromSeconds(6));
}
