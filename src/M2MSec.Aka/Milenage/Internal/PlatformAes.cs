using System.Security.Cryptography;

namespace M2MSec.Aka.Internal;

/// <summary>
/// Single-block AES-128 through the platform (OpenSSL on Linux, CNG on Windows), whose
/// implementations are constant time (AES-NI, ARMv8 crypto or vector-permute AES). The
/// portable MILENAGE path uses it where the x86 AES-NI path does not apply.
/// </summary>
internal static class PlatformAes
{
    [ThreadStatic]
    private static Aes? _threadAes;

    /// <summary>This thread's AES object, keyed with <paramref name="key"/>.</summary>
    public static Aes ForKey(ReadOnlySpan<byte> key)
    {
        var aes = _threadAes ??= Aes.Create();
        aes.SetKey(key);
        return aes;
    }
}
