namespace M2MSec.Storage.Drf;

/// <summary>The ICF's step-8 hand-over kept by the DRF until the device asks (step 7): K_RO is a secret (wrapped at rest).</summary>
public sealed record DrfBootstrapRequest(string Pcid, string IpAddress, byte[] KRo, DateTimeOffset ExpiresAt)
{
    public override string ToString() => $"DrfBootstrapRequest {{ Pcid = {Pcid}, IpAddress = {IpAddress} }}";
}

/// <summary>
/// A registration at the DRF: the SHO and the DPF's DM URL chosen for the PCID, the device's DevId (TRE id), and where it
/// stands: "bootstrapped" (Bootstrap message sent, step 10) or "registered" (at the SHO, step 12).
/// </summary>
public sealed record DrfRegistration(string Pcid, string ShoId, string DmUrl, string DevId, string State, DateTimeOffset UpdatedAt);

/// <summary>
/// A change of subscription at the DRF (issue 16, docs/decisions/021): the PCID moves from <see cref="FromSho"/> to <see cref="ToSho"/>.
/// <see cref="State"/>: <c>provisioning</c> (the DPF opened the new provisioning) → <c>installed</c> (the DPF reported step 21; the old
/// SHO is to be told) → <c>released</c> (the old SHO took the release), or <c>failed</c> (with <see cref="Reason"/>).
/// </summary>
public sealed record DrfChange(string Pcid, string FromSho, string ToSho, string State, string? Reason, DateTimeOffset UpdatedAt)
{
    public const string Provisioning = "provisioning";
    public const string Installed = "installed";
    public const string Released = "released";
    public const string Failed = "failed";
}

/// <summary>The DRF's state (TR 33.812 §5.1.3.6.2 steps 8–12): PCID → SHO assignments, pending bootstrap requests, registrations.</summary>
public interface IDrfStore
{
    ValueTask SetAssignmentAsync(string pcid, string shoId, CancellationToken cancellationToken = default);

    ValueTask<string?> FindAssignmentAsync(string pcid, CancellationToken cancellationToken = default);

    /// <summary>Keeps the ICF's request (replacing an earlier one for the PCID).</summary>
    ValueTask PutBootstrapRequestAsync(DrfBootstrapRequest request, CancellationToken cancellationToken = default);

    /// <summary>Takes (removes) the PCID's pending request; null if none or expired. Single use.</summary>
    ValueTask<DrfBootstrapRequest?> TakeBootstrapRequestAsync(string pcid, CancellationToken cancellationToken = default);

    ValueTask PutRegistrationAsync(DrfRegistration registration, CancellationToken cancellationToken = default);

    ValueTask<DrfRegistration?> FindRegistrationAsync(string pcid, CancellationToken cancellationToken = default);

    /// <summary>Moves the registration from <paramref name="from"/> to <paramref name="to"/>; false if it was not in <paramref name="from"/>.</summary>
    ValueTask<bool> TryMoveRegistrationAsync(string pcid, string from, string to, CancellationToken cancellationToken = default);

    // --- Issue 16, change of subscription (H-change): one change per PCID at a time ---

    /// <summary>Records a change (replacing a finished one for the PCID); false if the PCID has one still in <c>provisioning</c> or <c>installed</c>.</summary>
    ValueTask<bool> StartChangeAsync(DrfChange change, CancellationToken cancellationToken = default);

    ValueTask<DrfChange?> FindChangeAsync(string pcid, CancellationToken cancellationToken = default);

    /// <summary>Moves the change from <paramref name="from"/> to <paramref name="to"/> with <paramref name="reason"/>; false if it was not in <paramref name="from"/>.</summary>
    ValueTask<bool> TryMoveChangeAsync(string pcid, string from, string to, string? reason, CancellationToken cancellationToken = default);

    // --- Issue 20 (the console's funnel and stage filter): many PCIDs in one query each ---

    /// <summary>The registrations of those of <paramref name="pcids"/> that have one.</summary>
    ValueTask<IReadOnlyList<DrfRegistration>> FindRegistrationsAsync(IReadOnlyCollection<string> pcids, CancellationToken cancellationToken = default);

    /// <summary>The changes of those of <paramref name="pcids"/> that have one.</summary>
    ValueTask<IReadOnlyList<DrfChange>> FindChangesAsync(IReadOnlyCollection<string> pcids, CancellationToken cancellationToken = default);

    /// <summary>Issue 20 (the console's stage filter): at most <paramref name="limit"/> PCIDs after <paramref name="after"/>, by PCID, whose registration is in <paramref name="state"/>.</summary>
    ValueTask<IReadOnlyList<string>> ListRegistrationPcidsAsync(string state, string? after, int limit, CancellationToken cancellationToken = default);

    /// <summary>Issue 20 (the console's stage filter): at most <paramref name="limit"/> PCIDs after <paramref name="after"/>, by PCID, whose change is in <paramref name="state"/>.</summary>
    ValueTask<IReadOnlyList<string>> ListChangePcidsAsync(string state, string? after, int limit, CancellationToken cancellationToken = default);
}
