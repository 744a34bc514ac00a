using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using M2MSec.Pki;
using M2MSec.Provisioning;
using M2MSec.Provisioning.Mcim;
using M2MSec.Provisioning.Objects;

namespace M2MSec.Device.Tre;

/// <summary>
/// MCIM provisioning inside the TRE (seed 003): the registration nonce, and the installation of a signed M2MSIMMobj —
/// signature and signer (the designated SHO) checked, the nonce checked and cleared by the same sealed write that installs
/// the MCIM, the MCIM object opened with the platform's encryption key. Several MCIMs, one active. docs/decisions/014.
/// </summary>
public sealed partial class TrustedEnvironment
{
    internal const string McimPrefix = "mcim/";
    internal const string ActiveMcimName = "mcim-active";

    /// <summary>The pending registration nonce (seed 003 step 12), made and sealed when none is pending.</summary>
    public byte[] RegistrationNonce(TreCaller caller)
    {
        lock (_lock)
        {
            EnsureUnlocked();
            TrePolicy.CheckRead(caller, TreObjects.RegistrationNonce);
            TrePolicy.CheckWrite(caller, TreObjects.RegistrationNonce);
            if (!_objects.TryGetValue(TreObjects.RegistrationNonce, out var nonce))
            {
                nonce = RandomNumberGenerator.GetBytes(M2MSimMobj.RegistrationNonceLength);
                _objects[TreObjects.RegistrationNonce] = nonce;
                CommitLocked();
            }
            return (byte[])nonce.Clone();
        }
    }

    /// <summary>
    /// Installs the MCIM a signed M2MSIMMobj document carries (steps 19–20). Never throws for a refused object: the result
    /// says why (nothing changed then); throws only for a locked TRE or a caller the policy refuses.
    /// </summary>
    public McimInstallResult InstallMcim(TreCaller caller, ReadOnlySpan<byte> signedM2MSimMobj)
    {
        lock (_lock)
        {
            EnsureUnlocked();
            TrePolicy.CheckOperation(caller, TreOperation.InstallMcim);
            var result = InstallMcimLocked(signedM2MSimMobj);
            Event(result.IsInstalled ? "mcim-installed" : "mcim-refused", $"{result.Code}: {result.Detail}");
            return result;
        }
    }

    /// <summary>The MCIMs installed in this TRE and which one is active (no key material).</summary>
    public TreMcimStatus InstalledMcims()
    {
        lock (_lock)
        {
            var list = new List<InstalledMcim>();
            var active = _objects.TryGetValue(ActiveMcimName, out var a) ? Encoding.UTF8.GetString(a) : null;
            foreach (var (name, value) in _objects)
            {
                if (!name.StartsWith(McimPrefix, StringComparison.Ordinal))
                    continue;
                var record = JsonSerializer.Deserialize<McimRecord>(value)!;
                if (record.TreId == TreId)
                    list.Add(new InstalledMcim(record.Imsi, record.ShoId, record.Algorithm, DateTimeOffset.FromUnixTimeMilliseconds(record.InstalledAtMs), record.Imsi == active)
                    {
                        State = record.Enabled ? McimStates.Enabled : McimStates.Disabled,
                        LastSequence = record.LastSequence,
                    });
            }
            return new TreMcimStatus(list.Any(m => m.Active) ? active : null, [.. list.OrderBy(m => m.Imsi, StringComparer.Ordinal)]);
        }
    }

    /// <summary>Makes an installed, enabled MCIM the active one (the network stack then attaches with it); false for a disabled one.</summary>
    public bool ActivateMcim(TreCaller caller, string imsi)
    {
        lock (_lock)
        {
            EnsureUnlocked();
            TrePolicy.CheckOperation(caller, TreOperation.InstallMcim);
            if (McimRecordLocked(imsi) is not { Enabled: true })
                return false; // none, or disabled by its SHO: only a signed enable brings it back (issue 16)
            _objects[ActiveMcimName] = Encoding.UTF8.GetBytes(imsi);
            CommitLocked();
            return true;
        }
    }

    private McimInstallResult InstallMcimLocked(ReadOnlySpan<byte> document)
    {
        if (!_objects.TryGetValue(TreObjects.DesignatedSho, out var designatedBytes))
            return Refused("no-designated-sho", "no Bootstrap message designated a SHO");
        // The designated SHO's own root when the RO introduced one (a change of subscription, decision 021), else the manufacturer's.
        var rootName = ShoRootNameLocked(Encoding.UTF8.GetString(designatedBytes));
        if (!_objects.TryGetValue(rootName, out var rootDer))
            return Refused("no-sho-root", "no SHO signing root is provisioned");
        if (!_objects.TryGetValue(TreObjects.RegistrationNonce, out var pending))
            return Refused("no-pending-nonce", "no registration is pending (the nonce was used or never made)");

        using var root = DerCertificates.Load(rootDer);
        M2MSimMobjContent content;
        X509Certificate2 signer;
        try
        {
            content = M2MSimMobj.Verify(document, root, NowLocked(), out signer);
        }
        catch (ProvisioningException e)
        {
            return Refused(e.Code, e.Message);
        }
        using (signer)
        {
            var designated = Encoding.UTF8.GetString(designatedBytes);
            if (!string.Equals(signer.GetNameInfo(X509NameType.SimpleName, false), designated, StringComparison.Ordinal))
                return Refused("wrong-sho", "the signer is not the SHO the Bootstrap message designated");
            if (content.Pcid != Pcid || content.TreId != TreId)
                return Refused("wrong-device", "the M2MSIMMobj names another PCID or TRE");
            if (!CryptographicOperations.FixedTimeEquals(content.RegistrationNonce, pending))
                return Refused("stale-nonce", "the registration nonce is not the pending one (replay)");

            McimContent mcim;
            using (var pkD = ImportPlatformKey(_objects[PkDKeyName]))
            {
                try
                {
                    mcim = McimObject.Open(pkD, content.McimObject);
                }
                catch (ProvisioningException e)
                {
                    return Refused(e.Code, e.Message);
                }
            }
            try
            {
                if (_objects.TryGetValue(TreObjects.AuthorisationToken, out var token)
                    && (mcim.AuthorisationToken is null || !CryptographicOperations.FixedTimeEquals(token, mcim.AuthorisationToken)))
                    return Refused("wrong-token", "the MCIM does not carry this device's authorisation token");
                if (mcim.Algorithm != McimContent.Milenage || mcim.Amf is not null && mcim.Amf.Length != 2)
                    return Refused("unsupported-algorithm", $"algorithm '{mcim.Algorithm}' is not run by this TRE");
                if (_objects.ContainsKey(McimPrefix + mcim.Imsi) || _objects.ContainsKey($"{SubscriptionPrefix}{mcim.Imsi}/k"))
                    return Refused("already-installed", $"IMSI {mcim.Imsi} is already installed");

                // One sealed write: the MCIM, its binding, the active choice, and the nonce gone.
                // An IMSI installed again after a delete keeps its last instruction sequence: old instructions stay replays.
                var record = new McimRecord(mcim.Imsi, TreId, content.ShoId, mcim.Algorithm, mcim.Amf is null ? null : Convert.ToHexString(mcim.Amf),
                    NowLocked().ToUnixTimeMilliseconds(), McimStates.Enabled, DeletedSequenceLocked(mcim.Imsi), rootName);
                _objects.Remove(DeletedMcimPrefix + mcim.Imsi);
                _objects[$"{SubscriptionPrefix}{mcim.Imsi}/k"] = mcim.K.ToArray();
                _objects[$"{SubscriptionPrefix}{mcim.Imsi}/opc"] = mcim.Opc.ToArray();
                _objects[$"{SubscriptionPrefix}{mcim.Imsi}/sqn"] = Pack(new ulong[M2MSec.Aka.SqnScheme.Default.IndCount]);
                _objects[McimPrefix + mcim.Imsi] = JsonSerializer.SerializeToUtf8Bytes(record);
                _objects[ActiveMcimName] = Encoding.UTF8.GetBytes(mcim.Imsi);
                CryptographicOperations.ZeroMemory(pending);
                _objects.Remove(TreObjects.RegistrationNonce);
                CommitLocked();
                return new McimInstallResult(McimInstallResult.Installed, mcim.Imsi, $"MCIM {mcim.Imsi} from {content.ShoId} installed and active");
            }
            finally
            {
                mcim.Clear();
            }
        }
    }

    private static McimInstallResult Refused(string code, string detail) => new(code, null, detail);

    /// <summary>The platform encryption key from its PKCS#8: EC P-256 (ECDH) or RSA, read from the algorithm identifier.</summary>
    internal static AsymmetricAlgorithm ImportPlatformKey(byte[] pkcs8)
    {
        var reader = new AsnReader(pkcs8, AsnEncodingRules.DER).ReadSequence();
        reader.ReadInteger();
        var oid = reader.ReadSequence().ReadObjectIdentifier();
        AsymmetricAlgorithm key = oid switch
        {
            "1.2.840.113549.1.1.1" => RSA.Create(),
            "1.2.840.10045.2.1" => ECDiffieHellman.Create(),
            _ => throw new CryptographicException($"platform key algorithm {oid} is not supported"),
        };
        key.ImportPkcs8PrivateKey(pkcs8, out _);
        return key;
    }

    /// <summary>Test hook (issue 15): replaces the platform encryption key, e.g. by an RSA one, until manufacture offers it.</summary>
    internal void ReplacePlatformEncryptionKeyForTests(AsymmetricAlgorithm key)
    {
        lock (_lock)
        {
            _objects[PkDKeyName] = key.ExportPkcs8PrivateKey();
            CommitLocked();
        }
    }

    /// <summary>
    /// The sealed record of one MCIM: its owner SHO (the signer of its M2MSIMMobj), its life-cycle state (null in a record
    /// sealed before issue 16: enabled) and the last life-cycle instruction sequence applied (issue 16, docs/decisions/019).
    /// </summary>
    /// <see cref="RootName"/>: the root its M2MSIMMobj was verified under, which its owner's instructions must chain to (null in
    /// a record sealed before the change of subscription: the manufacturer's <c>trust/root/sho</c>).
    private sealed record McimRecord(string Imsi, string TreId, string ShoId, string Algorithm, string? Amf, long InstalledAtMs,
        string? State = null, ulong LastSequence = 0, string? RootName = null, string? LastApplied = null)
    {
        // LastApplied (issue 16): SHA-256 (base64) of the signed instruction document applied last to this MCIM (null: none since its install).

        [System.Text.Json.Serialization.JsonIgnore]
        public bool Enabled => State is null or McimStates.Enabled;
    }
}

/// <summary>What the TRE did with an M2MSIMMobj: <see cref="Code"/> is "installed" or a refusal key (bad-signature, wrong-sho, stale-nonce, mac-mismatch, …).</summary>
public sealed record McimInstallResult(string Code, string? Imsi, string Detail)
{
    public const string Installed = "installed";

    public bool IsInstalled => Code == Installed;
}

/// <summary>An MCIM installed in the TRE (no key material): its owner SHO, whether it is the active one, its life-cycle state.</summary>
public sealed record InstalledMcim(string Imsi, string ShoId, string Algorithm, DateTimeOffset InstalledAt, bool Active)
{
    /// <summary><see cref="McimStates.Enabled"/> or <see cref="McimStates.Disabled"/> (issue 16).</summary>
    public string State { get; init; } = McimStates.Enabled;

    /// <summary>The sequence of the last life-cycle instruction applied (0: none); the owner's next one must be higher.</summary>
    public ulong LastSequence { get; init; }
}

/// <summary>An MCIM's life-cycle state in the TRE (issue 16, docs/decisions/019).</summary>
public static class McimStates
{
    public const string Enabled = "enabled";
    public const string Disabled = "disabled";
}

/// <summary>The installed MCIMs and the active one.</summary>
public sealed record TreMcimStatus(string? ActiveImsi, IReadOnlyList<InstalledMcim> Mcims);
