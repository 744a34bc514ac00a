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

    /// <summary>Every key set, by ICCID and key version, without its keys (never unwrapped for a listing).</summary>
    ValueTask<IReadOnlyList<OtaKeySetSummary>> ListKeySetsAsync(CancellationToken cancellationToken = default);

    /// <summary>Every SCP81 PSK identity and its card, without the PSK.</summary>
    ValueTask<IReadOnlyList<(string Identity, string Iccid)>> ListPskIdentitiesAsync(CancellationToken cancellationToken = default);
}

/// <summary>What `ota card list` shows of a key set: algorithms, TAR and counter, never a key.</summary>
public sealed record OtaKeySetSummary(string Iccid, int KeyVersion, byte KicAlgorithm, byte KidAlgorithm, string? Tar, ulong Counter);
