using M2MSec.Device.Dm;
using M2MSec.Dm.Notification;
using M2MSec.Ota.SmsPp;

namespace M2MSec.Tests.Dm.Notification;

/// <summary>
/// Package 0's carriage: WSP push PDU (WAP-230 §8.2.4.1) in WDP datagrams to port 2948 over SMS (UDH IEI '05',
/// TS 23.040 §9.2.3.24.4), byte for byte, concatenated, and malformed.
/// </summary>
public sealed class WapPushOverSmsTests
{
    private static readonly AddressField Originator = new("4930000000", AddressField.TonInternational, AddressField.NpiIsdn);
    private static readonly byte[] Scts = Convert.FromHexString("62113281000000");

    [Fact]
    public void WspPush_IsTid_Push_HeadersLen_ContentType_AppId_Data()
    {
        var pdu = new WspPush(WspPush.SyncMlNotification, WspPush.SyncMlDmApplication, [0xDE, 0xAD], TransactionId: 0x01).Encode();
        // 01 tid, 06 Push, 03 headers length, C4 = application/vnd.syncml.notification, AF 87 = X-Wap-Application-Id: syncml.dm
        Assert.Equal("010603C4AF87DEAD", Convert.ToHexString(pdu));
        Assert.True(WspPush.TryDecode(pdu, out var back));
        Assert.Equal((WspPush.SyncMlNotification, (int?)WspPush.SyncMlDmApplication, (byte)1), (back.ContentType, back.ApplicationId, back.TransactionId));
        Assert.Equal([0xDE, 0xAD], back.Data);
    }

    [Theory]
    [InlineData("")]
    [InlineData("0106")]            // no headers length
    [InlineData("010703C4AF87")]    // PDU type 07 is not Push
    [InlineData("010609C4AF87")]    // headers length past the end
    [InlineData("0106808080808001C4")] // uintvar longer than 5 octets
    [InlineData("010601")]          // headers present but content type is textual (no high bit)
    public void WspPush_Malformed_IsRefused(string hex) => Assert.False(WspPush.TryDecode(Convert.FromHexString(hex), out _));

    [Fact]
    public void SingleSms_CarriesThePortsInTheUdh()
    {
        var tpdu = Assert.Single(PortAddressedSms.Tpdus([0x01, 0x02], WspPush.PushPort, WspPush.OriginatorPort, Originator, Scts, 0));
        var sms = SmsDeliver.Decode(tpdu);
        Assert.True(sms.UserDataHeader);
        Assert.Equal(PortAddressedSms.Dcs8Bit, sms.Dcs);
        Assert.Equal("0605040B8423F00102", Convert.ToHexString(sms.UserData)); // UDHL 6, IEI 05 len 4: dst 2948, src 9200
        Assert.Equal([0x01, 0x02], PortAddressedSms.Datagram([tpdu], out var port));
        Assert.Equal(WspPush.PushPort, port);
    }

    [Fact]
    public void LongDatagram_IsConcatenated_AndReassembledInAnyOrder()
    {
        var datagram = Enumerable.Range(0, 400).Select(i => (byte)i).ToArray();
        var tpdus = PortAddressedSms.Tpdus(datagram, WspPush.PushPort, WspPush.OriginatorPort, Originator, Scts, 77);
        Assert.Equal(4, tpdus.Count);
        Assert.All(tpdus, t => Assert.True(t.Length <= 140 + 30));
        Assert.Equal(datagram, PortAddressedSms.Datagram(tpdus.Reverse(), out _));
        Assert.Throws<FormatException>(() => PortAddressedSms.Datagram(tpdus.Take(3), out _));            // a segment missing
        Assert.Throws<FormatException>(() => PortAddressedSms.Datagram([.. tpdus, tpdus[0]], out _));      // a segment twice
    }

    [Fact]
    public void Sms_WithoutPorts_OrWithBrokenElements_IsRefused()
    {
        var noUdh = new SmsDeliver(Originator, 0, PortAddressedSms.Dcs8Bit, Scts, [1, 2, 3], false).Encode();
        Assert.Throws<FormatException>(() => PortAddressedSms.Datagram([noUdh], out _));
        var otherIe = new SmsDeliver(Originator, 0, PortAddressedSms.Dcs8Bit, Scts, [0x02, 0x70, 0x00, 1], true).Encode();
        Assert.Throws<FormatException>(() => PortAddressedSms.Datagram([otherIe], out _));
        var shortPorts = new SmsDeliver(Originator, 0, PortAddressedSms.Dcs8Bit, Scts, [0x04, 0x05, 0x02, 0x0B, 0x84, 1], true).Encode();
        Assert.Throws<FormatException>(() => PortAddressedSms.Datagram([shortPorts], out _));
        Assert.Throws<FormatException>(() => PortAddressedSms.Datagram([], out _));
    }

    [Fact]
    public void PushReceiver_FindsPackage0_AndIgnoresWhatIsNotADmNotification()
    {
        var package0 = DmNotificationCodec.Encode(new DmNotification("srv", 5), new M2MSec.Dm.Auth.DmCredentials("srv", "pw"u8.ToArray()), M2MSec.Dm.Auth.DmNonce.Empty);
        var push = new WspPush(WspPush.SyncMlNotification, WspPush.SyncMlDmApplication, package0).Encode();
        var tpdus = PortAddressedSms.Tpdus(push, WspPush.PushPort, WspPush.OriginatorPort, Originator, Scts, 1);
        Assert.Equal(package0, DmPushReceiver.Package0(tpdus, out var why));
        Assert.Null(why);

        var otherPort = PortAddressedSms.Tpdus(push, 9999, WspPush.OriginatorPort, Originator, Scts, 1);
        Assert.Null(DmPushReceiver.Package0(otherPort, out why));
        Assert.Contains("9999", why, StringComparison.Ordinal);
        var otherType = PortAddressedSms.Tpdus(new WspPush(WspPush.SyncMlDmWbxml, WspPush.SyncMlDmApplication, package0).Encode(), WspPush.PushPort, WspPush.OriginatorPort, Originator, Scts, 1);
        Assert.Null(DmPushReceiver.Package0(otherType, out _));
        foreach (var broken in new[] { "01", "04", "0405", "040A91", "0400" + new string('0', 20) })
        {
            Assert.Null(DmPushReceiver.Package0([Convert.FromHexString(broken)], out why));
            Assert.NotNull(why);
        }
    }
}
