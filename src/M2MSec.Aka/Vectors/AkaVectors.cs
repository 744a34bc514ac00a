using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using M2MSec.Crypto.Metering;

namespace M2MSec.Aka;

/// <summary>
/// The AuC side of UMTS AKA (TS 33.102 §6.3.2, §6.3.3, §6.3.5): authentication vectors,
/// and AUTS (built by a USIM, checked by the HE).
/// </summary>
public static class AkaVectors
{
    /// <summary>Size of AUTN = SQN ⊕ AK || AMF || MAC-A.</summary>
    public const int AutnSize = 16;

    /// <summary>Size of AUTS = SQN_MS ⊕ AK* || MAC-S.</summary>
    public const int AutsSize = 14;

    /// <summary>The dummy AMF under which MAC-S is computed (§6.3.3).</summary>
    public static ReadOnlySpan<byte> ResyncAmf => [0, 0];

    /// <summary>
    /// Writes RAND || XRES || CK || IK || AUTN (<see cref="AuthenticationVector.EncodedSize"/>
    /// octets) for the given SQN and AMF. Allocation-free; the hot path of the HSS.
    /// </summary>
    public static void Compute(
        Milenage milenage, ReadOnlySpan<byte> k, ReadOnlySpan<byte> opc, ReadOnlySpan<byte> rand,
        ReadOnlySpan<byte> sqn, ReadOnlySpan<byte> amf, Span<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(milenage);
        if (k.Length != 16 || opc.Length != 16 || rand.Length != 16 || sqn.Length != 6 || amf.Length != 2)
            throw new ArgumentException("K, OPc and RAND are 16 octets, SQN 6, AMF 2.");
        if (destination.Length < AuthenticationVector.EncodedSize)
            throw new ArgumentException("Destination too small.", nameof(destination));
        OperationMeter.Count(MeteredOperation.Milenage);
        ComputeCore(milenage, k, opc, rand, sqn, amf, destination);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void ComputeCore(
        Milenage milenage, ReadOnlySpan<byte> k, ReadOnlySpan<byte> opc, ReadOnlySpan<byte> rand,
        ReadOnlySpan<byte> sqn, ReadOnlySpan<byte> amf, Span<byte> destination)
    {
        milenage.ComputeCore(k, opc, rand, sqn, amf, out var o, includeF5Star: false);
        Assemble(ref o, rand, sqn, amf, destination);
    }

    /// <summary>RAND || XRES || CK || IK || AUTN from MILENAGE's outputs, then wipes them.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Assemble(ref MilenageOutput o, ReadOnlySpan<byte> rand, ReadOnlySpan<byte> sqn, ReadOnlySpan<byte> amf, Span<byte> destination)
    {
        rand.CopyTo(destination);
        o.Res.CopyTo(destination[16..]);
        o.Ck.CopyTo(destination[24..]);
        o.Ik.CopyTo(destination[40..]);
        var autn = destination.Slice(56, AutnSize);
        var ak = o.Ak;
        for (var i = 0; i < 6; i++)
            autn[i] = (byte)(sqn[i] ^ ak[i]);
        amf.CopyTo(autn[6..]);
        o.MacA.CopyTo(autn[8..]);
        o.Clear();
    }

    /// <summary>
    /// Vectors for n subscribers at once: <paramref name="k"/>, <paramref name="opc"/> and
    /// <paramref name="rand"/> hold n × 16 octets, <paramref name="sqn"/> n × 6, and
    /// <paramref name="destination"/> receives n × <see cref="AuthenticationVector.EncodedSize"/>.
    /// Pairs of subscribers run interleaved, which is what the AES pipeline needs to be busy.
    /// </summary>
    public static void ComputeBatch(
        Milenage milenage, ReadOnlySpan<byte> k, ReadOnlySpan<byte> opc, ReadOnlySpan<byte> rand,
        ReadOnlySpan<byte> sqn, ReadOnlySpan<byte> amf, Span<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(milenage);
        var n = k.Length / 16;
        if (k.Length % 16 != 0 || opc.Length != k.Length || rand.Length != k.Length || sqn.Length != n * 6 || amf.Length != 2)
            throw new ArgumentException("K, OPc and RAND take 16 octets per subscriber, SQN 6, AMF 2.");
        if (destination.Length < n * AuthenticationVector.EncodedSize)
            throw new ArgumentException("Destination too small.", nameof(destination));
        OperationMeter.Count(MeteredOperation.Milenage, n);
        ComputeBatchCore(milenage, n, k, opc, rand, sqn, amf, destination);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void ComputeBatchCore(
        Milenage milenage, int n, ReadOnlySpan<byte> k, ReadOnlySpan<byte> opc, ReadOnlySpan<byte> rand,
        ReadOnlySpan<byte> sqn, ReadOnlySpan<byte> amf, Span<byte> destination)
    {
        if (milenage.IsHardwareAccelerated)
        {
            Vectors.Internal.AesNiVectorKernel.ComputeBatch(milenage, n, k, opc, rand, sqn, amf, destination);
            return;
        }
        const int V = AuthenticationVector.EncodedSize;
        for (var i = 0; i < n; i++)
            ComputeCore(milenage, k.Slice(i * 16, 16), opc.Slice(i * 16, 16), rand.Slice(i * 16, 16), sqn.Slice(i * 6, 6), amf, destination.Slice(i * V, V));
    }

    /// <summary>Generates a vector with the given RAND.</summary>
    public static AuthenticationVector Generate(
        Milenage milenage, ReadOnlySpan<byte> k, ReadOnlySpan<byte> opc, ReadOnlySpan<byte> rand, ulong sqn, ReadOnlySpan<byte> amf)
    {
        Span<byte> sqnBytes = stackalloc byte[6];
        Aka.Sqn.Write(sqn, sqnBytes);
        Span<byte> buffer = stackalloc byte[AuthenticationVector.EncodedSize];
        Compute(milenage, k, opc, rand, sqnBytes, amf, buffer);
        var av = AuthenticationVector.FromEncoded(buffer, sqn);
        CryptographicOperations.ZeroMemory(buffer);
        return av;
    }

    /// <summary>AUTS = (SQN_MS ⊕ f5*_K(RAND)) || f1*_K(SQN_MS || RAND || AMF=0000) (§6.3.3).</summary>
    public static byte[] ComputeAuts(Milenage milenage, ReadOnlySpan<byte> k, ReadOnlySpan<byte> opc, ReadOnlySpan<byte> rand, ulong sqnMs)
    {
        ArgumentNullException.ThrowIfNull(milenage);
        Span<byte> sqn = stackalloc byte[6];
        Aka.Sqn.Write(sqnMs, sqn);
        milenage.Compute(k, opc, rand, sqn, ResyncAmf, out var o, includeF5Star: true);
        var auts = new byte[AutsSize];
        for (var i = 0; i < 6; i++)
            auts[i] = (byte)(sqn[i] ^ o.AkStar[i]);
        o.MacS.CopyTo(auts.AsSpan(6));
        o.Clear();
        return auts;
    }

    /// <summary>
    /// The HE's check of AUTS (§6.3.5): recovers SQN_MS and verifies MAC-S in fixed time.
    /// Returns false, with <paramref name="sqnMs"/> = 0, when MAC-S does not verify.
    /// </summary>
    public static bool TryVerifyAuts(
        Milenage milenage, ReadOnlySpan<byte> k, ReadOnlySpan<byte> opc, ReadOnlySpan<byte> rand, ReadOnlySpan<byte> auts, out ulong sqnMs)
    {
        ArgumentNullException.ThrowIfNull(milenage);
        if (auts.Length != AutsSize)
            throw new ArgumentException($"AUTS must be {AutsSize} octets, got {auts.Length}.", nameof(auts));
        Span<byte> zeroSqn = stackalloc byte[6];
        zeroSqn.Clear();
        // AK* depends only on K, OPc and RAND: first pass recovers SQN_MS, second computes MAC-S over it.
        milenage.Compute(k, opc, rand, zeroSqn, ResyncAmf, out var o, includeF5Star: true);
        Span<byte> sqn = stackalloc byte[6];
        for (var i = 0; i < 6; i++)
            sqn[i] = (byte)(auts[i] ^ o.AkStar[i]);
        milenage.Compute(k, opc, rand, sqn, ResyncAmf, out o);
        var ok = CryptographicOperations.FixedTimeEquals(o.MacS, auts[6..]);
        o.Clear();
        sqnMs = ok ? Aka.Sqn.Read(sqn) : 0;
        return ok;
    }
}
