using System.Buffers.Binary;
using System.Security.Cryptography;
using M2MSec.Crypto.Metering;
using M2MSec.Device.Tre.Hardware;

namespace M2MSec.Tests.Device;

/// <summary>The device's A/B durable record (decision 046): old or new after any crash, never a mix; every malformed slot is refused.</summary>
public sealed class DurableRecordTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("m2msec-record-").FullName;

    private string Path0 => Path.Combine(_root, "sealed.bin");

    public void Dispose() => Directory.Delete(_root, true);

    [Fact]
    public void Writes_Alternate_BetweenTheTwoSlots_TheNewestWins()
    {
        var record = new DurableRecord(Path0);
        Assert.DoesNotContain(record.SlotFiles.Append(record.LegacyPath), File.Exists);
        Assert.Equal(new DurableRecordCopies(null, null, false), record.Read());
        var writes = OperationMeter.Read(MeteredOperation.DeviceDurableWrite);
        record.Write([1]);
        Assert.Equal(record.SlotFiles[0], record.NewestFile);
        Assert.False(File.Exists(record.SlotFiles[1]));
        record.Write([2, 2]);
        record.Write([3, 3, 3]);
        Assert.Equal(record.SlotFiles[0], record.NewestFile);
        Assert.True(OperationMeter.Read(MeteredOperation.DeviceDurableWrite) >= writes + 3);

        var copies = new DurableRecord(Path0).Read(); // a fresh reader, as after a reboot
        Assert.Equal([3, 3, 3], copies.Newest);
        Assert.Equal([2, 2], copies.Previous);
        Assert.False(copies.Damaged);
        Assert.Equal(16 + 3 + 16, new FileInfo(record.SlotFiles[0]).Length); // a shorter record leaves no stale tail
    }

    [Fact]
    public void TornNewestSlot_ReadsTheCopyBefore_AndTheNextWriteGoesOverTheTornOne_CrashMidWriteThreat()
    {
        var record = new DurableRecord(Path0);
        record.Write([1, 1, 1, 1]);
        record.Write([2, 2, 2, 2]);
        var torn = record.NewestFile!;
        var bytes = File.ReadAllBytes(torn);
        File.WriteAllBytes(torn, bytes[..(bytes.Length / 2)]); // the process died, or the power failed, mid-write

        var reader = new DurableRecord(Path0);
        var copies = reader.Read();
        Assert.Equal([1, 1, 1, 1], copies.Newest);
        Assert.Null(copies.Previous);
        Assert.True(copies.Damaged);

        reader.Write([3]); // never over the only whole copy
        Assert.Equal(torn, reader.NewestFile);
        copies = new DurableRecord(Path0).Read();
        Assert.Equal([3], copies.Newest);
        Assert.Equal([1, 1, 1, 1], copies.Previous);
        Assert.False(copies.Damaged);
    }

    /// <summary>
    /// A process killed (or a power loss) mid-write leaves the overwritten slot as any prefix of the new bytes over the old ones, before
    /// or after the truncation to the new length: at every such point the reader returns the copy before or the new record, nothing else.
    /// </summary>
    [Theory]
    [InlineData(40, 90)]
    [InlineData(90, 40)]
    [InlineData(64, 64)]
    public void EveryPointOfAnInterruptedWrite_ReadsTheCopyBeforeOrTheNewRecord_NeverAMix_KilledMidWriteThreat(int oldLength, int newLength)
    {
        var record = new DurableRecord(Path0);
        var oldest = RandomNumberGenerator.GetBytes(oldLength);
        var before = RandomNumberGenerator.GetBytes(50);
        var next = RandomNumberGenerator.GetBytes(newLength);
        record.Write(oldest);
        record.Write(before);
        var slot = record.SlotFiles[0]; // holds the oldest copy: the next write goes over it
        var old = File.ReadAllBytes(slot);
        record.Write(next);
        var written = File.ReadAllBytes(slot);
        Assert.Equal(next, new DurableRecord(Path0).Read().Newest);

        for (var k = 0; k <= written.Length; k++)
        {
            foreach (var truncated in new[] { false, true })
            {
                var torn = old.Length > k ? [.. written[..k], .. old[k..]] : written[..k];
                if (truncated)
                    torn = torn[..Math.Min(torn.Length, written.Length)];
                File.WriteAllBytes(slot, torn);
                var newest = new DurableRecord(Path0).Read().Newest;
                Assert.True(newest is not null && (newest.SequenceEqual(before) || newest.SequenceEqual(next)), $"{k} bytes written, truncated {truncated}");
                // Bytes and length both written: k == written.Length (and the length cut, or never longer) — or the bytes not yet
                // written were already the same (the checksum's last octets agree by chance 1 time in 256): the slot then holds the new record.
                var complete = torn.AsSpan().SequenceEqual(written);
                Assert.Equal(complete ? next : before, newest);
            }
        }
    }

    [Fact]
    public void AWriterThatNeverRead_StillKeepsTheNewestWholeCopy()
    {
        new DurableRecord(Path0).Write([1]);
        new DurableRecord(Path0).Write([2]);
        new DurableRecord(Path0).Write([3]);
        var copies = new DurableRecord(Path0).Read();
        Assert.Equal([3], copies.Newest);
        Assert.Equal([2], copies.Previous);
    }

    public static TheoryData<string> MalformedSlots => new()
    {
        "short", "magic", "length-long", "length-short", "length-huge", "checksum", "content", "garbage",
    };

    [Theory]
    [MemberData(nameof(MalformedSlots))]
    public void MalformedSlot_IsDamaged_NeverReadAsARecord(string how)
    {
        var record = new DurableRecord(Path0);
        record.Write([7, 7, 7, 7, 7, 7, 7, 7]);
        record.Write([9, 9, 9, 9, 9, 9, 9, 9]);
        var slot = File.ReadAllBytes(record.NewestFile!);
        byte[] bad = how switch
        {
            "short" => slot[..20],
            "magic" => [.. "M2R2"u8, .. slot[4..]],
            "length-long" => WithLength(slot, 9),
            "length-short" => WithLength(slot, 7),
            "length-huge" => WithLength(slot, uint.MaxValue),
            "checksum" => Flip(slot, slot.Length - 1),
            "content" => Flip(slot, 16),
            _ => RandomNumberGenerator.GetBytes(slot.Length),
        };
        File.WriteAllBytes(record.NewestFile!, bad);

        var copies = new DurableRecord(Path0).Read();
        Assert.True(copies.Damaged, how);
        Assert.Equal([7, 7, 7, 7, 7, 7, 7, 7], copies.Newest);
        Assert.Null(copies.Previous);
    }

    [Fact]
    public void EmptySlotFile_IsNoCopy_NotDamaged_KilledBetweenCreateAndWriteThreat()
    {
        var record = new DurableRecord(Path0);
        record.Write([1]);
        File.WriteAllBytes(record.SlotFiles[1], []); // the second slot's file was created, then the process died
        var copies = new DurableRecord(Path0).Read();
        Assert.Equal([1], copies.Newest);
        Assert.Null(copies.Previous);
        Assert.False(copies.Damaged);
        new DurableRecord(Path0).Write([2]);
        copies = new DurableRecord(Path0).Read();
        Assert.Equal([2], copies.Newest);
        Assert.Equal([1], copies.Previous);
    }

    [Fact]
    public void BothSlotsDamaged_ReadsNothing()
    {
        var record = new DurableRecord(Path0);
        record.Write([1]);
        record.Write([2]);
        foreach (var slot in record.SlotFiles)
            File.WriteAllBytes(slot, Flip(File.ReadAllBytes(slot), 17));
        Assert.Equal(new DurableRecordCopies(null, null, true), new DurableRecord(Path0).Read());
    }

    [Fact]
    public void SingleFileFromBefore_IsReadUntilTheFirstWrite_ThenDeleted_UpgradeLosesNoData()
    {
        File.WriteAllBytes(Path0, [5, 5]); // what AtomicFile wrote before decision 046
        var record = new DurableRecord(Path0);
        Assert.DoesNotContain(record.SlotFiles, File.Exists);
        Assert.Equal([5, 5], record.Read().Newest);

        // The first slot write tears: the single file is still the newest whole copy.
        File.WriteAllBytes(record.SlotFiles[0], [1, 2, 3]);
        var copies = new DurableRecord(Path0).Read();
        Assert.Equal([5, 5], copies.Newest);
        Assert.True(copies.Damaged);

        record.Write([6]);
        Assert.False(File.Exists(Path0));
        Assert.Equal([6], new DurableRecord(Path0).Read().Newest);
    }

    [Fact]
    public void SlotLongerThanAnyRecord_IsDamaged_WithoutBeingRead()
    {
        var record = new DurableRecord(Path0);
        record.Write([1]);
        record.Write([2]);
        using (var huge = new FileStream(record.NewestFile!, FileMode.Open, FileAccess.Write))
            huge.SetLength(1L << 31); // sparse: 2 GiB of nothing
        var copies = new DurableRecord(Path0).Read();
        Assert.True(copies.Damaged);
        Assert.Equal([1], copies.Newest);
    }

    [Fact]
    public void MissingDirectory_ReadsNothing()
    {
        var copies = new DurableRecord(Path.Combine(_root, "gone", "sealed.bin")).Read();
        Assert.Equal(new DurableRecordCopies(null, null, false), copies);
    }

    [Fact]
    public void RecordOver16MiB_IsRefused_BeforeAnyWrite()
    {
        var record = new DurableRecord(Path0);
        Assert.Throws<ArgumentOutOfRangeException>(() => record.Write(new byte[16 * 1024 * 1024 + 1]));
        Assert.DoesNotContain(record.SlotFiles.Append(record.LegacyPath), File.Exists);
    }

    private static byte[] WithLength(byte[] slot, uint length)
    {
        var copy = (byte[])slot.Clone();
        BinaryPrimitives.WriteUInt32BigEndian(copy.AsSpan(12), length);
        return copy;
    }

    private static byte[] Flip(byte[] slot, int at)
    {
        var copy = (byte[])slot.Clone();
        copy[at] ^= 0x01;
        return copy;
    }
}
