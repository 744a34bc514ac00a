using System.Security.Cryptography;

namespace M2MSec.Aka;

/// <summary>
/// The NAS keys from K_ASME (TS 33.401 Annex A.7): KDF(K_ASME, FC = 0x15, P0 = algorithm type distinguisher, P1 = algorithm
/// identity), of whose 256-bit output the 128 least significant bits are the key for the 128-bit algorithms.
/// </summary>
public static class NasKeys
{
    public const byte AlgorithmKeyFc = 0x15;

    /// <summary>Algorithm type distinguisher NAS-enc-alg (TS 33.401 Table A.7-1).</summary>
    public const byte NasEncryption = 0x01;

    /// <summary>Algorithm type distinguisher NAS-int-alg (TS 33.401 Table A.7-1).</summary>
    public const byte NasIntegrity = 0x02;

    /// <summary>The 4-bit identity of 128-EIA2 (TS 33.401 §5.1.4.2: "0010₂ 128-EIA2").</summary>
    public const byte Eia2 = 0x02;

    /// <summary>K_NASint for <paramref name="algorithm"/> (default 128-EIA2).</summary>
    public static byte[] KnasInt(ReadOnlySpan<byte> kasme, byte algorithm = Eia2) => Derive(kasme, NasIntegrity, algorithm);

    /// <summary>K_NASenc for <paramref name="algorithm"/> (128-EEA1 = 1, 128-EEA2 = 2, 128-EEA3 = 3).</summary>
    public static byte[] KnasEnc(ReadOnlySpan<byte> kasme, byte algorithm) => Derive(kasme, NasEncryption, algorithm);

    private static byte[] Derive(ReadOnlySpan<byte> kasme, byte distinguisher, byte algorithm)
    {
        if (kasme.Length != 32)
            throw new ArgumentException("K_ASME is 32 octets.", nameof(kasme));
        if (algorithm > 0x0F)
            throw new ArgumentOutOfRangeException(nameof(algorithm), "an algorithm identity is 4 bits");
        Span<byte> output = stackalloc byte[32];
        Kdf3gpp.Derive(kasme, AlgorithmKeyFc, [[distinguisher], [algorithm]], output);
        var key = output[16..].ToArray();
        CryptographicOperations.ZeroMemory(output);
        return key;
    }
}
