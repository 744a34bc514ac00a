using M2MSec.Device.M2me;
using M2MSec.Device.Provisioning;

namespace M2MSec.Cli.Demo.Stages;

/// <summary>
/// Remote MCIM provisioning of TRE-based devices (TR 33.812 §5.1.3.6.2, issue 15), one stage per phase as the device lives
/// it: attach with the PCID (steps 1–6), registration (7–12), validation (13–15), download and install (16–21), attach with
/// the MCIM. Every step is a message between the network functions and the device over loopback (docs/provisioning.md).
/// </summary>
internal sealed class ProvisioningStage(ProvisioningPhase phase, string name) : IDemoStage
{
    public const string ProvisionedEvent = "mcim-provisioned";

    /// <summary>Counted once per device whose phase met a transient failure and that then resumed from its TRE.</summary>
    public const string ResumedEvent = "provisioning-resumed";

    /// <summary>
    /// How long a device that met a transient failure (a timeout, a refused connection, a 5xx: a loaded or restarting role) keeps
    /// resuming before it gives up: a busy fleet is slow, not wrong (docs/decisions/022).
    /// </summary>
    public static readonly TimeSpan ResumeDeadline = TimeSpan.FromMinutes(15);

    /// <summary>The five phases, in order.</summary>
    public static IReadOnlyList<IDemoStage> All { get; } =
    [
        new ProvisioningStage(ProvisioningPhase.AttachWithPcid, "Attach with PCID"),
        new ProvisioningStage(ProvisioningPhase.Registration, "Registration (RO)"),
        new ProvisioningStage(ProvisioningPhase.Validation, "Validation (PVA)"),
        new ProvisioningStage(ProvisioningPhase.DownloadAndInstall, "MCIM download+install"),
        new ProvisioningStage(ProvisioningPhase.AttachWithMcim, "Attach with MCIM"),
    ];

    public string Name => name;

    public bool AppliesTo(DemoDevice device) => device.Kind == M2meKind.Tre;

    public async Task<bool> RunAsync(DemoDevice device, DemoEnvironment environment, DemoReport report, CancellationToken cancellationToken)
    {
        if (device.ProvisioningResumed)
            return true; // an earlier phase resumed the whole flow to its end
        try
        {
            switch (phase)
            {
                case ProvisioningPhase.AttachWithPcid:
                    device.Provisioning = new M2meProvisioning(device.M2me!, environment.ProvisioningEndpoints, new McimDownloadOptions { PollInterval = TimeSpan.FromMilliseconds(100) });
                    await device.Provisioning.AttachWithPcidAsync(cancellationToken);
                    break;
                case ProvisioningPhase.Registration:
                    await device.Provisioning!.RegisterAsync(cancellationToken);
                    SplitHeldSession(device);
                    break;
                case ProvisioningPhase.Validation:
                    await device.Provisioning!.ValidateAsync(cancellationToken);
                    break;
                case ProvisioningPhase.DownloadAndInstall:
                    device.ProvisionedImsi = (await device.Provisioning!.DownloadAndInstallAsync(cancellationToken)).Imsi;
                    break;
                default:
                    await device.Provisioning!.AttachWithMcimAsync(cancellationToken);
                    report.Event(ProvisionedEvent);
                    device.Provisioning.Dispose();
                    break;
            }
            return true;
        }
        catch (Exception e) when (device.Provisioning is not null && TransientFailure.TransientKey(e, cancellationToken) is not null)
        {
            return await ResumeAsync(device, environment, report, cancellationToken);
        }
        catch (RoProvisioningException e)
        {
            device.FailureReason = $"{Name}: {e.Message}";
            device.FailureKey = e.Code;
            device.Provisioning?.Dispose();
            return false;
        }
    }

    /// <summary>
    /// Decision 038: the DPF's session may have carried validation and download too; their time goes to their own rows of the table
    /// (validation from the nonce read to the attestation, download from the attestation to the session's end).
    /// </summary>
    private static void SplitHeldSession(DemoDevice device)
    {
        var now = System.Diagnostics.Stopwatch.GetTimestamp();
        var (read, attested, installed) = device.Provisioning!.PhaseEnds;
        if (read is not { } r || attested is not { } a)
            return;
        device.MoveStageTime(All[1].Name, All[2].Name, System.Diagnostics.Stopwatch.GetElapsedTime(r, a));
        if (installed is not null)
            device.MoveStageTime(All[1].Name, All[3].Name, System.Diagnostics.Stopwatch.GetElapsedTime(a, now));
    }

    /// <summary>
    /// Issue 16: a phase that met a transient failure does not fail the device — the device resumes from where its TRE stands
    /// (<see cref="M2meProvisioning.RunResumableAsync"/>; every step on the network side is idempotent, docs/decisions/022) through
    /// the attach with its MCIM; the later phases then have nothing left to do. A PCID spent in an answer that was lost is
    /// re-opened as the RO's operator would (docs/decisions/016).
    /// </summary>
    private async Task<bool> ResumeAsync(DemoDevice device, DemoEnvironment environment, DemoReport report, CancellationToken ct)
    {
        report.Event(ResumedEvent);
        device.ProvisioningResumed = true;
        try
        {
            var pcid = device.M2me!.Info.Pcid;
            await device.Provisioning!.RunResumableAsync(ResumeDeadline, token => environment.ReopenPcidAsync(pcid, token), ct);
            device.ProvisionedImsi = device.M2me.Tre.InstalledMcims().ActiveImsi;
            report.Event(ProvisionedEvent);
            return true;
        }
        catch (RoProvisioningException e)
        {
            device.FailureReason = $"{Name} (resumed): {e.Message}";
            device.FailureKey = e.Code;
            return false;
        }
        finally
        {
            device.Provisioning?.Dispose();
        }
    }
}
