using System.Security.Cryptography;
using M2MSec.Ota.Scp80;
using M2MSec.Ota.Scp80.Internal;
using M2MSec.Tests.Support;

namespace M2MSec.Tests.Ota;

/// <summary>SCP80 beyond the vectors: the checks, round trips, K1 = K2 keys, OpenSSL cross-checks, malformed packets.</summary>
public sealed class Scp80CodecTests
{
    private static readonly Spi CipheredCc = new(IntegrityMode.CryptographicChecksum, true, CounterMode.MustBeHigher, PorMode.Required, IntegrityMode.CryptographicChecksum, true, false);

    [Fact]
    public void Crc_CheckValues_OfTheIsoCatalogue()
    {
        // "123456789": CRC-16/X-25 (ISO/IEC 13239) = 0x906E, CRC-32 (ISO/IEC 13239, ITU-T V.42) = 0xCBF43926.
        Assert.Equal("906e", Convert.ToHexStringLower(Crc.Crc16("123456789"u8)));
        Assert.Equal("cbf43926", Convert.ToHexStringLower(Crc.Crc32("123456789"u8)));
    }

    [Fact]
    public void Spi_AllCombinations_RoundTrip()
    {
        for (var a = 0; a < 256; a++)
            for (var b = 0; b < 64; b++)
            {
                byte[] bytes = [(byte)(a & 0x1F), (byte)b];
                Assert.Equal(bytes, Spi.Decode(bytes).Encode());
            }
    }

    public static TheoryData<byte, byte, int, int> Suites() => new()
    {
        { KeyIdentifier.Encode(CipherAlgorithm.DesCbc, 1), KeyIdentifier.Encode(ChecksumAlgorithm.DesCbcMac, 1), 8, 8 },
        { KeyIdentifier.Encode(CipherAlgorithm.TripleDes2KeyCbc, 1), KeyIdentifier.Encode(ChecksumAlgorithm.TripleDes2KeyCbcMac, 1), 16, 16 },
        { KeyIdentifier.Encode(CipherAlgorithm.TripleDes3KeyCbc, 2), KeyIdentifier.Encode(ChecksumAlgorithm.TripleDes3KeyCbcMac, 2), 24, 24 },
        { KeyIdentifier.Encode(CipherAlgorithm.AesCbc, 3), KeyIdentifier.Encode(ChecksumAlgorithm.AesCmac, 3), 16, 16 },
        { KeyIdentifier.Encode(CipherAlgorithm.AesCbc, 3), KeyIdentifier.Encode(ChecksumAlgorithm.AesCmac, 3), 24, 32 },
        { KeyIdentifier.Encode(CipherAlgorithm.AesCbc, 3), KeyIdentifier.Encode(ChecksumAlgorithm.AesCmac, 3), 32, 24 },
    };

    [Theory]
    [MemberData(nameof(Suites))]
    public void Command_And_Por_RoundTrip_ForEverySuite(byte kic, byte kid, int kicLength, int kidLength)
    {
        var keys = new Scp80Keys(RandomNumberGenerator.GetBytes(kicLength), RandomNumberGenerator.GetBytes(kidLength));
        foreach (var length in new[] { 0, 1, 7, 8, 30, 200 })
        {
            var data = RandomNumberGenerator.GetBytes(length);
            var packet = new CommandPacket(CipheredCc, kic, kid, [0xB0, 0x00, 0x10], 0x0102030405, data);
            var opened = CommandPacketCodec.Open(CommandPacketCodec.Encode(packet, keys), keys);
            Assert.True(opened.IsOk, opened.Reason);
            Assert.Equal(data, opened.Packet!.SecuredData);
            Assert.Equal(0x0102030405UL, opened.Packet.Counter);

            var por = ResponsePacketCodec.Encode(new ResponsePacket(packet.Tar, packet.Counter, PorStatus.PorOk, data), CipheredCc, kic, kid, keys, ResponsePacketCodec.SmsPorHeader);
            var back = ResponsePacketCodec.Open(por, CipheredCc, kic, kid, keys, ResponsePacketCodec.SmsPorHeader, packet.Tar, packet.Counter);
            Assert.True(back.IsOk, back.Failure);
            Assert.Equal(data, back.Packet!.AdditionalData);
        }
    }

    [Fact]
    public void TripleDesKeys_WithK1EqualK2_Work_AndEqualSingleDes()
    {
        // Real cards carry such keys; 3DES-EDE with K1 = K2 degenerates to single DES under K3 (= K1).
        var k = RandomNumberGenerator.GetBytes(8);
        var data = RandomNumberGenerator.GetBytes(32);
        var des = (byte[])data.Clone();
        var tdes = (byte[])data.Clone();
        OtaCrypto.Cipher(CipherAlgorithm.DesCbc, k, des, encrypt: true);
        OtaCrypto.Cipher(CipherAlgorithm.TripleDes2KeyCbc, [.. k, .. k], tdes, encrypt: true);
        Assert.Equal(des, tdes);
        Assert.Equal(OtaCrypto.Checksum(ChecksumAlgorithm.DesCbcMac, k, data), OtaCrypto.Checksum(ChecksumAlgorithm.TripleDes2KeyCbcMac, [.. k, .. k], data));
    }

    [Theory]
    [InlineData(CipherAlgorithm.TripleDes3KeyCbc, 24, "des-ede3-cbc")]
    [InlineData(CipherAlgorithm.TripleDes2KeyCbc, 16, "des-ede-cbc")]
    [InlineData(CipherAlgorithm.AesCbc, 24, "aes-192-cbc")]
    [InlineData(CipherAlgorithm.AesCbc, 32, "aes-256-cbc")]
    [InlineData(CipherAlgorithm.DesCbc, 8, "des-cbc")]
    public async Task Ciphering_MatchesOpenSslEnc(CipherAlgorithm algorithm, int keyLength, string openSslCipher)
    {
        var openssl = ExternalTool.Require("openssl", "Debian package openssl");
        var key = RandomNumberGenerator.GetBytes(keyLength);
        var data = RandomNumberGenerator.GetBytes(algorithm == CipherAlgorithm.AesCbc ? 48 : 24);
        var ours = (byte[])data.Clone();
        OtaCrypto.Cipher(algorithm, key, ours, encrypt: true);
        var iv = new string('0', algorithm == CipherAlgorithm.AesCbc ? 32 : 16);
        var args = new List<string> { "enc", "-" + openSslCipher, "-K", Convert.ToHexStringLower(key), "-iv", iv, "-nopad" };
        if (algorithm == CipherAlgorithm.DesCbc)
            args.AddRange(["-provider", "legacy", "-provider", "default"]);
        var theirs = await RunBinaryAsync(openssl, args, data);
        Assert.Equal(Convert.ToHexStringLower(theirs), Convert.ToHexStringLower(ours));
    }

    [Theory]
    [InlineData(16)]
    [InlineData(24)]
    [InlineData(32)]
    public async Task AesCmac_IsTheLeftmost8OctetsOfOpenSslCmac(int keyLength)
    {
        var openssl = ExternalTool.Require("openssl", "Debian package openssl");
        var key = RandomNumberGenerator.GetBytes(keyLength);
        var data = RandomNumberGenerator.GetBytes(45);
        var file = Path.GetTempFileName();
        try
        {
            await File.WriteAllBytesAsync(file, data);
            var cipher = keyLength switch { 16 => "AES-128-CBC", 24 => "AES-192-CBC", _ => "AES-256-CBC" };
            var (code, stdout, stderr) = await ExternalTool.RunAsync(openssl, ["mac", "-cipher", cipher, "-macopt", "hexkey:" + Convert.ToHexStringLower(key), "-in", file, "CMAC"]);
            Assert.True(code == 0, stderr);
            Assert.Equal(stdout.Trim().ToLowerInvariant()[..16], Convert.ToHexStringLower(OtaCrypto.Checksum(ChecksumAlgorithm.AesCmac, key, data)));
        }
        finally
        {
            File.Delete(file);
        }
    }

    private static async Task<byte[]> RunBinaryAsync(string tool, IEnumerable<string> args, byte[] input)
    {
        var inFile = Path.GetTempFileName();
        var outFile = Path.GetTempFileName();
        try
        {
            await File.WriteAllBytesAsync(inFile, input);
            var (code, _, stderr) = await ExternalTool.RunAsync(tool, [.. args, "-in", inFile, "-out", outFile]);
            Assert.True(code == 0, stderr);
            return await File.ReadAllBytesAsync(outFile);
        }
        finally
        {
            File.Delete(inFile);
            File.Delete(outFile);
        }
    }

    private static (byte[] Packet, Scp80Keys Keys) ValidAesPacket()
    {
        var keys = new Scp80Keys(RandomNumberGenerator.GetBytes(16), RandomNumberGenerator.GetBytes(16));
        var packet = new CommandPacket(CipheredCc, KeyIdentifier.Encode(CipherAlgorithm.AesCbc, 1), KeyIdentifier.Encode(ChecksumAlgorithm.AesCmac, 1), [1, 2, 3], 5, [0x00, 0xA4, 0x00, 0x04, 0x02, 0x3F, 0x00]);
        return (CommandPacketCodec.Encode(packet, keys), keys);
    }

    [Fact]
    public void Open_EveryTruncation_IsAFormatErrorOrAStatus_NeverAnUnhandledException()
    {
        var (packet, keys) = ValidAesPacket();
        for (var n = 0; n < packet.Length; n++)
        {
            var cut = packet[..n];
            var ex = Record.Exception(() => CommandPacketCodec.Open(cut, keys));
            Assert.True(ex is null or Scp80FormatException, $"length {n}: {ex}");
        }
    }

    [Theory]
    [InlineData(0, 0x01)] // CPL high octet
    [InlineData(1, 0x01)] // CPL low octet
    [InlineData(2, 0x10)] // CHL too large / wrong
    [InlineData(2, 0x05)] // CHL below the fixed header
    public void Open_WrongLengthFields_AreFormatErrors(int offset, byte xor)
    {
        var (packet, keys) = ValidAesPacket();
        packet[offset] ^= xor;
        if (offset == 2 && packet[2] >= 13 && packet[2] <= packet.Length - 3)
        {
            var r = CommandPacketCodec.Open(packet, keys);
            Assert.False(r.IsOk);
            return;
        }
        Assert.Throws<Scp80FormatException>(() => CommandPacketCodec.Open(packet, keys));
    }

    [Fact]
    public void Open_FlippedBitsAnywhereAfterTheHeader_AreRefusedWithAStatus()
    {
        var (packet, keys) = ValidAesPacket();
        for (var i = 3; i < packet.Length; i++)
        {
            var bad = (byte[])packet.Clone();
            bad[i] ^= 0x01;
            var r = CommandPacketCodec.Open(bad, keys);
            Assert.False(r.IsOk, $"flip at {i} accepted");
            Assert.NotEqual(PorStatus.PorOk, r.Status);
        }
    }

    [Fact]
    public void Open_UnknownAlgorithms_AndBadPadding_GiveTheRightStatus()
    {
        var keys = new Scp80Keys(RandomNumberGenerator.GetBytes(16), RandomNumberGenerator.GetBytes(16));
        var packet = new CommandPacket(CipheredCc, KeyIdentifier.Encode(CipherAlgorithm.AesCbc, 1), KeyIdentifier.Encode(ChecksumAlgorithm.AesCmac, 1), [1, 2, 3], 5, [1, 2, 3]);
        var bytes = CommandPacketCodec.Encode(packet, keys);

        var proprietaryKic = (byte[])bytes.Clone();
        proprietaryKic[5] = 0x13; // b2b1 = 11: proprietary cipher
        Assert.Equal(PorStatus.CipheringError, CommandPacketCodec.Open(proprietaryKic, keys).Status);

        var reservedKid = (byte[])bytes.Clone();
        reservedKid[6] = 0x16; // AES family with mode 01: reserved
        Assert.Equal(PorStatus.UnidentifiedSecurityError, CommandPacketCodec.Open(reservedKid, keys).Status);

        // A PCNTR larger than the data: re-encrypt a body whose padding count is wrong.
        var body = bytes[10..];
        M2MSec.Ota.Scp80.Internal.OtaCrypto.Cipher(CipherAlgorithm.AesCbc, keys.KicKey, body, encrypt: false);
        body[5] = 200;
        M2MSec.Ota.Scp80.Internal.OtaCrypto.Cipher(CipherAlgorithm.AesCbc, keys.KicKey, body, encrypt: true);
        byte[] badPadding = [.. bytes[..10], .. body];
        Assert.Equal(PorStatus.IntegrityCheckFailed, CommandPacketCodec.Open(badPadding, keys).Status);

        var wrongKeys = new Scp80Keys(RandomNumberGenerator.GetBytes(16), RandomNumberGenerator.GetBytes(16));
        Assert.Equal(PorStatus.IntegrityCheckFailed, CommandPacketCodec.Open(bytes, wrongKeys).Status);
    }

    [Fact]
    public void Por_ForAnotherTarOrCounter_IsRefused_WithTheReason()
    {
        var keys = new Scp80Keys(RandomNumberGenerator.GetBytes(16), RandomNumberGenerator.GetBytes(16));
        byte kic = KeyIdentifier.Encode(CipherAlgorithm.AesCbc, 1), kid = KeyIdentifier.Encode(ChecksumAlgorithm.AesCmac, 1);
        var por = ResponsePacketCodec.Encode(new ResponsePacket([1, 2, 3], 7, PorStatus.PorOk, [0x01, 0x90, 0x00]), CipheredCc, kic, kid, keys, ResponsePacketCodec.SmsPorHeader);
        Assert.Equal("tar mismatch", ResponsePacketCodec.Open(por, CipheredCc, kic, kid, keys, ResponsePacketCodec.SmsPorHeader, [9, 9, 9]).Failure);
        Assert.Equal("cntr mismatch", ResponsePacketCodec.Open(por, CipheredCc, kic, kid, keys, ResponsePacketCodec.SmsPorHeader, [1, 2, 3], 8).Failure);
        Assert.Equal("cc mismatch", ResponsePacketCodec.Open(por, CipheredCc, kic, kid, keys, [0x02, 0x71, 0x01]).Failure);
        for (var n = 0; n < por.Length; n++)
            Assert.False(ResponsePacketCodec.Open(por.AsSpan(0, n), CipheredCc, kic, kid, keys, ResponsePacketCodec.SmsPorHeader).IsOk);
    }
}

/// <summary>The constant-time AES path (AES-NI for 128-bit keys, the platform otherwise) equals BouncyCastle's reference engines.</summary>
public sealed class OtaAesEquivalenceTests
{
    [Theory]
    [InlineData(16)]
    [InlineData(24)]
    [InlineData(32)]
    public void CbcAndCmac_EqualBouncyCastle_OnRandomInputs(int keyLength)
    {
        for (var round = 0; round < 50; round++)
        {
            var key = RandomNumberGenerator.GetBytes(keyLength);
            var data = RandomNumberGenerator.GetBytes(16 * (1 + round % 9));
            var ours = (byte[])data.Clone();
            OtaCrypto.Cipher(CipherAlgorithm.AesCbc, key, ours, encrypt: true);

            var bc = new Org.BouncyCastle.Crypto.Modes.CbcBlockCipher(new Org.BouncyCastle.Crypto.Engines.AesEngine());
            bc.Init(true, new Org.BouncyCastle.Crypto.Parameters.ParametersWithIV(new Org.BouncyCastle.Crypto.Parameters.KeyParameter(key), new byte[16]));
            var theirs = new byte[data.Length];
            for (var i = 0; i < data.Length; i += 16)
                bc.ProcessBlock(data, i, theirs, i);
            Assert.Equal(theirs, ours);

            OtaCrypto.Cipher(CipherAlgorithm.AesCbc, key, ours, encrypt: false);
            Assert.Equal(data, ours);

            var message = RandomNumberGenerator.GetBytes(round * 3);
            var cmac = new Org.BouncyCastle.Crypto.Macs.CMac(new Org.BouncyCastle.Crypto.Engines.AesEngine());
            cmac.Init(new Org.BouncyCastle.Crypto.Parameters.KeyParameter(key));
            cmac.BlockUpdate(message, 0, message.Length);
            var full = new byte[16];
            cmac.DoFinal(full, 0);
            Assert.Equal(full[..8], OtaCrypto.Checksum(ChecksumAlgorithm.AesCmac, key, message));
        }
    }

    [Fact]
    public void Cmac_Rfc4493_Example2()
    {
        // RFC 4493 §4, Example 2: K = 2b7e1516…, M = 6bc1bee2 2e409f96 e93d7e11 7393172a → 070a16b4 6b4d4144 f79bdd9d d04a287c.
        var tag = OtaCrypto.Checksum(ChecksumAlgorithm.AesCmac, Convert.FromHexString("2b7e151628aed2a6abf7158809cf4f3c"), Convert.FromHexString("6bc1bee22e409f96e93d7e117393172a"));
        Assert.Equal("070a16b46b4d4144", Convert.ToHexStringLower(tag));
        var empty = OtaCrypto.Checksum(ChecksumAlgorithm.AesCmac, Convert.FromHexString("2b7e151628aed2a6abf7158809cf4f3c"), []);
        Assert.Equal("bb1d6929e9593728", Convert.ToHexStringLower(empty));
    }
}
