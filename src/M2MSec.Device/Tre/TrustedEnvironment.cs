using System.Security.Cryptography;
using M2MSec.Device.Tre.Hardware;
using M2MSec.Device.Tre.Internal;
using M2MSec.Pki.Authority;
using M2MSec.Provisioning.Validation;

namespace M2MSec.Device.Tre;

/// <summary>
/// The software-emulated Trusted Environment of an M2ME (TR 33.812 §5.1.2.2): a narrow interface
/// through which the rest of the device asks it to sign, decrypt, MAC, run AKA, derive a session
/// key for one stated use, and read or write protected objects — never to hand out a long-term
/// key. Everything it keeps is sealed under a key derived from the device fuse; the sealed
/// store's version, the secure clock and the lockdown flag live in replay-protected memory.
/// </summary>
public sealed partial class TrustedEnvironment
{
    internal const string IdentityKeyName = "key/identity";
    internal const string PkDKeyName = "key/pk-d";
    internal const string DeviceMacKeyName = "key/device-mac";
    internal const string PcidName = "id/pcid";
    internal const string MeasurePrefix = "measure/";
    internal const string TimeAuthorityPrefix = "trust/time/";
    internal const string SubscriptionPrefix = "sub/";
    public const string SealedFileName = "sealed.bin";

    private readonly Lock _lock = new();
    private readonly DeviceFuse _fuse;
    private readonly ReplayProtectedStore _rpmb;
    private readonly byte[] _sealKey;
    private readonly DurableRecord _sealed;
    private readonly TimeProvider _time;
    private readonly List<TreEvent> _events = [];
    private Dictionary<string, byte[]> _objects = new(StringComparer.Ordinal);
    private ulong _version;
    private RpmbState _state = new();
    private bool _rpmbWritable = true;
    private long _clockShownMs;
    private Dictionary<string, byte[]> _bootMeasurements = new(StringComparer.Ordinal);

    /// <summary>
    /// The public half of each platform key object, derived once: importing the PKCS#8 key only to export its public key cost
    /// ≈ 150 µs each time on OpenSSL 3 (issue 19). Keyed by the key object itself, so a replaced key derives anew.
    /// </summary>
    private readonly System.Runtime.CompilerServices.ConditionalWeakTable<byte[], byte[]> _publicKeys = new();

    private TrustedEnvironment(string treId, string stateDirectory, DeviceFuse fuse, TimeProvider time)
    {
        TreId = treId;
        _fuse = fuse;
        _rpmb = new ReplayProtectedStore(fuse);
        _sealKey = fuse.DeriveKey("sealed storage key");
        _sealed = new DurableRecord(Path.Combine(stateDirectory, SealedFileName));
        _time = time;
    }

    public string TreId { get; }

    public string? Pcid => _objects.TryGetValue(PcidName, out var p) ? System.Text.Encoding.UTF8.GetString(p) : null;

    public bool IsLocked => _state.Lockdown is not null;

    /// <summary>The sealed store's version: one more at every commit (tests count commits with it).</summary>
    internal ulong SealedVersion { get { lock (_lock) return _version; } }

    public LockdownReason? LockdownReason => _state.Lockdown;

    /// <summary>Security events of this boot (clock rollback attempts, refused times, lockdown).</summary>
    public IReadOnlyList<TreEvent> Events
    {
        get
        {
            lock (_lock)
                return [.. _events];
        }
    }

    /// <summary>
    /// Manufacture (TR 33.812: in a secure out-of-band facility): burns the fuse, generates the
    /// two platform keys inside — the attestation (identity) key and the encryption key behind PK_D,
    /// EC P-256 by default or RSA-2048/3072 (<paramref name="platformKey"/>), PKCS#8 — and the device
    /// MAC key, injects TRE id and PCID, records the reference hashes of the firmware images, anchors
    /// the clock to factory time. Only public keys leave (docs/decisions/007).
    /// </summary>
    public static TrustedEnvironment Manufacture(string stateDirectory, string fuseDirectory, string treId, string pcid,
        string firmwareDirectory, TimeProvider? time = null, IReadOnlyDictionary<string, byte[]>? timeAuthorities = null,
        KeyAlgorithm platformKey = KeyAlgorithm.EcP256)
    {
        ArgumentException.ThrowIfNullOrEmpty(treId);
        ArgumentException.ThrowIfNullOrEmpty(pcid);
        if (platformKey is not (KeyAlgorithm.EcP256 or KeyAlgorithm.Rsa2048 or KeyAlgorithm.Rsa3072))
            throw new ArgumentException("--platform-key: expected ec-p256, rsa-2048 or rsa-3072", nameof(platformKey));
        Directory.CreateDirectory(stateDirectory);
        var tre = new TrustedEnvironment(treId, stateDirectory, DeviceFuse.Burn(fuseDirectory, treId), time ?? TimeProvider.System);
        tre._objects[IdentityKeyName] = GeneratePlatformKey(platformKey, encryption: false);
        tre._objects[PkDKeyName] = GeneratePlatformKey(platformKey, encryption: true);
        tre._objects[DeviceMacKeyName] = RandomNumberGenerator.GetBytes(32);
        tre._objects[PcidName] = System.Text.Encoding.UTF8.GetBytes(pcid);
        tre._bootMeasurements = Measure(firmwareDirectory);
        foreach (var (name, hash) in tre._bootMeasurements)
            tre._objects[MeasurePrefix + name] = hash;
        foreach (var (id, spki) in timeAuthorities ?? new Dictionary<string, byte[]>())
            tre._objects[TimeAuthorityPrefix + id] = spki;
        var now = tre._time.GetUtcNow().ToUnixTimeMilliseconds();
        tre._state = new RpmbState { StoreVersion = 0, ClockTrustedMs = now, ClockHostMs = now, ClockLastMs = now };
        tre._clockShownMs = now;
        tre.CommitLocked();
        return tre;
    }

    /// <summary>
    /// Boot: authenticate the replay-protected store, unseal the store and check its version
    /// against it, measure the firmware. Any failure puts the TRE into lockdown (persisted).
    /// </summary>
    public static TrustedEnvironment Boot(string stateDirectory, string fuseDirectory, string treId, string firmwareDirectory, TimeProvider? time = null)
    {
        var tre = new TrustedEnvironment(treId, stateDirectory, DeviceFuse.Read(fuseDirectory, treId), time ?? TimeProvider.System);
        lock (tre._lock)
            tre.BootLocked(firmwareDirectory);
        return tre;
    }

    private void BootLocked(string firmwareDirectory)
    {
        try
        {
            _state = _rpmb.Read();
        }
        catch (Exception e) when (e is CryptographicException or IOException or System.Text.Json.JsonException)
        {
            // The block cannot be trusted, so nothing can be written to it either: locked for good.
            _rpmbWritable = false;
            _state = new RpmbState { Lockdown = Tre.LockdownReason.ReplayProtectedStoreIntegrity };
            Event("lockdown", $"{Tre.LockdownReason.ReplayProtectedStoreIntegrity}: {e.Message}");
            return;
        }
        _clockShownMs = _state.ClockLastMs;
        // A TRE locked for a firmware mismatch still unseals its store, to keep its attestation key for the PVA
        // (Attest only; docs/decisions/007). Any other lockdown keeps nothing.
        var lockedForFirmware = _state.Lockdown == Tre.LockdownReason.FirmwareMeasurement;
        if (IsLocked && !lockedForFirmware)
            return;
        var copies = _sealed.Read();
        if (!SealedStore.TryUnseal(_sealKey, TreId, copies.Newest ?? [], out var version, out var objects))
        {
            if (lockedForFirmware)
                return;
            EnterLockdown(Tre.LockdownReason.SealedStoreIntegrity, "a sealed object failed its integrity check");
            return;
        }
        if (version < _state.StoreVersion)
        {
            // A torn newest copy is a crash mid-write only while the counter still names the copy before it (decision 046).
            if (copies.Damaged)
                EnterLockdown(Tre.LockdownReason.SealedStoreIntegrity, $"the newest sealed copy is damaged, the whole one (version {version}) is behind the replay-protected version {_state.StoreVersion}");
            else
                EnterLockdown(Tre.LockdownReason.SealedStoreRollback, $"sealed store version {version} is behind the replay-protected version {_state.StoreVersion}");
            return;
        }
        if (version > _state.StoreVersion + 1)
        {
            EnterLockdown(Tre.LockdownReason.SealedStoreIntegrity, $"sealed store version {version} is ahead of anything written");
            return;
        }
        _objects = objects;
        _version = version;
        if (version == _state.StoreVersion + 1)
        {
            // A write that reached the file but not the counter (power loss between the two): roll forward.
            _state = _state with { StoreVersion = version };
            _rpmb.Write(_state);
        }
        _bootMeasurements = Measure(firmwareDirectory);
        if (lockedForFirmware)
        {
            _objects = AttestationOnly(_objects);
            return;
        }
        var reference = _objects.Where(o => o.Key.StartsWith(MeasurePrefix, StringComparison.Ordinal)).ToDictionary(o => o.Key[MeasurePrefix.Length..], o => o.Value);
        var measured = _bootMeasurements;
        foreach (var (name, hash) in reference)
        {
            if (!measured.TryGetValue(name, out var now) || !CryptographicOperations.FixedTimeEquals(now, hash))
            {
                EnterLockdown(Tre.LockdownReason.FirmwareMeasurement, $"firmware image '{name}' does not match its reference measurement");
                return;
            }
        }
    }

    /// <summary>SHA-256 of each firmware image (file) in the directory.</summary>
    internal static Dictionary<string, byte[]> Measure(string firmwareDirectory)
    {
        var result = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        if (!Directory.Exists(firmwareDirectory))
            return result;
        foreach (var file in Directory.EnumerateFiles(firmwareDirectory))
        {
            using var f = File.OpenRead(file);
            result[Path.GetFileName(file)] = SHA256.HashData(f);
        }
        return result;
    }

    /// <summary>The state anyone may see: identities, lockdown, version, clock — no key.</summary>
    public TreStatus GetStatus()
    {
        lock (_lock)
        {
            var subs = _objects.Keys.Where(k => k.StartsWith(SubscriptionPrefix, StringComparison.Ordinal) && k.EndsWith("/k", StringComparison.Ordinal))
                .Select(k => k[SubscriptionPrefix.Length..^2]).Order(StringComparer.Ordinal).ToList();
            return new TreStatus(TreId, Pcid, IsLocked, _state.Lockdown, _version, IsLocked && !_rpmbWritable ? null : NowLocked(), _state.ClockRollbackAttempts, subs);
        }
    }

    /// <summary>The identity (attestation) public key, SubjectPublicKeyInfo DER.</summary>
    public byte[] IdentityPublicKey()
    {
        lock (_lock)
        {
            EnsureUnlocked();
            return PublicKeyOf(_objects[IdentityKeyName]);
        }
    }

    /// <summary>PK_D, the public half of the TRE's encryption key, SubjectPublicKeyInfo DER.</summary>
    public byte[] PkD()
    {
        lock (_lock)
        {
            EnsureUnlocked();
            return PublicKeyOf(_objects[PkDKeyName]);
        }
    }

    /// <summary>SubjectPublicKeyInfo of a PKCS#8 key object (a copy: callers may change what they get).</summary>
    private byte[] PublicKeyOf(byte[] pkcs8) =>
        [.. _publicKeys.GetValue(pkcs8, static key =>
        {
            using var imported = PlatformSignature.ImportPkcs8(key);
            return imported.ExportSubjectPublicKeyInfo();
        })];

    /// <summary>Signs with the identity (attestation) key: ECDSA P-256 / SHA-256 (DER), or RSA-PSS / SHA-256 for an RSA key.</summary>
    public byte[] Sign(TreCaller caller, ReadOnlySpan<byte> data)
    {
        lock (_lock)
        {
            EnsureUnlocked();
            TrePolicy.CheckOperation(caller, TreOperation.SignWithIdentityKey);
            using var key = PlatformSignature.ImportPkcs8(_objects[IdentityKeyName]);
            return PlatformSignature.Sign(key, data);
        }
    }

    /// <summary>Authenticates the TRE id and PCID by signature over a verifier's challenge (TR 33.812 §5.1.2.2).</summary>
    public IdentityAssertion AuthenticateIdentities(TreCaller caller, ReadOnlySpan<byte> challenge)
    {
        if (challenge.Length < 16)
            throw new ArgumentException("The challenge must be at least 16 octets.", nameof(challenge));
        var pcid = Pcid ?? throw new InvalidOperationException("no PCID");
        return new IdentityAssertion(TreId, pcid, challenge.ToArray(), Sign(caller, IdentityAssertion.SignedBytes(TreId, pcid, challenge)));
    }

    /// <summary>
    /// Decrypts a message sealed to PK_D (<see cref="PkDCipher"/>, ECIES: EC platform keys only); false if it was altered, is
    /// for another TRE, or PK_D is RSA (MCIM objects for RSA keys are opened with RSA-OAEP by the MCIM installation).
    /// </summary>
    public bool TryDecrypt(TreCaller caller, ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> associatedData, out byte[] plaintext)
    {
        lock (_lock)
        {
            EnsureUnlocked();
            TrePolicy.CheckOperation(caller, TreOperation.DecryptWithPkD);
            plaintext = [];
            using var key = ECDiffieHellman.Create();
            try
            {
                key.ImportPkcs8PrivateKey(_objects[PkDKeyName], out _);
            }
            catch (CryptographicException)
            {
                return false; // an RSA PK_D
            }
            return PkDCipher.TryDecrypt(key, ciphertext, associatedData, out plaintext);
        }
    }

    /// <summary>HMAC-SHA-256 under the device-unique MAC key.</summary>
    public byte[] Mac(TreCaller caller, ReadOnlySpan<byte> data)
    {
        lock (_lock)
        {
            EnsureUnlocked();
            TrePolicy.CheckOperation(caller, TreOperation.MacWithDeviceKey);
            return HMACSHA256.HashData(_objects[DeviceMacKeyName], data);
        }
    }

    /// <summary>Reads a protected object, if the policy lets <paramref name="caller"/> read it.</summary>
    public byte[]? ReadObject(TreCaller caller, string name)
    {
        lock (_lock)
        {
            // A TRE locked for a rehabilitable reason still shows its PfC (issue 16, docs/decisions/020).
            if (!ReadableWhileLocked(name))
                EnsureUnlocked();
            TrePolicy.CheckRead(caller, name);
            return _objects.TryGetValue(name, out var v) ? (byte[])v.Clone() : null;
        }
    }

    /// <summary>Writes a protected object (sealed, version bumped in replay-protected memory).</summary>
    public void WriteObject(TreCaller caller, string name, ReadOnlySpan<byte> value)
    {
        lock (_lock)
        {
            EnsureUnlocked();
            TrePolicy.CheckWrite(caller, name);
            if (Holds(name, value))
                return;
            _objects[name] = value.ToArray();
            CommitLocked();
        }
    }

    /// <summary>
    /// Writes several protected objects as one sealed version: the policy is checked for every name first, then all
    /// are written and committed once, so a reader never sees some of them without the others.
    /// </summary>
    public void WriteObjects(TreCaller caller, IReadOnlyList<KeyValuePair<string, byte[]>> objects)
    {
        ArgumentNullException.ThrowIfNull(objects);
        lock (_lock)
        {
            EnsureUnlocked();
            foreach (var (name, _) in objects)
                TrePolicy.CheckWrite(caller, name);
            if (objects.All(o => Holds(o.Key, o.Value)))
                return;
            foreach (var (name, value) in objects)
                _objects[name] = (byte[])value.Clone();
            CommitLocked();
        }
    }

    /// <summary>
    /// Whether the object already holds <paramref name="value"/> (compared in fixed time): such a write is no new version — no seal,
    /// no replay-protected write (issue 19: a DM session's end stored an unchanged tree and nonces in a quarter of the sessions, two
    /// durable writes each). The secure clock persists what it has shown on its own (<see cref="PersistEveryMs"/>).
    /// </summary>
    private bool Holds(string name, ReadOnlySpan<byte> value) =>
        _objects.TryGetValue(name, out var current) && CryptographicOperations.FixedTimeEquals(current, value);

    private void EnsureUnlocked()
    {
        if (_state.Lockdown is { } reason)
            throw new TreLockedException(reason);
    }

    private void EnterLockdown(LockdownReason reason, string detail)
    {
        _state = _state with { Lockdown = reason, LockdownAtMs = _time.GetUtcNow().ToUnixTimeMilliseconds() };
        _objects = reason == Tre.LockdownReason.FirmwareMeasurement ? AttestationOnly(_objects) : new(StringComparer.Ordinal);
        Event("lockdown", $"{reason}: {detail}");
        if (_rpmbWritable)
            _rpmb.Write(_state);
    }

    /// <summary>Seals the objects as the next version, then records that version in replay-protected memory.</summary>
    private void CommitLocked()
    {
        var next = _version + 1;
        _sealed.Write(SealedStore.Seal(_sealKey, TreId, next, _objects));
        _version = next;
        _state = _state with { StoreVersion = next, ClockLastMs = Math.Max(_state.ClockLastMs, _clockShownMs) };
        _rpmb.Write(_state);
    }

    private void Event(string kind, string detail) => _events.Add(new TreEvent(_time.GetUtcNow(), kind, detail));
}
