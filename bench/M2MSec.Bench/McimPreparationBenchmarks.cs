using BenchmarkDotNet.Attributes;
using M2MSec.Provisioning.Performance;

namespace M2MSec.Bench;

/// <summary>
/// Issue 16, bulk preparation (docs/decisions/023): the SHO's work from a valid verdict to a signed M2MSIMMobj — sealing on demand
/// (the baseline: fresh K/OPc, seal to PK_D, sign) against an MCIM prepared ahead of time (unwrap from the key ring, sign).
/// </summary>
[MemoryDiagnoser]
public class McimPreparationBenchmarks
{
    private McimPreparationThroughput _t = null!;

    [Params("ec-p256", "rsa-2048")]
    public string PlatformKey { get; set; } = "ec-p256";

    [GlobalSetup]
    public void Setup() => _t = new McimPreparationThroughput(PlatformKey == "rsa-2048");

    [Benchmark(Baseline = true, Description = "verdict → M2MSIMMobj, sealed on demand")]
    public int OnDemand() => _t.OnDemand();

    [Benchmark(Description = "verdict → M2MSIMMobj, prepared MCIM")]
    public int Prepared() => _t.Prepared();

    [GlobalCleanup]
    public void Cleanup() => _t.Dispose();
}
