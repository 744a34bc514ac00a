using M2MSec.Device.Power;

namespace M2MSec.Cli.Demo;

/// <summary>
/// Issue 17: the battery cost of the fake-trigger flood, protected against unprotected, per fake trigger — under decision 026's labelled
/// assumptions (<see cref="Source"/>), never measured.
/// </summary>
internal sealed record DemoBattery(long FakeTriggers, double ProtectedMjEach, double UnprotectedMjEach, long ProtectedConnectionSetups, long UnprotectedConnectionSetups,
    string Source);

/// <summary>
/// Issue 17: the fleet group — members that read the group message sent after they joined, membership changes (each a rekey), removed
/// members that could not read the next message, and how often a remaining member read it.
/// </summary>
internal sealed record DemoGroups(string GroupId, int MembersRead, int Rekeys, int RemovedMemberRefused, int RemainingMemberRead);

/// <summary>What the issue-17 stages found, tallied across devices (thread-safe).</summary>
internal sealed class DemoFindings
{
    private readonly Lock _lock = new();
    private long _fakeTriggers;
    private double _protectedJ;
    private double _unprotectedJ;
    private long _protectedSetups;
    private long _unprotectedSetups;
    private string? _source;
    private string? _groupId;
    private int _membersRead;
    private int _rekeys;
    private int _removedRefused;
    private int _remainingRead;

    public void FakeTriggerFlood(int triggers, BatteryReading @protected, BatteryReading unprotected)
    {
        ArgumentNullException.ThrowIfNull(@protected);
        ArgumentNullException.ThrowIfNull(unprotected);
        lock (_lock)
        {
            _fakeTriggers += triggers;
            _protectedJ += @protected.ConsumedJoules;
            _unprotectedJ += unprotected.ConsumedJoules;
            _protectedSetups += @protected.ConnectionSetups;
            _unprotectedSetups += unprotected.ConnectionSetups;
            _source = @protected.Source;
        }
    }

    public void GroupMessageRead(string groupId)
    {
        lock (_lock)
        {
            _groupId = groupId;
            _membersRead++;
        }
    }

    public void Rekeyed(bool removedRefused, bool remainingRead)
    {
        lock (_lock)
        {
            _rekeys++;
            _removedRefused += removedRefused ? 1 : 0;
            _remainingRead += remainingRead ? 1 : 0;
        }
    }

    /// <summary>Null before any flood.</summary>
    public DemoBattery? Battery
    {
        get
        {
            lock (_lock)
            {
                return _fakeTriggers == 0 ? null
                    : new DemoBattery(_fakeTriggers, Math.Round(_protectedJ * 1000 / _fakeTriggers, 3), Math.Round(_unprotectedJ * 1000 / _fakeTriggers, 3),
                        _protectedSetups, _unprotectedSetups, _source!);
            }
        }
    }

    /// <summary>Null when no device joined the group.</summary>
    public DemoGroups? Groups
    {
        get
        {
            lock (_lock)
                return _groupId is null ? null : new DemoGroups(_groupId, _membersRead, _rekeys, _removedRefused, _remainingRead);
        }
    }
}
