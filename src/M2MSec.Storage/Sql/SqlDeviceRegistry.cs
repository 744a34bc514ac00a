using System.Data.Common;
using M2MSec.Storage.Devices;

namespace M2MSec.Storage.Sql;

/// <summary>The device registry in SQL: state change and history row commit together.</summary>
internal sealed class SqlDeviceRegistry(SqlDatabase db) : IEditableDeviceRegistry
{
    public ValueTask<DeviceRecord?> FindAsync(string deviceId, CancellationToken cancellationToken = default) =>
        db.ReadAsync<DeviceRecord?>(async c =>
        {
            await using var command = SqlDatabase.Command(c, null, "SELECT pcid, tre_id, kind, state, updated_at FROM devices WHERE device_id = @d", ("@d", deviceId));
            await using var r = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            if (!await r.ReadAsync(cancellationToken).ConfigureAwait(false))
                return null;
            return new DeviceRecord(deviceId, r.IsDBNull(0) ? null : r.GetString(0), r.IsDBNull(1) ? null : r.GetString(1),
                r.GetString(2), r.GetString(3), SqlDatabase.FromMs(r.GetInt64(4)));
        }, cancellationToken);

    public ValueTask<IReadOnlyList<DeviceTransition>> GetHistoryAsync(string deviceId, CancellationToken cancellationToken = default) =>
        db.QueryAsync("SELECT from_state, to_state, at, reason FROM device_transitions WHERE device_id = @d ORDER BY seq",
            r => new DeviceTransition(deviceId, r.IsDBNull(0) ? null : r.GetString(0), r.GetString(1), SqlDatabase.FromMs(r.GetInt64(2)), r.IsDBNull(3) ? null : r.GetString(3)),
            cancellationToken, ("@d", deviceId));

    public async ValueTask<IReadOnlyDictionary<string, int>> CountByStateAsync(CancellationToken cancellationToken = default) =>
        (await db.QueryAsync("SELECT state, COUNT(*) FROM devices GROUP BY state",
            r => (State: r.GetString(0), Count: Convert.ToInt32(r.GetValue(1), System.Globalization.CultureInfo.InvariantCulture)), cancellationToken).ConfigureAwait(false))
        .ToDictionary(x => x.State, x => x.Count, StringComparer.Ordinal);

    public ValueTask<IReadOnlyList<DeviceRecord>> ListAsync(string kind, string? text, string? after, int limit, CancellationToken cancellationToken = default) =>
        db.QueryAsync("SELECT device_id, pcid, tre_id, kind, state, updated_at FROM devices WHERE kind = @k AND device_id > @a"
            + " AND (device_id LIKE @q ESCAPE '\\' OR pcid LIKE @q ESCAPE '\\') ORDER BY device_id LIMIT @l",
            r => new DeviceRecord(r.GetString(0), r.IsDBNull(1) ? null : r.GetString(1), r.IsDBNull(2) ? null : r.GetString(2), r.GetString(3), r.GetString(4),
                SqlDatabase.FromMs(r.GetInt64(5))),
            cancellationToken, ("@k", kind), ("@a", after ?? ""), ("@q", SqlDatabase.Contains(text)), ("@l", limit));

    public async ValueTask<bool> RegisterAsync(string deviceId, string? pcid, string? treId, string kind, string initialState, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(deviceId);
        ArgumentException.ThrowIfNullOrEmpty(initialState);
        var now = db.NowMs;
        try
        {
            return await db.WriteAsync(async (c, tx) =>
            {
                await InsertAsync(c, tx, deviceId, pcid, treId, kind, initialState, now, cancellationToken).ConfigureAwait(false);
                return true;
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (DbException e) when (db.Dialect.IsUniqueViolation(e))
        {
            return false;
        }
    }

    /// <summary>The device and its first history row, inside the caller's transaction (also the OTA server's card registration).</summary>
    internal static async ValueTask InsertAsync(DbConnection c, DbTransaction tx, string deviceId, string? pcid, string? treId, string kind, string initialState, long now,
        CancellationToken cancellationToken)
    {
        await SqlDatabase.ExecuteAsync(c, tx, "INSERT INTO devices (device_id, pcid, tre_id, kind, state, updated_at) VALUES (@d, @p, @t, @k, @s, @at)",
            cancellationToken, ("@d", deviceId), ("@p", pcid), ("@t", treId), ("@k", kind), ("@s", initialState), ("@at", now)).ConfigureAwait(false);
        await SqlDatabase.ExecuteAsync(c, tx, "INSERT INTO device_transitions (device_id, from_state, to_state, at, reason) VALUES (@d, NULL, @s, @at, 'registered')",
            cancellationToken, ("@d", deviceId), ("@s", initialState), ("@at", now)).ConfigureAwait(false);
    }

    public ValueTask<bool> TransitionAsync(string deviceId, string expectedState, string newState, string? reason = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(newState);
        var now = db.NowMs;
        return db.WriteAsync(async (c, tx) =>
        {
            var changed = await SqlDatabase.ExecuteAsync(c, tx, "UPDATE devices SET state = @n, updated_at = @at WHERE device_id = @d AND state = @e",
                cancellationToken, ("@n", newState), ("@at", now), ("@d", deviceId), ("@e", expectedState)).ConfigureAwait(false);
            if (changed != 1)
                return false;
            await SqlDatabase.ExecuteAsync(c, tx, "INSERT INTO device_transitions (device_id, from_state, to_state, at, reason) VALUES (@d, @f, @n, @at, @r)",
                cancellationToken, ("@d", deviceId), ("@f", expectedState), ("@n", newState), ("@at", now), ("@r", reason)).ConfigureAwait(false);
            return true;
        }, cancellationToken);
    }
}
