using System.Diagnostics;
using M2MSec.Device.Dm;
using M2MSec.Device.M2me;
using M2MSec.Device.Tre;
using M2MSec.Pki.Validation;

namespace M2MSec.Device.Provisioning;

/// <summary>The phases of remote MCIM provisioning as the device sees them (TR 33.812 §5.1.3.6.2; docs/provisioning.md).</summary>
public enum ProvisioningPhase
{
    /// <summary>Steps 1–6: attach with the PCID, AKA with the temporary credential, connectivity limited to the RO.</summary>
    AttachWithPcid,

    /// <summary>Steps 7–12: the Bootstrap message, the DM account, the DPF reads M2MMobj and the RO registers the M2ME at the SHO.</summary>
    Registration,

    /// <summary>Steps 13–15: the PVA's challenge reaches the TRE through the DPF; the TRE's attestation goes back.</summary>
    Validation,

    /// <summary>Steps 16–21: the signed M2MSIMMobj is downloaded, the TRE installs the MCIM, the status goes to the DPF and the SHO.</summary>
    DownloadAndInstall,

    /// <summary>After step 21: attach with the new IMSI, AKA inside the TRE with the MCIM against the SHO's HSS.</summary>
    AttachWithMcim,
}

/// <summary>Where a device reaches the network for provisioning: the VNO's and the DRF's device-facing listeners, and the OCSP responder.</summary>
/// <remarks><paramref name="DpfServerId"/>: the DM ServerID of the DPF's account the Bootstrap message installs (the DRF's default), by which a
/// resumed device finds that account again (issue 16).</remarks>
public sealed record ProvisioningEndpoints(Uri VnoDevice, Uri DrfDevice, Uri? OcspUrl = null, OcspTransport? Ocsp = null, string DpfServerId = "m2msec-dpf");

/// <summary>
/// One device's way through remote MCIM provisioning, phase by phase (the demo runs each phase as a stage; `m2msec device
/// provision` runs them all): <see cref="RoProvisioningClient"/> for steps 1–11, client-initiated DM sessions to the DPF
/// (<see cref="McimDownloadClient"/>) for 11–20, then the attach with the new IMSI. The servers' certificates are checked
/// against the DM root the manufacturer put in the TRE; the DPF's by OCSP with a nonce when a responder is given, else against
/// the TRE's secure clock. A refusal throws <see cref="RoProvisioningException"/> with its code.
/// </summary>
public sealed partial class M2meProvisioning : IDisposable
{
    private readonly M2meDevice _device;
    private readonly ProvisioningEndpoints _endpoints;
    private readonly McimDownloadOptions _download;
    private readonly System.Security.Cryptography.X509Certificates.X509Certificate2 _root;
    private readonly HttpClient _vno;
    private readonly HttpClient _drf;
    private readonly ObservedTre _tre;
    private DmHttpTransport? _transport;
    private DmClientAccount? _account;

    public M2meProvisioning(M2meDevice device, ProvisioningEndpoints endpoints, McimDownloadOptions? download = null)
    {
        _device = device ?? throw new ArgumentNullException(nameof(device));
        _endpoints = endpoints ?? throw new ArgumentNullException(nameof(endpoints));
        _download = download ?? new McimDownloadOptions();
        _root = device.Tre.TrustAnchor(TreCaller.DeviceManagement, "dm")
            ?? throw new RoProvisioningException("no-dm-root", "the TRE holds no DM root (trust/root/dm): the device was not manufactured for provisioning");
        _vno = RoProvisioningClient.Client(endpoints.VnoDevice, _root);
        _drf = RoProvisioningClient.Client(endpoints.DrfDevice, _root);
        _tre = new ObservedTre(new TreProvisioning(device.Tre));
    }

    public AttachOutcome? ProvisionalAttach { get; private set; }

    public RoBootstrapOutcome? Bootstrap { get; private set; }

    public McimDownloadResult? Download { get; private set; }

    public AttachOutcome? Attach { get; private set; }

    /// <summary>Client-initiated DM sessions opened so far.</summary>
    public int DmSessions { get; private set; }

    /// <summary>
    /// When (<see cref="Stopwatch.GetTimestamp"/>) the DPF read the registration nonce, the TRE attested and the TRE installed an MCIM:
    /// where each phase really ended, since one DM session may carry several (decision 038).
    /// </summary>
    public (long? NonceRead, long? Attested, long? Installed) PhaseEnds => (_tre.NonceReadAt, _tre.AttestedAt, _tre.InstalledAt);

    /// <summary>Steps 1–6.</summary>
    public async Task AttachWithPcidAsync(CancellationToken ct) =>
        ProvisionalAttach = await RoProvisioningClient.AttachWithPcidAsync(_device, _vno, ct).ConfigureAwait(false);

    /// <summary>Steps 7–12: bootstrap, then DM sessions until the DPF has read M2MMobj (and with it the registration nonce).</summary>
    public async Task RegisterAsync(CancellationToken ct)
    {
        var attached = ProvisionalAttach ?? throw new InvalidOperationException("attach with the PCID first");
        Bootstrap = await RoProvisioningClient.BootstrapAsync(_device, attached, _drf, ct).ConfigureAwait(false);
        UseDmAccount(DmClientAccounts.Load(_device, Bootstrap.DmServerId)
            ?? throw new RoProvisioningException("bootstrap-refused", "the Bootstrap message installed no DM account for the DPF"));
        await PollAsync(() => _tre.NonceReadAt is not null, ct).ConfigureAwait(false);
    }

    /// <summary>The DM sessions to the DPF run with <paramref name="account"/> (the one the Bootstrap message installed), over HTTPS to its server URI.</summary>
    private void UseDmAccount(DmClientAccount account)
    {
        _account = account;
        var checker = new ServerCertificateChecker(_root, _device.Tre.TrustedClock(TreCaller.DeviceManagement),
            _endpoints.Ocsp is null ? new CheckPolicy { MaxValidity = TimeSpan.FromDays(400) } : null, _endpoints.Ocsp);
        _transport?.Dispose();
        _transport = _endpoints.Ocsp is null
            ? new DmHttpTransport(account.ServerUri, checker, CheckMode.SecureClock)
            : new DmHttpTransport(account.ServerUri, checker, CheckMode.OcspNonce, _endpoints.OcspUrl);
    }

    /// <summary>Steps 13–15: DM sessions until the TRE has attested over the PVA's challenge.</summary>
    public Task ValidateAsync(CancellationToken ct) => PollAsync(() => _tre.AttestedAt is not null, ct);

    /// <summary>Steps 16–21: DM sessions until the TRE installed (or refused) the MCIM the DPF wrote.</summary>
    public async Task<McimDownloadResult> DownloadAndInstallAsync(CancellationToken ct)
    {
        await PollAsync(null, ct).ConfigureAwait(false);
        return Download!;
    }

    /// <summary>
    /// The attach with the installed MCIM's IMSI. The device learns of its MCIM at step 19, the SHO puts the IMSI in its HSS at
    /// step 21 — a moment later: an attach the network refuses is tried again, with a growing pause, within the download deadline.
    /// </summary>
    public async Task<AttachOutcome> AttachWithMcimAsync(CancellationToken ct)
    {
        var imsi = Download is { Installed: true, Imsi: { } i } ? i : throw new InvalidOperationException("no MCIM installed");
        var time = _download.Time;
        var start = time.GetUtcNow();
        var pause = TimeSpan.FromMilliseconds(50);
        while (true)
        {
            try
            {
                return Attach = await RoProvisioningClient.AttachAsync(_device, imsi, _vno, ct).ConfigureAwait(false);
            }
            catch (RoProvisioningException e) when (e.Code == "attach-refused" && time.GetUtcNow() - start + pause < _download.Deadline)
            {
                await Task.Delay(pause, time, ct).ConfigureAwait(false);
                pause = TimeSpan.FromTicks(Math.Min(pause.Ticks * 2, TimeSpan.FromSeconds(2).Ticks));
            }
        }
    }

    /// <summary>Every phase in order; <paramref name="phaseDone"/> is told each phase's wall time.</summary>
    public async Task RunAsync(Action<ProvisioningPhase, TimeSpan>? phaseDone, CancellationToken ct)
    {
        foreach (var (phase, run) in new (ProvisioningPhase, Func<CancellationToken, Task>)[]
        {
            (ProvisioningPhase.AttachWithPcid, AttachWithPcidAsync), (ProvisioningPhase.Registration, RegisterAsync), (ProvisioningPhase.Validation, ValidateAsync),
            (ProvisioningPhase.DownloadAndInstall, DownloadAndInstallAsync), (ProvisioningPhase.AttachWithMcim, AttachWithMcimAsync),
        })
        {
            var started = Stopwatch.GetTimestamp();
            await run(ct).ConfigureAwait(false);
            phaseDone?.Invoke(phase, Stopwatch.GetElapsedTime(started));
        }
    }

    /// <summary>DM sessions until <paramref name="until"/> holds (null: an MCIM installed or refused); refusal and deadline throw.</summary>
    private async Task PollAsync(Func<bool>? until, CancellationToken ct)
    {
        var transport = _transport ?? throw new InvalidOperationException("bootstrap first");
        // Decision 038: the DPF keeps a session open for the next step's job, so one session may have carried later phases too.
        if (Download is { Outcome: "installed" } || until?.Invoke() == true)
            return;
        var result = await McimDownloadClient.RunAsync(_device, _account!, transport, _download with { StopWhen = until }, _tre, ct).ConfigureAwait(false);
        DmSessions += result.Sessions;
        Download = result;
        switch (result.Outcome)
        {
            case "stopped" or "installed":
                return;
            case "refused":
                throw new RoProvisioningException(result.Code ?? "mcim-refused", $"the TRE refused the MCIM: {result.Detail}");
            default:
                throw new RoProvisioningException("deadline", $"no progress within {_download.Deadline.TotalSeconds:0} s ({result.Sessions} DM sessions; last: {result.Detail})");
        }
    }

    public void Dispose()
    {
        _vno.Dispose();
        _drf.Dispose();
        _transport?.Dispose();
    }

    /// <summary>The TRE's provisioning calls, noting which phase the DPF's requests have reached.</summary>
    private sealed class ObservedTre(IProvisioningTre inner) : IProvisioningTre
    {
        // When each call first happened (Stopwatch timestamps): the phases' ends. Read by the poll loop after the session's awaits.
        public long? NonceReadAt;
        public long? AttestedAt;
        public long? InstalledAt;

        public string TreId => inner.TreId;

        public string? Pcid => inner.Pcid;

        public string? DesignatedSho => inner.DesignatedSho;

        public byte[]? PfcAttestation => inner.PfcAttestation;

        public byte[]? PfcEncryption => inner.PfcEncryption;

        public byte[] RegistrationNonce()
        {
            var nonce = inner.RegistrationNonce();
            NonceReadAt ??= Stopwatch.GetTimestamp();
            return nonce;
        }

        public byte[] Attest(ReadOnlySpan<byte> challenge)
        {
            var statement = inner.Attest(challenge);
            AttestedAt ??= Stopwatch.GetTimestamp();
            return statement;
        }

        public McimInstallResult InstallMcim(ReadOnlySpan<byte> signedM2MSimMobj)
        {
            var result = inner.InstallMcim(signedM2MSimMobj);
            InstalledAt ??= Stopwatch.GetTimestamp();
            return result;
        }

        public McimInstructionResult ApplyMcimInstruction(ReadOnlySpan<byte> signedInstruction) => inner.ApplyMcimInstruction(signedInstruction);

        public ShoDesignationResult DesignateSho(string shoId, System.Security.Cryptography.X509Certificates.X509Certificate2? root) => inner.DesignateSho(shoId, root);
    }
}
