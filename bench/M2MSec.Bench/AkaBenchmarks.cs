using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using M2MSec.Aka;

namespace M2MSec.Bench;

/// <summary>
/// AuC vector generation and the USIM-side check (TS 33.102 §6.3). Baseline: one vector on the
/// platform (OpenSSL) AES path, so every other row reads as a ratio against it.
/// </summary>
[MemoryDiagnoser]
public class AkaBenchmarks
{
    private const int Batch = 256;
    private readonly Milenage _portable = new(MilenageParameters.Default, preferAesNi: false);
    private byte[] _k = [];
    private byte[] _opc = [];
    private byte[] _rand = [];
    private byte[] _sqn = [];
    private readonly byte[] _amf = [0x80, 0x00];
    private readonly byte[] _av = new byte[Batch * AuthenticationVector.EncodedSize];
    private AuthenticationVector _vector = null!;
    private byte[] _usimK = [];
    private byte[] _usimOpc = [];

    [GlobalSetup]
    public void Setup()
    {
        _k = RandomNumberGenerator.GetBytes(Batch * 16);
        _opc = RandomNumberGenerator.GetBytes(Batch * 16);
        _rand = RandomNumberGenerator.GetBytes(Batch * 16);
        _sqn = RandomNumberGenerator.GetBytes(Batch * 6);
        _usimK = RandomNumberGenerator.GetBytes(16);
        _usimOpc = RandomNumberGenerator.GetBytes(16);
        _vector = AkaVectors.Generate(Milenage.Default, _usimK, _usimOpc, RandomNumberGenerator.GetBytes(16), SqnScheme.Default.Compose(5, 0), _amf);
    }

    [Benchmark(Baseline = true, Description = "1 vector, platform AES (OpenSSL)")]
    public void VectorPortable() =>
        AkaVectors.Compute(_portable, _k.AsSpan(0, 16), _opc.AsSpan(0, 16), _rand.AsSpan(0, 16), _sqn.AsSpan(0, 6), _amf, _av);

    [Benchmark(Description = "1 vector, AES-NI")]
    public void VectorAesNi() =>
        AkaVectors.Compute(Milenage.Default, _k.AsSpan(0, 16), _opc.AsSpan(0, 16), _rand.AsSpan(0, 16), _sqn.AsSpan(0, 6), _amf, _av);

    [Benchmark(OperationsPerInvoke = Batch, Description = "vector in a batch of 256, AES-NI kernel")]
    public void VectorBatchAesNi() => AkaVectors.ComputeBatch(Milenage.Default, _k, _opc, _rand, _sqn, _amf, _av);

    [Benchmark(OperationsPerInvoke = Batch, Description = "vector in a batch of 256, with CSPRNG RAND")]
    public void VectorBatchWithRand()
    {
        RandomNumberGenerator.Fill(_rand);
        AkaVectors.ComputeBatch(Milenage.Default, _k, _opc, _rand, _sqn, _amf, _av);
    }

    /// <summary>Includes a fresh SEQ_MS array per call so the same vector is fresh each time.</summary>
    [Benchmark(Description = "USIM AUTHENTICATE (AUTN check, RES/CK/IK)")]
    public UsimAuthenticationStatus UsimCheck() =>
        new UsimAka(Milenage.Default, _usimK, _usimOpc, new UsimSqnState(SqnScheme.Default)).Authenticate(_vector.Rand, _vector.Autn).Status;
}
