using System.Security.Cryptography;
using System.Text;
using M2MSec.Cli.Commands;
using M2MSec.Device.Dm;
using M2MSec.Device.Tre;
using M2MSec.Dm.Bootstrap;
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
            outcome = await client.RunSessionAsync(transport.ExchangeAsync, ct);
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
        var job = (await dm.ListJobsAsync(devId, ct)).Single(j => j.Id == jobId);
        var readBack = job.Commands.Where(c => c.Verb == "get").Select(c => c.Results).ToList();
        if (job.State != "done" || !readBack.SequenceEqual(Nas.Select(n => n.Value)))
        {
            device.FailureReason = $"DM: job {job.State}, read back {string.Join(",", readBack)}";
            return false;
        }
        report.Event(DmEvent);
        return true;
    }

    /// <summary>The demo's NAS values: each Replace, then each read back with Get (also what `bench dm` runs).</summary>
    internal static DmJobRecord NasJob(string jobId, string devId) => new(jobId, devId, "queued", DateTimeOffset.UtcNow, DateTimeOffset.UtcNow,
    [
        .. Nas.Select((n, i) => new DmCommandRecord(jobId, i + 1, "replace", $"./NASConfig/{n.Leaf}", n.Value, null, null)),
        .. Nas.Select((n, i) => new DmCommandRecord(jobId, Nas.Length + i + 1, "get", $"./NASConfig/{n.Leaf}", null, null, null)),
    ]);

    private static readonly HttpClient OcspHttp = new() { Timeout = TimeSpan.FromSeconds(10) };
}
