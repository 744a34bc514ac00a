using System.Security.Cryptography;
using M2MSec.Provisioning;
using M2MSec.Provisioning.Mcim;
using M2MSec.Tests.Support;

namespace M2MSec.Tests.Provisioning;

/// <summary>
/// Issue 15, item 1: the MCIM object of seed 003 (data, Protected_data encrypt-then-MAC, PK_D(PIK | PCK)) — round trips,
/// a fixed vector that pins the format, the primitives' published vectors, and every parser refusing malformed input.
/// </summary>
public sealed class McimObjectTests
{
    private static readonly Lazy<RSA> Rsa2048 = new(() => RSA.Create(2048));

    private static McimContent Content(byte[]? token = null) => new("001010000000001", Convert.FromHexString("465b5ce8b199b49faa5f0a2ee238a6bc"),
        Convert.FromHexString("cd63cb71954a9f4e48a5994e37a02baf"), McimContent.Milenage, [0xb9, 0xb9], token);

    private static (AsymmetricAlgorithm Private, byte[] Spki) Key(string kind)
    {
        if (kind == "rsa")
            return (Rsa2048.Value, Rsa2048.Value.ExportSubjectPublicKeyInfo());
        var ec = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        return (ec, ec.ExportSubjectPublicKeyInfo());
    }

    [Theory]
    [InlineData("ec", McimSuite.AesCbcHmacSha1)]
    [InlineData("ec", McimSuite.Aes128Gcm)]
    [InlineData("rsa", McimSuite.AesCbcHmacSha1)]
    [InlineData("rsa", McimSuite.Aes128Gcm)]
    public void Seal_ThenOpen_GivesTheContentBack_ForEcAndRsaPlatformKeys(string kind, McimSuite suite)
    {
        var (key, spki) = Key(kind);
        var sealedObject = McimObject.Seal(spki, Content([1, 2, 3]), suite);
        Assert.Equal(kind == "ec" ? (byte)McimKem.EciesP256 : (byte)McimKem.RsaOaepSha256, sealedObject[0]);
        var opened = McimObject.Open(key, sealedObject);
        Assert.Equal("001010000000001", opened.Imsi);
        Assert.Equal(Content().K, opened.K);
        Assert.Equal(Content().Opc, opened.Opc);
        Assert.Equal([0xb9, 0xb9], opened.Amf);
        Assert.Equal([1, 2, 3], opened.AuthorisationToken);
        Assert.DoesNotContain("465b5ce8", opened.ToString(), StringComparison.OrdinalIgnoreCase);
        opened.Clear();
        Assert.All(opened.K, b => Assert.Equal(0, b));
    }

    /// <summary>The hand-written data and the fixed object in tests/vectors/mcim/object-v1.json pin the format of decision 014.</summary>
    [Fact]
    public void FixedVector_ObjectOpensToKnownContent_AndEveryFieldFollowsTheFormat()
    {
        var v = TestVectors.Load("mcim/object-v1.json");
        using var key = ECDiffieHellman.Create(new ECParameters { Curve = ECCurve.NamedCurves.nistP256, D = v.Hex("pk_d_private_d") });
        byte[] obj = [.. v.Hex("kem"), .. v.Hex("wrapped_length"), .. v.Hex("wrapped"), .. v.Hex("suite"), .. v.Hex("version"), .. v.Hex("iv"), .. v.Hex("ciphertext"), .. v.Hex("mac")];

        var content = McimObject.Open(key, obj);
        var expected = v.GetProperty("content");
        Assert.Equal(expected.GetProperty("imsi").GetString(), content.Imsi);
        Assert.Equal(expected.Hex("k"), content.K);
        Assert.Equal(expected.Hex("opc"), content.Opc);
        Assert.Equal("milenage", content.Algorithm);
        Assert.Equal(expected.Hex("amf"), content.Amf);
        Assert.Equal(expected.Hex("authorisation_token"), content.AuthorisationToken);

        // Independently of McimObject: PK_D(PIK | PCK) opens to the fixed keys (associated data kem | suite | version) …
        Assert.True(PkDEcies.TryDecrypt(key, v.Hex("wrapped"), [0x01, 0x01, 0x01], out var keys));
        Assert.Equal([.. v.Hex("pik"), .. v.Hex("pck")], keys);
        // … the MAC is HMAC-SHA1 under PIK over suite | version | IV | ciphertext …
        Assert.Equal(v.Hex("mac"), HMACSHA1.HashData(v.Hex("pik"), (byte[])[.. v.Hex("suite"), .. v.Hex("version"), .. v.Hex("iv"), .. v.Hex("ciphertext")]));
        // … and AES-128-CBC under PCK gives the hand-written data = tag | payload_length | payload | version | filling.
        using var aes = Aes.Create();
        aes.Key = v.Hex("pck");
        Assert.Equal(v.Hex("data"), aes.DecryptCbc(v.Hex("ciphertext"), v.Hex("iv"), PaddingMode.None));
        var payload = McimData.Decode(v.Hex("data"), out var tag).ToArray();
        Assert.Equal(McimData.McimTag, tag);
        Assert.Equal(payload, McimContentCodec.Encode(content));
        var reencoded = new byte[McimData.GetEncodedLength(payload.Length)];
        Assert.True(McimData.TryEncode(McimData.McimTag, payload, reencoded, out _));
        Assert.Equal(v.Hex("data"), reencoded);
    }

    /// <summary>RFC 2202 §3 through the MAC_PIK primitive.</summary>
    [Fact]
    public void MacPik_MatchesRfc2202()
    {
        foreach (var c in TestVectors.Load("rfc2202/hmac-sha1.json").GetProperty("cases").EnumerateArray())
        {
            var mac = new byte[20];
            ProtectedDataPrimitives.MacPik(c.Hex("key"), c.Hex("data"), mac);
            Assert.Equal(c.Hex("digest"), mac);
            Assert.True(ProtectedDataPrimitives.VerifyMacPik(c.Hex("key"), c.Hex("data"), mac));
            mac[19] ^= 1;
            Assert.False(ProtectedDataPrimitives.VerifyMacPik(c.Hex("key"), c.Hex("data"), mac));
        }
    }

    /// <summary>NIST SP 800-38A F.2.1/F.2.2 through the ENC_PCK primitive.</summary>
    [Fact]
    public void EncPck_MatchesSp80038aCbcAes128()
    {
        var v = TestVectors.Load("sp800-38a/cbc-aes128.json");
        var ct = new byte[64];
        ProtectedDataPrimitives.EncryptCbc(v.Hex("key"), v.Hex("iv"), v.Hex("plaintext"), ct);
        Assert.Equal(v.Hex("ciphertext"), ct);
        var pt = new byte[64];
        ProtectedDataPrimitives.DecryptCbc(v.Hex("key"), v.Hex("iv"), ct, pt);
        Assert.Equal(v.Hex("plaintext"), pt);
    }

    [Theory]
    [InlineData("ec", McimSuite.AesCbcHmacSha1)]
    [InlineData("ec", McimSuite.Aes128Gcm)]
    [InlineData("rsa", McimSuite.AesCbcHmacSha1)]
    public void EveryChangedOctetOfProtectedData_FailsTheMac_BeforeDecryption_TamperedMcimThreat(string kind, McimSuite suite)
    {
        var (key, spki) = Key(kind);
        var obj = McimObject.Seal(spki, Content(), suite);
        var start = 3 + (obj[1] << 8 | obj[2]) + 2; // IV, ciphertext and MAC
        for (var i = start; i < obj.Length; i++)
        {
            var tampered = (byte[])obj.Clone();
            tampered[i] ^= 0x01;
            Assert.Equal("mac-mismatch", Assert.Throws<ProvisioningException>(() => McimObject.Open(key, tampered)).Code);
        }
        // A changed suite or version octet is covered too (refused as unknown, or by the MAC).
        var other = (byte[])obj.Clone();
        other[start - 2] = (byte)(suite == McimSuite.Aes128Gcm ? McimSuite.AesCbcHmacSha1 : McimSuite.Aes128Gcm);
        Assert.IsType<ProvisioningException>(Record.Exception(() => McimObject.Open(key, other)));
        // The wrapped keys: the object no longer opens.
        var wrapped = (byte[])obj.Clone();
        wrapped[40] ^= 0x80;
        Assert.Equal("cannot-open", Assert.Throws<ProvisioningException>(() => McimObject.Open(key, wrapped)).Code);
    }

    [Theory]
    [InlineData("ec")]
    [InlineData("rsa")]
    public void ObjectSealedForAnotherDevice_CannotBeOpened_MisdirectedMcimThreat(string kind)
    {
        var (_, spki) = Key(kind);
        var obj = McimObject.Seal(spki, Content());
        using var otherEc = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        using var otherRsa = RSA.Create(2048);
        AsymmetricAlgorithm other = kind == "ec" ? otherEc : otherRsa;
        Assert.Equal("cannot-open", Assert.Throws<ProvisioningException>(() => McimObject.Open(other, obj)).Code);
        // Nor with a platform key of the other kind.
        AsymmetricAlgorithm wrongKind = kind == "ec" ? otherRsa : otherEc;
        Assert.Equal("cannot-open", Assert.Throws<ProvisioningException>(() => McimObject.Open(wrongKind, obj)).Code);
    }

    [Fact]
    public void TruncatedAtEveryLength_IsRefusedWithATypedError()
    {
        var (key, spki) = Key("ec");
        var obj = McimObject.Seal(spki, Content());
        for (var n = 0; n < obj.Length; n++)
            Assert.IsType<ProvisioningException>(Record.Exception(() => McimObject.Open(key, obj.AsSpan(0, n))));
        Assert.IsType<ProvisioningException>(Record.Exception(() => McimObject.Open(key, [.. obj, 0])));
    }

    [Fact]
    public void UnknownKemSuiteOrVersion_WrongLengths_AndOversized_AreRefused()
    {
        var (key, spki) = Key("ec");
        var obj = McimObject.Seal(spki, Content());
        var w = 3 + (obj[1] << 8 | obj[2]);
        Assert.Equal("unknown-kem", Refusal(key, obj, o => o[0] = 0x7f));
        Assert.Equal("unknown-suite", Refusal(key, obj, o => o[w] = 0x09));
        Assert.Equal("unknown-version", Refusal(key, obj, o => o[w + 1] = 0x02));
        Assert.Equal("malformed", Refusal(key, obj, o => o[1] = 0xff));
        byte[] shorter = [obj[0], obj[1], (byte)(obj[2] - 1), .. obj.AsSpan(4)]; // one wrapped octet gone, the rest aligned
        Assert.Equal("cannot-open", Assert.Throws<ProvisioningException>(() => McimObject.Open(key, shorter)).Code);
        Assert.Equal("oversized", Assert.Throws<ProvisioningException>(() => McimObject.Open(key, new byte[McimObject.MaxLength + 1])).Code);
    }

    private static string Refusal(AsymmetricAlgorithm key, byte[] obj, Action<byte[]> change)
    {
        var copy = (byte[])obj.Clone();
        change(copy);
        return Assert.Throws<ProvisioningException>(() => McimObject.Open(key, copy)).Code;
    }

    [Fact]
    public void DataParser_RefusesUnknownTagVersionBadFillingAndLengths()
    {
        var good = new byte[32];
        Assert.True(McimData.TryEncode(McimData.McimTag, new byte[10], good, out var n));
        Assert.Equal(16, n);
        good = good[..16];
        Assert.Equal(10, McimData.Decode(good, out _).Length);
        Assert.Equal("malformed-data", Code(() => McimData.Decode(good.AsSpan(0, 15), out _)));
        Assert.Equal("malformed-data", Code(() => McimData.Decode([], out _)));
        Assert.Equal("unknown-tag", Code(() => McimData.Decode(With(good, 0, McimData.UpdateTag), out _)));
        Assert.Equal("unknown-version", Code(() => McimData.Decode(With(good, 13, 2), out _)));
        Assert.Equal("malformed-data", Code(() => McimData.Decode(With(good, 15, 3), out _)));
        Assert.Equal("malformed-data", Code(() => McimData.Decode(With(good, 2, 13), out _))); // payload_length past the data
        Assert.Equal("malformed-data", Code(() => McimData.Decode(With(good, 2, 12), out _))); // no filling left
        var oversized = new byte[2048];
        oversized[0] = McimData.McimTag;
        oversized[1] = 0x07; // 2000 > the payload limit
        oversized[2] = 0xd0;
        Assert.Equal("malformed-data", Code(() => McimData.Decode(oversized, out _)));
    }

    [Fact]
    public void PayloadParser_RefusesTruncatedUnorderedUnknownAndWrongLengths()
    {
        var good = McimContentCodec.Encode(Content([9]));
        Assert.Equal("001010000000001", McimContentCodec.Decode(good).Imsi);
        for (var n = 1; n < good.Length; n++)
        {
            // A cut at an element boundary after the required ones is a valid shorter payload; anything else is refused, typed.
            var e = Record.Exception(() => McimContentCodec.Decode(good.AsSpan(0, n)));
            Assert.True(e is null or ProvisioningException, e?.ToString());
        }
        Assert.Equal("malformed-content", Code(() => McimContentCodec.Decode([.. good, 0x07, 0x00])));         // unknown element
        Assert.Equal("malformed-content", Code(() => McimContentCodec.Decode([.. good, 0x02, 0x00])));         // out of order
        Assert.Equal("malformed-content", Code(() => McimContentCodec.Decode([.. good[..17], .. good[..17]]))); // repeated IMSI
        Assert.Equal("malformed-content", Code(() => McimContentCodec.Decode(With(good, 18, 15))));            // K length 15
        Assert.Equal("malformed-content", Code(() => McimContentCodec.Decode(With(good, 2, (byte)'x'))));      // IMSI not digits
        Assert.Equal("malformed-content", Code(() => McimContentCodec.Decode(good[17..])));                    // no IMSI
        Assert.Equal("malformed-content", Code(() => McimContentCodec.Decode([.. good[..^3], 0x06, 0x00])));    // empty token
        Assert.Throws<ArgumentException>(() => McimContentCodec.Encode(Content(new byte[65])));
        Assert.Throws<ArgumentException>(() => McimContentCodec.Encode(Content() with { K = new byte[15] }));
    }

    [Fact]
    public void Seal_RefusesKeysOutsideTheProfile()
    {
        using var rsa1024 = RSA.Create(1024);
        using var p384 = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP384);
        Assert.Throws<ArgumentException>(() => McimObject.Seal(rsa1024.ExportSubjectPublicKeyInfo(), Content()));
        Assert.Throws<ArgumentException>(() => McimObject.Seal(p384.ExportSubjectPublicKeyInfo(), Content()));
        Assert.Throws<ArgumentException>(() => McimObject.Seal([0x30, 0x00], Content()));
    }

    private static byte[] With(byte[] b, int index, byte value)
    {
        var c = (byte[])b.Clone();
        c[index] = value;
        return c;
    }

    private static string Code(Action a) => Assert.Throws<ProvisioningException>(a).Code;
}
