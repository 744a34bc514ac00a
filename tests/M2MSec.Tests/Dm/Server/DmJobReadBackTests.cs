using M2MSec.NetworkFunctions.Dm;
using M2MSec.Storage.Dm;

namespace M2MSec.Tests.Dm.Server;

/// <summary>
/// Issue 13 item 10: a read-back Get is compared with the last value the job wrote to that URI before it — an earlier write
/// the job itself overwrote is superseded, not "DIFFERS", and the job is done when the device did what was asked.
/// </summary>
public sealed class DmJobReadBackTests
{
    private const string X = "./Ext/X";

    private static DmJobRecord Job(params (string Verb, string? Value, int? Status, string? Results)[] commands) =>
        new("j", "d", "running", DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch,
            [.. commands.Select((c, i) => new DmCommandRecord("j", i + 1, c.Verb, X, c.Value, c.Status, c.Results))]);

    [Fact]
    public void AddThenReplace_ReadBackOfTheReplacedValue_IsDone_AddSuperseded_NotDiffers_ReadBackOfOverwrittenValueThreat()
    {
        // --add X=hello --replace X=world --verify, and the device did exactly that.
        var job = Job(("add", "hello", 200, null), ("replace", "world", 200, null), ("get", null, 200, "world"));
        Assert.Null(DmJobReadBack.Verified(job, job.Commands[0]));
        Assert.Equal(2, DmJobReadBack.SupersededBy(job, job.Commands[0])?.Seq);
        Assert.True(DmJobReadBack.Verified(job, job.Commands[1]));
        Assert.Null(DmJobReadBack.SupersededBy(job, job.Commands[1]));
        Assert.Equal("done", DmJobReadBack.FinalState(job));
    }

    [Fact]
    public void AddThenReplace_TheDeviceKeptTheFirstValue_StillDiffers_AndFails()
    {
        var job = Job(("add", "hello", 200, null), ("replace", "world", 200, null), ("get", null, 200, "hello"));
        Assert.False(DmJobReadBack.Verified(job, job.Commands[1]));
        Assert.Equal("failed", DmJobReadBack.FinalState(job));
    }

    [Fact]
    public void AFailedLaterWrite_DoesNotSupersede_TheGetReadsTheEarlierValue()
    {
        var job = Job(("add", "hello", 200, null), ("replace", "world", 405, null), ("get", null, 200, "hello"));
        Assert.Null(DmJobReadBack.SupersededBy(job, job.Commands[0]));
        Assert.True(DmJobReadBack.Verified(job, job.Commands[0]));
        Assert.Null(DmJobReadBack.Verified(job, job.Commands[1]));
        Assert.Equal("failed", DmJobReadBack.FinalState(job)); // the 405 itself
    }

    [Fact]
    public void AWriteAfterTheGet_DoesNotSupersede_EachGetReadsTheLastWriteBeforeIt()
    {
        var job = Job(("replace", "a", 200, null), ("get", null, 200, "a"), ("replace", "b", 200, null), ("get", null, 200, "b"));
        Assert.True(DmJobReadBack.Verified(job, job.Commands[0]));
        Assert.True(DmJobReadBack.Verified(job, job.Commands[2]));
        Assert.Equal("done", DmJobReadBack.FinalState(job));
    }

    [Fact]
    public void WithReadBack_OneGetPerWrittenUri_AfterAllWrites_NoneForAUriDeletedLast()
    {
        var commands = DmJobReadBack.WithReadBack([("add", X, "hello"), ("replace", X, "world"), ("add", "./Ext/Y", "1"), ("delete", "./Ext/Y", null)]);
        Assert.Equal(("get", X, (string?)null), commands[^1]);
        Assert.Equal(5, commands.Count);
    }
}
