using System.Security.Cryptography;
using System.Text.Json;
using M2MSec.Ota.SmsPp;
using M2MSec.Tests.Support;

namespace M2MSec.Tests.Ota;

/// <summary>SMS-PP transport of secured packets (TS 23.040, TS 31.115, TS 31.111) against the independent vectors.</summary>
public sealed class SmsPpTests
{
    private static JsonElement Sms(string id) =>
        TestVectors.Load("ts102225/scp80-pysim.json").GetProperty("sms_vectors").EnumerateArray().Single(v => v.GetProperty("id").GetString() == id);

    [Theory]
    [InlineData("pysim/test_sms/UDH/test_single_ie")]
    [InlineData("pysim/test_sms/UDH/test_single_ie_tail")]
    [InlineData("pysim/test_sms/UDH/test_single_ie_value")]
    [InlineData("pysim/test_sms/UDH/test_two_ie_data_tail")]
    public void UserDataHeader_Decodes_AsTheVectorsSay(string id)
    {
        var v = Sms(id);
        var input = v.Hex("udh_input");
        var ies = UserDataHeader.Decode(input, out var consumed);
        var expected = v.GetProperty("expected");
        Assert.Equal(expected.GetProperty("ies").EnumerateArray().Select(e => (e.GetProperty("iei").GetString(), e.GetProperty("value").GetString())),
            ies.Select(e => ((string?)e.Iei.ToString("x2"), (string?)Convert.ToHexStringLower(e.Value))));
        Assert.Equal(expected.GetProperty("tail").GetString(), Convert.ToHexStringLower(input[consumed..]));
        Assert.Equal(input[..consumed], UserDataHeader.Encode(ies));
    }

    [Fact]
    public void Deliver_Decodes_TheVector()
    {
        var v = Sms("pysim/test_sms/DELIVER/test_from_bytes");
        var sms = SmsDeliver.Decode(v.Hex("tpdu_input"));
        var e = v.GetProperty("expected");
        Assert.Equal(e.GetProperty("tp_pid").GetString(), sms.Pid.ToString("x2"));
        Assert.Equal(e.GetProperty("tp_dcs").GetString(), sms.Dcs.ToString("x2"));
        Assert.Equal(e.GetProperty("tp_udl").GetInt32(), sms.UserData.Length);
        Assert.Equal(e.GetProperty("tp_udhi").GetBoolean(), sms.UserDataHeader);
        Assert.Equal(!e.GetProperty("tp_mms").GetBoolean(), sms.MoreMessagesToSend);
        Assert.Equal(v.Hex("tpdu_input"), sms.Encode());
    }

    [Fact]
    public void Address_EncodesAndDecodes_AsTheVectorsSay()
    {
        Assert.Equal("05912143f5", Convert.ToHexStringLower(new AddressField("12345", AddressField.TonInternational, AddressField.NpiIsdn).Encode()));
        var a = AddressField.Decode(Convert.FromHexString("0480214399"), out var consumed);
        Assert.Equal(("1234", (byte)0, (byte)0, 4), (a.Digits, a.Ton, a.Npi, consumed));
    }

    [Fact]
    public void CommandTpdu_MatchesTheVector_ApartFromItsUdlAndMmsArtefacts()
    {
        var v = TestVectors.Load("ts102225/scp80-pysim.json").GetProperty("vectors").EnumerateArray()
            .First(x => x.GetProperty("expected").TryGetProperty("encoded_tpdu", out _));
        var packet = v.GetProperty("expected").Hex("encoded_cmd");
        var tpdu = OtaSms.CommandTpdus(packet, new AddressField("12345678", AddressField.TonUnknown, AddressField.NpiIsdn), Convert.FromHexString("22705200000000"), 0).Single();
        var theirs = v.GetProperty("expected").Hex("encoded_tpdu");
        // Same OA, PID 7F, DCS F6, SCTS and user data (02 70 00 ‖ packet); the vector's first
        // octet has MMS = 0 and its UDL is 3 (test artefacts noted in the vector file).
        Assert.Equal(theirs[1..^(packet.Length + 4)], tpdu[1..^(packet.Length + 4)]);
        Assert.Equal(theirs[^(packet.Length + 3)..], tpdu[^(packet.Length + 3)..]);
        Assert.Equal(3 + packet.Length, tpdu[^(packet.Length + 4)]);
        Assert.Equal(packet, OtaSms.CommandPacketFrom([tpdu]));
    }

    [Theory]
    [InlineData(137, 1)]
    [InlineData(138, 2)]
    [InlineData(400, 3)]
    [InlineData(1000, 8)]
    public void LongPackets_AreConcatenated_AndReassembledInAnyOrder(int length, int messages)
    {
        var packet = RandomNumberGenerator.GetBytes(length);
        var tpdus = OtaSms.CommandTpdus(packet, new AddressField("1234", 0, 1), new byte[7], 42);
        Assert.Equal(messages, tpdus.Count);
        Assert.All(tpdus, t => Assert.True(SmsDeliver.Decode(t).UserData.Length <= 140));
        Assert.Equal(packet, OtaSms.CommandPacketFrom(tpdus.Reverse()));
        if (messages > 1)
        {
            Assert.Throws<FormatException>(() => OtaSms.CommandPacketFrom(tpdus.Skip(1)));
            Assert.Throws<FormatException>(() => OtaSms.CommandPacketFrom([.. tpdus, tpdus[0]]));
        }
    }

    [Fact]
    public void Envelope_IsSmsPpDownload_WithDeviceIdentitiesAndTpdu()
    {
        var tpdu = OtaSms.CommandTpdus([1, 2, 3], new AddressField("1234", 0, 1), new byte[7], 0).Single();
        var envelope = OtaSms.SmsPpDownloadEnvelope(tpdu);
        Assert.Equal(0xD1, envelope[0]);
        Assert.Equal(envelope.Length - 2, envelope[1]);
        Assert.Equal([0x82, 0x02, 0x83, 0x81, 0x8B, (byte)tpdu.Length], envelope[2..8]);
        Assert.Equal(tpdu, envelope[8..]);
    }

    [Theory]
    [InlineData("")]
    [InlineData("01")]
    [InlineData("4004")]
    [InlineData("400481214365")]
    [InlineData("400881214365877ff62270520000000004027000")]
    [InlineData("400881214365877f002270520000000003027000ff")]
    public void MalformedTpdus_AreFormatErrors(string hex) =>
        Assert.ThrowsAny<FormatException>(() => SmsDeliver.Decode(Convert.FromHexString(hex)));

    [Theory]
    [InlineData("05")]
    [InlineData("037001")]
    [InlineData("0370050102")]
    public void MalformedHeaders_AreFormatErrors(string hex) =>
        Assert.Throws<FormatException>(() => UserDataHeader.Decode(Convert.FromHexString(hex), out _));
}
