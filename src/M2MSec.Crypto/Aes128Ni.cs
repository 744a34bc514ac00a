using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Sse2 = System.Runtime.Intrinsics.X86.Sse2;
using X86Aes = System.Runtime.Intrinsics.X86.Aes;

namespace M2MSec.Crypto;

/// <summary>
/// AES-128 encryption with the x86 AES-NI instructions (FIPS 197): key expansion with
/// AESKEYGENASSIST and one to four independent blocks in flight so the pipelined AESENC
/// units stay busy. Table-free, hence constant time. Callers check <see cref="IsSupported"/>.
/// </summary>
public static class Aes128Ni
{
    public static bool IsSupported => X86Aes.IsSupported && System.Runtime.Intrinsics.X86.Ssse3.IsSupported;

    [InlineArray(11)]
    public struct RoundKeys
    {
        private Vector128<byte> _k0;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void ExpandKey(Vector128<byte> key, out RoundKeys rk)
    {
        Unsafe.SkipInit(out rk);
        rk[0] = key;
        rk[1] = key = Step(key, X86Aes.KeygenAssist(key, 0x01));
        rk[2] = key = Step(key, X86Aes.KeygenAssist(key, 0x02));
        rk[3] = key = Step(key, X86Aes.KeygenAssist(key, 0x04));
        rk[4] = key = Step(key, X86Aes.KeygenAssist(key, 0x08));
        rk[5] = key = Step(key, X86Aes.KeygenAssist(key, 0x10));
        rk[6] = key = Step(key, X86Aes.KeygenAssist(key, 0x20));
        rk[7] = key = Step(key, X86Aes.KeygenAssist(key, 0x40));
        rk[8] = key = Step(key, X86Aes.KeygenAssist(key, 0x80));
        rk[9] = key = Step(key, X86Aes.KeygenAssist(key, 0x1B));
        rk[10] = Step(key, X86Aes.KeygenAssist(key, 0x36));
    }

    /// <summary>Two independent key expansions interleaved, so both dependency chains are in flight.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void ExpandKey2(Vector128<byte> a, Vector128<byte> b, out RoundKeys ra, out RoundKeys rb)
    {
        Unsafe.SkipInit(out ra);
        Unsafe.SkipInit(out rb);
        ra[0] = a;
        rb[0] = b;
        ra[1] = a = Step(a, X86Aes.KeygenAssist(a, 0x01)); rb[1] = b = Step(b, X86Aes.KeygenAssist(b, 0x01));
        ra[2] = a = Step(a, X86Aes.KeygenAssist(a, 0x02)); rb[2] = b = Step(b, X86Aes.KeygenAssist(b, 0x02));
        ra[3] = a = Step(a, X86Aes.KeygenAssist(a, 0x04)); rb[3] = b = Step(b, X86Aes.KeygenAssist(b, 0x04));
        ra[4] = a = Step(a, X86Aes.KeygenAssist(a, 0x08)); rb[4] = b = Step(b, X86Aes.KeygenAssist(b, 0x08));
        ra[5] = a = Step(a, X86Aes.KeygenAssist(a, 0x10)); rb[5] = b = Step(b, X86Aes.KeygenAssist(b, 0x10));
        ra[6] = a = Step(a, X86Aes.KeygenAssist(a, 0x20)); rb[6] = b = Step(b, X86Aes.KeygenAssist(b, 0x20));
        ra[7] = a = Step(a, X86Aes.KeygenAssist(a, 0x40)); rb[7] = b = Step(b, X86Aes.KeygenAssist(b, 0x40));
        ra[8] = a = Step(a, X86Aes.KeygenAssist(a, 0x80)); rb[8] = b = Step(b, X86Aes.KeygenAssist(b, 0x80));
        ra[9] = a = Step(a, X86Aes.KeygenAssist(a, 0x1B)); rb[9] = b = Step(b, X86Aes.KeygenAssist(b, 0x1B));
        ra[10] = Step(a, X86Aes.KeygenAssist(a, 0x36)); rb[10] = Step(b, X86Aes.KeygenAssist(b, 0x36));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<byte> Step(Vector128<byte> key, Vector128<byte> assist)
    {
        assist = Sse2.Shuffle(assist.AsUInt32(), 0xFF).AsByte();
        key ^= Sse2.ShiftLeftLogical128BitLane(key, 4);
        key ^= Sse2.ShiftLeftLogical128BitLane(key, 4);
        key ^= Sse2.ShiftLeftLogical128BitLane(key, 4);
        return key ^ assist;
    }

    /// <summary>The decryption schedule of the equivalent inverse cipher (FIPS 197 §5.3.5): reversed, InvMixColumns on keys 1..9.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void DecryptionKeys(in RoundKeys encryption, out RoundKeys decryption)
    {
        Unsafe.SkipInit(out decryption);
        decryption[0] = encryption[10];
        for (var i = 1; i < 10; i++)
            decryption[i] = X86Aes.InverseMixColumns(encryption[10 - i]);
        decryption[10] = encryption[0];
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<byte> Decrypt(in RoundKeys decryption, Vector128<byte> a)
    {
        a ^= decryption[0];
        for (var i = 1; i < 10; i++)
            a = X86Aes.Decrypt(a, decryption[i]);
        return X86Aes.DecryptLast(a, decryption[10]);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<byte> Encrypt(in RoundKeys rk, Vector128<byte> a)
    {
        a ^= rk[0];
        for (var i = 1; i < 10; i++)
            a = X86Aes.Encrypt(a, rk[i]);
        return X86Aes.EncryptLast(a, rk[10]);
    }

    /// <summary>One block under each of two keys, interleaved.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Encrypt1x2(in RoundKeys ra, in RoundKeys rb, ref Vector128<byte> a, ref Vector128<byte> b)
    {
        a ^= ra[0];
        b ^= rb[0];
        for (var i = 1; i < 10; i++)
        {
            a = X86Aes.Encrypt(a, ra[i]);
            b = X86Aes.Encrypt(b, rb[i]);
        }
        a = X86Aes.EncryptLast(a, ra[10]);
        b = X86Aes.EncryptLast(b, rb[10]);
    }

    /// <summary>Four blocks under each of two keys, interleaved: eight independent chains.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Encrypt4x2(
        in RoundKeys ra, ref Vector128<byte> a0, ref Vector128<byte> a1, ref Vector128<byte> a2, ref Vector128<byte> a3,
        in RoundKeys rb, ref Vector128<byte> b0, ref Vector128<byte> b1, ref Vector128<byte> b2, ref Vector128<byte> b3)
    {
        var k = ra[0];
        var l = rb[0];
        a0 ^= k; a1 ^= k; a2 ^= k; a3 ^= k;
        b0 ^= l; b1 ^= l; b2 ^= l; b3 ^= l;
        for (var i = 1; i < 10; i++)
        {
            k = ra[i];
            l = rb[i];
            a0 = X86Aes.Encrypt(a0, k); b0 = X86Aes.Encrypt(b0, l);
            a1 = X86Aes.Encrypt(a1, k); b1 = X86Aes.Encrypt(b1, l);
            a2 = X86Aes.Encrypt(a2, k); b2 = X86Aes.Encrypt(b2, l);
            a3 = X86Aes.Encrypt(a3, k); b3 = X86Aes.Encrypt(b3, l);
        }
        k = ra[10];
        l = rb[10];
        a0 = X86Aes.EncryptLast(a0, k); b0 = X86Aes.EncryptLast(b0, l);
        a1 = X86Aes.EncryptLast(a1, k); b1 = X86Aes.EncryptLast(b1, l);
        a2 = X86Aes.EncryptLast(a2, k); b2 = X86Aes.EncryptLast(b2, l);
        a3 = X86Aes.EncryptLast(a3, k); b3 = X86Aes.EncryptLast(b3, l);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Encrypt4(in RoundKeys rk, ref Vector128<byte> a, ref Vector128<byte> b, ref Vector128<byte> c, ref Vector128<byte> d)
    {
        var k = rk[0];
        a ^= k; b ^= k; c ^= k; d ^= k;
        for (var i = 1; i < 10; i++)
        {
            k = rk[i];
            a = X86Aes.Encrypt(a, k);
            b = X86Aes.Encrypt(b, k);
            c = X86Aes.Encrypt(c, k);
            d = X86Aes.Encrypt(d, k);
        }
        k = rk[10];
        a = X86Aes.EncryptLast(a, k);
        b = X86Aes.EncryptLast(b, k);
        c = X86Aes.EncryptLast(c, k);
        d = X86Aes.EncryptLast(d, k);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Encrypt5(in RoundKeys rk, ref Vector128<byte> a, ref Vector128<byte> b, ref Vector128<byte> c, ref Vector128<byte> d, ref Vector128<byte> e)
    {
        var k = rk[0];
        a ^= k; b ^= k; c ^= k; d ^= k; e ^= k;
        for (var i = 1; i < 10; i++)
        {
            k = rk[i];
            a = X86Aes.Encrypt(a, k);
            b = X86Aes.Encrypt(b, k);
            c = X86Aes.Encrypt(c, k);
            d = X86Aes.Encrypt(d, k);
            e = X86Aes.Encrypt(e, k);
        }
        k = rk[10];
        a = X86Aes.EncryptLast(a, k);
        b = X86Aes.EncryptLast(b, k);
        c = X86Aes.EncryptLast(c, k);
        d = X86Aes.EncryptLast(d, k);
        e = X86Aes.EncryptLast(e, k);
    }
}
