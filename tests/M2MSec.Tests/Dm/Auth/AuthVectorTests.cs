using M2MSec.Dm.Auth;
using M2MSec.Tests.Support;

namespace M2MSec.Tests.Dm.Auth;

/// <summary>Known answers from tests/vectors/syncml-auth (libdmclient on loopback).</summary>
public sealed class AuthVectorTests
{
    private static readonly DmCredentials Client = new("funambol", "funambol");
    private static readonly DmCredentials Server = new("funambol", "srvpwd");

    internal static byte[] SessionBody() => File.ReadAllBytes(TestVectors.PathOf("syncml-auth/session_basic_02_server_to_client.xml"));

    [Fact]
    public void Vector_file_states_the_values_used_here()
    {
        var text = File.ReadAllText(TestVectors.PathOf("syncml-auth/auth_test_vectors.txt"));
        Assert.Contains("02NR1vQD/ih2Pog7WNuADg==", text, StringComparison.Ordinal);
        Assert.Contains("Lx7CSZp0iHRedCEbryGJuw==", text, StringComparison.Ordinal);
        Assert.Contains("8m+Z7Hxd8UDAUfNO5tqW5w==", text, StringComparison.Ordinal);
        Assert.Contains("c3J2bm9uY2UtMDAwMQ==", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Md5_vector_1a_client_to_server_with_server_nonce()
    {
        Assert.True(DmNonce.TryFromWire("c3J2bm9uY2UtMDAwMQ==", out var nonce));
        Assert.Equal("srvnonce-0001"u8.ToArray(), nonce.Bytes.ToArray());
        Assert.Equal("02NR1vQD/ih2Pog7WNuADg==", AuthMd5.Compute(Client, nonce));
        Assert.True(AuthMd5.Verify(Client, nonce, "02NR1vQD/ih2Pog7WNuADg=="));
    }

    [Fact]
    public void Md5_vector_1b_server_to_client_empty_nonce()
    {
        Assert.Equal("Lx7CSZp0iHRedCEbryGJuw==", AuthMd5.Compute(Server, DmNonce.Empty));
        Assert.True(AuthMd5.Verify(Server, DmNonce.Empty, "Lx7CSZp0iHRedCEbryGJuw=="));
        Assert.True(DmNonce.TryFromWire("", out var empty));
        Assert.Equal(0, empty.Bytes.Length);
    }

    [Fact]
    public void Mac_vector_2_over_session_basic_body()
    {
        var nonce = DmNonce.FromBytes("NONCE"u8);
        var body = SessionBody();
        Assert.Equal("8m+Z7Hxd8UDAUfNO5tqW5w==", AuthMac.ComputeMac(Server, nonce, body));
        var header = AuthMac.CreateHeader(Server, nonce, body);
        Assert.Equal("algorithm=MD5, username=\"funambol\", mac=8m+Z7Hxd8UDAUfNO5tqW5w==", header.Format());
        Assert.True(AuthMac.Verify(Server, nonce, body, header));
        Assert.True(AuthMac.Verify(Server, nonce, body, header.Format()));
    }

    [Fact]
    public void Mac_fails_on_changed_body_nonce_password_or_username()
    {
        var nonce = DmNonce.FromBytes("NONCE"u8);
        var body = SessionBody();
        var value = "algorithm=MD5, username=\"funambol\", mac=8m+Z7Hxd8UDAUfNO5tqW5w==";
        var tampered = (byte[])body.Clone();
        tampered[^2] ^= 1;
        Assert.False(AuthMac.Verify(Server, nonce, tampered, value));
        Assert.False(AuthMac.Verify(Server, DmNonce.FromBytes("NONCF"u8), body, value));
        Assert.False(AuthMac.Verify(Client, nonce, body, value));
        Assert.False(AuthMac.Verify(new DmCredentials("other", "srvpwd"), nonce, body, value));
        Assert.False(AuthMac.Verify(Server, nonce, body, "algorithm=MD5, username=\"funambol\", mac=AAAAAAAAAAAAAAAAAAAAAA=="));
    }

    [Fact]
    public void Libdmclient_double_base64_nonce_is_decoded_once_and_kept_opaque()
    {
        // NextNonce = B64(B64(8 bytes)): after one decode the nonce bytes are the ASCII text "Z3M7CzC8V1U=".
        var wire = Convert.ToBase64String("Z3M7CzC8V1U="u8.ToArray());
        Assert.True(DmNonce.TryFromWire(wire, out var nonce));
        Assert.Equal("Z3M7CzC8V1U="u8.ToArray(), nonce.Bytes.ToArray());
        Assert.Equal(wire, nonce.ToWire());
    }
}
