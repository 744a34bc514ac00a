using M2MSec.Storage.Audit;
using M2MSec.Storage.Ccif;
using M2MSec.Storage.Certificates;
using M2MSec.Storage.Devices;
using M2MSec.Storage.Dm;
using M2MSec.Storage.Hss;
using M2MSec.Storage.Nonces;
using M2MSec.Storage.Ota;
using M2MSec.Storage.Pva;

namespace M2MSec.Storage;

/// <summary>
/// All state of a network function behind one object: in memory, SQLite (embedded, default) or
/// PostgreSQL (several instances share it). Built by the backend's opener
/// (<c>SqliteStateStore.OpenAsync</c>, <c>PostgresStateStore.OpenAsync</c>) or
/// <see cref="InMemory.InMemoryStateStore"/>.
/// </summary>
public interface IStateStore : IAsyncDisposable
{
    /// <summary>Where the state lives, e.g. "sqlite:/var/lib/m2msec/hss/m2msec.db" — never a password.</summary>
    string Description { get; }

    IEditableHssSubscriberStore Subscribers { get; }

    IEditableOtaKeySetStore OtaKeySets { get; }

    IOtaJobStore OtaJobs { get; }

    INonceStore Nonces { get; }

    IEditableDeviceRegistry Devices { get; }

    IAuditLog Audit { get; }

    IEditableCertificateStore Certificates { get; }

    IDmStore Dm { get; }

    /// <summary>The CCIF's devices (issue 15).</summary>
    ICcifStore Ccif { get; }

    /// <summary>The PVA's references and validations (issue 15).</summary>
    IPvaStore Pva { get; }

    /// <summary>The ICF's pending K_RO per RAND and used PCIDs (issue 15).</summary>
    M2MSec.Storage.Icf.IIcfStore Icf { get; }

    /// <summary>The DRF's assignments, bootstrap requests and registrations (issue 15).</summary>
    M2MSec.Storage.Drf.IDrfStore Drf { get; }

    /// <summary>The SHO's subscriptions and IMSI pool (issue 15).</summary>
    M2MSec.Storage.Sho.IShoStore Sho { get; }

    /// <summary>The DPF's provisioning records (issue 15).</summary>
    M2MSec.Storage.Dpf.IDpfStore Dpf { get; }

    /// <summary>The VNO's EPS NAS security contexts and protected triggers (issue 17).</summary>
    M2MSec.Storage.Vno.IVnoStore Vno { get; }

    /// <summary>The MTC-IWF's grants: which MTC server may trigger which device (issue 17).</summary>
    M2MSec.Storage.MtcIwf.IMtcIwfStore MtcIwf { get; }

    /// <summary>
    /// Issue 19 (docs/decisions/053): runs <paramref name="body"/>'s calls on any of this state's stores (the audit log with them) as one
    /// transaction — one durable commit, all or nothing — where the state has transactions (SQL, <c>SqlDatabase.InOneCommitAsync</c>); in
    /// memory the calls run one by one. For a request that makes several changes without waiting on a peer: keep peers' requests, timers
    /// and refusals' audit entries (decision 036: no later failure may take them away) out of the body.
    /// </summary>
    ValueTask<T> InOneCommitAsync<T>(Func<ValueTask<T>> body, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(body);
        return body();
    }

    /// <summary><see cref="InOneCommitAsync{T}"/> for a body that returns nothing.</summary>
    async ValueTask InOneCommitAsync(Func<ValueTask> body, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(body);
        await InOneCommitAsync(async () =>
        {
            await body().ConfigureAwait(false);
            return true;
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Re-wraps every secret that is not under the key ring's active key; returns how many.</summary>
    ValueTask<int> RewrapSecretsAsync(CancellationToken cancellationToken = default);

    // Issue 17, MTC groups (a separate block).

    /// <summary>The serving network's MTC groups, K_GRP per device, MTC features per subscriber (issue 17, docs/decisions/028).</summary>
    M2MSec.Storage.Groups.IMtcGroupStore MtcGroups { get; }

    // Issue 18, GBA (a separate block).

    /// <summary>The BSF's Digest AKA challenges and bootstrapping contexts (issue 18, docs/decisions/029).</summary>
    M2MSec.Storage.Bsf.IBsfStore Bsf { get; }

    /// <summary>The HSS's GBA User Security Settings: the GBA type per IMSI (issue 18).</summary>
    M2MSec.Storage.Bsf.IHssGussStore Guss { get; }
}
