namespace M2MSec.Crypto.Metering;

/// <summary>The bare operations the fleet bound counts (issue 19, docs/decisions/034-fleet-bound.md).</summary>
public enum MeteredOperation
{
    /// <summary>An ECDSA signature made by our code (certificates, OCSP answers, signed objects, platform evidence; not inside TLS).</summary>
    EcdsaSign,

    /// <summary>An ECDSA signature checked by our code (not inside TLS, not inside an X.509 chain build).</summary>
    EcdsaVerify,

    /// <summary>An ECDH key agreement (the MCIM's ECIES wrap and unwrap).</summary>
    Ecdh,

    /// <summary>An RSA signature made (PKCS#1 v1.5 or PSS).</summary>
    RsaSign,

    /// <summary>An RSA signature checked.</summary>
    RsaVerify,

    /// <summary>An X.509 chain built and checked by our code (each link's signature verified by the platform).</summary>
    ChainBuild,

    /// <summary>One MILENAGE run (f1–f5 for one RAND): an HSS vector, a USIM/TRE AUTHENTICATE, an AUTS.</summary>
    Milenage,

    /// <summary>A store write that commits (one transaction, or one auto-committed statement: fsync'd with synchronous=FULL).</summary>
    DurableCommit,

    /// <summary>A device's durable record write: the older of two slot files overwritten in place and fsync'd (the TRE's sealed store and its replay-protected counter; decision 046).</summary>
    DeviceDurableWrite,

    /// <summary>A device's durable file replacement: a temporary file written and fsync'd, then renamed over the old (the UICC's image, the GBA bootstrap record, the fuse).</summary>
    DeviceFileReplacement,
}

/// <summary>
/// Process-wide counts of <see cref="MeteredOperation"/>s: one interlocked increment per operation on a cache line of its own (so counters
/// bumped from both cores never share a line). The operations counted cost micro- to milliseconds each; the increment nanoseconds.
/// </summary>
public static class OperationMeter
{
    private const int Stride = 8; // 8 longs = 64 bytes: one cache line per counter
    private static readonly int Kinds = Enum.GetValues<MeteredOperation>().Length;
    private static readonly long[] Counts = new long[(Kinds + 1) * Stride];

    /// <summary>Counts one operation of <paramref name="operation"/>.</summary>
    public static void Count(MeteredOperation operation) => Interlocked.Increment(ref Counts[((int)operation + 1) * Stride]);

    /// <summary>Counts <paramref name="n"/> operations at once (a batch of vectors).</summary>
    public static void Count(MeteredOperation operation, long n) => Interlocked.Add(ref Counts[((int)operation + 1) * Stride], n);

    /// <summary>The count so far of <paramref name="operation"/> in this process.</summary>
    public static long Read(MeteredOperation operation) => Interlocked.Read(ref Counts[((int)operation + 1) * Stride]);

    /// <summary>Every kind's count so far.</summary>
    public static IReadOnlyDictionary<MeteredOperation, long> Snapshot() => Enum.GetValues<MeteredOperation>().ToDictionary(o => o, Read);
}
