using System.Security.Cryptography;
using M2MSec.Aka;
using M2MSec.Nas;
using M2MSec.Nas.Trigger;

namespace M2MSec.Tests.Nas;

/// <summary>
/// Issue 17 groundwork (docs/decisions/025): the trigger indication's NAS codec and its protection with the last shared
/// security context — network identity check (seed 002 §6.1 solution 1), 128-EIA2 MAC under K_NASint with the downlink NAS
/// COUNT (solution 2), replay refused. Each threat the issue names at this layer has its test.
/// </summary>
public sealed class TriggerIndicationTests
{
    private const string Plmn = "00101";
    private static readonly byte[] Kasme = Convert.FromHexString("238e457e0f758badbca8d34bb2612c10428d426757cb5553b2b184fa64bfc549");
    private static readonly byte[] KnasInt = NasKeys.KnasInt(Kasme);

    private static TriggerIndication Dm(uint reference = 7) => new(Plmn, reference, TriggerAction.DmSession, ReadOnlyMemory<byte>.Empty);

    [Fact]
    public void PlmnIdentity_EncodesAndDecodes_TwoAndThreeDigitMnc_RefusesNonBcd()
    {
        Assert.Equal(Convert.FromHexString("00F110"), PlmnIdentity.Encode("00101"));
        Assert.Equal(Convert.FromHexString("130014"), PlmnIdentity.Encode("310410"));
        Assert.True(PlmnIdentity.TryDecode(Convert.FromHexString("00F110"), out var two));
        Assert.Equal("00101", two);
        Assert.True(PlmnIdentity.TryDecode(Convert.FromHexString("130014"), out var three));
        Assert.Equal("310410", three);
        Assert.False(PlmnIdentity.TryDecode(Convert.FromHexString("0AF110"), out _));
        Assert.False(PlmnIdentity.TryDecode(Convert.FromHexString("00F1"), out _));
        Assert.False(PlmnIdentity.TryDecode(Convert.FromHexString("00E110"), out _));
        Assert.Throws<ArgumentException>(() => PlmnIdentity.Encode("0010"));
        Assert.Throws<ArgumentException>(() => PlmnIdentity.Encode("00a01"));
    }

    [Fact]
    public void Codec_RoundTrips_EveryAction_AndThePayload()
    {
        foreach (var action in Enum.GetValues<TriggerAction>())
        {
            var t = new TriggerIndication("310410", 0xDEADBEEF, action, RandomNumberGenerator.GetBytes(action == TriggerAction.DmSession ? 0 : 40));
            var m = TriggerIndicationCodec.Encode(t);
            Assert.Equal([0x07, 0x68, 0xF1], m[..3]);
            var back = TriggerIndicationCodec.Decode(m);
            Assert.Equal((t.Plmn, t.Reference, t.Action), (back.Plmn, back.Reference, back.Action));
            Assert.Equal(t.Payload.ToArray(), back.Payload.ToArray());
        }
        Assert.Throws<ArgumentException>(() => TriggerIndicationCodec.Encode(Dm() with { Payload = new byte[TriggerIndication.MaxPayloadLength + 1] }));
        Assert.Throws<ArgumentException>(() => TriggerIndicationCodec.Encode(Dm() with { Action = (TriggerAction)9 }));
        Assert.Throws<ArgumentException>(() => TriggerIndicationCodec.Encode(Dm() with { Plmn = "1" }));
    }

    [Theory]
    [InlineData("", 0)]
    [InlineData("0768F1000901", 0)] // shorter than an empty trigger
    [InlineData("1768F100090100F1100000000701", 0)] // another protocol discriminator
    [InlineData("0769F100090100F1100000000701", 1)] // another message type
    [InlineData("07680100090100F1100000000701", 2)] // an LPP container
    [InlineData("0768F1000A0100F1100000000701", 3)] // LV-E longer than what follows
    [InlineData("0768F100090100F11000000007", 0)] // truncated
    [InlineData("0768F100090200F1100000000701", 5)] // container version 2
    [InlineData("0768F10009010AF1100000000701", 6)] // PLMN not BCD
    [InlineData("0768F100090100F1100000000704", 13)] // unknown action
    public void Codec_RefusesMalformedMessages_NamingTheOffset(string hex, int offset)
    {
        var e = Assert.Throws<TriggerFormatException>(() => TriggerIndicationCodec.Decode(Convert.FromHexString(hex)));
        Assert.Equal(offset, e.Offset);
    }

    [Fact]
    public void Codec_RefusesAnOversizedMessage() =>
        Assert.Throws<TriggerFormatException>(() => TriggerIndicationCodec.Decode(new byte[TriggerIndicationCodec.MaxLength + 1]));

    [Fact]
    public void ProtectedTrigger_IsAcceptedOnce_InCountOrder_AcrossTheSequenceNumberWrap()
    {
        uint? last = null;
        for (uint count = 0; count < 600; count += 7)
        {
            var result = ProtectedTrigger.Verify(KnasInt, last, Plmn, ProtectedTrigger.Protect(KnasInt, count, Dm(count)));
            Assert.True(result.IsAccepted, result.Detail);
            Assert.Equal((count, count), (result.Count, result.Indication!.Reference));
            Assert.Equal(1, result.MacsComputed);
            last = result.Count;
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => ProtectedTrigger.Protect(KnasInt, ProtectedTrigger.MaxCount + 1, Dm()));
    }

    [Fact]
    public void TriggerFromAFakeNetwork_OtherPlmn_IsDroppedBeforeAnyMac_FakeNetworkThreat()
    {
        var fake = ProtectedTrigger.Protect(KnasInt, 1, Dm() with { Plmn = "00102" });
        var result = ProtectedTrigger.Verify(KnasInt, 0, Plmn, fake);
        Assert.Equal((TriggerVerification.WrongNetwork, 0), (result.Code, result.MacsComputed));
    }

    [Fact]
    public void TriggerWithAWrongMac_OrUnprotected_IsDropped_ForgedTriggerThreat()
    {
        var good = ProtectedTrigger.Protect(KnasInt, 3, Dm());
        var tampered = (byte[])good.Clone();
        tampered[^2] ^= 0x01; // the reference
        Assert.Equal(TriggerVerification.BadMac, ProtectedTrigger.Verify(KnasInt, 2, Plmn, tampered).Code);
        var badMac = (byte[])good.Clone();
        badMac[2] ^= 0x80;
        Assert.Equal(TriggerVerification.BadMac, ProtectedTrigger.Verify(KnasInt, 2, Plmn, badMac).Code);
        var forged = ProtectedTrigger.Protect(RandomNumberGenerator.GetBytes(16), 3, Dm()); // a fake network with the right PLMN
        Assert.Equal(TriggerVerification.BadMac, ProtectedTrigger.Verify(KnasInt, 2, Plmn, forged).Code);
        Assert.Equal(TriggerVerification.Unprotected, ProtectedTrigger.Verify(KnasInt, 2, Plmn, TriggerIndicationCodec.Encode(Dm())).Code);
        Assert.Equal(TriggerVerification.Unprotected, ProtectedTrigger.Verify(KnasInt, 2, Plmn, []).Code);
        Assert.Equal(TriggerVerification.Malformed, ProtectedTrigger.Verify(KnasInt, 2, Plmn, good[..^10]).Code);
    }

    [Fact]
    public void ReplayedTrigger_IsRefused_AlsoAnOlderOne_ReplayedTriggerThreat()
    {
        var first = ProtectedTrigger.Protect(KnasInt, 5, Dm(1));
        var second = ProtectedTrigger.Protect(KnasInt, 6, Dm(2));
        var accepted = ProtectedTrigger.Verify(KnasInt, 4, Plmn, first);
        Assert.True(accepted.IsAccepted);
        var after = ProtectedTrigger.Verify(KnasInt, accepted.Count, Plmn, second);
        Assert.True(after.IsAccepted);
        Assert.Equal(TriggerVerification.Replayed, ProtectedTrigger.Verify(KnasInt, after.Count, Plmn, second).Code);
        Assert.Equal(TriggerVerification.Replayed, ProtectedTrigger.Verify(KnasInt, after.Count, Plmn, first).Code);
    }

    [Fact]
    public void TriggerForAnotherDevice_DoesNotVerifyUnderThisDevicesContext_OtherDeviceThreat()
    {
        var otherKasme = RandomNumberGenerator.GetBytes(32);
        var forOther = ProtectedTrigger.Protect(NasKeys.KnasInt(otherKasme), 1, Dm());
        Assert.Equal(TriggerVerification.BadMac, ProtectedTrigger.Verify(KnasInt, 0, Plmn, forOther).Code);
    }
}
