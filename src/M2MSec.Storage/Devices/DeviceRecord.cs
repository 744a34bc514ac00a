namespace M2MSec.Storage.Devices;

/// <summary>A device known to a network function: its PCID, TRE identity, kind and provisioning state.</summary>
public sealed record DeviceRecord(string DeviceId, string? Pcid, string? TreId, string Kind, string State, DateTimeOffset UpdatedAt);

/// <summary>One state transition of a device, with when and why.</summary>
public sealed record DeviceTransition(string DeviceId, string? FromState, string ToState, DateTimeOffset At, string? Reason);

/// <summary>Read-only view of the device registry.</summary>
public interface IDeviceRegistry
{
    ValueTask<DeviceRecord?> FindAsync(string deviceId, CancellationToken cancellationToken = default);

    ValueTask<IReadOnlyList<DeviceTransition>> GetHistoryAsync(string deviceId, CancellationToken cancellationToken = default);

    ValueTask<IReadOnlyDictionary<string, int>> CountByStateAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Issue 20: the devices of <paramref name="kind"/> whose id or PCID contains <paramref name="text"/> (null: all), in id order after
    /// <paramref name="after"/>, at most <paramref name="limit"/> (the console's fleet page reads them a chunk at a time).
    /// </summary>
    ValueTask<IReadOnlyList<DeviceRecord>> ListAsync(string kind, string? text, string? after, int limit, CancellationToken cancellationToken = default);
}

/// <summary>
/// The editable registry. A transition names the state it expects to leave, so two actors that
/// race on one device cannot both move it (compare-and-set); each accepted transition is kept in
/// the history with its timestamp.
/// </summary>
public interface IEditableDeviceRegistry : IDeviceRegistry
{
    ValueTask<bool> RegisterAsync(string deviceId, string? pcid, string? treId, string kind, string initialState, CancellationToken cancellationToken = default);

    ValueTask<bool> TransitionAsync(string deviceId, string expectedState, string newState, string? reason = null, CancellationToken cancellationToken = default);
}
