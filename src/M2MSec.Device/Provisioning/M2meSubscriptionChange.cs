using M2MSec.Device.Dm;
using M2MSec.Device.M2me;
using M2MSec.Device.Tre;
using M2MSec.Pki.Validation;

namespace M2MSec.Device.Provisioning;

/// <summary>
/// How a change of subscription ended on the device: <c>changed</c> (a new MCIM is active: <see cref="NewImsi"/>; <see cref="OldDeleted"/>
/// when the old SHO's delete instruction removed the previous one), <c>nothing-pending</c> (the DPF had nothing for the device),
/// <c>refused</c> (the TRE refused the new M2MSIMMobj: <see cref="Detail"/>) or <c>deadline</c>.
/// </summary>
public sealed record SubscriptionChangeResult(string Outcome, string? OldImsi, string? NewImsi, bool OldDeleted, int Sessions, string Detail)
{
    public bool Changed => Outcome == "changed";
}

/// <summary>
/// Issue 16, the device side of a change of subscription (docs/decisions/021): a provisioned device runs client-initiated DM sessions
/// with its DPF on the DM account of its Bootstrap — the DPF designates the new SHO (./M2MSIMMobj/SHORoot, DesignatedSHO), reads
/// ./M2MMobj again, takes the PVA's challenge, writes the new M2MSIMMobj, and later delivers the old SHO's disable and delete
/// instructions — until the DPF has nothing pending (<see cref="McimDownloadOptions"/>: <c>IdleSessions</c> sessions without a
/// command) or the old MCIM is gone; then the device attaches with the active MCIM's IMSI.
/// </summary>
public sealed class M2meSubscriptionChange : IDisposable
{
    /// <summary>The DM ServerID of the DPF's account (the DRF's default, docs/decisions/018).</summary>
    public const string DefaultDpfServerId = "m2msec-dpf";

    private readonly M2meDevice _device;
    private readonly McimDownloadOptions _options;
    private readonly HttpClient _vno;
    private readonly DmHttpTransport _transport;
    private readonly DmClientAccount _account;

    public M2meSubscriptionChange(M2meDevice device, ProvisioningEndpoints endpoints, McimDownloadOptions? options = null, string dpfServerId = DefaultDpfServerId)
    {
        _device = device ?? throw new ArgumentNullException(nameof(device));
        ArgumentNullException.ThrowIfNull(endpoints);
        _options = options ?? new McimDownloadOptions();
        var root = device.Tre.TrustAnchor(TreCaller.DeviceManagement, "dm")
            ?? throw new RoProvisioningException("no-dm-root", "the TRE holds no DM root (trust/root/dm): the device was not manufactured for provisioning");
        _account = DmClientAccounts.Load(device, dpfServerId)
            ?? throw new RoProvisioningException("no-dm-account", $"the device holds no DM account for {dpfServerId}: it was never bootstrapped (provision it first)");
        var checker = new ServerCertificateChecker(root, device.Tre.TrustedClock(TreCaller.DeviceManagement),
            endpoints.Ocsp is null ? new CheckPolicy { MaxValidity = TimeSpan.FromDays(400) } : null, endpoints.Ocsp);
        _transport = endpoints.Ocsp is null
            ? new DmHttpTransport(_account.ServerUri, checker, CheckMode.SecureClock)
            : new DmHttpTransport(_account.ServerUri, checker, CheckMode.OcspNonce, endpoints.OcspUrl);
        _vno = RoProvisioningClient.Client(endpoints.VnoDevice, root);
    }

    /// <summary>Sessions without a server command after which the device takes it that the DPF has nothing pending.</summary>
    public int IdleSessions { get; init; } = 6;

    /// <summary>
    /// DM sessions until the change is through (or nothing is pending, or the deadline passed); <paramref name="previousImsi"/>: the
    /// MCIM the change replaces (default: the active one now).
    /// </summary>
    public async Task<SubscriptionChangeResult> RunSessionsAsync(CancellationToken cancellationToken, string? previousImsi = null)
    {
        var tre = new TreProvisioning(_device.Tre);
        var objects = new M2MProvisioningObjects(tre);
        var client = new DmClient(_device, _account) { DevId = tre.Pcid ?? _device.Info.Pcid, PrepareTree = t => objects.Attach(t, _account.ServerId) };
        var before = previousImsi ?? _device.Tre.InstalledMcims().ActiveImsi;
        var start = _options.Time.GetUtcNow();
        var (sessions, idle, detail) = (0, 0, "no session yet");
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            sessions++;
            try
            {
                var outcome = await client.RunSessionAsync(_transport.ExchangeAsync, cancellationToken).ConfigureAwait(false);
                detail = outcome.Detail;
                idle = outcome.CommandsExecuted + outcome.CommandsRefused == 0 ? idle + 1 : 0;
            }
            catch (HttpRequestException e)
            {
                detail = $"the DPF could not be reached: {e.Message}";
                idle = 0;
            }
            if (objects.LastInstall is { IsInstalled: false } refused)
                return new SubscriptionChangeResult("refused", before, null, false, sessions, $"{refused.Code}: {refused.Detail}");
            var status = _device.Tre.InstalledMcims();
            var changed = status.ActiveImsi is { } now && now != before;
            var oldGone = before is not null && status.Mcims.All(m => m.Imsi != before);
            if (changed && oldGone)
                return new SubscriptionChangeResult("changed", before, status.ActiveImsi, true, sessions, detail);
            if (idle >= IdleSessions || _options.StopWhen?.Invoke() == true)
                return changed ? new SubscriptionChangeResult("changed", before, status.ActiveImsi, false, sessions, detail)
                    : new SubscriptionChangeResult("nothing-pending", before, status.ActiveImsi, false, sessions, detail);
            if (_options.Time.GetUtcNow() - start >= _options.Deadline)
                return new SubscriptionChangeResult("deadline", before, status.ActiveImsi, false, sessions, detail);
            await Task.Delay(_options.PollInterval, _options.Time, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The attach with the active MCIM's IMSI; an attach the network refuses (its HSS learns the IMSI at step 21, a moment after the
    /// install) is tried again with a growing pause, within the deadline.
    /// </summary>
    public async Task<AttachOutcome> AttachAsync(CancellationToken cancellationToken)
    {
        var imsi = _device.Tre.InstalledMcims().ActiveImsi ?? throw new InvalidOperationException("no active MCIM");
        var start = _options.Time.GetUtcNow();
        var pause = TimeSpan.FromMilliseconds(50);
        while (true)
        {
            try
            {
                return await RoProvisioningClient.AttachAsync(_device, imsi, _vno, cancellationToken).ConfigureAwait(false);
            }
            catch (RoProvisioningException e) when (e.Code == "attach-refused" && _options.Time.GetUtcNow() - start + pause < _options.Deadline)
            {
                await Task.Delay(pause, _options.Time, cancellationToken).ConfigureAwait(false);
                pause = TimeSpan.FromTicks(Math.Min(pause.Ticks * 2, TimeSpan.FromSeconds(2).Ticks));
            }
        }
    }

    public void Dispose()
    {
        _vno.Dispose();
        _transport.Dispose();
    }
}
