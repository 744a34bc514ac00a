using System.Data.Common;
using System.Text.Json;
using M2MSec.Storage.Audit;
using M2MSec.Storage.Ccif;
using M2MSec.Storage.Pva;
using M2MSec.Storage.Security;

namespace M2MSec.Storage.Sql;

/// <summary>The CCIF's devices in SQL (schema v12): K and OPc wrapped per row like every K/OPc.</summary>
internal sealed class SqlCcifStore(SqlDatabase db) : ICcifStore
{
    private const string Columns = "pcid, tre_id, platform_key, k_enc, opc_enc, attestation_serial, encryption_serial, attestation_cert, encryption_cert, "
        + "auth_token_hash, created_at, revoked_at, revocation_reason";

    public ValueTask<bool> AddDeviceAsync(CcifDevice device, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(device);
        var k = db.Protector.Protect(device.K, SecretProtector.Place("ccif_devices", device.Pcid, "k"));
        var opc = db.Protector.Protect(device.Opc, SecretProtector.Place("ccif_devices", device.Pcid, "opc"));
        return db.TryInsertAsync(
            $"INSERT INTO ccif_devices ({Columns}) VALUES (@pcid, @tre, @kind, @k, @opc, @as, @es, @ac, @ec, @tok, @t, NULL, NULL)", cancellationToken,
            ("@pcid", device.Pcid), ("@tre", device.TreId), ("@kind", device.PlatformKey), ("@k", k), ("@opc", opc), ("@as", device.AttestationSerial),
            ("@es", device.EncryptionSerial), ("@ac", device.AttestationCertificate), ("@ec", device.EncryptionCertificate), ("@tok", device.AuthTokenHash),
            ("@t", device.CreatedAt.ToUnixTimeMilliseconds()));
    }

    public async ValueTask<CcifDevice?> FindDeviceAsync(string pcid, CancellationToken cancellationToken = default)
    {
        var rows = await db.QueryAsync($"SELECT {Columns} FROM ccif_devices WHERE pcid = @pcid", Read, cancellationToken, ("@pcid", pcid)).ConfigureAwait(false);
        return rows.Count == 0 ? null : rows[0];
    }

    public ValueTask<bool> MarkRevokedAsync(string pcid, string reason, DateTimeOffset at, CancellationToken cancellationToken = default) =>
        db.RunAsync(async c => await SqlDatabase.ExecuteAsync(c, null,
            "UPDATE ccif_devices SET revoked_at = @t, revocation_reason = @r WHERE pcid = @pcid AND revoked_at IS NULL", cancellationToken,
            ("@t", at.ToUnixTimeMilliseconds()), ("@r", reason), ("@pcid", pcid)).ConfigureAwait(false) == 1, cancellationToken);

    public ValueTask<IReadOnlyList<CcifPfcRecord>> ListValidPfcsAsync(string? after, int limit, CancellationToken cancellationToken = default) =>
        db.QueryAsync("SELECT pcid, tre_id, attestation_cert, encryption_cert FROM ccif_devices WHERE revoked_at IS NULL AND pcid > @a ORDER BY pcid LIMIT @l",
            r => new CcifPfcRecord(r.GetString(0), r.GetString(1), (byte[])r.GetValue(2), (byte[])r.GetValue(3)), cancellationToken, ("@a", after ?? ""), ("@l", limit));

    private const string SummaryColumns = "pcid, tre_id, created_at, revoked_at, revocation_reason";

    private static CcifDeviceSummary ReadSummary(DbDataReader r) =>
        new(r.GetString(0), r.GetString(1), SqlDatabase.FromMs(r.GetInt64(2)), r.IsDBNull(3) ? null : SqlDatabase.FromMs(r.GetInt64(3)), r.IsDBNull(4) ? null : r.GetString(4));

    private const string Matching = "(pcid LIKE @q ESCAPE '\\' OR tre_id LIKE @q ESCAPE '\\')";

    public ValueTask<IReadOnlyList<CcifDeviceSummary>> SearchDevicesAsync(string? text, int offset, int limit, CancellationToken cancellationToken = default) =>
        db.QueryAsync($"SELECT {SummaryColumns} FROM ccif_devices WHERE {Matching} ORDER BY pcid LIMIT @l OFFSET @o", ReadSummary, cancellationToken,
            ("@q", SqlDatabase.Contains(text)), ("@l", limit), ("@o", offset));

    public async ValueTask<int> CountDevicesAsync(string? text, CancellationToken cancellationToken = default) =>
        (int)(await db.QueryAsync($"SELECT COUNT(*) FROM ccif_devices WHERE {Matching}", r => r.GetInt64(0), cancellationToken,
            ("@q", SqlDatabase.Contains(text))).ConfigureAwait(false))[0];

    public ValueTask<IReadOnlyList<CcifDeviceSummary>> FindByIdsAsync(IReadOnlyCollection<string> ids, CancellationToken cancellationToken = default)
    {
        if (ids.Count == 0)
            return ValueTask.FromResult<IReadOnlyList<CcifDeviceSummary>>([]);
        var (list, parameters) = SqlDatabase.InList("@t", ids);
        return db.QueryAsync($"SELECT {SummaryColumns} FROM ccif_devices WHERE tre_id IN ({list}) OR pcid IN ({list})", ReadSummary, cancellationToken, parameters);
    }

    public ValueTask<IReadOnlyList<string>> ListRevokedPcidsAsync(string? after, int limit, CancellationToken cancellationToken = default) =>
        db.QueryAsync("SELECT pcid FROM ccif_devices WHERE revoked_at IS NOT NULL AND pcid > @a ORDER BY pcid LIMIT @l", r => r.GetString(0), cancellationToken, ("@a", after ?? ""), ("@l", limit));

    private CcifDevice Read(DbDataReader r)
    {
        var pcid = r.GetString(0);
        return new CcifDevice(pcid, r.GetString(1), r.GetString(2),
            db.Protector.Unprotect((byte[])r.GetValue(3), SecretProtector.Place("ccif_devices", pcid, "k")),
            db.Protector.Unprotect((byte[])r.GetValue(4), SecretProtector.Place("ccif_devices", pcid, "opc")),
            r.GetString(5), r.GetString(6), (byte[])r.GetValue(7), (byte[])r.GetValue(8), r.IsDBNull(9) ? null : (byte[])r.GetValue(9),
            SqlDatabase.FromMs(r.GetInt64(10)), r.IsDBNull(11) ? null : SqlDatabase.FromMs(r.GetInt64(11)), r.IsDBNull(12) ? null : r.GetString(12));
    }
}

/// <summary>The PVA's references and validations in SQL (schema v12). Settling a validation is one compare-and-set UPDATE.</summary>
internal sealed class SqlPvaStore(SqlDatabase db) : IPvaStore
{
    private const string ValidationColumns = "id, pcid, pfc_attestation, pfc_encryption, sho_nonce, challenge, requested_by, created_at, expires_at, state, reason, verdict, completed_at";

    private const string InsertReference =
        "INSERT INTO pva_references (pcid, tre_id, measurements, pfc_fingerprint, manufacturer_root, manufacturer_issuing, registered_at) VALUES (@pcid, @tre, @m, @fp, @root, @iss, @t)";

    public ValueTask<bool> AddReferenceAsync(PvaReference reference, CancellationToken cancellationToken = default) =>
        db.TryInsertAsync(InsertReference, cancellationToken, ReferenceParameters(reference));

    public ValueTask<bool> AddReferenceAsync(PvaReference reference, AuditRecord audit, CancellationToken cancellationToken = default) =>
        db.TryInsertAsync(InsertReference, audit, cancellationToken, ReferenceParameters(reference));

    private static (string, object?)[] ReferenceParameters(PvaReference reference)
    {
        ArgumentNullException.ThrowIfNull(reference);
        var measurements = JsonSerializer.Serialize(reference.Measurements.ToDictionary(m => m.Key, m => Convert.ToHexStringLower(m.Value), StringComparer.Ordinal));
        return [("@pcid", reference.Pcid), ("@tre", reference.TreId), ("@m", measurements), ("@fp", reference.PfcFingerprint), ("@root", reference.ManufacturerRoot),
            ("@iss", reference.ManufacturerIssuing), ("@t", reference.RegisteredAt.ToUnixTimeMilliseconds())];
    }

    public async ValueTask<PvaReference?> FindReferenceAsync(string pcid, CancellationToken cancellationToken = default)
    {
        var rows = await db.QueryAsync("SELECT pcid, tre_id, measurements, pfc_fingerprint, manufacturer_root, manufacturer_issuing, registered_at FROM pva_references WHERE pcid = @pcid",
            r => new PvaReference(r.GetString(0), r.GetString(1),
                JsonSerializer.Deserialize<Dictionary<string, string>>(r.GetString(2))!.ToDictionary(m => m.Key, m => Convert.FromHexString(m.Value), StringComparer.Ordinal),
                r.GetString(3), (byte[])r.GetValue(4), (byte[])r.GetValue(5), SqlDatabase.FromMs(r.GetInt64(6))),
            cancellationToken, ("@pcid", pcid)).ConfigureAwait(false);
        return rows.Count == 0 ? null : rows[0];
    }

    public async ValueTask AddMeasurementSetAsync(PvaMeasurementSet set, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(set);
        var measurements = JsonSerializer.Serialize(set.Measurements.ToDictionary(m => m.Key, m => Convert.ToHexStringLower(m.Value), StringComparer.Ordinal));
        if (!await db.TryInsertAsync("INSERT INTO pva_firmware_updates (id, pcid, measurements, registered_by, registered_at) VALUES (@id, @pcid, @m, @by, @t)",
            cancellationToken, ("@id", Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(12))), ("@pcid", set.Pcid), ("@m", measurements),
            ("@by", set.RegisteredBy), ("@t", set.RegisteredAt.ToUnixTimeMilliseconds())).ConfigureAwait(false))
            throw new InvalidOperationException("firmware update id collision");
    }

    public async ValueTask<IReadOnlyList<PvaMeasurementSet>> ListMeasurementSetsAsync(string pcid, CancellationToken cancellationToken = default) =>
        await db.QueryAsync("SELECT pcid, measurements, registered_by, registered_at FROM pva_firmware_updates WHERE pcid = @pcid ORDER BY registered_at, id",
            r => new PvaMeasurementSet(r.GetString(0),
                JsonSerializer.Deserialize<Dictionary<string, string>>(r.GetString(1))!.ToDictionary(m => m.Key, m => Convert.FromHexString(m.Value), StringComparer.Ordinal),
                r.GetString(2), SqlDatabase.FromMs(r.GetInt64(3))),
            cancellationToken, ("@pcid", pcid)).ConfigureAwait(false);

    private const string InsertValidation = $"INSERT INTO pva_validations ({ValidationColumns}) VALUES (@id, @pcid, @pa, @pe, @sn, @ch, @by, @c, @x, @s, @r, @v, @done)";

    public async ValueTask AddValidationAsync(PvaValidation v, CancellationToken cancellationToken = default)
    {
        if (!await db.TryInsertAsync(InsertValidation, cancellationToken, ValidationParameters(v)).ConfigureAwait(false))
            throw new InvalidOperationException($"validation {v.Id} exists");
    }

    public async ValueTask AddValidationAsync(PvaValidation v, AuditRecord audit, CancellationToken cancellationToken = default)
    {
        if (!await db.TryInsertAsync(InsertValidation, audit, cancellationToken, ValidationParameters(v)).ConfigureAwait(false))
            throw new InvalidOperationException($"validation {v.Id} exists");
    }

    private static (string, object?)[] ValidationParameters(PvaValidation v)
    {
        ArgumentNullException.ThrowIfNull(v);
        return [("@id", v.Id), ("@pcid", v.Pcid), ("@pa", v.PfcAttestation), ("@pe", v.PfcEncryption), ("@sn", v.ShoNonce), ("@ch", v.Challenge),
            ("@by", v.RequestedBy), ("@c", v.CreatedAt.ToUnixTimeMilliseconds()), ("@x", v.ExpiresAt.ToUnixTimeMilliseconds()), ("@s", v.State), ("@r", v.Reason),
            ("@v", v.Verdict), ("@done", v.CompletedAt?.ToUnixTimeMilliseconds())];
    }

    public async ValueTask<PvaValidation?> FindValidationAsync(string id, CancellationToken cancellationToken = default)
    {
        var rows = await db.QueryAsync($"SELECT {ValidationColumns} FROM pva_validations WHERE id = @id", ReadValidation, cancellationToken, ("@id", id)).ConfigureAwait(false);
        return rows.Count == 0 ? null : rows[0];
    }

    public ValueTask<bool> CompleteValidationAsync(string id, string state, string? reason, string verdict, DateTimeOffset at, CancellationToken cancellationToken = default) =>
        db.RunAsync(async c => await CompleteAsync(c, null, id, state, reason, verdict, at, cancellationToken).ConfigureAwait(false) == 1, cancellationToken);

    public ValueTask<bool> CompleteValidationAsync(string id, string state, string? reason, string verdict, DateTimeOffset at, AuditRecord audit,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(audit);
        return db.WriteAsync(async (c, tx) =>
        {
            if (await CompleteAsync(c, tx, id, state, reason, verdict, at, cancellationToken).ConfigureAwait(false) != 1)
                return false; // settled already: nothing written, no entry
            await SqlAuditLog.AppendAsync(db, c, tx, audit, cancellationToken).ConfigureAwait(false);
            return true;
        }, cancellationToken);
    }

    private static ValueTask<int> CompleteAsync(DbConnection c, DbTransaction? tx, string id, string state, string? reason, string verdict, DateTimeOffset at, CancellationToken ct) =>
        SqlDatabase.ExecuteAsync(c, tx,
            "UPDATE pva_validations SET state = @s, reason = @r, verdict = @v, completed_at = @t WHERE id = @id AND state = @pending", ct,
            ("@s", state), ("@r", reason), ("@v", verdict), ("@t", at.ToUnixTimeMilliseconds()), ("@id", id), ("@pending", PvaValidation.Pending));

    public async ValueTask<IReadOnlyList<PvaValidation>> ListValidationsAsync(string pcid, int limit = 100, CancellationToken cancellationToken = default)
    {
        var rows = await db.QueryAsync($"SELECT {ValidationColumns} FROM pva_validations WHERE pcid = @pcid ORDER BY created_at DESC, id DESC LIMIT @n",
            ReadValidation, cancellationToken, ("@pcid", pcid), ("@n", limit)).ConfigureAwait(false);
        return [.. rows.Reverse()];
    }

    public ValueTask<IReadOnlyList<PvaValidation>> ListValidationsAsync(IReadOnlyCollection<string> pcids, int limitPerPcid, CancellationToken cancellationToken = default) =>
        db.QueryByIdsAsync(
            $"SELECT {ValidationColumns} FROM (SELECT {ValidationColumns}, ROW_NUMBER() OVER (PARTITION BY pcid ORDER BY created_at DESC, id DESC) AS latest "
            + "FROM pva_validations WHERE pcid IN ({ids})) v WHERE latest <= @n ORDER BY pcid, created_at, id", pcids, ReadValidation, cancellationToken, ("@n", limitPerPcid));

    public ValueTask<IReadOnlyList<string>> ListPcidsAsync(string state, string? after, int limit, CancellationToken cancellationToken = default) =>
        db.QueryAsync("SELECT DISTINCT pcid FROM pva_validations WHERE state = @s AND pcid > @a ORDER BY pcid LIMIT @l", r => r.GetString(0), cancellationToken, ("@s", state), ("@a", after ?? ""), ("@l", limit));

    private static PvaValidation ReadValidation(DbDataReader r) => new(r.GetString(0), r.GetString(1), (byte[])r.GetValue(2), (byte[])r.GetValue(3),
        (byte[])r.GetValue(4), (byte[])r.GetValue(5), r.GetString(6), SqlDatabase.FromMs(r.GetInt64(7)), SqlDatabase.FromMs(r.GetInt64(8)), r.GetString(9),
        r.IsDBNull(10) ? null : r.GetString(10), r.IsDBNull(11) ? null : r.GetString(11), r.IsDBNull(12) ? null : SqlDatabase.FromMs(r.GetInt64(12)));
}
