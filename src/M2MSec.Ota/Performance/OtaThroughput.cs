using System.Diagnostics;
using System.Runtime.Intrinsics;
using System.Security.Cryptography;
using M2MSec.Crypto;
using M2MSec.Ota.Scp80;

namespace M2MSec.Ota.Performance;

/// <summary>
/// Throughput probes behind `m2msec bench ota`: SCP80 command packets wrapped and unwrapped per
/// second on one core, every packet under another card's keys, and the AES-NI bound for the same
/// AES work (two key schedules, the CBC chain and the CMAC chain of the packet).
/// </summary>
public static class OtaThroughput
{
    /// <summary>CC, ciphering, counter must be higher; PoR required with CC, ciphered.</summary>
    public static readonly Spi Spi = Spi.Decode([0x16, 0x39]);

    public sealed record Suite(string Name, byte Kic, byte Kid, int KeyLength);

    public static Suite Aes128 { get; } = new("aes", KeyIdentifier.Encode(CipherAlgorithm.AesCbc, 1), KeyIdentifier.Encode(ChecksumAlgorithm.AesCmac, 1), 16);

    public static Suite TripleDes { get; } = new("3des", KeyIdentifier.Encode(CipherAlgorithm.TripleDes2KeyCbc, 1), KeyIdentifier.Encode(ChecksumAlgorithm.TripleDes2KeyCbcMac, 1), 16);

    public readonly record struct Rate(long Operations, double Seconds)
    {
        public double PerSecond => Operations / Seconds;
    }

    public static Scp80Keys[] Cards(int count, int keyLength) =>
        [.. Enumerable.Range(0, count).Select(_ => new Scp80Keys(RandomNumberGenerator.GetBytes(keyLength), RandomNumberGenerator.GetBytes(keyLength)))];

    public static Rate Wrap(Suite suite, Scp80Keys[] cards, int dataLength, TimeSpan duration)
    {
        var data = RandomNumberGenerator.GetBytes(dataLength);
        byte[] tar = [0xB0, 0x00, 0x01];
        long n = 0;
        var end = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var began = Stopwatch.GetTimestamp();
        var sink = 0;
        do
        {
            for (var i = 0; i < cards.Length; i++, n++)
                sink ^= CommandPacketCodec.Encode(new CommandPacket(Spi, suite.Kic, suite.Kid, tar, (ulong)n + 1, data), cards[i])[^1];
        }
        while (Stopwatch.GetTimestamp() < end);
        GC.KeepAlive(sink);
        return new Rate(n, Stopwatch.GetElapsedTime(began).TotalSeconds);
    }

    public static Rate Unwrap(Suite suite, Scp80Keys[] cards, int dataLength, TimeSpan duration)
    {
        var data = RandomNumberGenerator.GetBytes(dataLength);
        var packets = cards.Select((k, i) => CommandPacketCodec.Encode(new CommandPacket(Spi, suite.Kic, suite.Kid, [0xB0, 0x00, 0x01], (ulong)i + 1, data), k)).ToArray();
        long n = 0;
        var end = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var began = Stopwatch.GetTimestamp();
        do
        {
            for (var i = 0; i < cards.Length; i++, n++)
                if (!CommandPacketCodec.Open(packets[i], cards[i]).IsOk)
                    throw new InvalidOperationException("a benchmark packet did not verify");
        }
        while (Stopwatch.GetTimestamp() < end);
        return new Rate(n, Stopwatch.GetElapsedTime(began).TotalSeconds);
    }

    /// <summary>AES blocks one packet needs: the enciphered part and the CMAC input (+ one block for the CMAC subkey).</summary>
    public static (int Cipher, int Cmac) AesBlocks(int dataLength)
    {
        var enciphered = (6 + 8 + dataLength + 15) / 16 * 16;
        var macInput = 10 + 6 + (enciphered - 14);
        return (enciphered / 16, (macInput + 15) / 16 + 1);
    }

    /// <summary>
    /// The AES-NI bound: per card two key schedules, then the CMAC chain and the CBC chain of one
    /// packet. <paramref name="interleaved"/> = false runs them in the order SCP80 imposes (the CC is
    /// enciphered, so the CBC chain starts after the CMAC chain ends); true overlaps the two chains,
    /// which no single packet can — an upper bound on the upper bound.
    /// </summary>
    public static Rate AesBound(Scp80Keys[] cards, int dataLength, TimeSpan duration, bool interleaved = false)
    {
        if (!Aes128Ni.IsSupported)
            throw new PlatformNotSupportedException("The bound needs AES-NI.");
        var (cipherBlocks, macBlocks) = AesBlocks(dataLength);
        var kic = cards.Select(c => Vector128.Create(c.KicKey)).ToArray();
        var kid = cards.Select(c => Vector128.Create(c.KidKey)).ToArray();
        long n = 0;
        var sink = Vector128<byte>.Zero;
        var end = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var began = Stopwatch.GetTimestamp();
        do
        {
            for (var i = 0; i < cards.Length; i++, n++)
            {
                Aes128Ni.ExpandKey2(kic[i], kid[i], out var rc, out var rm);
                var c = sink;
                var m = sink ^ Vector128<byte>.One;
                if (interleaved)
                {
                    for (var b = 0; b < Math.Max(cipherBlocks, macBlocks); b++)
                    {
                        if (b < cipherBlocks && b < macBlocks)
                            Aes128Ni.Encrypt1x2(rc, rm, ref c, ref m);
                        else if (b < cipherBlocks)
                            c = Aes128Ni.Encrypt(rc, c);
                        else
                            m = Aes128Ni.Encrypt(rm, m);
                    }
                }
                else
                {
                    for (var b = 0; b < macBlocks; b++)
                        m = Aes128Ni.Encrypt(rm, m);
                    c ^= m;
                    for (var b = 0; b < cipherBlocks; b++)
                        c = Aes128Ni.Encrypt(rc, c);
                }
                sink = c ^ m;
            }
        }
        while (Stopwatch.GetTimestamp() < end);
        GC.KeepAlive(sink);
        return new Rate(n, Stopwatch.GetElapsedTime(began).TotalSeconds);
    }
}
