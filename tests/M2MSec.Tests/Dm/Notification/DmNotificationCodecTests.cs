using System.Security.Cryptography;
using System.Text;
using M2MSec.Dm.Auth;
using M2MSec.Dm.Notification;

namespace M2MSec.Tests.Dm.Notification;

/// <summary>
/// Package 0 (OMA-TS-DM_Notification-V1_2 §6.2): the trigger-hdr bit layout written out by hand, the digest
/// recomputed here straight from the formula H(B64(H(id:pwd)):nonce:B64(H(trigger))), and every malformed form.
/// </summary>
public sealed class DmNotificationCodecTests
{
    private static readonly DmCredentials Server = new("m2msec-dm", "server-secret"u8.ToArray());
    private static readonly DmNonce Nonce = DmNonce.FromBytes("0123456789abcdef"u8);

    [Fact]
    public void Header_BitLayout_IsTheSpecs()
    {
        var package0 = DmNotificationCodec.Encode(new DmNotification("m2msec-dm", 0x1234, DmUiMode.Informative, DmInitiator.Server), Server, Nonce);
        // version 12 (10 bits) | ui-mode 2 (2) | initiator 1 (1) | 27 zero bits | session 0x1234 | id length 9
        // 0000001100 10 1 000000000000000000000000000 0001001000110100 00001001
        Assert.Equal("0328000000123409", Convert.ToHexString(package0, 16, 8));
        Assert.Equal("m2msec-dm", Encoding.ASCII.GetString(package0, 24, 9));
        Assert.Equal(33, package0.Length);
    }

    [Fact]
    public void Digest_IsTheFormula_ComputedIndependently()
    {
        var package0 = DmNotificationCodec.Encode(new DmNotification("m2msec-dm", 7) { VendorData = [0xAA, 0xBB] }, Server, Nonce);
        var trigger = package0[16..];
        var inner = Convert.ToBase64String(MD5.HashData("m2msec-dm:server-secret"u8));
        var expected = MD5.HashData([.. Encoding.ASCII.GetBytes(inner), (byte)':', .. "0123456789abcdef"u8, (byte)':', .. Encoding.ASCII.GetBytes(Convert.ToBase64String(MD5.HashData(trigger)))]);
        Assert.Equal(expected, package0[..16]);
        Assert.True(DmNotificationCodec.VerifyDigest(package0, Server, Nonce));
    }

    [Fact]
    public void Decode_RoundTrips_TheFields()
    {
        var sent = new DmNotification("srv", 0xBEEF, DmUiMode.UserInteraction, DmInitiator.User) { VendorData = [1, 2, 3] };
        Assert.True(DmNotificationCodec.TryDecode(DmNotificationCodec.Encode(sent, Server, Nonce), out var got, out var error));
        Assert.Equal(DmNotificationError.None, error);
        Assert.Equal((sent.ServerId, sent.SessionId, sent.UiMode, sent.Initiator, sent.Version), (got.ServerId, got.SessionId, got.UiMode, got.Initiator, got.Version));
        Assert.Equal(sent.VendorData, got.VendorData);
        Assert.Equal("BEEF", got.SyncMlSessionId);
    }

    [Fact]
    public void LibdmclientVersion11_IsAccepted()
    {
        var package0 = DmNotificationCodec.Encode(new DmNotification("srv", 1, Version: 11), Server, Nonce);
        Assert.True(DmNotificationCodec.TryDecode(package0, out var n, out _));
        Assert.Equal(11, n.Version);
    }

    [Fact]
    public void WrongPassword_OtherNonce_TamperedTrigger_FailTheDigest()
    {
        var package0 = DmNotificationCodec.Encode(new DmNotification("m2msec-dm", 9), Server, Nonce);
        Assert.False(DmNotificationCodec.VerifyDigest(package0, new DmCredentials("m2msec-dm", "other"u8.ToArray()), Nonce));
        Assert.False(DmNotificationCodec.VerifyDigest(package0, Server, DmNonce.Empty));
        var tampered = (byte[])package0.Clone();
        tampered[22] ^= 1; // session id
        Assert.False(DmNotificationCodec.VerifyDigest(tampered, Server, Nonce));
        Assert.False(DmNotificationCodec.VerifyDigest(package0[..20], Server, Nonce));
    }

    public static TheoryData<string, DmNotificationError> Malformed => new()
    {
        { "", DmNotificationError.Truncated },
        { new string('0', 46), DmNotificationError.Truncated },                                   // 23 octets
        { new string('0', 32) + "0000000000000003" + "4142", DmNotificationError.UnsupportedVersion }, // version 0
        { new string('0', 32) + "FFC0000000000003" + "4142", DmNotificationError.UnsupportedVersion }, // version 1023
        { new string('0', 32) + "0300000000000005" + "4142", DmNotificationError.Truncated },     // id length past the end
        { new string('0', 32) + "0300000000000000", DmNotificationError.BadServerId },            // empty server id
        { new string('0', 32) + "0300000000000002" + "C328", DmNotificationError.BadServerId },   // invalid UTF-8
        { new string('0', 32) + "0300000000000002" + "4100", DmNotificationError.BadServerId },   // control character
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void Malformed_GivesATypedError(string hex, DmNotificationError expected)
    {
        Assert.False(DmNotificationCodec.TryDecode(Convert.FromHexString(hex), out var n, out var error));
        Assert.Null(n);
        Assert.Equal(expected, error);
    }

    [Fact]
    public void Encode_RefusesUnencodableNotifications()
    {
        Assert.Throws<ArgumentException>(() => DmNotificationCodec.Encode(new DmNotification("", 1), Server, Nonce));
        Assert.Throws<ArgumentException>(() => DmNotificationCodec.Encode(new DmNotification(new string('a', 256), 1), Server, Nonce));
        Assert.Throws<ArgumentException>(() => DmNotificationCodec.Encode(new DmNotification("a", 1, Version: 1024), Server, Nonce));
    }
}
