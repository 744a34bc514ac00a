using System.Security.Cryptography;
using M2MSec.Device.Tre.Internal;

namespace M2MSec.Tests.Device;

/// <summary>
/// The sealed store's file format (<see cref="SealedStore"/>): a device's state written by one build must open in the next, so its
/// layout is fixed — "M2MT" ‖ version (8) ‖ nonce (12) ‖ AES-256-GCM(name length ‖ name ‖ value length ‖ value, by name) ‖ tag (16),
/// the header and the TRE id authenticated.
/// </summary>
public sealed class SealedStoreFormatTests
{
    [Fact]
    public void Plaintext_IsTheFixedLayout_ObjectsByName()
    {
        var key = RandomNumberGenerator.GetBytes(32);
        var blob = SealedStore.Seal(key, "TRE-1", 7, new Dictionary<string, byte[]> { ["b"] = [0xBB, 0xCC], ["a"] = [], ["é"] = [1] });
        byte[] expected =
        [
            0, 0, 0, 1, (byte)'a', 0, 0, 0, 0,
            0, 0, 0, 1, (byte)'b', 0, 0, 0, 2, 0xBB, 0xCC,
            0, 0, 0, 2, 0xC3, 0xA9, 0, 0, 0, 1, 1,
        ];
        Assert.Equal("M2MT"u8.ToArray(), blob[..4]);
        Assert.Equal(new byte[] { 0, 0, 0, 0, 0, 0, 0, 7 }, blob[4..12]);
        Assert.Equal(12 + 12 + expected.Length + 16, blob.Length);
        var plain = new byte[expected.Length];
        using (var gcm = new AesGcm(key, 16))
            gcm.Decrypt(blob.AsSpan(12, 12), blob.AsSpan(24, expected.Length), blob.AsSpan(blob.Length - 16), plain, [.. blob[..12], .. "TRE-1"u8]);
        Assert.Equal(expected, plain);

        Assert.True(SealedStore.TryUnseal(key, "TRE-1", blob, out var version, out var objects));
        Assert.Equal(7UL, version);
        Assert.Equal([0xBB, 0xCC], objects["b"]);
        Assert.Empty(objects["a"]);
        Assert.False(SealedStore.TryUnseal(key, "TRE-2", blob, out _, out _));
    }
}
