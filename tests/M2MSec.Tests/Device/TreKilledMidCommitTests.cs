using System.Text;
using M2MSec.Device.M2me;
using M2MSec.Device.Tre;
using M2MSec.Tests.Storage;

namespace M2MSec.Tests.Device;

/// <summary>The TRE's records under a real SIGKILL (decision 046): a second process commits in a loop and is killed mid-burst.</summary>
public sealed class TreKilledMidCommitTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("m2msec-tre-kill-").FullName;

    private string Data => Path.Combine(_root, "device");

    private string Fuse => Path.Combine(_root, "fuse");

    public void Dispose() => Directory.Delete(_root, true);

    [Fact]
    public async Task TreKilledMidCommit_BootsUnlocked_HoldingTheLastReportedValueOrTheNext_KilledMidWriteThreat()
    {
        M2meDevice.Create(Data, Fuse, "001990000000077", M2meKind.Tre, "TRE-KILL-0001");
        for (var round = 0; round < 4; round++)
        {
            var probe = StoreProcesses.Start(["tre-commit", Data, Fuse, "1000000"]);
            var lines = await StoreProcesses.ReadLinesAsync(probe, stopAfter: 40 + Random.Shared.Next(160));
            var reported = int.Parse(lines[^1], System.Globalization.CultureInfo.InvariantCulture);

            var tre = M2meDevice.Open(Data, Fuse).Tre;
            Assert.False(tre.IsLocked, $"round {round}: locked ({tre.LockdownReason}) after a kill at commit {reported}");
            var value = Encoding.ASCII.GetString(tre.ReadObject(TreCaller.DeviceManagement, "dm/account")!);
            var held = int.Parse(value.Split(';')[0], System.Globalization.CultureInfo.InvariantCulture);
            // Committed before reported: the value the probe printed last, or the one it was committing when killed — whole.
            Assert.True(held == reported || held == reported + 1, $"round {round}: holds {held}, the probe reported {reported}");
            Assert.Equal(string.Concat(Enumerable.Repeat($"{held};", 1 + (held * 7 % 40))), value);
        }
    }
}
