using M2MSec.Aka;
using M2MSec.Aka.Integrity;
using M2MSec.Crypto;
using M2MSec.Tests.Support;

namespace M2MSec.Tests.Aka;

/// <summary>
/// Issue 17 groundwork: AES-CMAC (RFC 4493 examples), 128-EIA2 (TS 33.401 Annex C.2 byte-aligned test sets) and the NAS key
/// derivation of TS 33.401 Annex A.7 that keys it — the protection a trigger indication gets from the last shared context.
/// </summary>
public sealed class NasIntegrityTests
{
    [Fact]
    public void AesCmac_MatchesRfc4493_OnAesNiAndOnThePlatformPath()
    {
        var v = TestVectors.Load("rfc4493/aes-cmac.json");
        var key = v.Hex("key");
        foreach (var e in v.GetProperty("examples").EnumerateArray())
        {
            var tag = new byte[16];
            AesCmac.Compute(key, e.Hex("message"), tag);
            Assert.Equal(e.Hex("tag"), tag);
        }
        // A 24-octet key goes through the platform path; it must agree with itself across message splits and differ from AES-128.
        var tag192 = new byte[16];
        AesCmac.Compute(new byte[24], [], tag192);
        Assert.NotEqual(new byte[16], tag192);
        Assert.Throws<ArgumentException>(() => AesCmac.Compute(new byte[15], ReadOnlySpan<byte>.Empty, new byte[16]));
        Assert.Throws<ArgumentException>(() => AesCmac.Compute(key, ReadOnlySpan<byte>.Empty, new byte[15]));
    }

    [Fact]
    public void Eia2_MatchesTs33401AnnexC2_ByteAlignedSets_AndVerifyRefusesAnyChange()
    {
        foreach (var s in TestVectors.Load("eia2/ts33401-annex-c2.json").GetProperty("sets").EnumerateArray())
        {
            var key = s.Hex("key");
            var count = Convert.ToUInt32(s.GetProperty("count").GetString(), 16);
            var bearer = s.GetProperty("bearer").GetInt32();
            var direction = s.GetProperty("direction").GetInt32();
            var message = s.Hex("message");
            Assert.Equal(s.GetProperty("bits").GetInt32(), message.Length * 8);
            var mac = s.Hex("mac");
            Assert.Equal(mac, Eia2.Compute(key, count, bearer, direction, message));
            Assert.True(Eia2.Verify(key, count, bearer, direction, message, mac));
            Assert.False(Eia2.Verify(key, count + 1, bearer, direction, message, mac)); // another COUNT: a replay
            Assert.False(Eia2.Verify(key, count, bearer, 1 - direction, message, mac)); // reflected in the other direction
            Assert.False(Eia2.Verify(key, count, bearer ^ 1, direction, message, mac));
            message[^1] ^= 1;
            Assert.False(Eia2.Verify(key, count, bearer, direction, message, mac));
            Assert.False(Eia2.Verify(key, count, bearer, direction, message, mac.AsSpan(0, 3)));
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => Eia2.Compute(new byte[16], 0, 32, 0, []));
        Assert.Throws<ArgumentOutOfRangeException>(() => Eia2.Compute(new byte[16], 0, 0, 2, []));
        Assert.Throws<ArgumentException>(() => Eia2.Compute(new byte[32], 0, 0, 0, []));
    }

    [Fact]
    public void KnasInt_IsTheLow128BitsOfTheAnnexA7Kdf_WithTheIntegrityDistinguisher_AndDiffersFromKnasEnc()
    {
        var kasme = Convert.FromHexString("238e457e0f758badbca8d34bb2612c10428d426757cb5553b2b184fa64bfc549");
        var full = Kdf3gpp.Derive(kasme, 0x15, [0x02], [0x02]);
        Assert.Equal(full[16..], NasKeys.KnasInt(kasme));
        Assert.NotEqual(NasKeys.KnasInt(kasme), NasKeys.KnasEnc(kasme, 2));
        Assert.NotEqual(NasKeys.KnasInt(kasme, 1), NasKeys.KnasInt(kasme, 2));
        Assert.Throws<ArgumentException>(() => NasKeys.KnasInt(kasme.AsSpan(1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => NasKeys.KnasInt(kasme, 0x10));
    }
}
