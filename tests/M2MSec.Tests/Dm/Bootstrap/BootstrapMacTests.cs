using M2MSec.Dm.Bootstrap;
using M2MSec.Tests.Dm.Auth;

namespace M2MSec.Tests.Dm.Bootstrap;

public sealed class BootstrapMacTests
{
    private const string Imsi = "001010123456789";
    private const string Vector3 = "AB7A7808F184E816A603C8EDABD4A8191F247E85";

    [Fact]
    public void Imsi_odd_length_semi_octets_vector_3_key()
    {
        Assert.True(BootstrapKeys.TryImsiKey(Imsi, out var key));
        Assert.Equal(Convert.FromHexString("0910101032547698"), key);
    }

    [Fact]
    public void Imsi_even_length_gets_1_prefix_and_F_filler()
    {
        Assert.True(BootstrapKeys.TryImsiKey("00101012345678", out var key));
        Assert.Equal(Convert.FromHexString("01101010325476F8"), key);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("00101012345678A")]
    [InlineData("0010101234 5678")]
    [InlineData("-01010123456789")]
    [InlineData("0010101234567890")] // 16 digits
    [InlineData("٠٠١٠١٠١٢٣٤٥٦٧٨٩")] // non-ASCII digits
    public void Malformed_imsi_is_refused(string? imsi)
    {
        Assert.False(BootstrapKeys.TryImsiKey(imsi, out _));
        var expected = string.IsNullOrEmpty(imsi) ? BootstrapVerifyResult.MissingImsi : BootstrapVerifyResult.InvalidImsi;
        Assert.Equal(expected, BootstrapAuthenticator.Verify(BootstrapSecMethod.NetwPin, imsi, null, [], Vector3));
    }

    [Fact]
    public void Netwpin_vector_3_over_session_basic_body()
    {
        var body = AuthVectorTests.SessionBody();
        Assert.Equal(Vector3, BootstrapMac.ComputeHex(Convert.FromHexString("0910101032547698"), body));
        Assert.Equal(Vector3, BootstrapAuthenticator.ComputeMac(BootstrapSecMethod.NetwPin, Imsi, null, body));
        Assert.Equal(BootstrapVerifyResult.Ok, BootstrapAuthenticator.Verify(BootstrapSecMethod.NetwPin, Imsi, null, body, Vector3));
        Assert.Equal(BootstrapVerifyResult.Ok, BootstrapAuthenticator.Verify(BootstrapSecMethod.NetwPin, Imsi, null, body, Vector3.ToLowerInvariant()));
    }

    [Fact]
    public void Netwpin_refuses_other_imsi_tampered_body_and_bad_mac_text()
    {
        var body = AuthVectorTests.SessionBody();
        Assert.Equal(BootstrapVerifyResult.MacMismatch, BootstrapAuthenticator.Verify(BootstrapSecMethod.NetwPin, "001010123456788", null, body, Vector3));
        var tampered = (byte[])body.Clone();
        tampered[0] ^= 1;
        Assert.Equal(BootstrapVerifyResult.MacMismatch, BootstrapAuthenticator.Verify(BootstrapSecMethod.NetwPin, Imsi, null, tampered, Vector3));
        Assert.Equal(BootstrapVerifyResult.MissingMac, BootstrapAuthenticator.Verify(BootstrapSecMethod.NetwPin, Imsi, null, body, null));
        Assert.Equal(BootstrapVerifyResult.MacMismatch, BootstrapAuthenticator.Verify(BootstrapSecMethod.NetwPin, Imsi, null, body, Vector3[..38]));
        Assert.Equal(BootstrapVerifyResult.MacMismatch, BootstrapAuthenticator.Verify(BootstrapSecMethod.NetwPin, Imsi, null, body, "ZZ" + Vector3[2..]));
    }

    // The USERPIN / USERNETWPIN / USERPINMAC expectations were computed independently with Python's hmac module
    // (same body); only NETWPIN has a real-client vector.
    [Fact]
    public void Userpin_key_is_pin_ascii()
    {
        var body = AuthVectorTests.SessionBody();
        const string mac = "9970545F919566AF4B9ADA286A608D6C0A341310";
        Assert.Equal(mac, BootstrapAuthenticator.ComputeMac(BootstrapSecMethod.UserPin, null, "1234", body));
        Assert.Equal(BootstrapVerifyResult.Ok, BootstrapAuthenticator.Verify(BootstrapSecMethod.UserPin, null, "1234", body, mac));
        Assert.Equal(BootstrapVerifyResult.MacMismatch, BootstrapAuthenticator.Verify(BootstrapSecMethod.UserPin, null, "1235", body, mac));
    }

    [Fact]
    public void Usernetwpin_key_is_imsi_semi_octets_then_pin()
    {
        var body = AuthVectorTests.SessionBody();
        const string mac = "1A8DA7D55B8B198A014EC6DE7BA3278F72D76660";
        Assert.Equal(mac, BootstrapAuthenticator.ComputeMac(BootstrapSecMethod.UserNetwPin, Imsi, "1234", body));
        Assert.Equal(BootstrapVerifyResult.Ok, BootstrapAuthenticator.Verify(BootstrapSecMethod.UserNetwPin, Imsi, "1234", body, mac));
        Assert.Equal(BootstrapVerifyResult.MissingPin, BootstrapAuthenticator.Verify(BootstrapSecMethod.UserNetwPin, Imsi, "", body, mac));
        Assert.Equal(BootstrapVerifyResult.MissingImsi, BootstrapAuthenticator.Verify(BootstrapSecMethod.UserNetwPin, null, "1234", body, mac));
    }

    [Fact]
    public void Userpinmac_second_half_is_hmac_bytes_mod_10()
    {
        var body = AuthVectorTests.SessionBody();
        Assert.Equal("1234543019", BootstrapAuthenticator.ComputeUserPinMacPin("12345", body));
        Assert.Equal(BootstrapVerifyResult.Ok, BootstrapAuthenticator.Verify(BootstrapSecMethod.UserPinMac, null, "1234543019", body, null));
        Assert.Equal(BootstrapVerifyResult.MacMismatch, BootstrapAuthenticator.Verify(BootstrapSecMethod.UserPinMac, null, "1234543010", body, null));
        var longPin = BootstrapAuthenticator.ComputeUserPinMacPin("12345678901234567890", body);
        Assert.Equal(BootstrapVerifyResult.Ok, BootstrapAuthenticator.Verify(BootstrapSecMethod.UserPinMac, null, longPin, body, null));
    }

    [Theory]
    [InlineData("123454301")] // odd
    [InlineData("12344301")] // shorter than 10
    [InlineData("12345a3019")] // non-digit
    [InlineData("123456789012345678901234567890123456789012")] // more check digits than HMAC bytes
    public void Userpinmac_malformed_pin_is_refused(string pin) =>
        Assert.Equal(BootstrapVerifyResult.InvalidPin, BootstrapAuthenticator.Verify(BootstrapSecMethod.UserPinMac, null, pin, [], null));

    [Theory]
    [InlineData(BootstrapSecMethod.UserPin)]
    [InlineData(BootstrapSecMethod.UserPinMac)]
    public void Empty_pin_is_refused(BootstrapSecMethod sec)
    {
        Assert.Equal(BootstrapVerifyResult.MissingPin, BootstrapAuthenticator.Verify(sec, Imsi, "", [], Vector3));
        Assert.Equal(BootstrapVerifyResult.MissingPin, BootstrapAuthenticator.Verify(sec, Imsi, null, [], Vector3));
    }

    [Fact]
    public void Pin_with_control_characters_or_too_long_is_invalid()
    {
        Assert.Equal(BootstrapVerifyResult.InvalidPin, BootstrapAuthenticator.Verify(BootstrapSecMethod.UserPin, null, "12\n34", [], Vector3));
        Assert.Equal(BootstrapVerifyResult.InvalidPin, BootstrapAuthenticator.Verify(BootstrapSecMethod.UserPin, null, new string('1', 65), [], Vector3));
    }

    [Fact]
    public void Unknown_sec_method_is_refused()
    {
        Assert.Equal(BootstrapVerifyResult.UnknownMethod, BootstrapAuthenticator.Verify((BootstrapSecMethod)4, Imsi, "1234", [], Vector3));
        Assert.Throws<ArgumentException>(() => BootstrapAuthenticator.ComputeMac((BootstrapSecMethod)4, Imsi, "1234", []));
        Assert.Throws<ArgumentException>(() => BootstrapAuthenticator.ComputeMac(BootstrapSecMethod.UserPinMac, Imsi, "1234", []));
        Assert.Throws<ArgumentException>(() => BootstrapAuthenticator.ComputeUserPinMacPin("1234", []));
    }

    [Fact]
    public void Generic_key_method_uses_the_given_key()
    {
        var key = "shared-with-registration-operator"u8.ToArray();
        var body = "<wap-provisioningdoc/>"u8.ToArray();
        var mac = BootstrapMac.ComputeHex(key, body);
        Assert.Equal(40, mac.Length);
        Assert.Equal(mac, mac.ToUpperInvariant());
        Assert.True(BootstrapMac.VerifyHex(key, body, mac));
        Assert.False(BootstrapMac.VerifyHex("other"u8, body, mac));
        Assert.False(BootstrapMac.VerifyHex(key, body, null));
        Assert.False(BootstrapMac.VerifyHex(key, body, mac + "00"));
    }
}
