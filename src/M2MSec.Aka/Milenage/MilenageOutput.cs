using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;

namespace M2MSec.Aka;

/// <summary>
/// OUT1..OUT5 of MILENAGE (TS 35.206 §4.1) with the functions read off them:
/// f1 = OUT1[0..63], f1* = OUT1[64..127], f5 = OUT2[0..47], f2 = OUT2[64..127],
/// f3 = OUT3, f4 = OUT4, f5* = OUT5[0..47]. Holds key material: call <see cref="Clear"/>.
/// </summary>
public struct MilenageOutput
{
    internal Block128 Out1;
    internal Block128 Out2;
    internal Block128 Out3;
    internal Block128 Out4;
    internal Block128 Out5;

    /// <summary>f1: the network authentication code MAC-A (8 octets).</summary>
    [UnscopedRef] public readonly ReadOnlySpan<byte> MacA => ((ReadOnlySpan<byte>)Out1)[..8];

    /// <summary>f1*: the resynchronisation authentication code MAC-S (8 octets).</summary>
    [UnscopedRef] public readonly ReadOnlySpan<byte> MacS => ((ReadOnlySpan<byte>)Out1)[8..];

    /// <summary>f2: RES / XRES (8 octets).</summary>
    [UnscopedRef] public readonly ReadOnlySpan<byte> Res => ((ReadOnlySpan<byte>)Out2)[8..];

    /// <summary>f3: the cipher key CK (16 octets).</summary>
    [UnscopedRef] public readonly ReadOnlySpan<byte> Ck => Out3;

    /// <summary>f4: the integrity key IK (16 octets).</summary>
    [UnscopedRef] public readonly ReadOnlySpan<byte> Ik => Out4;

    /// <summary>f5: the anonymity key AK (6 octets).</summary>
    [UnscopedRef] public readonly ReadOnlySpan<byte> Ak => ((ReadOnlySpan<byte>)Out2)[..6];

    /// <summary>f5*: the resynchronisation anonymity key AK* (6 octets); computed only when asked for.</summary>
    [UnscopedRef] public readonly ReadOnlySpan<byte> AkStar => ((ReadOnlySpan<byte>)Out5)[..6];

    public void Clear()
    {
        CryptographicOperations.ZeroMemory(Out1);
        CryptographicOperations.ZeroMemory(Out2);
        CryptographicOperations.ZeroMemory(Out3);
        CryptographicOperations.ZeroMemory(Out4);
        CryptographicOperations.ZeroMemory(Out5);
    }
}

[InlineArray(16)]
internal struct Block128
{
    private byte _b0;
}
