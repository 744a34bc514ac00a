namespace M2MSec.Storage.Icf;

/// <summary>Where a PCID stands at the ICF (docs/decisions/016, the PCID reuse policy).</summary>
/// <param name="Pcid">The PCID.</param>
/// <param name="State">"bootstrapped" once its attach was confirmed and handed to the DRF (step 8).</param>
/// <param name="IpAddress">The address the VNO gave it then.</param>
/// <param name="At">When.</param>
public sealed record IcfPcidUse(string Pcid, string State, string IpAddress, DateTimeOffset At);

/// <summary>
/// The ICF's own state beside its temporary credentials (those are subscriber rows of kind PCID in
/// <see cref="IStateStore.Subscribers"/>, K/OPc wrapped, SQN per PCID): K_RO per issued RAND, wrapped, pending the attach
/// confirmation (steps 2–6), and the PCIDs whose provisioning bootstrap was handed to the DRF (step 8).
/// </summary>
public interface IIcfStore
{
    /// <summary>Keeps K_RO (wrapped) for the vector with <paramref name="rand"/> until <paramref name="expiresAt"/>.</summary>
    ValueTask AddPendingKeyAsync(string pcid, ReadOnlyMemory<byte> rand, ReadOnlyMemory<byte> kRo, DateTimeOffset expiresAt, CancellationToken cancellationToken = default);

    /// <summary>Takes (removes) the K_RO kept for <paramref name="rand"/>; null if none, or expired. Single use across instances.</summary>
    ValueTask<byte[]?> TakePendingKeyAsync(string pcid, ReadOnlyMemory<byte> rand, CancellationToken cancellationToken = default);

    /// <summary>The PCID's completed use, if any.</summary>
    ValueTask<IcfPcidUse?> FindUseAsync(string pcid, CancellationToken cancellationToken = default);

    /// <summary>Records the PCID's one use; false if it was already used (compare-and-swap: two attaches never both win).</summary>
    ValueTask<bool> TryRecordUseAsync(IcfPcidUse use, CancellationToken cancellationToken = default);

    /// <summary>An operator re-opens a PCID (its provisioning failed after step 8); false if it was not used.</summary>
    ValueTask<bool> ClearUseAsync(string pcid, CancellationToken cancellationToken = default);

    /// <summary>Issue 20 (the console's funnel): the uses of those of <paramref name="pcids"/> that have one, in one query.</summary>
    ValueTask<IReadOnlyList<IcfPcidUse>> FindUsesAsync(IReadOnlyCollection<string> pcids, CancellationToken cancellationToken = default);
}
