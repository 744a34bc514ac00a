using M2MSec.Aka;
using M2MSec.Aka.Gba;

namespace M2MSec.Tests.Gba;

/// <summary>
/// Issue 18: the Digest AKA codec — the digest arithmetic against the RFCs' own examples, the headers round-trip and malformed ones
/// refused with a reason, the nonce layout of RFC 3310, AUTN* of GBA_U, the UICC's GBA context encoding, the TS 24.109 XML body.
/// </summary>
public sealed class DigestAkaCodecTests
{
    /// <summary>RFC 2617 §3.5: Mufasa / "Circle Of Life", qop auth → response 6629fae49393a05397450978507c4ef1.</summary>
    [Fact]
    public void RequestDigest_Rfc2617Section35Example()
    {
        var ha1 = DigestAka.Ha1("Mufasa", "testrealm@host.com", "Circle Of Life");
        Assert.Equal("6629fae49393a05397450978507c4ef1",
            DigestAka.RequestDigest(ha1, "dcd98b7102dd2f0e8b11d0f600bfb0c093", "00000001", "0a4f113b", "auth", "GET", "/dir/index.html", []));
    }

    /// <summary>RFC 7616 §3.9.1 (MD5): Mufasa / "Circle of Life" → response 8ca523f5e9506fed4657c9700eebdbec.</summary>
    [Fact]
    public void RequestDigest_Rfc7616Section391Md5Example()
    {
        var ha1 = DigestAka.Ha1("Mufasa", "http-auth@example.org", "Circle of Life");
        Assert.Equal("8ca523f5e9506fed4657c9700eebdbec", DigestAka.RequestDigest(ha1, "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", "00000001",
            "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", "auth", "GET", "/dir/index.html", []));
    }

    /// <summary>
    /// auth-int (RFC 2617 §3.2.2.3): A2 = method:uri:MD5(body), written out here; the password is the RES octets (RFC 3310 §3.3), not
    /// their hex; rspauth (§3.2.3) is the same digest with an empty method over the response body.
    /// </summary>
    [Fact]
    public void AuthInt_PasswordIsResOctets_RspAuthHasEmptyMethodAndCoversTheBody()
    {
        byte[] res = [0xA5, 0x42, 0x11, 0xD5, 0xE3, 0xBA, 0x50, 0xBF];
        var c = new DigestCredentials("001010000000001@ims.mnc001.mcc001.3gppnetwork.org", "bsf.m2msec.test", "bm9uY2U=", "/", "auth-int", "00000001", "cn", "");
        static string Md5(byte[] b) => Convert.ToHexStringLower(System.Security.Cryptography.MD5.HashData(b));
        static byte[] U(string s) => System.Text.Encoding.UTF8.GetBytes(s);
        var ha1 = Md5([.. U(c.Username + ":" + c.Realm + ":"), .. res]);
        var body = U("<x/>");
        Assert.Equal(Md5(U($"{ha1}:{c.Nonce}:00000001:cn:auth-int:{Md5(U($"GET:/:{Md5([])}"))}")), DigestAka.Response(c, res, "GET", []));
        Assert.Equal(Md5(U($"{ha1}:{c.Nonce}:00000001:cn:auth-int:{Md5(U($":/:{Md5(body)}"))}")), DigestAka.RspAuth(c, res, body));
        Assert.NotEqual(DigestAka.RspAuth(c, res, body), DigestAka.RspAuth(c, res, U("<y/>")));
        Assert.NotEqual(DigestAka.Response(c, res, "GET", []), DigestAka.Response(c, U(Convert.ToHexString(res)), "GET", []));
        Assert.True(DigestAka.DigestEquals(DigestAka.Response(c, res, "GET", []), DigestAka.Response(c, res, "GET", []).ToUpperInvariant()));
        Assert.False(DigestAka.DigestEquals(DigestAka.Response(c, res, "GET", []), null));
    }

    [Fact]
    public void Headers_RoundTrip_QuotedStringsEscaped()
    {
        var challenge = new DigestChallenge("bsf.m2msec.test", "AAEC+/==");
        Assert.True(DigestHeaders.TryParseChallenge(DigestHeaders.Format(challenge), out var back, out _));
        Assert.Equal(challenge, back);
        var credentials = new DigestCredentials("a\"b\\c@x", "r", "n", "/", "auth-int", "0000000a", "c n", "d41d8cd98f00b204e9800998ecf8427e", Auts: "AAAA");
        Assert.True(DigestHeaders.TryParseCredentials(DigestHeaders.Format(credentials), out var parsed, out _));
        Assert.Equal(credentials, parsed);
        var info = new DigestAuthenticationInfo("0123", "auth-int", "00000001", "c");
        Assert.True(DigestHeaders.TryParseAuthenticationInfo(DigestHeaders.Format(info), out var i, out _));
        Assert.Equal(info, i);
        Assert.DoesNotContain("d41d8cd98f00b204e9800998ecf8427e", credentials.ToString(), StringComparison.Ordinal);
    }

    /// <summary>Malformed Digest headers are refused with a reason, never half-parsed.</summary>
    [Theory]
    [InlineData(null, "empty")]
    [InlineData("", "empty")]
    [InlineData("Basic abc", "scheme")]
    [InlineData("Digest", "scheme")]
    [InlineData("Digest username", "'='")]
    [InlineData("Digest username=", "no value")]
    [InlineData("Digest username=\"abc", "not closed")]
    [InlineData("Digest username=\"a\", username=\"b\", realm=\"r\", nonce=\"\", uri=\"/\", response=\"\"", "twice")]
    [InlineData("Digest username=\"a\" realm=\"r\"", "','")]
    [InlineData("Digest username=\"a\u0001\", realm=\"r\", nonce=\"\", uri=\"/\", response=\"\"", "control")]
    [InlineData("Digest realm=\"r\", nonce=\"\", uri=\"/\", response=\"\"", "username")]
    [InlineData("Digest username=\"a\", realm=\"r\", nonce=\"n\", uri=\"/\", response=\"x\", qop=auth-int, nc=1, cnonce=\"c\"", "nc")]
    [InlineData("Digest username=\"a\", realm=\"r\", nonce=\"n\", uri=\"/\", response=\"x\", qop=auth-int, nc=00000001", "cnonce")]
    [InlineData("Digest , username=\"a\"", "parameter name")]
    public void MalformedAuthorization_IsRefusedWithAReason(string? header, string reason)
    {
        Assert.False(DigestHeaders.TryParseCredentials(header, out _, out var error));
        Assert.Contains(reason, error, StringComparison.Ordinal);
    }

    [Fact]
    public void OversizedHeader_AndChallengeWithoutNonce_AreRefused()
    {
        Assert.False(DigestHeaders.TryParseCredentials("Digest username=\"" + new string('a', DigestHeaders.MaxHeaderLength) + "\"", out _, out var error));
        Assert.Contains("longer", error, StringComparison.Ordinal);
        Assert.False(DigestHeaders.TryParseChallenge("Digest realm=\"r\"", out _, out error));
        Assert.Contains("nonce", error, StringComparison.Ordinal);
        Assert.False(DigestHeaders.TryParseAuthenticationInfo("qop=auth-int", out _, out error));
        Assert.Contains("rspauth", error, StringComparison.Ordinal);
    }

    /// <summary>RFC 3310 §3.2: nonce = base64(RAND ‖ AUTN ‖ server data); too short or not base64 is refused.</summary>
    [Fact]
    public void AkaNonce_RandAutnServerData_RoundTrip_ShortOrBadRefused()
    {
        var rand = Enumerable.Range(0, 16).Select(i => (byte)i).ToArray();
        var autn = Enumerable.Range(16, 16).Select(i => (byte)i).ToArray();
        var nonce = AkaNonce.Encode(rand, autn, [0xEE, 0xFF]);
        Assert.Equal(Convert.ToBase64String([.. rand, .. autn, 0xEE, 0xFF]), nonce);
        Assert.True(AkaNonce.TryDecode(nonce, out var r, out var a, out var s, out _));
        Assert.Equal(rand, r);
        Assert.Equal(autn, a);
        Assert.Equal(new byte[] { 0xEE, 0xFF }, s);
        Assert.False(AkaNonce.TryDecode(Convert.ToBase64String(new byte[31]), out _, out _, out _, out var error));
        Assert.Contains("shorter", error, StringComparison.Ordinal);
        Assert.False(AkaNonce.TryDecode("%%%", out _, out _, out _, out _));
        Assert.False(AkaNonce.TryDecode(null, out _, out _, out _, out _));
    }

    /// <summary>
    /// TS 33.220 §5.3.2: MAC* = MAC ⊕ Trunc(SHA-1(IK)), the first 8 octets of SHA-1(IK) (decision 029), written out here; SQN ⊕ AK and
    /// AMF unchanged; applying it twice gives AUTN back; a USIM's GBA_U context accepts AUTN* and refuses the plain AUTN.
    /// </summary>
    [Fact]
    public void AutnStar_MacXorFirst64BitsOfSha1Ik_UsimGbaUAcceptsItOnly()
    {
        var k = Convert.FromHexString("465b5ce8b199b49faa5f0a2ee238a6bc");
        var opc = Convert.FromHexString("cd63cb71954a9f4e48a5994e37a02baf");
        var rand = Convert.FromHexString("23553cbe9637a89d218ae64dae47bf35");
        var av = AkaVectors.Generate(Milenage.Default, k, opc, rand, SqnScheme.Default.Compose(5, 1), [0x80, 0x00]);
        var star = M2MSec.Aka.Gba.GbaUAutn.Transform(av.Autn, av.Ik);
        var sha = System.Security.Cryptography.SHA1.HashData(av.Ik);
        Assert.Equal(av.Autn[..8], star[..8]);
        Assert.Equal(Enumerable.Range(0, 8).Select(i => (byte)(av.Autn[8 + i] ^ sha[i])), star[8..]);
        Assert.Equal(av.Autn, M2MSec.Aka.Gba.GbaUAutn.Transform(star, av.Ik));

        var usim = new UsimAka(Milenage.Default, k, opc, new UsimSqnState(SqnScheme.Default));
        Assert.Equal(UsimAuthenticationStatus.MacFailure, usim.AuthenticateGbaU(rand, av.Autn).Status);
        var ok = usim.AuthenticateGbaU(rand, star);
        Assert.True(ok.IsSuccess);
        Assert.Equal(av.Xres, ok.Res);
    }

    /// <summary>TS 31.102 §7.1.2.4: 'DD' L RAND L AUTN / 'DE' L NAF_ID L IMPI; answers 'DB' L value, 'DC' L AUTS; malformed refused.</summary>
    [Fact]
    public void UiccGbaContext_EncodesAndDecodes_MalformedRefused()
    {
        var cmd = GbaUiccCommands.EncodeBootstrapping(new byte[16], Enumerable.Repeat((byte)1, 16).ToArray());
        Assert.Equal(new byte[] { 0xDD, 16 }, cmd[..2]);
        Assert.Equal(new byte[] { 16 }, cmd[18..19]);
        Assert.True(GbaUiccCommands.TryDecodeCommand(cmd, out var mode, out var a, out var b));
        Assert.Equal((0xDD, 16, 16), (mode, a.Length, b.Length));
        var naf = GbaUiccCommands.EncodeNafDerivation([0x61, 1, 0, 1, 0, 0xA8], "i@x");
        Assert.Equal(new byte[] { 0xDE, 6, 0x61, 1, 0, 1, 0, 0xA8, 3, (byte)'i', (byte)'@', (byte)'x' }, naf);
        Assert.False(GbaUiccCommands.TryDecodeCommand(cmd[..^1], out _, out _, out _));
        Assert.False(GbaUiccCommands.TryDecodeCommand([.. cmd, 0], out _, out _, out _));
        Assert.False(GbaUiccCommands.TryDecodeCommand([0xDF, 0, 0], out _, out _, out _));
        Assert.True(GbaUiccCommands.TryDecodeResponse(GbaUiccCommands.EncodeResponse(GbaUiccTag.SynchronisationFailure, new byte[14]), out var tag, out var v));
        Assert.Equal((GbaUiccTag.SynchronisationFailure, 14), (tag, v.Length));
        Assert.False(GbaUiccCommands.TryDecodeResponse([0xDB, 5, 1], out _, out _));
    }

    /// <summary>TS 24.109 Annex C: the BootstrappingInfo body round-trips; DTDs, foreign roots, bad B-TIDs and local times are refused.</summary>
    [Fact]
    public void BootstrappingInfo_RoundTrips_MalformedRefused()
    {
        var info = new BootstrappingInfo(BTid.Create(new byte[16], "bsf.m2msec.test"), new DateTimeOffset(2026, 12, 4, 6, 0, 0, TimeSpan.Zero));
        var xml = info.Encode();
        Assert.Contains("<btid>AAAAAAAAAAAAAAAAAAAAAA==@bsf.m2msec.test</btid>", System.Text.Encoding.UTF8.GetString(xml), StringComparison.Ordinal);
        Assert.Contains("<lifetime>2026-12-04T06:00:00Z</lifetime>", System.Text.Encoding.UTF8.GetString(xml), StringComparison.Ordinal);
        Assert.True(BootstrappingInfo.TryParse(xml, out var back, out _));
        Assert.Equal(info, back);
        foreach (var bad in new[]
        {
            "<!DOCTYPE x [<!ENTITY e \"x\">]><BootstrappingInfo xmlns=\"uri:3gpp-gba\"><btid>&e;</btid></BootstrappingInfo>",
            "<Other xmlns=\"uri:3gpp-gba\"/>",
            "<BootstrappingInfo xmlns=\"uri:3gpp-gba\"><btid>nope</btid><lifetime>2026-12-04T06:00:00Z</lifetime></BootstrappingInfo>",
            "<BootstrappingInfo xmlns=\"uri:3gpp-gba\"><btid>AAAAAAAAAAAAAAAAAAAAAA==@b</btid><lifetime>2026-12-04T06:00:00</lifetime></BootstrappingInfo>",
            "<BootstrappingInfo xmlns=\"uri:3gpp-gba\"><btid>AAAAAAAAAAAAAAAAAAAAAA==@b</btid><btid>AAAAAAAAAAAAAAAAAAAAAA==@b</btid></BootstrappingInfo>",
            "<BootstrappingInfo",
        })
            Assert.False(BootstrappingInfo.TryParse(System.Text.Encoding.UTF8.GetBytes(bad), out _, out _), bad);
    }

    /// <summary>TS 23.003 §13.3: IMPI = IMSI@ims.mnc0MN.mccMCC.3gppnetwork.org; only that form maps back to the IMSI.</summary>
    [Fact]
    public void Impi_FromImsi_AndBack_OtherRealmsRefused()
    {
        Assert.Equal("001010123456789@ims.mnc001.mcc001.3gppnetwork.org", Impi.FromImsi("001010123456789"));
        Assert.True(Impi.TryGetImsi("001010123456789@ims.mnc001.mcc001.3gppnetwork.org", out var imsi));
        Assert.Equal("001010123456789", imsi);
        Assert.False(Impi.TryGetImsi("001010123456789@ims.mnc002.mcc001.3gppnetwork.org", out _));
        Assert.False(Impi.TryGetImsi("abc@ims.mnc001.mcc001.3gppnetwork.org", out _));
        Assert.False(Impi.TryGetImsi(null, out _));
    }
}
