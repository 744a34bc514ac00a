using System.Security.Cryptography;
using M2MSec.Aka;
using M2MSec.Dm.Bootstrap;
using M2MSec.Provisioning.Bootstrap;

namespace M2MSec.Device.Tre;

/// <summary>
/// The TRE's part in discovery and registration (TR 33.812 §5.1.2.2 "support the DRF", §5.1.3.6.2 steps 5, 10–11; issue 15):
/// AKA with the temporary credential installed under the PCID, deriving K_RO inside (like Ks for GBA, it never leaves), the
/// Bootstrap message's MAC checked with K_RO, and the designated SHO kept. K_RO is single use: the bootstrap it
/// authenticated consumes it.
/// </summary>
public sealed partial class TrustedEnvironment
{
    internal const string RoKeyName = "key/ro";

    /// <summary>
    /// Step 5: AUTHENTICATE with the temporary credential (the subscription installed under this TRE's PCID) as E-UTRAN runs it
    /// (separation bit required). On success K_RO = KDF(CK ‖ IK, 0xF0, PCID, RAND) is kept inside and CK/IK are wiped:
    /// the result carries RES (or AUTS on a synchronisation failure) only.
    /// </summary>
    public UsimAuthenticationResult RunProvisionalAka(TreCaller caller, ReadOnlySpan<byte> rand, ReadOnlySpan<byte> autn)
    {
        lock (_lock)
        {
            EnsureUnlocked();
            TrePolicy.CheckOperation(caller, TreOperation.RunAka);
            var pcid = Pcid ?? throw new InvalidOperationException("the TRE has no PCID");
            if (!_objects.TryGetValue($"{SubscriptionPrefix}{pcid}/k", out var k))
                throw new InvalidOperationException($"no temporary credential for PCID {pcid} in the TRE");
            var state = new UsimSqnState(SqnScheme.Default, Unpack(_objects[$"{SubscriptionPrefix}{pcid}/sqn"]));
            var result = new UsimAka(Milenage.Default, k, _objects[$"{SubscriptionPrefix}{pcid}/opc"], state).Authenticate(rand, autn, requireSeparationBit: true);
            if (!result.IsSuccess)
                return result;
            _objects[$"{SubscriptionPrefix}{pcid}/sqn"] = Pack(state.Snapshot());
            _objects[RoKeyName] = RoBootstrapKey.Derive(result.Ck!, result.Ik!, pcid, rand);
            CryptographicOperations.ZeroMemory(result.Ck);
            CryptographicOperations.ZeroMemory(result.Ik);
            CommitLocked();
            return result with { Ck = null, Ik = null };
        }
    }

    /// <summary>Step 11: checks a Bootstrap message's MAC (HMAC-SHA1 over the body as received) with K_RO, in fixed time.</summary>
    public BootstrapVerifyResult VerifyRoBootstrapMac(TreCaller caller, ReadOnlySpan<byte> body, string? mac)
    {
        lock (_lock)
        {
            EnsureUnlocked();
            TrePolicy.CheckOperation(caller, TreOperation.VerifyRoBootstrap);
            return _objects.TryGetValue(RoKeyName, out var kRo)
                ? BootstrapAuthenticator.VerifyWithKey(kRo, body, mac)
                : BootstrapVerifyResult.InvalidKey;
        }
    }

    /// <summary>
    /// Step 11, first: opens the Bootstrap message the DRF sealed under K_RO (<see cref="RoBootstrapSeal"/>) — the DM account's
    /// passwords inside are the device's to know; null when it does not open (not sealed under this TRE's K_RO, or altered).
    /// </summary>
    public byte[]? OpenRoBootstrap(TreCaller caller, ReadOnlySpan<byte> sealedPackage)
    {
        lock (_lock)
        {
            EnsureUnlocked();
            TrePolicy.CheckOperation(caller, TreOperation.VerifyRoBootstrap);
            var pcid = Pcid;
            return pcid is not null && _objects.TryGetValue(RoKeyName, out var kRo) && RoBootstrapSeal.TryOpen(kRo, pcid, sealedPackage, out var package)
                ? package : null;
        }
    }

    /// <summary>
    /// Step 11 done: keeps the SHO the authenticated Bootstrap message designated (<see cref="TreObjects.DesignatedSho"/>) and
    /// drops K_RO, in one sealed write — a replayed Bootstrap message finds no key.
    /// </summary>
    public void CompleteRoBootstrap(TreCaller caller, string shoId)
    {
        if (!BootstrapM2MContext.IsValidShoId(shoId))
            throw new ArgumentException("not a SHO id", nameof(shoId));
        lock (_lock)
        {
            EnsureUnlocked();
            TrePolicy.CheckOperation(caller, TreOperation.VerifyRoBootstrap);
            TrePolicy.CheckWrite(caller, TreObjects.DesignatedSho);
            if (_objects.Remove(RoKeyName, out var kRo))
                CryptographicOperations.ZeroMemory(kRo);
            _objects[TreObjects.DesignatedSho] = System.Text.Encoding.UTF8.GetBytes(shoId);
            CommitLocked();
        }
    }

    /// <summary>Whether a K_RO is waiting for its Bootstrap message (status only; the key never leaves).</summary>
    public bool HasRoBootstrapKey
    {
        get
        {
            lock (_lock)
                return _objects.ContainsKey(RoKeyName);
        }
    }
}
