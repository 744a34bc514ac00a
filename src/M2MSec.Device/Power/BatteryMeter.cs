namespace M2MSec.Device.Power;

/// <summary>A radio event the battery model counts (issue 17).</summary>
public enum BatteryEvent
{
    /// <summary>The device leaves its sleep state (PSM/eDRX) for a paging occasion or its own work.</summary>
    WakeUp,

    /// <summary>The device receives and checks one paging/trigger message (incl. its MAC check) without a connection.</summary>
    PagingCheck,

    /// <summary>Random access, RRC connection and NAS service request: the device connects to act on a trigger.</summary>
    ConnectionSetup,
}

/// <summary>What the meter has counted, with the energy it stands for under its profile.</summary>
public sealed record BatteryReading(long WakeUps, long PagingChecks, long ConnectionSetups, long BytesSent, double ConsumedJoules, double RemainingFraction,
    string Source);

/// <summary>
/// Counts the device's radio events and turns them into energy under a <see cref="BatteryProfile"/> (issue 17). Thread-safe;
/// no I/O (the device's store keeps <see cref="Reading"/> across restarts).
/// </summary>
public sealed class BatteryMeter
{
    private readonly BatteryProfile _profile;
    private long _wakeUps;
    private long _pagingChecks;
    private long _connectionSetups;
    private long _bytesSent;

    public BatteryMeter(BatteryProfile? profile = null, BatteryReading? start = null)
    {
        _profile = profile ?? BatteryProfile.Assumed;
        _profile.Validate();
        if (start is not null)
        {
            if (start.WakeUps < 0 || start.PagingChecks < 0 || start.ConnectionSetups < 0 || start.BytesSent < 0)
                throw new ArgumentException("a battery reading counts from 0", nameof(start));
            (_wakeUps, _pagingChecks, _connectionSetups, _bytesSent) = (start.WakeUps, start.PagingChecks, start.ConnectionSetups, start.BytesSent);
        }
    }

    public BatteryProfile Profile => _profile;

    public void Record(BatteryEvent e)
    {
        switch (e)
        {
            case BatteryEvent.WakeUp:
                Interlocked.Increment(ref _wakeUps);
                break;
            case BatteryEvent.PagingCheck:
                Interlocked.Increment(ref _pagingChecks);
                break;
            case BatteryEvent.ConnectionSetup:
                Interlocked.Increment(ref _connectionSetups);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(e));
        }
    }

    public void RecordSent(int bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        Interlocked.Add(ref _bytesSent, bytes);
    }

    public BatteryReading Reading
    {
        get
        {
            long w = Interlocked.Read(ref _wakeUps), p = Interlocked.Read(ref _pagingChecks), c = Interlocked.Read(ref _connectionSetups),
                b = Interlocked.Read(ref _bytesSent);
            var joules = (w * _profile.WakeUpMillijoules + p * _profile.PagingCheckMillijoules + c * _profile.ConnectionSetupMillijoules
                + b * _profile.MillijoulesPerByteSent) / 1000.0;
            return new BatteryReading(w, p, c, b, joules, Math.Max(0, 1 - joules / _profile.CapacityJoules), _profile.Source);
        }
    }
}
