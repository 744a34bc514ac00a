using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Security.Cryptography;
using M2MSec.Aka.Internal;
using M2MSec.Crypto;
using M2MSec.Crypto.Metering;
using Ssse3 = System.Runtime.Intrinsics.X86.Ssse3;

namespace M2MSec.Aka;

/// <summary>
/// The MILENAGE algorithm set (3GPP TS 35.206) over AES-128: f1, f1*, f2, f3, f4, f5, f5*
/// and OPc. An immutable algorithm object bound to its constants r1..r5 / c1..c5.
/// Uses AES-NI when the CPU has it (and every rotation is a whole number of octets), the
/// platform's constant-time AES otherwise; both give identical results.
/// </summary>
public sealed class Milenage
{
    public const int KeySize = 16;
    public const int OpSize = 16;
    public const int RandSize = 16;
    public const int SqnSize = 6;
    public const int AmfSize = 2;
    public const int MacSize = 8;
    public const int ResSize = 8;
    public const int CkSize = 16;
    public const int IkSize = 16;
    public const int AkSize = 6;

    private readonly Vector128<byte>[] _rotMask = new Vector128<byte>[5];
    private readonly Vector128<byte>[] _c = new Vector128<byte>[5];
    private readonly bool _useAesNi;

    public Milenage(MilenageParameters parameters) : this(parameters, preferAesNi: true)
    {
    }

    internal Milenage(MilenageParameters parameters, bool preferAesNi)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        Parameters = parameters;
        Span<byte> mask = stackalloc byte[16];
        for (var i = 0; i < 5; i++)
        {
            // rot(x, r) turns x cyclically left by r bits (TS 35.206 §4.1); for r = 8n the
            // octet at position j moves to j - n, which PSHUFB does with this mask.
            var n = parameters.R(i + 1) / 8;
            for (var j = 0; j < 16; j++)
                mask[j] = (byte)((j + n) % 16);
            _rotMask[i] = Vector128.Create((ReadOnlySpan<byte>)mask);
            _c[i] = Vector128.Create(parameters.C(i + 1));
        }
        _useAesNi = preferAesNi && Aes128Ni.IsSupported && parameters.AllRotationsByteAligned;
    }

    /// <summary>MILENAGE with the TS 35.206 default constants.</summary>
    public static Milenage Default { get; } = new(MilenageParameters.Default);

    public MilenageParameters Parameters { get; }

    internal Vector128<byte> RotMask(int i) => _rotMask[i];

    internal Vector128<byte> Constant(int i) => _c[i];

    /// <summary>True when this instance runs on the AES-NI path.</summary>
    public bool IsHardwareAccelerated => _useAesNi;

    /// <summary>OPc = OP ⊕ E_K(OP) (TS 35.206 §4.1).</summary>
    public void ComputeOpc(ReadOnlySpan<byte> k, ReadOnlySpan<byte> op, Span<byte> opc)
    {
        CheckLength(k, KeySize, nameof(k));
        CheckLength(op, OpSize, nameof(op));
        CheckLength(opc, OpSize, nameof(opc));
        Span<byte> e = stackalloc byte[16];
        EncryptBlock(k, op, e);
        for (var i = 0; i < 16; i++)
            opc[i] = (byte)(op[i] ^ e[i]);
        CryptographicOperations.ZeroMemory(e);
    }

    /// <summary>
    /// Computes OUT1..OUT4 (f1, f1*, f2, f3, f4, f5) and, when <paramref name="includeF5Star"/>,
    /// OUT5 (f5*) for one RAND.
    /// </summary>
    public void Compute(
        ReadOnlySpan<byte> k, ReadOnlySpan<byte> opc, ReadOnlySpan<byte> rand,
        ReadOnlySpan<byte> sqn, ReadOnlySpan<byte> amf, out MilenageOutput output, bool includeF5Star = false)
    {
        CheckLength(k, KeySize, nameof(k));
        CheckLength(opc, OpSize, nameof(opc));
        CheckLength(rand, RandSize, nameof(rand));
        CheckLength(sqn, SqnSize, nameof(sqn));
        CheckLength(amf, AmfSize, nameof(amf));
        OperationMeter.Count(MeteredOperation.Milenage);
        ComputeCore(k, opc, rand, sqn, amf, out output, includeF5Star);
    }

    /// <summary>Unchecked entry for the HSS hot path; every span has its MILENAGE size.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void ComputeCore(
        ReadOnlySpan<byte> k, ReadOnlySpan<byte> opc, ReadOnlySpan<byte> rand,
        ReadOnlySpan<byte> sqn, ReadOnlySpan<byte> amf, out MilenageOutput output, bool includeF5Star)
    {
        if (_useAesNi)
            ComputeAesNi(k, opc, rand, sqn, amf, out output, includeF5Star);
        else
            ComputePortable(k, opc, rand, sqn, amf, out output, includeF5Star);
    }

    private void ComputeAesNi(
        ReadOnlySpan<byte> k, ReadOnlySpan<byte> opc, ReadOnlySpan<byte> rand,
        ReadOnlySpan<byte> sqn, ReadOnlySpan<byte> amf, out MilenageOutput output, bool includeF5Star)
    {
        Unsafe.SkipInit(out output);
        var opcV = Vector128.Create(opc);
        Aes128Ni.ExpandKey(Vector128.Create(k), out var rk);

        // TEMP = E_K(RAND ⊕ OPc)
        var temp = Aes128Ni.Encrypt(rk, Vector128.Create(rand) ^ opcV);

        var in1 = In1(sqn, amf);

        var tOpc = temp ^ opcV;
        var x1 = temp ^ Ssse3.Shuffle(in1 ^ opcV, _rotMask[0]) ^ _c[0];
        var x2 = Ssse3.Shuffle(tOpc, _rotMask[1]) ^ _c[1];
        var x3 = Ssse3.Shuffle(tOpc, _rotMask[2]) ^ _c[2];
        var x4 = Ssse3.Shuffle(tOpc, _rotMask[3]) ^ _c[3];
        if (includeF5Star)
        {
            var x5 = Ssse3.Shuffle(tOpc, _rotMask[4]) ^ _c[4];
            Aes128Ni.Encrypt5(rk, ref x1, ref x2, ref x3, ref x4, ref x5);
            Store(x5 ^ opcV, ref output.Out5);
        }
        else
        {
            Aes128Ni.Encrypt4(rk, ref x1, ref x2, ref x3, ref x4);
            output.Out5 = default;
        }
        Store(x1 ^ opcV, ref output.Out1);
        Store(x2 ^ opcV, ref output.Out2);
        Store(x3 ^ opcV, ref output.Out3);
        Store(x4 ^ opcV, ref output.Out4);
        rk = default;
    }

    /// <summary>IN1 = SQN || AMF || SQN || AMF (TS 35.206 §4.1) as a vector.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<byte> In1(ReadOnlySpan<byte> sqn, ReadOnlySpan<byte> amf)
    {
        var sqnAmf = (ulong)BinaryPrimitives.ReadUInt32BigEndian(sqn) << 32
            | (ulong)BinaryPrimitives.ReadUInt16BigEndian(sqn[4..]) << 16
            | BinaryPrimitives.ReadUInt16BigEndian(amf);
        sqnAmf = BinaryPrimitives.ReverseEndianness(sqnAmf);
        return Vector128.Create(sqnAmf, sqnAmf).AsByte();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(Vector128<byte> v, ref Block128 block) =>
        v.StoreUnsafe(ref Unsafe.As<Block128, byte>(ref block));

    private void ComputePortable(
        ReadOnlySpan<byte> k, ReadOnlySpan<byte> opc, ReadOnlySpan<byte> rand,
        ReadOnlySpan<byte> sqn, ReadOnlySpan<byte> amf, out MilenageOutput output, bool includeF5Star)
    {
        output = default;
        var opcN = BinaryPrimitives.ReadUInt128BigEndian(opc);
        var aes = PlatformAes.ForKey(k);
        Span<byte> blocks = stackalloc byte[5 * 16];
        try
        {
            // TEMP = E_K(RAND ⊕ OPc)
            BinaryPrimitives.WriteUInt128BigEndian(blocks, BinaryPrimitives.ReadUInt128BigEndian(rand) ^ opcN);
            aes.EncryptEcb(blocks[..16], blocks[..16], PaddingMode.None);
            var temp = BinaryPrimitives.ReadUInt128BigEndian(blocks);

            sqn.CopyTo(blocks);
            amf.CopyTo(blocks[6..]);
            blocks[..8].CopyTo(blocks[8..]);
            var in1 = BinaryPrimitives.ReadUInt128BigEndian(blocks);

            // The inputs of OUT1..OUT5 are independent: one ECB call encrypts them together.
            var count = includeF5Star ? 5 : 4;
            BinaryPrimitives.WriteUInt128BigEndian(blocks, temp ^ Rot(in1 ^ opcN, 1) ^ C(1));
            for (var i = 2; i <= count; i++)
                BinaryPrimitives.WriteUInt128BigEndian(blocks[((i - 1) * 16)..], Rot(temp ^ opcN, i) ^ C(i));
            var used = blocks[..(count * 16)];
            aes.EncryptEcb(used, used, PaddingMode.None);
            Span<byte> o = stackalloc byte[16];
            for (var i = 0; i < count; i++)
            {
                BinaryPrimitives.WriteUInt128BigEndian(o, BinaryPrimitives.ReadUInt128BigEndian(used[(i * 16)..]) ^ opcN);
                switch (i)
                {
                    case 0: o.CopyTo(output.Out1); break;
                    case 1: o.CopyTo(output.Out2); break;
                    case 2: o.CopyTo(output.Out3); break;
                    case 3: o.CopyTo(output.Out4); break;
                    default: o.CopyTo(output.Out5); break;
                }
            }
            CryptographicOperations.ZeroMemory(o);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(blocks);
        }
    }

    private UInt128 Rot(UInt128 x, int i) => UInt128.RotateLeft(x, Parameters.R(i));

    private UInt128 C(int i) => BinaryPrimitives.ReadUInt128BigEndian(Parameters.C(i));

    private void EncryptBlock(ReadOnlySpan<byte> k, ReadOnlySpan<byte> input, Span<byte> output)
    {
        if (_useAesNi)
        {
            Aes128Ni.ExpandKey(Vector128.Create(k), out var rk);
            Aes128Ni.Encrypt(rk, Vector128.Create(input)).CopyTo(output);
            rk = default;
        }
        else
        {
            PlatformAes.ForKey(k).EncryptEcb(input, output, PaddingMode.None);
        }
    }

    private static void CheckLength(ReadOnlySpan<byte> value, int expected, string name)
    {
        if (value.Length != expected)
            throw new ArgumentException($"{name} must be {expected} octets, got {value.Length}.", name);
    }

    private static void CheckLength(Span<byte> value, int expected, string name) =>
        CheckLength((ReadOnlySpan<byte>)value, expected, name);
}
