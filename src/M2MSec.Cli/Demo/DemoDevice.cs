using M2MSec.Device.Uicc;

namespace M2MSec.Cli.Demo;

/// <summary>One simulated device of the demo fleet and what happened to it.</summary>
internal sealed class DemoDevice(int index, SimulatedUsim usim, byte[] k, byte[] opc)
{
    public int Index { get; } = index;

    public string Imsi => Usim.Imsi;

    public SimulatedUsim Usim { get; } = usim;

    /// <summary>The subscription secrets, for provisioning the HSS; never printed.</summary>
    public byte[] K { get; } = k;

    public byte[] Opc { get; } = opc;

    /// <summary>Set for devices whose USIM is ahead of the HSS, so their first AKA must resynchronise.</summary>
    public bool ForceResync { get; init; }

    public string? FailedStage { get; set; }

    public string? FailureReason { get; set; }
}
