namespace M2MSec.Storage.Ota;

/// <summary>Read-only view of the OTA server's key sets.</summary>
public interface IOtaKeySetStore
{
    ValueTask<OtaKeySet?> FindAsync(string iccid, int keyVersion, CancellationToken cancellationToken = default);

    /// <summary>The last counter value handed out for the key set (0 before the first); null if unknown.</summary>
    ValueTask<ulong?> GetCounterAsync(string iccid, int keyVersion, CancellationToken cancellationToken = default);

    /// <summary>The SCP81 PSK of a PSK identity, with the card it belongs to; null if unknown.</summary>
    ValueTask<(string Iccid, byte[] Psk)?> FindPskAsync(string identity, CancellationToken cancellationToken = default);
}

/// <summary>
/// The editable store. <see cref="NextCounterAsync"/> is the CNTR of TS 102 225 §5.1.1: one
/// strictly increasing sequence per key set, never reused — across threads, processes and OTA
/// server instances sharing the database, and across a crash (the value is durable before it
/// is returned).
/// </summary>
public interface IEditableOtaKeySetStore : IOtaKeySetStore
{
    /// <summary>The largest CNTR value (5 octets).</summary>
    public const ulong MaxCounter = (1UL << 40) - 1;

    ValueTask<bool> AddAsync(OtaKeySet keySet, ulong initialCounter = 0, CancellationToken cancellationToken = default);

    /// <summary>Reserves <paramref name="count"/> consecutive counter values and returns the first; null if the key set is unknown.</summary>
    /// <exception cref="InvalidOperationException">The counter would pass <see cref="MaxCounter"/>.</exception>
    ValueTask<ulong?> NextCounterAsync(string iccid, int keyVersion, int count = 1, CancellationToken cancellationToken = default);

    /// <summary>Registers a card's SCP81 PSK (TS 102 226 §10); false if the identity exists.</summary>
    ValueTask<bool> AddPskAsync(string identity, string iccid, byte[] psk, CancellationToken cancellationToken = default);

    /// <summary>
    /// A card as the OTA server's POST /cards registers it — its SCP81 PSK (when given), its key set, and its ICCID–IMSI link in the
    /// device registry (when an IMSI is given; an existing link is kept) — in one transaction: all of it or, on a conflict or a crash,
    /// none of it.
    /// </summary>
    ValueTask<OtaCardAddOutcome> AddCardAsync(OtaCardRegistration card, CancellationToken cancellationToken = default);

    /// <summary>Every key set, by ICCID and key version, without its keys (never unwrapped for a listing).</summary>
    ValueTask<IReadOnlyList<OtaKeySetSummary>> ListKeySetsAsync(CancellationToken cancellationToken = default);

    /// <summary>Every SCP81 PSK identity and its card, without the PSK.</summary>
    ValueTask<IReadOnlyList<(string Identity, string Iccid)>> ListPskIdentitiesAsync(CancellationToken cancellationToken = default);
}

/// <summary>What `ota card list` shows of a key set: algorithms, TAR and counter, never a key.</summary>
public sealed record OtaKeySetSummary(string Iccid, int KeyVersion, byte KicAlgorithm, byte KidAlgorithm, string? Tar, ulong Counter);

/// <summary>
/// A card's registration (POST /cards, `ota card add`): its SCP80 key set, its SCP81 PSK identity and PSK (both or neither; at least one of
/// the key set and the PSK), and the IMSI its ICCID is linked to in the device registry (a device of <paramref name="DeviceKind"/> in
/// <paramref name="InitialState"/>).
/// </summary>
public sealed record OtaCardRegistration(string Iccid, OtaKeySet? KeySet, string? PskIdentity, byte[]? Psk, string? Imsi, string DeviceKind = "uicc",
    string InitialState = "card-registered")
{
    /// <exception cref="ArgumentException">Neither a key set nor a PSK, a PSK identity without its PSK, or a key set of another card.</exception>
    public void Check()
    {
        ArgumentException.ThrowIfNullOrEmpty(Iccid);
        if ((PskIdentity is null) != (Psk is null) || (KeySet is null && PskIdentity is null) || (KeySet is not null && KeySet.Iccid != Iccid))
            throw new ArgumentException("a card's key set and/or its PSK identity with its PSK, for its ICCID");
    }
}

/// <summary>How <see cref="IEditableOtaKeySetStore.AddCardAsync"/> ended; on a conflict nothing was written.</summary>
public enum OtaCardAddOutcome
{
    Added,
    KeySetExists,
    PskIdentityExists,
}
