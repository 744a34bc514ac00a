using System.Security.Cryptography;
using M2MSec.Device.Tre.Internal;
using M2MSec.Pki;
using M2MSec.Provisioning;
using M2MSec.Provisioning.Validation;

namespace M2MSec.Device.Tre;

/// <summary>
/// Rehabilitation of a locked-down TRE (issue 16; TR 33.812 §5.1.2.2 leaves it FFS; docs/decisions/020): only a lockdown for a
/// firmware measurement mismatch can be undone, and only by a PVA rehabilitation statement (<see cref="PvaRehabilitation"/>) signed
/// under a pva-role certificate chaining to the TRE's DM/operator root, naming this TRE, its PCID and PfC, and the single-use nonce
/// the TRE issued; the accepted measurements must be exactly those measured at this boot. They then become the reference, the
/// lockdown is cleared in replay-protected memory and the full sealed store is opened again.
/// </summary>
public sealed partial class TrustedEnvironment
{
    /// <summary>How old a rehabilitation statement may be at the TRE's secure clock.</summary>
    public static TimeSpan RehabilitationMaxAge { get; } = TimeSpan.FromMinutes(10);

    /// <summary>What a TRE locked for a firmware mismatch keeps in memory: attestation key, PCID, PfC and the DM/operator root — no other key.</summary>
    private static readonly string[] KeptWhileLocked = [IdentityKeyName, PcidName, TreObjects.PfcAttestation, TreObjects.PfcEncryption, TreObjects.DmRoot];

    /// <summary>
    /// The objects a locked (rehabilitable) TRE still lets be read: public, and what the PVA needs to validate it; and the operator
    /// root, with which the device checks the DPF it sends its evidence to (issue 16, the network path).
    /// </summary>
    private static readonly string[] PublicWhileLocked = [TreObjects.PfcAttestation, TreObjects.PfcEncryption, TreObjects.DmRoot];

    /// <summary>The pending rehabilitation nonce: in memory only, replaced by each request, consumed by each attempt.</summary>
    private byte[]? _rehabilitationNonce;

    /// <summary>
    /// Whether a lockdown for <paramref name="reason"/> can be rehabilitated: a firmware measurement mismatch only. A failed
    /// sealed-store integrity check, a rollback or a failed replay-protected store leave nothing trustworthy to rehabilitate.
    /// </summary>
    public static bool IsRehabilitable(LockdownReason reason) => reason == Tre.LockdownReason.FirmwareMeasurement;

    /// <summary>True when locked for a rehabilitable reason and the attestation key survived (the store unsealed at boot).</summary>
    public bool CanBeRehabilitated
    {
        get
        {
            lock (_lock)
                return IsRehabilitableLocked && _objects.ContainsKey(IdentityKeyName);
        }
    }

    private bool IsRehabilitableLocked => _state.Lockdown is { } r && IsRehabilitable(r);

    private bool ReadableWhileLocked(string name) => IsRehabilitableLocked && PublicWhileLocked.Contains(name, StringComparer.Ordinal);

    /// <summary>
    /// A fresh 32-octet nonce for the PVA (the challenge the attestation for the rehabilitation signs); single-use, kept in memory
    /// only, replacing any earlier one. Refused unless the TRE is locked for a rehabilitable reason.
    /// </summary>
    public byte[] RehabilitationChallenge(TreCaller caller)
    {
        lock (_lock)
        {
            RequireRehabilitableLocked();
            TrePolicy.CheckOperation(caller, TreOperation.Rehabilitate);
            _rehabilitationNonce = RandomNumberGenerator.GetBytes(32);
            return (byte[])_rehabilitationNonce.Clone();
        }
    }

    /// <summary>
    /// Accepts the PVA's rehabilitation statement: checks it (signature, pva role, chain to <see cref="TreObjects.DmRoot"/> at the
    /// secure clock, age), that it is valid, names this TRE id, PCID and PfC, carries the nonce this TRE issued (consumed by any
    /// attempt) and accepts exactly the measurements of this boot; then replaces the reference measurements, clears the lockdown
    /// and records an event. Throws <see cref="TreRehabilitationRefusedException"/> (the TRE stays locked) or
    /// <see cref="TreLockedException"/> for a lockdown that cannot be rehabilitated.
    /// </summary>
    public void Rehabilitate(TreCaller caller, string statement)
    {
        ArgumentNullException.ThrowIfNull(statement);
        lock (_lock)
        {
            RequireRehabilitableLocked();
            TrePolicy.CheckOperation(caller, TreOperation.Rehabilitate);
            var nonce = _rehabilitationNonce;
            _rehabilitationNonce = null;
            try
            {
                RehabilitateLocked(statement, nonce);
            }
            catch (TreRehabilitationRefusedException e)
            {
                Event("rehabilitation-refused", $"{e.Code}: {e.Message}");
                throw;
            }
        }
    }

    private void RehabilitateLocked(string statement, byte[]? nonce)
    {
        if (nonce is null)
            throw new TreRehabilitationRefusedException("no-nonce", "no rehabilitation nonce is pending (each is single-use)");
        if (!_objects.TryGetValue(TreObjects.DmRoot, out var rootDer))
            throw new TreRehabilitationRefusedException("no-root", "the TRE holds no DM/operator root to check the PVA against");
        if (!_objects.TryGetValue(TreObjects.PfcAttestation, out var pfcA) || !_objects.TryGetValue(TreObjects.PfcEncryption, out var pfcE))
            throw new TreRehabilitationRefusedException("no-pfc", "the TRE holds no PfC");
        PvaRehabilitation r;
        using (var root = DerCertificates.Load(rootDer))
        {
            try
            {
                r = PvaRehabilitation.Verify(statement, root, null, NowLocked(), RehabilitationMaxAge);
            }
            catch (ProvisioningException e)
            {
                throw new TreRehabilitationRefusedException(e.Code, e.Message);
            }
        }
        if (!r.IsValid)
            throw new TreRehabilitationRefusedException("judged-invalid", $"the PVA judged the platform invalid ({r.Reason})");
        if (r.TreId != TreId || r.Pcid != Pcid || r.PfcFingerprint != PvaVerdict.Fingerprint(pfcA, pfcE))
            throw new TreRehabilitationRefusedException("not-this-tre", "the statement names another TRE, PCID or PfC");
        if (!CryptographicOperations.FixedTimeEquals(r.TreNonce, nonce))
            throw new TreRehabilitationRefusedException("nonce-mismatch", "the statement is not bound to the nonce this TRE issued");
        var same = r.Measurements.Count == _bootMeasurements.Count;
        foreach (var (name, hash) in _bootMeasurements)
            same &= r.Measurements.TryGetValue(name, out var accepted) && CryptographicOperations.FixedTimeEquals(accepted, hash);
        if (!same)
            throw new TreRehabilitationRefusedException("measurements-mismatch", "the accepted measurements are not those of this boot");
        // The store was never released while locked: open it again, at exactly the version replay-protected memory holds.
        if (!SealedStore.TryUnseal(_sealKey, TreId, _sealed.Read().Newest ?? [], out var version, out var objects) || version != _state.StoreVersion)
            throw new TreRehabilitationRefusedException("store-changed", "the sealed store is not the one the lockdown left");
        foreach (var name in objects.Keys.Where(k => k.StartsWith(MeasurePrefix, StringComparison.Ordinal)).ToList())
            objects.Remove(name);
        foreach (var (name, hash) in _bootMeasurements)
            objects[MeasurePrefix + name] = (byte[])hash.Clone();
        var was = _state.Lockdown;
        _objects = objects;
        _version = version;
        _state = _state with { Lockdown = null, LockdownAtMs = 0 };
        CommitLocked();
        Event("rehabilitated", $"{was}: the PVA accepted {_bootMeasurements.Count} measurements (statement of {r.IssuedAt:O})");
    }

    private void RequireRehabilitableLocked()
    {
        if (_state.Lockdown is not { } reason)
            throw new InvalidOperationException("the TRE is not in lockdown");
        if (!IsRehabilitable(reason) || !_objects.ContainsKey(IdentityKeyName) || !_rpmbWritable)
            throw new TreLockedException(reason);
    }
}

/// <summary>The TRE refused a rehabilitation statement (issue 16); it stays locked. <see cref="Code"/> says why.</summary>
public sealed class TreRehabilitationRefusedException(string code, string message) : InvalidOperationException("rehabilitation refused: " + message)
{
    public string Code { get; } = code;
}
