namespace M2MSec.Nas;

/// <summary>How a parameter's value is typed (TS 24.368 §5: Format bool or int).</summary>
public enum NasValueKind
{
    Boolean,
    Integer,
}

/// <summary>
/// One NAS configuration parameter: its MO leaf name (TS 24.368 §5), its EF_NASCONFIG tag
/// (TS 31.102 §4.2.94), its type, allowed range and width in the EF.
/// </summary>
public sealed record NasParameter(string Leaf, byte Tag, NasValueKind Kind, int Min, int Max, int Octets, string Clause)
{
    public bool Allows(int value) => value >= Min && value <= Max;
}

/// <summary>The parameters this build knows, in EF tag order.</summary>
public static class NasParameters
{
    public static NasParameter NasSignallingPriority { get; } = new("NAS_SignallingPriority", 0x80, NasValueKind.Integer, 1, 1, 1, "24.368 §5.3 (0 and 2-255 reserved)");
    public static NasParameter NmoIBehaviour { get; } = new("NMO_I_Behaviour", 0x81, NasValueKind.Boolean, 0, 1, 1, "24.368 §5.6");
    public static NasParameter AttachWithImsi { get; } = new("AttachWithIMSI", 0x82, NasValueKind.Boolean, 0, 1, 1, "24.368 §5.4");
    public static NasParameter MinimumPeriodicSearchTimer { get; } = new("MinimumPeriodicSearchTimer", 0x83, NasValueKind.Integer, 0, 255, 1, "24.368 §5.5 (minutes)");
    public static NasParameter ExtendedAccessBarring { get; } = new("ExtendedAccessBarring", 0x84, NasValueKind.Boolean, 0, 1, 1, "24.368 §5.8");
    public static NasParameter TimerT3245Behaviour { get; } = new("Timer_T3245_Behaviour", 0x85, NasValueKind.Boolean, 0, 1, 1, "24.368 §5.7");
    public static NasParameter OverrideNasSignallingLowPriority { get; } = new("Override_NAS_SignallingLowPriority", 0x86, NasValueKind.Boolean, 0, 1, 1, "24.368 §5.9");
    public static NasParameter OverrideExtendedAccessBarring { get; } = new("Override_ExtendedAccessBarring", 0x87, NasValueKind.Boolean, 0, 1, 1, "24.368 §5.10");
    public static NasParameter FastFirstHigherPriorityPlmnSearch { get; } = new("FastFirstHigherPriorityPLMNSearch", 0x88, NasValueKind.Boolean, 0, 1, 1, "24.368 §5.11");
    public static NasParameter EutraDisablingAllowedForEmmCause15 { get; } = new("EUTRADisablingAllowedForEMMCause15", 0x89, NasValueKind.Boolean, 0, 1, 1, "24.368 §5.12");
    public static NasParameter SmRetryWaitTime { get; } = new("SM_RetryWaitTime", 0x8A, NasValueKind.Integer, 0, 255, 1, "24.368 §5.13 (GPRS timer 3 value part, 24.008 Table 10.5.163a)");
    public static NasParameter SmRetryAtRatChange { get; } = new("SM_RetryAtRATChange", 0x8B, NasValueKind.Boolean, 0, 1, 1, "24.368 §5.14");
    public static NasParameter DefaultDcnId { get; } = new("DefaultDCNID", 0x8C, NasValueKind.Integer, 0, 65535, 2, "24.368 §5.15 (DCN-ID, 16 bits)");
    public static NasParameter ExceptionDataReportingAllowed { get; } = new("ExceptionDataReportingAllowed", 0x8D, NasValueKind.Boolean, 0, 1, 1, "24.368 §5.16");

    public static IReadOnlyList<NasParameter> All { get; } =
    [
        NasSignallingPriority, NmoIBehaviour, AttachWithImsi, MinimumPeriodicSearchTimer, ExtendedAccessBarring,
        TimerT3245Behaviour, OverrideNasSignallingLowPriority, OverrideExtendedAccessBarring, FastFirstHigherPriorityPlmnSearch,
        EutraDisablingAllowedForEmmCause15, SmRetryWaitTime, SmRetryAtRatChange, DefaultDcnId, ExceptionDataReportingAllowed,
    ];

    public static NasParameter? ByLeaf(string leaf) => All.FirstOrDefault(p => p.Leaf == leaf);

    public static NasParameter? ByTag(byte tag) => All.FirstOrDefault(p => p.Tag == tag);
}
