using M2MSec.Storage.Audit;
using M2MSec.Storage.Certificates;
using M2MSec.Storage.Devices;
using M2MSec.Storage.Dm;
using M2MSec.Storage.Hss;
using M2MSec.Storage.Nonces;
using M2MSec.Storage.Ota;
using M2MSec.Storage.Security;

namespace M2MSec.Storage.Sql;

/// <summary>The state store over a SQL backend; the backend packages open it with their dialect.</summary>
public sealed class SqlStateStore : IStateStore
{
    private readonly SqlDatabase _db;

    private SqlStateStore(SqlDatabase db)
    {
        _db = db;
        Subscribers = new SqlHssSubscriberStore(db);
        OtaKeySets = new SqlOtaKeySetStore(db);
        OtaJobs = new SqlOtaJobStore(db);
        Nonces = new SqlNonceStore(db);
        Devices = new SqlDeviceRegistry(db);
        Audit = new SqlAuditLog(db);
        Certificates = new SqlCertificateStore(db);
        Dm = new SqlDmStore(db);
        Ccif = new SqlCcifStore(db);
        Pva = new SqlPvaStore(db);
        Icf = new SqlIcfStore(db);
        Drf = new SqlDrfStore(db);
        Sho = new SqlShoStore(db);
        Dpf = new SqlDpfStore(db);
        Vno = new SqlVnoStore(db);
        MtcIwf = new SqlMtcIwfStore(db);
        MtcGroups = new SqlMtcGroupStore(db);
        Bsf = new SqlBsfStore(db);
        Guss = new SqlHssGussStore(db);
    }

    public string Description => $"{_db.Dialect.Name}:{_db.Dialect.Location}";

    public IEditableHssSubscriberStore Subscribers { get; }

    public IEditableOtaKeySetStore OtaKeySets { get; }

    public IOtaJobStore OtaJobs { get; }

    public INonceStore Nonces { get; }

    public IEditableDeviceRegistry Devices { get; }

    public IAuditLog Audit { get; }

    public IEditableCertificateStore Certificates { get; }

    public IDmStore Dm { get; }

    public Ccif.ICcifStore Ccif { get; }

    public Pva.IPvaStore Pva { get; }

    public M2MSec.Storage.Icf.IIcfStore Icf { get; }

    public M2MSec.Storage.Drf.IDrfStore Drf { get; }

    public M2MSec.Storage.Sho.IShoStore Sho { get; }

    public M2MSec.Storage.Dpf.IDpfStore Dpf { get; }

    public M2MSec.Storage.Vno.IVnoStore Vno { get; }

    public M2MSec.Storage.MtcIwf.IMtcIwfStore MtcIwf { get; }

    public M2MSec.Storage.Groups.IMtcGroupStore MtcGroups { get; }

    public M2MSec.Storage.Bsf.IBsfStore Bsf { get; }

    public M2MSec.Storage.Bsf.IHssGussStore Guss { get; }

    /// <summary>Migrates the schema (to <paramref name="schemaVersion"/>, default the latest), checks the key ring, and opens.</summary>
    public static async Task<SqlStateStore> OpenAsync(SqlDialect dialect, KeyRing keyRing, TimeProvider? time = null, int? schemaVersion = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(dialect);
        var db = new SqlDatabase(dialect, new SecretProtector(keyRing), time ?? TimeProvider.System);
        try
        {
            await db.InitialiseAsync(cancellationToken, schemaVersion).ConfigureAwait(false);
            await db.RecordKeyUseAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await dialect.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        return new SqlStateStore(db);
    }

    public ValueTask<T> InOneCommitAsync<T>(Func<ValueTask<T>> body, CancellationToken cancellationToken = default) => _db.InOneCommitAsync(body, cancellationToken);

    public async ValueTask<int> RewrapSecretsAsync(CancellationToken cancellationToken = default)
    {
        var n = await _db.RewrapAsync(cancellationToken).ConfigureAwait(false);
        await _db.RecordKeyUseAsync(cancellationToken).ConfigureAwait(false);
        return n;
    }

    public ValueTask DisposeAsync() => _db.Dialect.DisposeAsync();
}
