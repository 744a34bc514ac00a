namespace M2MSec.Device.Tre;

/// <summary>
/// The TRE's access policy: per caller, which operations and which protected-object namespaces
/// it may use. Key material is never an object: no caller can read a key.
/// </summary>
public static class TrePolicy
{
    /// <summary>Protected-object namespaces and who may read / write them.</summary>
    private static readonly (string Prefix, TreCaller[] Read, TreCaller[] Write)[] Objects =
    [
        ("trust/", [TreCaller.DeviceManagement, TreCaller.Provisioning, TreCaller.Platform], [TreCaller.Manufacturer]),
        ("dm/", [TreCaller.DeviceManagement], [TreCaller.DeviceManagement, TreCaller.Provisioning]),
        ("nas/", [TreCaller.DeviceManagement, TreCaller.Network], [TreCaller.DeviceManagement]),
        (TreObjects.AuthorisationToken, [], [TreCaller.Manufacturer]),
        ("prov/", [TreCaller.Provisioning], [TreCaller.Provisioning]),
        // Issue 17: a member's K_GRP and group states (docs/decisions/028), the network side of the device only.
        ("grp/", [TreCaller.Network], [TreCaller.Network]),
        ("cert/", [TreCaller.Platform, TreCaller.Provisioning, TreCaller.DeviceManagement], [TreCaller.Manufacturer, TreCaller.Provisioning]),
    ];

    public static void CheckRead(TreCaller caller, string name) => Check(caller, name, write: false);

    public static void CheckWrite(TreCaller caller, string name) => Check(caller, name, write: true);

    public static void CheckOperation(TreCaller caller, TreOperation operation)
    {
        var allowed = operation switch
        {
            TreOperation.SignWithIdentityKey => caller is TreCaller.Platform or TreCaller.Provisioning,
            TreOperation.DecryptWithPkD => caller is TreCaller.Provisioning,
            TreOperation.RunAka => caller is TreCaller.Network,
            TreOperation.InstallSubscription => caller is TreCaller.Provisioning or TreCaller.Manufacturer,
            TreOperation.InstallMcim => caller is TreCaller.Provisioning,
            TreOperation.ReleaseGbaKey => caller is TreCaller.Gba,
            TreOperation.MacWithDeviceKey => caller is TreCaller.DeviceManagement or TreCaller.Provisioning,
            TreOperation.ProvisionTrustAnchor => caller is TreCaller.Manufacturer or TreCaller.Provisioning,
            TreOperation.RollOverTrustAnchor => caller is TreCaller.DeviceManagement or TreCaller.Provisioning,
            TreOperation.ApplyTrustedTime => caller is TreCaller.DeviceManagement or TreCaller.Provisioning,
            TreOperation.VerifyRoBootstrap => caller is TreCaller.Provisioning,
            TreOperation.ApplyMcimInstruction => caller is TreCaller.Provisioning,
            TreOperation.DesignateSho => caller is TreCaller.Provisioning,
            TreOperation.Rehabilitate => caller is TreCaller.Platform or TreCaller.Provisioning,
            TreOperation.StoreNasContext or TreOperation.VerifyTrigger => caller is TreCaller.Network,
            _ => false,
        };
        if (!allowed)
            throw new TreAccessDeniedException(caller, operation.ToString());
    }

    private static void Check(TreCaller caller, string name, bool write)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        foreach (var (prefix, read, writers) in Objects)
        {
            if (!name.StartsWith(prefix, StringComparison.Ordinal))
                continue;
            if ((write ? writers : read).Contains(caller))
                return;
            break;
        }
        throw new TreAccessDeniedException(caller, $"{(write ? "write" : "read")} '{name}'");
    }
}

/// <summary>The credential operations the TRE offers.</summary>
public enum TreOperation
{
    SignWithIdentityKey,
    DecryptWithPkD,
    RunAka,
    InstallSubscription,
    ReleaseGbaKey,
    MacWithDeviceKey,

    /// <summary>Install a root certificate (trust/root/…) where none is.</summary>
    ProvisionTrustAnchor,

    /// <summary>Replace a root by one the current root has certified.</summary>
    RollOverTrustAnchor,

    /// <summary>Move the secure clock forward to a time a trusted responder signed (OCSP producedAt).</summary>
    ApplyTrustedTime,

    /// <summary>Install an MCIM from a signed M2MSIMMobj (seed 003); the Provisioning client only.</summary>
    InstallMcim,

    /// <summary>Check a Registration Operator's Bootstrap message with K_RO and keep the SHO it designates (issue 15).</summary>
    VerifyRoBootstrap,

    /// <summary>Enable, disable or delete an MCIM by its owning SHO's signed instruction (issue 16); the Provisioning client only.</summary>
    ApplyMcimInstruction,

    /// <summary>A change of subscription: the RO designates a new SHO and introduces its signing root (issue 16, decision 021).</summary>
    DesignateSho,

    /// <summary>Ask for a rehabilitation nonce and present the PVA's rehabilitation statement (issue 16).</summary>
    Rehabilitate,

    /// <summary>Keep the EPS NAS security context of an attach (K_NASint derived inside, the attached PLMN; issue 17).</summary>
    StoreNasContext,

    /// <summary>Check a protected trigger against the stored context and accept its COUNT (issue 17).</summary>
    VerifyTrigger,
}
