using System.Security.Cryptography;
using M2MSec.Ota.Scp80;

namespace M2MSec.Tests.Ota;

/// <summary>
/// Issue 13, CLI bad input: the codecs tell octets that are no packet (malformed, exit 2 at the CLI) from a packet whose
/// protection does not verify (refused, exit 1), and name reserved KIc codings as reserved (TS 102 225 §5.1.2).
/// </summary>
public sealed class Scp80MalformedVsRefusedTests
{
    private static readonly Spi CipheredCc = new(IntegrityMode.CryptographicChecksum, true, CounterMode.MustBeHigher, PorMode.Required, IntegrityMode.CryptographicChecksum, true, false);

    [Fact]
    public void Por_TruncatedOrBadLengths_IsMalformed_AWrongChecksumIsNot_ForgedPorThreat()
    {
        var keys = new Scp80Keys(RandomNumberGenerator.GetBytes(16), RandomNumberGenerator.GetBytes(16));
        byte kic = KeyIdentifier.Encode(CipherAlgorithm.AesCbc, 1), kid = KeyIdentifier.Encode(ChecksumAlgorithm.AesCmac, 1);
        var por = ResponsePacketCodec.Encode(new ResponsePacket([1, 2, 3], 7, PorStatus.PorOk, [0x90, 0x00]), CipheredCc, kic, kid, keys, ResponsePacketCodec.SmsPorHeader);

        Assert.True(ResponsePacketCodec.Open(por.AsSpan(0, 2), CipheredCc, kic, kid, keys).Malformed); // no RHL
        Assert.True(ResponsePacketCodec.Open(por.AsSpan(0, por.Length - 1), CipheredCc, kic, kid, keys).Malformed); // RPL disagrees

        var forged = (byte[])por.Clone();
        forged[^1] ^= 0x01;
        var refused = ResponsePacketCodec.Open(forged, CipheredCc, kic, kid, keys, ResponsePacketCodec.SmsPorHeader);
        Assert.False(refused.IsOk);
        Assert.False(refused.Malformed);
        Assert.True(ResponsePacketCodec.Open(por, CipheredCc, kic, kid, keys, ResponsePacketCodec.SmsPorHeader).IsOk);
    }

    [Theory]
    [InlineData(0x06, CipherAlgorithm.Reserved)] // b2b1 = 10 (AES), b4b3 = 01
    [InlineData(0x0A, CipherAlgorithm.Reserved)] // b4b3 = 10
    [InlineData(0x0E, CipherAlgorithm.Reserved)] // b4b3 = 11
    [InlineData(0x02, CipherAlgorithm.AesCbc)]
    [InlineData(0x03, CipherAlgorithm.Proprietary)]
    [InlineData(0x0F, CipherAlgorithm.Proprietary)]
    [InlineData(0x00, CipherAlgorithm.Implicit)]
    public void Kic_ReservedCodings_AreReserved_NotProprietary(byte kic, CipherAlgorithm expected)
    {
        Assert.Equal(expected, KeyIdentifier.Cipher(kic));
        Assert.Equal(expected, KeyIdentifier.Cipher((byte)(kic | 0x50))); // the key version (b8–b5) does not change the algorithm
        Assert.Equal(expected == CipherAlgorithm.AesCbc, KeyIdentifier.IsImplemented(expected));
    }
}
