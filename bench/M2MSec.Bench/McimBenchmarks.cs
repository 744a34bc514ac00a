using BenchmarkDotNet.Attributes;
using M2MSec.Provisioning.Mcim;
using M2MSec.Provisioning.Performance;

namespace M2MSec.Bench;

/// <summary>
/// The MCIM object (seed 003, issue 15): sealing to and opening with an EC P-256 or RSA-2048 platform key, against the bare
/// public-key operations each needs (the baselines): ephemeral key + ECDH / RSA-OAEP encryption to seal, ECDH / RSA-OAEP
/// decryption to open.
/// </summary>
[MemoryDiagnoser]
public class McimBenchmarks
{
    private McimThroughput _t = null!;

    [Params("ec-p256", "rsa-2048")]
    public string PlatformKey { get; set; } = "ec-p256";

    [Params(McimSuite.AesCbcHmacSha1, McimSuite.Aes128Gcm)]
    public McimSuite Suite { get; set; }

    [GlobalSetup]
    public void Setup() => _t = new McimThroughput(PlatformKey == "rsa-2048", Suite);

    [Benchmark(Baseline = true, Description = "seal bound (public-key work)")]
    public int SealBound() => _t.SealBound();

    [Benchmark(Description = "seal MCIM object")]
    public byte[] Seal() => _t.Seal();

    [Benchmark(Description = "open bound (private-key work)")]
    public int OpenBound() => _t.OpenBound();

    [Benchmark(Description = "open MCIM object")]
    public McimContent Open() => _t.Open();

    [GlobalCleanup]
    public void Cleanup() => _t.Dispose();
}
