using System.Net.Http.Json;
using M2MSec.Device.Dm;
using M2MSec.Device.M2me;
using M2MSec.Device.Power;
using M2MSec.Device.Tre;
using M2MSec.Device.Triggering;
using M2MSec.Pki.Validation;
using M2MSec.Storage;
using M2MSec.Storage.Dm;
using Microsoft.Extensions.DependencyInjection;

namespace M2MSec.Cli.Demo.Stages;

/// <summary>
/// Issue 17, device triggering (docs/decisions/025–027): for a share of the provisioned TRE fleet, the operator gives the subscription the
/// triggering feature at the VNO (clause 4) and the administrator grants the MTC server of `serve all` the device; the DM server queues a
/// job for it; the MTC server asks the MTC-IWF (mutual TLS, role mtc-server) for a DM-session trigger, the MTC-IWF hands it to the VNO,
/// which protects it with the device's NAS context and pages it; the TRE checks it before any connection, and the device runs the DM
/// session itself (<see cref="DmTriggerActions"/>, instead of the package-0 SMS of <see cref="DmNasConfigurationStage"/>) — the job is
/// done when the stage ends. Its acknowledgement is MAC'd with the NAS uplink COUNT.
/// </summary>
internal sealed class TriggerStage : IDemoStage
{
    public const string TriggeredEvent = "trigger-delivered";
    public const string DmSessionEvent = "trigger-dm-session";
    private const string DmServerId = "m2msec-dm";

    /// <summary>Every fourth provisioned TRE device (TRE-based devices have even indices).</summary>
    public bool AppliesTo(DemoDevice device) => device.Kind == M2meKind.Tre && device.Index % 4 == 0;

    public string Name => "Trigger (MTC-IWF)";

    public async Task<bool> RunAsync(DemoDevice device, DemoEnvironment environment, DemoReport report, CancellationToken cancellationToken)
    {
        if (device.ProvisionedImsi is not { } imsi || device.M2me is not { } m2me)
            return Fail(device, "no MCIM attached: nothing to trigger");
        if (DmClientAccounts.Load(m2me, DmServerId) is not { } account)
            return Fail(device, "no DM account with the operator's DM server");
        await environment.AllowMtcFeaturesAsync(imsi, cancellationToken);
        var external = $"demo-{device.Index}@mtc.example";
        using (var grant = await environment.MtcIwfAdmin.PostAsJsonAsync("authorisations", new { mtc_server = "mtc-server", device = external, imsi }, cancellationToken))
        {
            if (!grant.IsSuccessStatusCode)
                return Fail(device, $"grant: MTC-IWF answered {(int)grant.StatusCode}");
        }
        // The operator's DM server has work for the device: it is done only if the trigger's DM session runs.
        var devId = m2me.Info.TreId;
        var dm = environment.Dm.Services.GetRequiredService<IStateStore>().Dm;
        var jobId = $"trigger-{devId}-{Guid.NewGuid():N}";
        await dm.AddJobAsync(new DmJobRecord(jobId, devId, "queued", DateTimeOffset.UtcNow, DateTimeOffset.UtcNow,
        [
            new DmCommandRecord(jobId, 1, "replace", "./NASConfig/MinimumPeriodicSearchTimer", "30", null, null),
            new DmCommandRecord(jobId, 2, "get", "./NASConfig/MinimumPeriodicSearchTimer", null, null, null),
        ]), cancellationToken);
        var mtc = await environment.MtcServerAsync(cancellationToken);
        using (var sent = await mtc.PostAsJsonAsync("triggers", new { device = external, action = "dm-session" }, cancellationToken))
        {
            if (!sent.IsSuccessStatusCode)
                return Fail(device, $"trigger: MTC-IWF answered {(int)sent.StatusCode}");
        }
        var checker = new ServerCertificateChecker(environment.OperatorRoot, m2me.Tre.TrustedClock(TreCaller.DeviceManagement), null,
            // Blocking on purpose: the check runs inside the TLS handshake's synchronous callback.
            (url, der, _) => Task.FromResult(M2MSec.NetworkFunctions.Ocsp.OcspEndpoints.Query(OcspHttp, url, der)));
        using var transport = new DmHttpTransport(account.ServerUri, checker, CheckMode.OcspNonce, environment.OcspUrl);
        var battery = new BatteryMeter();
        var actions = new DmTriggerActions(m2me, account, transport.ExchangeAsync, battery);
        var outcomes = await ServingNetworkClient.ReceiveAsync(environment.VnoDevice, imsi, new TriggerReceiver(new TreNasContextHolder(m2me.Tre), battery), actions,
            cancellationToken);
        // A retried stage may find its earlier trigger too: every one must verify, and every DM session complete.
        if (outcomes.Count == 0 || !outcomes.All(o => o.IsAccepted))
            return Fail(device, $"trigger: the device did not accept it ({string.Join(", ", outcomes.Select(o => o.Code))})");
        report.Event(TriggeredEvent);
        if (actions.Sessions.Count == 0)
            return Fail(device, "trigger: no DM session ran");
        if (actions.Sessions.FirstOrDefault(s => !s.Completed) is { } failed)
            return Fail(device, $"trigger: the DM session did not complete ({failed.Detail})");
        var job = (await dm.ListJobsAsync(devId, cancellationToken)).Single(j => j.Id == jobId);
        if (job.State != "done")
            return Fail(device, $"trigger: the DM job is {job.State} after the triggered session");
        report.Event(DmSessionEvent);
        return true;
    }

    // Retrying within the DM transport's 30 s, as the DM stage does.
    private static readonly HttpClient OcspHttp = DemoHttp.Client(TimeSpan.FromSeconds(6));

    private static bool Fail(DemoDevice device, string reason)
    {
        device.FailureReason = reason;
        return false;
    }
}
