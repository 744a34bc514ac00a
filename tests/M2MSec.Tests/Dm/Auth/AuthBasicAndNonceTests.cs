using System.Text;
using M2MSec.Dm.Auth;

namespace M2MSec.Tests.Dm.Auth;

public sealed class AuthBasicAndNonceTests
{
    private static readonly DmCredentials Client = new("funambol", "funambol");

    [Fact]
    public void Basic_is_base64_of_name_colon_password()
    {
        Assert.Equal(Convert.ToBase64String("funambol:funambol"u8.ToArray()), AuthBasic.Compute(Client));
        Assert.True(AuthBasic.Verify(Client, "ZnVuYW1ib2w6ZnVuYW1ib2w="));
        Assert.True(AuthBasic.TryDecode("ZnVuYW1ib2w6ZnVuYW1ib2w=", out var name, out var pwd));
        Assert.Equal("funambol", name);
        Assert.Equal("funambol"u8.ToArray(), pwd);
    }

    [Fact]
    public void Basic_password_may_contain_colons_name_splits_at_first()
    {
        var data = Convert.ToBase64String("n:p:q"u8.ToArray());
        Assert.True(AuthBasic.TryDecode(data, out var name, out var pwd));
        Assert.Equal("n", name);
        Assert.Equal("p:q"u8.ToArray(), pwd);
        Assert.True(AuthBasic.Verify(new DmCredentials("n", "p:q"), data));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("not base64!")]
    [InlineData("ZnVuYW1ib2w")] // missing padding
    [InlineData("ZnVuYW1ib2w=")] // "funambol", no ':'
    public void Basic_malformed_data_is_refused(string? data)
    {
        Assert.False(AuthBasic.TryDecode(data, out _, out _));
        Assert.False(AuthBasic.Verify(Client, data));
    }

    [Fact]
    public void Basic_refuses_wrong_password_huge_input_and_bad_utf8_name()
    {
        Assert.False(AuthBasic.Verify(Client, Convert.ToBase64String("funambol:funambox"u8.ToArray())));
        Assert.False(AuthBasic.Verify(Client, Convert.ToBase64String(Encoding.ASCII.GetBytes("funambol:" + new string('a', 2000)))));
        Assert.False(AuthBasic.TryDecode(Convert.ToBase64String([0xFF, 0xFE, (byte)':', 0x41]), out _, out _));
    }

    [Fact]
    public void Md5_refuses_malformed_or_wrong_data()
    {
        var nonce = DmNonce.FromBytes("srvnonce-0001"u8);
        Assert.False(AuthMd5.Verify(Client, nonce, null));
        Assert.False(AuthMd5.Verify(Client, nonce, "!!!"));
        Assert.False(AuthMd5.Verify(Client, nonce, "02NR1vQD/ih2Pog7WNuADg"));
        Assert.False(AuthMd5.Verify(Client, nonce, "02NR1vQD/ih2Pog7WNuADw=="));
        Assert.False(AuthMd5.Verify(Client, nonce, "02NR1vQD/ih2Pog7WNuADg==AAAA"));
        Assert.False(AuthMd5.Verify(Client, DmNonce.Empty, "02NR1vQD/ih2Pog7WNuADg=="));
    }

    [Fact]
    public void New_nonces_are_16_random_bytes_and_round_trip_through_the_wire_form()
    {
        var a = DmNonce.New();
        var b = DmNonce.New();
        Assert.Equal(16, a.Bytes.Length);
        Assert.NotEqual(a.Bytes.ToArray(), b.Bytes.ToArray());
        Assert.True(DmNonce.TryFromWire(a.ToWire(), out var back));
        Assert.Equal(a.Bytes.ToArray(), back.Bytes.ToArray());
    }

    [Theory]
    [InlineData(null)]
    [InlineData("abc")]
    [InlineData("a$==")]
    public void Nonce_wire_form_malformed_is_refused(string? wire) => Assert.False(DmNonce.TryFromWire(wire, out _));

    [Fact]
    public void Nonce_wire_form_over_long_is_refused() =>
        Assert.False(DmNonce.TryFromWire(Convert.ToBase64String(new byte[1000]), out _));

    [Fact]
    public void Credentials_and_nonces_do_not_print_secrets()
    {
        var c = new DmCredentials("funambol", "s3cr3t-pw");
        Assert.DoesNotContain("s3cr3t", c.ToString(), StringComparison.Ordinal);
        Assert.Contains("funambol", c.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(DmNonce.FromBytes("xyz"u8).ToWire(), DmNonce.FromBytes("xyz"u8).ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(DmAuthScheme.Basic, "syncml:auth-basic")]
    [InlineData(DmAuthScheme.Md5, "syncml:auth-md5")]
    [InlineData(DmAuthScheme.Hmac, "syncml:auth-MAC")]
    public void Scheme_names_round_trip(DmAuthScheme scheme, string name)
    {
        Assert.Equal(name, scheme.ToWireName());
        Assert.True(DmAuthSchemeNames.TryParse(name, out var back));
        Assert.Equal(scheme, back);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("syncml:auth-mac")]
    [InlineData("syncml:auth-digest")]
    public void Unknown_scheme_names_are_refused(string? name) => Assert.False(DmAuthSchemeNames.TryParse(name, out _));
}
