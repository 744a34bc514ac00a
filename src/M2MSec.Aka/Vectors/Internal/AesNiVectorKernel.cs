using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using M2MSec.Crypto;
using Ssse3 = System.Runtime.Intrinsics.X86.Ssse3;

namespace M2MSec.Aka.Vectors.Internal;

/// <summary>
/// The HSS hot path on AES-NI: MILENAGE for two subscribers at a time with their AES chains
/// interleaved, writing RAND || XRES || CK || IK || AUTN straight from the registers into the
/// destination (no intermediate copies of key material). Callers have checked every length;
/// tests prove it equal to <see cref="AkaVectors.Compute"/> on the portable path.
/// </summary>
internal static class AesNiVectorKernel
{
    private const int V = AuthenticationVector.EncodedSize;
    private const ulong Low48 = 0x0000_FFFF_FFFF_FFFF;

    public static void ComputeBatch(
        Milenage m, int n, ReadOnlySpan<byte> k, ReadOnlySpan<byte> opc, ReadOnlySpan<byte> rand,
        ReadOnlySpan<byte> sqn, ReadOnlySpan<byte> amf, Span<byte> destination)
    {
        ref var kr = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(k);
        ref var opcr = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(opc);
        ref var randr = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(rand);
        ref var sqnr = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(sqn);
        ref var dst = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(destination);
        ulong amfBits = (ulong)Unsafe.ReadUnaligned<ushort>(ref System.Runtime.InteropServices.MemoryMarshal.GetReference(amf)) << 48;
        var (m0, m1, m2, m3) = (m.RotMask(0), m.RotMask(1), m.RotMask(2), m.RotMask(3));
        var (c0, c1, c2, c3) = (m.Constant(0), m.Constant(1), m.Constant(2), m.Constant(3));

        var i = 0;
        for (; i + 1 < n; i += 2)
        {
            var opcA = Vector128.LoadUnsafe(ref opcr, (nuint)(i * 16));
            var opcB = Vector128.LoadUnsafe(ref opcr, (nuint)(i * 16 + 16));
            var randA = Vector128.LoadUnsafe(ref randr, (nuint)(i * 16));
            var randB = Vector128.LoadUnsafe(ref randr, (nuint)(i * 16 + 16));
            Aes128Ni.ExpandKey2(Vector128.LoadUnsafe(ref kr, (nuint)(i * 16)), Vector128.LoadUnsafe(ref kr, (nuint)(i * 16 + 16)), out var ra, out var rb);

            // TEMP = E_K(RAND ⊕ OPc)
            var tempA = randA ^ opcA;
            var tempB = randB ^ opcB;
            Aes128Ni.Encrypt1x2(ra, rb, ref tempA, ref tempB);

            // IN1 = SQN || AMF || SQN || AMF, as one little-endian word in memory order.
            var in1A = Sqn48(ref Unsafe.Add(ref sqnr, i * 6)) | amfBits;
            var in1B = Sqn48(ref Unsafe.Add(ref sqnr, i * 6 + 6)) | amfBits;
            var tA = tempA ^ opcA;
            var tB = tempB ^ opcB;
            var a1 = tempA ^ Ssse3.Shuffle(Vector128.Create(in1A).AsByte() ^ opcA, m0) ^ c0;
            var a2 = Ssse3.Shuffle(tA, m1) ^ c1;
            var a3 = Ssse3.Shuffle(tA, m2) ^ c2;
            var a4 = Ssse3.Shuffle(tA, m3) ^ c3;
            var b1 = tempB ^ Ssse3.Shuffle(Vector128.Create(in1B).AsByte() ^ opcB, m0) ^ c0;
            var b2 = Ssse3.Shuffle(tB, m1) ^ c1;
            var b3 = Ssse3.Shuffle(tB, m2) ^ c2;
            var b4 = Ssse3.Shuffle(tB, m3) ^ c3;
            Aes128Ni.Encrypt4x2(ra, ref a1, ref a2, ref a3, ref a4, rb, ref b1, ref b2, ref b3, ref b4);

            ref var da = ref Unsafe.Add(ref dst, i * V);
            Emit(ref da, randA, in1A, a1 ^ opcA, a2 ^ opcA, a3 ^ opcA, a4 ^ opcA);
            Emit(ref Unsafe.Add(ref da, V), randB, in1B, b1 ^ opcB, b2 ^ opcB, b3 ^ opcB, b4 ^ opcB);
        }
        if (i < n)
        {
            AkaVectors.ComputeCore(m, k.Slice(i * 16, 16), opc.Slice(i * 16, 16), rand.Slice(i * 16, 16),
                sqn.Slice(i * 6, 6), amf, destination.Slice(i * V, V));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Sqn48(ref byte sqn) =>
        Unsafe.ReadUnaligned<uint>(ref sqn) | (ulong)Unsafe.ReadUnaligned<ushort>(ref Unsafe.Add(ref sqn, 4)) << 32;

    /// <summary>
    /// RAND | XRES = OUT2[64..127] | CK = OUT3 | IK = OUT4 | AUTN = (SQN ⊕ AK) || AMF || MAC-A,
    /// with AK = OUT2[0..47] and MAC-A = OUT1[0..63] (TS 33.102 §6.3.2, TS 35.206 §4.1).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Emit(ref byte d, Vector128<byte> rand, ulong in1, Vector128<byte> out1, Vector128<byte> out2, Vector128<byte> out3, Vector128<byte> out4)
    {
        rand.StoreUnsafe(ref d);
        var o2 = out2.AsUInt64();
        Unsafe.WriteUnaligned(ref Unsafe.Add(ref d, 16), o2.GetElement(1));
        out3.StoreUnsafe(ref d, 24);
        out4.StoreUnsafe(ref d, 40);
        Unsafe.WriteUnaligned(ref Unsafe.Add(ref d, 56), in1 ^ (o2.ToScalar() & Low48));
        Unsafe.WriteUnaligned(ref Unsafe.Add(ref d, 64), out1.AsUInt64().ToScalar());
    }
}
