using M2MSec.Aka;
using M2MSec.Device.M2me;
using M2MSec.Device.Uicc;

namespace M2MSec.Cli.Demo;

/// <summary>One simulated device of the demo fleet and what happened to it.</summary>
internal sealed class DemoDevice(int index, string imsi, M2meKind kind, byte[] k, byte[] opc, UsimSqnState? usimState)
{
    public int Index { get; } = index;

    public string Imsi { get; } = imsi;

    /// <summary>UICC-based (TR 33.868: USIM on a UICC) or TRE-based (TR 33.812: subscription in the TRE).</summary>
    public M2meKind Kind { get; } = kind;

    /// <summary>The subscription secrets, for provisioning the HSS and the card/TRE; never printed.</summary>
    public byte[] K { get; } = k;

    public byte[] Opc { get; } = opc;

    /// <summary>The UICC's USIM, for UICC-based devices.</summary>
    public SimulatedUsim? Usim { get; } = kind == M2meKind.Uicc ? new SimulatedUsim(imsi, k, opc, usimState) : null;

    /// <summary>The UICC of a UICC-based device (files, OTA key sets, counters), once issued.</summary>
    public SimulatedUicc? Uicc { get; set; }

    /// <summary>The card's ICCID (UICC devices).</summary>
    public string Iccid => $"8988211{Imsi[5..]}";

    /// <summary>A TRE-based device's way through remote MCIM provisioning (issue 15), from its attach with the PCID on.</summary>
    public Device.Provisioning.M2meProvisioning? Provisioning { get; set; }

    /// <summary>The IMSI of the MCIM the SHO provisioned into the TRE (TRE-based devices; <see cref="Imsi"/> is then their PCID).</summary>
    public string? ProvisionedImsi { get; set; }

    /// <summary>Issue 16: a provisioning phase met a transient failure and the device resumed the whole flow from its TRE.</summary>
    public bool ProvisioningResumed { get; set; }

    /// <summary>Issue 16: the device-specific authorisation token its owner holds (devices the demo moves to a second SHO), or null.</summary>
    public byte[]? AuthToken { get; set; }

    /// <summary>Issue 16: the IMSI of the MCIM the device held before its change of subscription.</summary>
    public string? PreviousImsi { get; set; }

    /// <summary>The ME + TRE, once manufactured.</summary>
    public M2meDevice? M2me { get; set; }

    /// <summary>Set for devices whose USIM is ahead of the HSS, so their first AKA must resynchronise.</summary>
    public bool ForceResync => usimState is not null;

    public string? FailedStage { get; set; }

    private Dictionary<string, TimeSpan>? _stageTime;

    /// <summary>A stage did <paramref name="time"/> of a later stage's work (decision 038: one DM session, several phases): the table counts it there.</summary>
    public void MoveStageTime(string from, string to, TimeSpan time)
    {
        if (time <= TimeSpan.Zero)
            return;
        _stageTime ??= new(StringComparer.Ordinal);
        _stageTime[from] = _stageTime.GetValueOrDefault(from) - time;
        _stageTime[to] = _stageTime.GetValueOrDefault(to) + time;
    }

    /// <summary>What <see cref="MoveStageTime"/> moved to (positive) or from (negative) <paramref name="stage"/>, taken once.</summary>
    public TimeSpan TakeStageTime(string stage) => _stageTime is not null && _stageTime.Remove(stage, out var t) ? t : TimeSpan.Zero;

    public string? FailureReason { get; set; }

    /// <summary>The failure's short reason key for the report (e.g. <c>timeout</c>, <c>http-403</c>, <c>aka-over-http-failed</c>).</summary>
    public string? FailureKey { get; set; }

    /// <summary>
    /// Drops what the device holds in memory once it left the flow (its state stays on disk): a large fleet's live heap then stays
    /// that of the devices in flight, not of every device run so far (issue 16: a heap that grows with the fleet makes each
    /// full garbage collection cost more, and the run super-linear).
    /// </summary>
    public void Release()
    {
        Provisioning?.Dispose();
        Provisioning = null;
        M2me = null;
        Uicc = null;
    }

    /// <summary>AUTHENTICATE on the device's subscription: in the USIM, or inside the TRE.</summary>
    public UsimAuthenticationResult Authenticate(byte[] rand, byte[] autn) => Kind == M2meKind.Uicc
        ? Usim!.Authenticate(rand, autn, eUtran: true)
        : M2me!.Tre.RunAka(Device.Tre.TreCaller.Network, Imsi, rand, autn, eUtran: true);
}
