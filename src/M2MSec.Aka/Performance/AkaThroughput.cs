using System.Buffers.Binary;
using System.Diagnostics;
using System.Runtime.Intrinsics;
using System.Security.Cryptography;
using M2MSec.Crypto;

namespace M2MSec.Aka.Performance;

/// <summary>
/// Throughput probes behind `m2msec bench aka` and the BenchmarkDotNet suite: authentication
/// vectors per second over many distinct subscribers, and the AES-NI bound for the same work.
/// </summary>
public static class AkaThroughput
{
    private const int Batch = 256;

    /// <summary>A population of subscribers with distinct K and precomputed OPc.</summary>
    public sealed class Population
    {
        private Population(byte[] k, byte[] opc, int count)
        {
            K = k;
            Opc = opc;
            Count = count;
        }

        public int Count { get; }

        internal byte[] K { get; }

        internal byte[] Opc { get; }

        /// <summary>Draws <paramref name="count"/> random K and OP and precomputes each OPc.</summary>
        public static Population Create(int count, Milenage? milenage = null)
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
            milenage ??= Milenage.Default;
            var k = RandomNumberGenerator.GetBytes(count * 16);
            var opc = RandomNumberGenerator.GetBytes(count * 16);
            Span<byte> op = stackalloc byte[16];
            for (var i = 0; i < count; i++)
            {
                opc.AsSpan(i * 16, 16).CopyTo(op);
                milenage.ComputeOpc(k.AsSpan(i * 16, 16), op, opc.AsSpan(i * 16, 16));
            }
            return new Population(k, opc, count);
        }
    }

    /// <summary>Result of one timed run.</summary>
    public readonly record struct Run(long Operations, double Seconds, ulong Sink)
    {
        public double PerSecond => Operations / Seconds;
    }

    /// <summary>
    /// Generates vectors on the calling thread for <paramref name="duration"/>: each with its own
    /// subscriber (walked from <paramref name="start"/>), a fresh SQN, and a RAND from the
    /// CSPRNG drawn inside the timed loop in batches of <c>256</c>.
    /// </summary>
    public static Run Vectors(Population population, TimeSpan duration, int start = 0, Milenage? milenage = null)
    {
        ArgumentNullException.ThrowIfNull(population);
        milenage ??= Milenage.Default;
        var rands = new byte[Batch * 16];
        var sqns = new byte[Batch * 6];
        var avs = new byte[Batch * AuthenticationVector.EncodedSize];
        ReadOnlySpan<byte> amf = [0x80, 0x00];
        var k = population.K;
        var opc = population.Opc;
        var index = start % population.Count;
        ulong sink = 0, seq = 1;
        long done = 0;
        var end = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var began = Stopwatch.GetTimestamp();
        do
        {
            // A batch walks consecutive subscribers; it stops at the end of the population.
            var n = Math.Min(Batch, population.Count - index);
            RandomNumberGenerator.Fill(rands.AsSpan(0, n * 16));
            for (var j = 0; j < n; j++, seq += 32)
            {
                BinaryPrimitives.WriteUInt32BigEndian(sqns.AsSpan(j * 6), (uint)(seq >> 16));
                BinaryPrimitives.WriteUInt16BigEndian(sqns.AsSpan(j * 6 + 4), (ushort)seq);
            }
            AkaVectors.ComputeBatchCore(milenage, n, k.AsSpan(index * 16, n * 16), opc.AsSpan(index * 16, n * 16),
                rands.AsSpan(0, n * 16), sqns.AsSpan(0, n * 6), amf, avs);
            sink ^= BinaryPrimitives.ReadUInt64LittleEndian(avs.AsSpan(56));
            index = (index + n) % population.Count;
            done += n;
        }
        while (Stopwatch.GetTimestamp() < end);
        return new Run(done, Stopwatch.GetElapsedTime(began).TotalSeconds, sink);
    }

    /// <summary>
    /// The physical bound: per subscriber one AES-128 key expansion and five block encryptions
    /// with AES-NI (what one vector needs), no RNG, no MILENAGE logic. Operations = vectors.
    /// </summary>
    public static Run AesBound(Population population, TimeSpan duration)
    {
        ArgumentNullException.ThrowIfNull(population);
        if (!Aes128Ni.IsSupported)
            throw new PlatformNotSupportedException("The AES-NI bound needs x86 AES instructions.");
        var k = population.K;
        var opc = population.Opc;
        var index = 0;
        ulong sink = 0;
        long done = 0;
        var end = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var began = Stopwatch.GetTimestamp();
        do
        {
            // Two keys at a time, interleaved, as the vector kernel does: the bound gets the same
            // instruction-level parallelism as the code it bounds.
            for (var j = 0; j < Batch; j += 2)
            {
                var next = index + 1 == population.Count ? 0 : index + 1;
                Aes128Ni.ExpandKey2(Vector128.Create(k.AsSpan(index * 16, 16)), Vector128.Create(k.AsSpan(next * 16, 16)), out var ra, out var rb);
                var a0 = Vector128.Create(opc.AsSpan(index * 16, 16));
                var b0 = Vector128.Create(opc.AsSpan(next * 16, 16));
                var a1 = a0 ^ Vector128<byte>.One;
                var a2 = a0 ^ Vector128<byte>.AllBitsSet;
                var a3 = a1 ^ a2;
                var b1 = b0 ^ Vector128<byte>.One;
                var b2 = b0 ^ Vector128<byte>.AllBitsSet;
                var b3 = b1 ^ b2;
                var a4 = a0 ^ a3;
                var b4 = b0 ^ b3;
                Aes128Ni.Encrypt1x2(ra, rb, ref a4, ref b4);
                Aes128Ni.Encrypt4x2(ra, ref a0, ref a1, ref a2, ref a3, rb, ref b0, ref b1, ref b2, ref b3);
                sink ^= (a0 ^ a1 ^ a2 ^ a3 ^ a4 ^ b0 ^ b1 ^ b2 ^ b3 ^ b4).AsUInt64().GetElement(0);
                index = next + 1 == population.Count ? 0 : next + 1;
            }
            done += Batch;
        }
        while (Stopwatch.GetTimestamp() < end);
        return new Run(done, Stopwatch.GetElapsedTime(began).TotalSeconds, sink);
    }

    /// <summary>Runs <see cref="Vectors"/> on <paramref name="threads"/> threads at once; ops/s is the sum.</summary>
    public static Run VectorsParallel(Population population, TimeSpan duration, int threads, Milenage? milenage = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(threads);
        var runs = new Run[threads];
        var workers = new Thread[threads];
        for (var t = 0; t < threads; t++)
        {
            var id = t;
            workers[t] = new Thread(() => runs[id] = Vectors(population, duration, id * (population.Count / threads), milenage))
            {
                IsBackground = true,
                Name = $"aka-bench-{id}",
            };
        }
        foreach (var w in workers)
            w.Start();
        foreach (var w in workers)
            w.Join();
        var seconds = runs.Max(r => r.Seconds);
        return new Run(runs.Sum(r => (long)(r.PerSecond * seconds)), seconds, runs.Aggregate(0UL, (s, r) => s ^ r.Sink));
    }
}
