using M2MSec.Device.Dm;
using M2MSec.Device.M2me;
using M2MSec.Dm.SyncMl;

namespace M2MSec.Device.Provisioning;

/// <summary>How the device polls the DPF for its MCIM (docs/decisions/018).</summary>
public sealed record McimDownloadOptions
{
    /// <summary>Pause between two client-initiated sessions (Alert 1201).</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>The device gives up after this long without an installed MCIM.</summary>
    public TimeSpan Deadline { get; init; } = TimeSpan.FromMinutes(2);

    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>
    /// Checked after every session: when true the device stops polling with outcome <c>stopped</c> (a caller running the flow
    /// phase by phase, e.g. until the DPF has read M2MMobj); null polls until an MCIM is installed or refused.
    /// </summary>
    public Func<bool>? StopWhen { get; init; }
}

/// <summary>
/// How the download ended: <c>installed</c> (the TRE installed the MCIM: <see cref="Imsi"/>), <c>refused</c> (the TRE refused the
/// M2MSIMMobj the DPF wrote: <see cref="Code"/> says why), <c>stopped</c> (<see cref="McimDownloadOptions.StopWhen"/>) or <c>deadline</c> (no MCIM in time; <see cref="Detail"/> the last session).
/// </summary>
public sealed record McimDownloadResult(string Outcome, string? Code, string? Imsi, int Sessions, string Detail)
{
    public bool Installed => Outcome == "installed";
}

/// <summary>
/// The device side of steps 11–20 (TR 33.812 §5.1.3.6.2): client-initiated DM sessions to the DPF (the account the Bootstrap
/// message installed; DevId = the PCID), with ./M2MMobj and ./M2MSIMMobj in the tree, until the TRE installed an MCIM, refused
/// the one the DPF wrote, or the deadline passed. The DPF is authenticated like any DM server (the transport checks its
/// certificate against the TRE's DM root; the session its credential).
/// </summary>
public static class McimDownloadClient
{
    /// <summary>Over HTTPS: <paramref name="transport"/> checks the DPF's certificate (<see cref="DmHttpTransport"/>).</summary>
    public static Task<McimDownloadResult> RunAsync(M2meDevice device, DmClientAccount account, DmHttpTransport transport, McimDownloadOptions? options = null,
        IProvisioningTre? tre = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(transport);
        return RunAsync(device, account, transport.ExchangeAsync, options, tre, cancellationToken);
    }

    public static async Task<McimDownloadResult> RunAsync(M2meDevice device, DmClientAccount account,
        Func<SyncMlWireMessage, CancellationToken, Task<SyncMlWireMessage>> exchange, McimDownloadOptions? options = null, IProvisioningTre? tre = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(account);
        ArgumentNullException.ThrowIfNull(exchange);
        options ??= new McimDownloadOptions();
        tre ??= new TreProvisioning(device.Tre);
        var objects = new M2MProvisioningObjects(tre);
        var client = new DmClient(device, account) { DevId = tre.Pcid ?? device.Info.Pcid, PrepareTree = t => objects.Attach(t, account.ServerId) };
        var start = options.Time.GetUtcNow();
        var sessions = 0;
        var detail = "no session yet";
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            sessions++;
            try
            {
                detail = (await client.RunSessionAsync(exchange, cancellationToken).ConfigureAwait(false)).Detail;
            }
            catch (HttpRequestException e)
            {
                detail = $"the DPF could not be reached: {e.Message}";
            }
            if (objects.LastInstall is { } install)
            {
                return install.IsInstalled
                    ? new McimDownloadResult("installed", install.Code, install.Imsi, sessions, install.Detail)
                    : new McimDownloadResult("refused", install.Code, null, sessions, install.Detail);
            }
            if (options.StopWhen?.Invoke() == true)
                return new McimDownloadResult("stopped", null, null, sessions, detail);
            if (options.Time.GetUtcNow() - start >= options.Deadline)
                return new McimDownloadResult("deadline", null, null, sessions, detail);
            await Task.Delay(options.PollInterval, options.Time, cancellationToken).ConfigureAwait(false);
        }
    }
}
