using System.Security.Cryptography;
using M2MSec.Aka;
using M2MSec.Device.Power;
using M2MSec.Device.Triggering;
using M2MSec.Nas.Trigger;

namespace M2MSec.Tests.Device;

/// <summary>
/// Issue 17 groundwork (docs/decisions/025, 026): a flood of fake triggers costs a protected device a wake-up and a paging check
/// each, an unprotected one a radio connection each; a genuine trigger still gets through. The figures are the labelled
/// assumptions of decision 026.
/// </summary>
public sealed class TriggerBatteryTests
{
    private const string Plmn = "00101";
    private const int Flood = 1000;
    private static readonly byte[] KnasInt = NasKeys.KnasInt(RandomNumberGenerator.GetBytes(32));

    private static byte[] Fake(int i) => i % 2 == 0
        ? ProtectedTrigger.Protect(RandomNumberGenerator.GetBytes(16), (uint)i, new TriggerIndication(Plmn, (uint)i, TriggerAction.DmSession, ReadOnlyMemory<byte>.Empty))
        : TriggerIndicationCodec.Encode(new TriggerIndication(Plmn, (uint)i, TriggerAction.DmSession, ReadOnlyMemory<byte>.Empty));

    [Fact]
    public void FloodOfFakeTriggers_ProtectedDeviceStaysAsleep_UnprotectedOneConnectsEveryTime_BatteryDrainThreat()
    {
        var protectedMeter = new BatteryMeter();
        var unprotectedMeter = new BatteryMeter();
        var protectedDevice = new TriggerReceiver(new InMemoryTriggerContext(KnasInt, Plmn, 10), protectedMeter);
        var unprotectedDevice = new TriggerReceiver(new InMemoryTriggerContext(KnasInt, Plmn, 10), unprotectedMeter, @protected: false);
        for (var i = 0; i < Flood; i++)
        {
            Assert.False(protectedDevice.Receive(Fake(i)).IsAccepted);
            Assert.True(unprotectedDevice.Receive(Fake(i)).IsAccepted);
        }

        var p = protectedMeter.Reading;
        var u = unprotectedMeter.Reading;
        Assert.Equal((Flood, Flood, 0L), (p.WakeUps, p.PagingChecks, p.ConnectionSetups));
        Assert.Equal((Flood, Flood, (long)Flood), (u.WakeUps, u.PagingChecks, u.ConnectionSetups));
        Assert.Equal(Flood * 1.5 / 1000, p.ConsumedJoules, 9);
        Assert.Equal(Flood * 401.5 / 1000, u.ConsumedJoules, 9);
        Assert.True(u.ConsumedJoules > 200 * p.ConsumedJoules);
        Assert.Contains("assumption", p.Source, StringComparison.Ordinal);

        // A genuine trigger, protected with the shared context, still wakes the protected device for a connection.
        var genuine = ProtectedTrigger.Protect(KnasInt, 11, new TriggerIndication(Plmn, 1, TriggerAction.DmSession, ReadOnlyMemory<byte>.Empty));
        Assert.True(protectedDevice.Receive(genuine).IsAccepted);
        Assert.Equal(1, protectedMeter.Reading.ConnectionSetups);
        Assert.Equal(TriggerVerification.Replayed, protectedDevice.Receive(genuine).Code);
        Assert.Equal(1, protectedMeter.Reading.ConnectionSetups);
    }

    [Fact]
    public void BatteryProfile_RefusesNegativeOrUnlabelledFigures_AndAReadingResumes()
    {
        Assert.Throws<ArgumentException>(() => new BatteryMeter(BatteryProfile.Assumed with { ConnectionSetupMillijoules = -1 }));
        Assert.Throws<ArgumentException>(() => new BatteryMeter(BatteryProfile.Assumed with { WakeUpMillijoules = double.NaN }));
        Assert.Throws<ArgumentException>(() => new BatteryMeter(BatteryProfile.Assumed with { CapacityJoules = 0 }));
        Assert.Throws<ArgumentException>(() => new BatteryMeter(BatteryProfile.Assumed with { Source = " " }));
        var meter = new BatteryMeter();
        meter.Record(BatteryEvent.ConnectionSetup);
        meter.RecordSent(1000);
        var resumed = new BatteryMeter(start: meter.Reading);
        Assert.Equal(meter.Reading, resumed.Reading);
        Assert.Equal(0.45, resumed.Reading.ConsumedJoules, 9);
        Assert.Throws<ArgumentOutOfRangeException>(() => meter.RecordSent(-1));
        Assert.Throws<InvalidOperationException>(() => new InMemoryTriggerContext(KnasInt, Plmn, 5).Accept(5));
    }
}
