using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace M2MSec.Device.Tre.Hardware;

/// <summary>What the TRE keeps in replay-protected memory: small, and never rolled back.</summary>
internal sealed record RpmbState
{
    /// <summary>The version the sealed store must have (anti-rollback).</summary>
    public ulong StoreVersion { get; init; }

    public LockdownReason? Lockdown { get; init; }

    public long LockdownAtMs { get; init; }

    /// <summary>Secure clock: the last trusted time (Unix ms) and the host reading it was taken at.</summary>
    public long ClockTrustedMs { get; init; }

    public long ClockHostMs { get; init; }

    /// <summary>The highest value the clock has shown; it never shows less.</summary>
    public long ClockLastMs { get; init; }

    public int ClockRollbackAttempts { get; init; }
}

/// <summary>
/// Emulates a replay-protected memory block (eMMC RPMB, JEDEC JESD84): each write carries a
/// monotonic write counter and an HMAC under a key derived from the device fuse, so contents
/// cannot be forged. Like the fuse it lives outside the data directory, as hardware would.
/// Kept in a <see cref="DurableRecord"/> but stricter than it (decision 046): every copy present must be whole and authentic, or
/// the block is refused — real RPMB writes are atomic. So that ours are too, every block is the same size, one 512-byte sector
/// with its slot framing (the JSON padded with spaces): a write is one `pwrite` into one page, never extended nor truncated, and
/// a kill cannot tear it.
/// </summary>
internal sealed class ReplayProtectedStore(DeviceFuse fuse)
{
    private const int MacSize = 32;

    /// <summary>Counter, padded JSON and MAC: 512 bytes with the slot's 32 bytes of framing.</summary>
    private const int BlockSize = 512 - 32;
    private readonly byte[] _macKey = fuse.DeriveKey("rpmb authentication key");
    private readonly DurableRecord _record = new(Path.Combine(fuse.Directory, "rpmb.bin"));
    private ulong _writeCounter;

    /// <summary>Reads and authenticates; throws <see cref="CryptographicException"/> if the block was altered.</summary>
    public RpmbState Read()
    {
        var copies = _record.Read();
        if (copies.Damaged)
            throw new CryptographicException("replay-protected store: a copy of the block is damaged");
        var blob = copies.Newest ?? throw new FileNotFoundException("replay-protected store: no block", _record.LegacyPath);
        var body = Authenticate(blob);
        if (copies.Previous is { } previous && BinaryPrimitives.ReadUInt64BigEndian(Authenticate(previous)) >= BinaryPrimitives.ReadUInt64BigEndian(body))
            throw new CryptographicException("replay-protected store: the write counter went back");
        _writeCounter = BinaryPrimitives.ReadUInt64BigEndian(body);
        return JsonSerializer.Deserialize(body[8..], RpmbJson.Default.RpmbState)
            ?? throw new CryptographicException("replay-protected store: empty block");
    }

    private ReadOnlySpan<byte> Authenticate(byte[] blob)
    {
        if (blob.Length < 8 + MacSize)
            throw new CryptographicException("replay-protected store: block too short");
        var body = blob.AsSpan(0, blob.Length - MacSize);
        if (!CryptographicOperations.FixedTimeEquals(HMACSHA256.HashData(_macKey, body), blob.AsSpan(blob.Length - MacSize)))
            throw new CryptographicException("replay-protected store: authentication failed");
        return body;
    }

    public void Write(RpmbState state)
    {
        var payload = JsonSerializer.SerializeToUtf8Bytes(state, RpmbJson.Default.RpmbState);
        var blob = new byte[Math.Max(BlockSize, 8 + payload.Length + MacSize)];
        BinaryPrimitives.WriteUInt64BigEndian(blob, ++_writeCounter);
        var body = blob.AsSpan(8, blob.Length - 8 - MacSize);
        body.Fill((byte)' '); // trailing white space: still the same JSON
        payload.CopyTo(body);
        HMACSHA256.HashData(_macKey, blob.AsSpan(0, blob.Length - MacSize), blob.AsSpan(blob.Length - MacSize));
        _record.Write(blob);
    }
}

[JsonSerializable(typeof(RpmbState))]
internal sealed partial class RpmbJson : JsonSerializerContext;
