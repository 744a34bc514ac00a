using M2MSec.Storage.Drf;
using M2MSec.Storage.Security;

namespace M2MSec.Storage.Sql;

/// <summary>The DRF's state in SQL (schema v13): assignments, pending bootstrap requests (K_RO wrapped), registrations.</summary>
internal sealed class SqlDrfStore(SqlDatabase db) : IDrfStore
{
    private static string Place(string pcid) => SecretProtector.Place("drf_bootstrap_requests", pcid, "k_ro");

    public ValueTask SetAssignmentAsync(string pcid, string shoId, CancellationToken cancellationToken = default) =>
        new(db.RunAsync(async c => await SqlDatabase.ExecuteAsync(c, null,
            "INSERT INTO drf_assignments (pcid, sho_id, updated_at) VALUES (@p, @s, @t) ON CONFLICT (pcid) DO UPDATE SET sho_id = @s, updated_at = @t",
            cancellationToken, ("@p", pcid), ("@s", shoId), ("@t", db.NowMs)).ConfigureAwait(false), cancellationToken).AsTask());

    public async ValueTask<string?> FindAssignmentAsync(string pcid, CancellationToken cancellationToken = default) =>
        (await db.QueryAsync("SELECT sho_id FROM drf_assignments WHERE pcid = @p", r => r.GetString(0), cancellationToken, ("@p", pcid)).ConfigureAwait(false))
        .FirstOrDefault();

    public ValueTask PutBootstrapRequestAsync(DrfBootstrapRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var wrapped = db.Protector.Protect(request.KRo, Place(request.Pcid));
        return new(db.RunAsync(async c => await SqlDatabase.ExecuteAsync(c, null,
            "INSERT INTO drf_bootstrap_requests (pcid, ip_address, k_ro_enc, expires_at) VALUES (@p, @a, @k, @e) " +
            "ON CONFLICT (pcid) DO UPDATE SET ip_address = @a, k_ro_enc = @k, expires_at = @e",
            cancellationToken, ("@p", request.Pcid), ("@a", request.IpAddress), ("@k", wrapped), ("@e", request.ExpiresAt.ToUnixTimeMilliseconds())).ConfigureAwait(false),
            cancellationToken).AsTask());
    }

    public ValueTask<DrfBootstrapRequest?> TakeBootstrapRequestAsync(string pcid, CancellationToken cancellationToken = default) =>
        db.RunAsync<DrfBootstrapRequest?>(async c =>
        {
            await using var command = SqlDatabase.Command(c, null,
                "DELETE FROM drf_bootstrap_requests WHERE pcid = @p RETURNING ip_address, k_ro_enc, expires_at", ("@p", pcid));
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                return null;
            var expires = SqlDatabase.FromMs(reader.GetInt64(2));
            return expires.ToUnixTimeMilliseconds() < db.NowMs
                ? null
                : new DrfBootstrapRequest(pcid, reader.GetString(0), db.Protector.Unprotect((byte[])reader.GetValue(1), Place(pcid)), expires);
        }, cancellationToken);

    public ValueTask PutRegistrationAsync(DrfRegistration registration, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(registration);
        return new(db.RunAsync(async c => await SqlDatabase.ExecuteAsync(c, null,
            "INSERT INTO drf_registrations (pcid, sho_id, dm_url, dev_id, state, updated_at) VALUES (@p, @s, @u, @d, @st, @t) " +
            "ON CONFLICT (pcid) DO UPDATE SET sho_id = @s, dm_url = @u, dev_id = @d, state = @st, updated_at = @t",
            cancellationToken, ("@p", registration.Pcid), ("@s", registration.ShoId), ("@u", registration.DmUrl), ("@d", registration.DevId),
            ("@st", registration.State), ("@t", registration.UpdatedAt.ToUnixTimeMilliseconds())).ConfigureAwait(false), cancellationToken).AsTask());
    }

    public async ValueTask<DrfRegistration?> FindRegistrationAsync(string pcid, CancellationToken cancellationToken = default) =>
        (await db.QueryAsync("SELECT sho_id, dm_url, dev_id, state, updated_at FROM drf_registrations WHERE pcid = @p",
            r => new DrfRegistration(pcid, r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), SqlDatabase.FromMs(r.GetInt64(4))),
            cancellationToken, ("@p", pcid)).ConfigureAwait(false)).FirstOrDefault();

    public ValueTask<bool> TryMoveRegistrationAsync(string pcid, string from, string to, CancellationToken cancellationToken = default) =>
        db.RunAsync(async c => await SqlDatabase.ExecuteAsync(c, null,
            "UPDATE drf_registrations SET state = @to, updated_at = @t WHERE pcid = @p AND state = @from",
            cancellationToken, ("@to", to), ("@t", db.NowMs), ("@p", pcid), ("@from", from)).ConfigureAwait(false) == 1, cancellationToken);

    // Issue 16 (schema v18): changes of subscription.

    public ValueTask<bool> StartChangeAsync(DrfChange change, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(change);
        return db.RunAsync(async c => await SqlDatabase.ExecuteAsync(c, null,
            "INSERT INTO drf_changes (pcid, from_sho, to_sho, state, reason, updated_at) VALUES (@p, @f, @to, @s, @r, @t) " +
            "ON CONFLICT (pcid) DO UPDATE SET from_sho = @f, to_sho = @to, state = @s, reason = @r, updated_at = @t " +
            "WHERE drf_changes.state NOT IN ('provisioning', 'installed')",
            cancellationToken, ("@p", change.Pcid), ("@f", change.FromSho), ("@to", change.ToSho), ("@s", change.State), ("@r", change.Reason),
            ("@t", change.UpdatedAt.ToUnixTimeMilliseconds())).ConfigureAwait(false) == 1, cancellationToken);
    }

    public async ValueTask<DrfChange?> FindChangeAsync(string pcid, CancellationToken cancellationToken = default) =>
        (await db.QueryAsync("SELECT from_sho, to_sho, state, reason, updated_at FROM drf_changes WHERE pcid = @p",
            r => new DrfChange(pcid, r.GetString(0), r.GetString(1), r.GetString(2), r.IsDBNull(3) ? null : r.GetString(3), SqlDatabase.FromMs(r.GetInt64(4))),
            cancellationToken, ("@p", pcid)).ConfigureAwait(false)).FirstOrDefault();

    public ValueTask<bool> TryMoveChangeAsync(string pcid, string from, string to, string? reason, CancellationToken cancellationToken = default) =>
        db.RunAsync(async c => await SqlDatabase.ExecuteAsync(c, null,
            "UPDATE drf_changes SET state = @to, reason = @r, updated_at = @t WHERE pcid = @p AND state = @from",
            cancellationToken, ("@to", to), ("@r", reason), ("@t", db.NowMs), ("@p", pcid), ("@from", from)).ConfigureAwait(false) == 1, cancellationToken);

    public ValueTask<IReadOnlyList<DrfRegistration>> FindRegistrationsAsync(IReadOnlyCollection<string> pcids, CancellationToken cancellationToken = default) =>
        db.QueryByIdsAsync("SELECT pcid, sho_id, dm_url, dev_id, state, updated_at FROM drf_registrations WHERE pcid IN ({ids})", pcids,
            r => new DrfRegistration(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4), SqlDatabase.FromMs(r.GetInt64(5))), cancellationToken);

    public ValueTask<IReadOnlyList<DrfChange>> FindChangesAsync(IReadOnlyCollection<string> pcids, CancellationToken cancellationToken = default) =>
        db.QueryByIdsAsync("SELECT pcid, from_sho, to_sho, state, reason, updated_at FROM drf_changes WHERE pcid IN ({ids})", pcids,
            r => new DrfChange(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.IsDBNull(4) ? null : r.GetString(4), SqlDatabase.FromMs(r.GetInt64(5))),
            cancellationToken);

    public ValueTask<IReadOnlyList<string>> ListRegistrationPcidsAsync(string state, string? after, int limit, CancellationToken cancellationToken = default) =>
        db.QueryAsync("SELECT pcid FROM drf_registrations WHERE state = @s AND pcid > @a ORDER BY pcid LIMIT @l", r => r.GetString(0), cancellationToken, ("@s", state), ("@a", after ?? ""), ("@l", limit));

    public ValueTask<IReadOnlyList<string>> ListChangePcidsAsync(string state, string? after, int limit, CancellationToken cancellationToken = default) =>
        db.QueryAsync("SELECT pcid FROM drf_changes WHERE state = @s AND pcid > @a ORDER BY pcid LIMIT @l", r => r.GetString(0), cancellationToken, ("@s", state), ("@a", after ?? ""), ("@l", limit));
}
