using M2MSec.Device.Dm;
using M2MSec.Device.Tre;

namespace M2MSec.Device.Provisioning;

/// <summary>Where a device stands in its provisioning, read from its TRE (issue 16, docs/decisions/022).</summary>
public enum ProvisioningResumePoint
{
    /// <summary>No Bootstrap message applied: steps 1–11 (attach with the PCID, the Bootstrap).</summary>
    AttachWithPcid,

    /// <summary>The Bootstrap applied (the designated SHO and the DPF's DM account in the TRE): DM sessions to the DPF until the MCIM is installed.</summary>
    DmSessions,

    /// <summary>An MCIM installed and active: the attach with its IMSI.</summary>
    AttachWithMcim,
}

public sealed partial class M2meProvisioning
{
    /// <summary>How long the PCID's attach or the Bootstrap is refused, with no Bootstrap applied, before <c>stranded</c> is called.</summary>
    public static readonly TimeSpan StrandedAfter = TimeSpan.FromSeconds(8);

    /// <summary>
    /// Issue 16: where this device resumes, from its TRE alone (nothing in the device process survives a restart): an active MCIM →
    /// the attach with it; the Bootstrap message applied → DM sessions to the DPF; else the attach with the PCID.
    /// </summary>
    public ProvisioningResumePoint ResumePoint()
    {
        if (_device.Tre.InstalledMcims().ActiveImsi is not null)
            return ProvisioningResumePoint.AttachWithMcim;
        return _tre.DesignatedSho is not null && DmClientAccounts.Load(_device, _endpoints.DpfServerId) is not null
            ? ProvisioningResumePoint.DmSessions
            : ProvisioningResumePoint.AttachWithPcid;
    }

    /// <summary>
    /// Issue 16: the whole provisioning, resumable — from <see cref="ResumePoint"/>, each step tried again with a growing pause when
    /// the network did not take it (a role away or restarting: connection refused, 5xx, an attach or bootstrap refused), until the
    /// attach with the installed MCIM is accepted. A device killed at any point and started again calls this and continues where its
    /// TRE stands. The TRE refusing the MCIM, or <paramref name="deadline"/>, ends it with <see cref="RoProvisioningException"/>.
    /// <paramref name="stranded"/> is called when the PCID's attach keeps being refused while no Bootstrap was applied — the PCID
    /// was spent in a step whose answer was lost (docs/decisions/016, 022): the RO re-opens it, then the attach is tried again.
    /// </summary>
    public async Task<AttachOutcome> RunResumableAsync(TimeSpan deadline, Func<CancellationToken, Task>? stranded, CancellationToken ct)
    {
        var time = _download.Time;
        var start = time.GetUtcNow();
        TimeSpan Left() => deadline - (time.GetUtcNow() - start);
        var pause = TimeSpan.FromMilliseconds(100);
        DateTimeOffset? refusedSince = null;
        while (true)
        {
            var point = ResumePoint();
            try
            {
                switch (point)
                {
                    case ProvisioningResumePoint.AttachWithPcid:
                        // An attach this run made stays usable for the Bootstrap (its address): the PCID attaches once (decision 016).
                        ProvisionalAttach ??= await RoProvisioningClient.AttachWithPcidAsync(_device, _vno, ct).ConfigureAwait(false);
                        Bootstrap = await RoProvisioningClient.BootstrapAsync(_device, ProvisionalAttach, _drf, ct).ConfigureAwait(false);
                        refusedSince = null;
                        break;
                    case ProvisioningResumePoint.DmSessions:
                        if (_account is null || _transport is null)
                            UseDmAccount(DmClientAccounts.Load(_device, _endpoints.DpfServerId)!);
                        var result = await McimDownloadClient.RunAsync(_device, _account!, _transport!, _download with { StopWhen = null, Deadline = Positive(Left()) }, _tre, ct)
                            .ConfigureAwait(false);
                        DmSessions += result.Sessions;
                        Download = result;
                        if (result.Outcome == "refused")
                            throw new RoProvisioningException(result.Code ?? "mcim-refused", $"the TRE refused the MCIM: {result.Detail}");
                        if (!result.Installed)
                            throw new RoProvisioningException("deadline", $"no MCIM within {deadline.TotalSeconds:0} s ({result.Sessions} DM sessions; last: {result.Detail})");
                        break;
                    default:
                        var imsi = _device.Tre.InstalledMcims().ActiveImsi!;
                        Download ??= new McimDownloadResult("installed", McimInstallResult.Installed, imsi, 0, "resumed: the MCIM was installed before");
                        return Attach = await RoProvisioningClient.AttachAsync(_device, imsi, _vno, ct).ConfigureAwait(false);
                }
                pause = TimeSpan.FromMilliseconds(100);
            }
            catch (Exception e) when (IsRetryable(e, ct) && Left() > pause)
            {
                if (point == ProvisioningResumePoint.AttachWithPcid)
                {
                    if (!SuggestsSpentPcid(e))
                    {
                        refusedSince = null;
                    }
                    else
                    {
                        refusedSince ??= time.GetUtcNow();
                        if (stranded is not null && time.GetUtcNow() - refusedSince >= StrandedAfter)
                        {
                            await stranded(ct).ConfigureAwait(false);
                            (refusedSince, ProvisionalAttach) = (null, null);
                        }
                    }
                }
                if (point == ProvisioningResumePoint.AttachWithMcim)
                    await AnswerTheDpfAsync(ct).ConfigureAwait(false);
                await Task.Delay(pause, time, ct).ConfigureAwait(false);
                pause = TimeSpan.FromTicks(Math.Min(pause.Ticks * 2, TimeSpan.FromSeconds(2).Ticks));
            }
        }
    }

    /// <summary>
    /// The IMSI's attach is refused until step 21 reached the HSS; meanwhile the DPF may need the device (it asks the TRE whether a
    /// download whose answer was lost was installed): one DM session answers it.
    /// </summary>
    private async Task AnswerTheDpfAsync(CancellationToken ct)
    {
        var account = _account ?? DmClientAccounts.Load(_device, _endpoints.DpfServerId);
        if (account is null)
            return;
        if (_transport is null || _account is null)
            UseDmAccount(account);
        var result = await McimDownloadClient.RunAsync(_device, _account!, _transport!, _download with { StopWhen = () => true }, _tre, ct).ConfigureAwait(false);
        DmSessions += result.Sessions;
    }

    /// <summary>
    /// Whether a failure of the attach with the PCID or of the Bootstrap counts towards "stranded" (<see cref="StrandedAfter"/>): a
    /// refusal (4xx) does; a 5xx does not — it is a role away (the VNO without its ICF, the DRF without its DPF), and while it lasts the
    /// PCID is not known to be spent, so re-opening it would be an operator action for nothing (issue 16). Nor does a lost connection.
    /// </summary>
    internal static bool SuggestsSpentPcid(Exception e) =>
        e is RoProvisioningException { Code: "attach-refused" or "bootstrap-refused" } r && r.HttpStatus is null or < 500;

    private static TimeSpan Positive(TimeSpan t) => t > TimeSpan.Zero ? t : TimeSpan.FromMilliseconds(1);

    /// <summary>What a restarting role looks like from the device: no connection, a timeout, a 5xx, a step refused for the moment.</summary>
    private static bool IsRetryable(Exception e, CancellationToken ct) => e switch
    {
        OperationCanceledException => !ct.IsCancellationRequested,
        HttpRequestException or IOException => true,
        RoProvisioningException r => r.Code is "attach-refused" or "bootstrap-refused" or "aka-failed",
        _ => false,
    };
}
