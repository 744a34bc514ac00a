using System.Buffers.Binary;
using System.Security.Cryptography;
using M2MSec.Crypto.Metering;

namespace M2MSec.Device.Tre.Hardware;

/// <summary>What <see cref="DurableRecord.Read"/> found: the newest whole copy, the one before it, and whether a slot was damaged.</summary>
/// <param name="Newest">The newest copy whose slot is whole; null when there is none.</param>
/// <param name="Previous">The other slot's copy when it is whole and older.</param>
/// <param name="Damaged">A slot holds bytes that fail its checksum: torn by a crash mid-write, or altered (an empty slot file is no copy).</param>
public readonly record struct DurableRecordCopies(byte[]? Newest, byte[]? Previous, bool Damaged);

/// <summary>
/// A record the device keeps durable in two slot files, A and B (the A/B scheme of flash storage): a write overwrites, in place,
/// the slot that does not hold the newest whole copy and fsyncs it. No file is created, renamed or freed, so a write is one data
/// flush rather than a file system journal commit (decision 046). A crash mid-write tears that slot only — its checksum fails —
/// and the reader falls back to the other: it gets the old record or the new one, never a mix. Each slot:
/// <c>"M2R1" | sequence (uint64 BE) | length (uint32 BE) | record | SHA-256 of all before, first 16 bytes</c>.
/// The checksum detects tears, not forgery: what must resist an attacker is sealed or MACed by the caller.
/// </summary>
public sealed class DurableRecord
{
    private const int HeaderSize = 16;
    private const int CheckSize = 16;
    private const int MaxLength = 16 * 1024 * 1024;
    private static ReadOnlySpan<byte> Magic => "M2R1"u8;

    private readonly string[] _slots;
    private int _newestSlot = -1;
    private ulong _newestSequence;
    private bool _legacyGone;

    /// <param name="path">The record's name; the slots are <c>path.a</c> and <c>path.b</c>, and <paramref name="path"/> itself is a
    /// single-file copy from before decision 046, read while no slot exists and deleted by the first write.</param>
    public DurableRecord(string path)
    {
        LegacyPath = path;
        _slots = [path + ".a", path + ".b"];
    }

    /// <summary>The single file an <see cref="AtomicFile"/> wrote before decision 046.</summary>
    public string LegacyPath { get; }

    /// <summary>The two slot files.</summary>
    public IReadOnlyList<string> SlotFiles => _slots;

    /// <summary>The slot file holding the newest whole copy, or null.</summary>
    public string? NewestFile
    {
        get
        {
            Read();
            return _newestSlot < 0 ? null : _slots[_newestSlot];
        }
    }

    /// <summary>The raw files (slots and the single file from before), null where absent: what an attacker with the storage copies.</summary>
    public IReadOnlyDictionary<string, byte[]?> CopyFiles() =>
        new[] { LegacyPath, _slots[0], _slots[1] }.ToDictionary(f => f, f => File.Exists(f) ? File.ReadAllBytes(f) : null);

    /// <summary>Puts files copied by <see cref="CopyFiles"/> back, deleting those that were absent (an attacker's rollback).</summary>
    public static void RestoreFiles(IReadOnlyDictionary<string, byte[]?> files)
    {
        foreach (var (file, content) in files)
        {
            if (content is null)
                File.Delete(file);
            else
                File.WriteAllBytes(file, content);
        }
    }

    public DurableRecordCopies Read()
    {
        var a = ReadSlot(_slots[0]);
        var b = ReadSlot(_slots[1]);
        var damaged = a.Damaged || b.Damaged;
        if (a.Content is null && b.Content is null)
        {
            // No whole slot: the single file from before decision 046 if it is still there (the first slot write tore), else nothing.
            _newestSlot = -1;
            _newestSequence = 0;
            return new(File.Exists(LegacyPath) ? File.ReadAllBytes(LegacyPath) : null, null, damaged);
        }
        var newest = b.Content is not null && (a.Content is null || b.Sequence > a.Sequence) ? 1 : 0;
        var (first, second) = newest == 0 ? (a, b) : (b, a);
        _newestSlot = newest;
        _newestSequence = first.Sequence;
        return new(first.Content, second.Content, damaged);
    }

    /// <summary>Writes <paramref name="record"/> over the slot not holding the newest whole copy and fsyncs it.</summary>
    public void Write(ReadOnlySpan<byte> record)
    {
        if (record.Length > MaxLength)
            throw new ArgumentOutOfRangeException(nameof(record), $"a durable record holds at most {MaxLength} bytes");
        if (_newestSlot < 0)
            Read();
        var target = _newestSlot < 0 ? 0 : 1 - _newestSlot;
        var sequence = _newestSequence + 1;
        var slot = new byte[HeaderSize + record.Length + CheckSize];
        Magic.CopyTo(slot);
        BinaryPrimitives.WriteUInt64BigEndian(slot.AsSpan(4), sequence);
        BinaryPrimitives.WriteUInt32BigEndian(slot.AsSpan(12), (uint)record.Length);
        record.CopyTo(slot.AsSpan(HeaderSize));
        Checksum(slot.AsSpan(0, HeaderSize + record.Length), slot.AsSpan(HeaderSize + record.Length));

        var options = new FileStreamOptions { Mode = FileMode.OpenOrCreate, Access = FileAccess.Write, BufferSize = 0 };
        if (!OperatingSystem.IsWindows())
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using (var file = new FileStream(_slots[target], options))
        {
            file.Write(slot);
            if (file.Length != slot.Length)
                file.SetLength(slot.Length);
            DeviceDurableWrites.FlushToDisk(file);
        }
        OperationMeter.Count(MeteredOperation.DeviceDurableWrite);
        _newestSlot = target;
        _newestSequence = sequence;
        if (!_legacyGone)
        {
            File.Delete(LegacyPath); // a slot now holds the newest copy: the single file from before decision 046 is stale
            _legacyGone = true;
        }
    }

    private static (byte[]? Content, ulong Sequence, bool Damaged) ReadSlot(string file)
    {
        byte[] slot;
        try
        {
            using var handle = File.OpenHandle(file);
            var size = RandomAccess.GetLength(handle);
            if (size == 0)
                return (null, 0, false); // created, never written (a kill between the two): no copy, nothing torn
            if (size > HeaderSize + MaxLength + CheckSize)
                return (null, 0, true); // no record is that long: not read
            slot = new byte[size];
            for (var read = 0; read < size;)
            {
                var n = RandomAccess.Read(handle, slot.AsSpan(read), read);
                if (n == 0)
                    return (null, 0, true); // shrank while read
                read += n;
            }
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return (null, 0, false);
        }
        if (slot.Length < HeaderSize + CheckSize || !slot.AsSpan(0, 4).SequenceEqual(Magic))
            return (null, 0, true);
        var length = BinaryPrimitives.ReadUInt32BigEndian(slot.AsSpan(12));
        if (length != slot.Length - HeaderSize - CheckSize)
            return (null, 0, true);
        Span<byte> check = stackalloc byte[CheckSize];
        Checksum(slot.AsSpan(0, HeaderSize + (int)length), check);
        if (!check.SequenceEqual(slot.AsSpan(HeaderSize + (int)length)))
            return (null, 0, true);
        return (slot.AsSpan(HeaderSize, (int)length).ToArray(), BinaryPrimitives.ReadUInt64BigEndian(slot.AsSpan(4)), false);
    }

    private static void Checksum(ReadOnlySpan<byte> data, Span<byte> destination)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(data, hash);
        hash[..CheckSize].CopyTo(destination);
    }
}
