using M2MSec.Nas;
using M2MSec.NetworkFunctions.Smsc;
using M2MSec.Ota.RemoteApdu;
using M2MSec.Ota.Scp80;
using M2MSec.Ota.SmsPp;
using M2MSec.Storage;

namespace M2MSec.NetworkFunctions.Ota;

/// <summary>The state of one OTA job for one card.</summary>
public sealed record OtaJob(string Id, string Iccid, string Tar, ulong Counter, string State, string? PorStatus, string? Data, string? Failure);

/// <summary>
/// The OTA server's role logic: build secured packets with the key set's next counter (from the
/// store, never reused), send them as SMS-PP through the SMSC, accept a PoR only if it verifies
/// and answers the job's TAR and counter, and record the outcome. NAS jobs read EF_NASCONFIG back
/// and compare it with what was written.
/// </summary>
public sealed class OtaJobs(IStateStore store, SmscClient smsc, OtaServerOptions options)
{
    /// <summary>CC, ciphering, counter must be higher; PoR required, with CC, ciphered, by SMS-SUBMIT.</summary>
    public static readonly byte[] DefaultSpi = [0x16, 0x39];

    public async Task<OtaJob?> FindAsync(string id, CancellationToken ct) =>
        await store.OtaJobs.FindAsync(id, ct).ConfigureAwait(false) is { } r ? ToDto(r) : null;

    private static OtaJob ToDto(Storage.Ota.OtaJobRecord r) => new(r.Id, r.Iccid, r.Tar, r.Counter, r.State, r.PorStatus, r.Data, r.Failure);

    /// <summary>Builds the command script that writes <paramref name="configuration"/> to EF_NASCONFIG and reads it back.</summary>
    public static (byte[] Script, byte[] File) NasScript(NasConfiguration configuration, int fileSize)
    {
        var file = EfNasConfigCodec.EncodeFile(configuration, fileSize);
        return (RemoteCommandScript.EncodeCompact(
        [
            new(0x00, 0xA4, 0x04, 0x0C, Aids.Usim.ToArray(), null),
            new(0x00, 0xA4, 0x00, 0x0C, [0x6F, 0xE8], null),
            new(0x00, 0xD6, 0x00, 0x00, file, null),
            new(0x00, 0xB0, 0x00, 0x00, [], fileSize),
        ]), file);
    }

    public async Task<OtaJob> SubmitAsync(string iccid, byte[] tar, int keyVersion, byte[] spiBytes, byte[] script, byte[]? expectedReadBack, CancellationToken ct)
    {
        var keySet = await store.OtaKeySets.FindAsync(iccid, keyVersion, ct).ConfigureAwait(false)
            ?? throw new KeyNotFoundException($"no key set {keyVersion} for card {iccid}");
        var counter = await store.OtaKeySets.NextCounterAsync(iccid, keyVersion, 1, ct).ConfigureAwait(false)
            ?? throw new KeyNotFoundException($"no key set {keyVersion} for card {iccid}");
        var spi = Spi.Decode(spiBytes);
        var kic = (byte)(keyVersion << 4 | keySet.KicAlgorithm & 0x0F);
        var kid = (byte)(keyVersion << 4 | keySet.KidAlgorithm & 0x0F);
        var packet = CommandPacketCodec.Encode(new CommandPacket(spi, kic, kid, tar, counter, script), new Scp80Keys(keySet.Kic, keySet.Kid));
        var tpdus = OtaSms.CommandTpdus(packet, new AddressField(options.OriginatorDigits, AddressField.TonUnknown, AddressField.NpiIsdn), new byte[7], (byte)counter);
        var now = DateTimeOffset.UtcNow;
        var record = new Storage.Ota.OtaJobRecord(Guid.NewGuid().ToString("N"), iccid, Convert.ToHexStringLower(tar), keyVersion, spiBytes, kic, kid, counter,
            "sent", null, null, null, expectedReadBack, now, now);
        await store.OtaJobs.AddAsync(record, ct).ConfigureAwait(false);
        await store.Audit.AppendAsync("ota", "ota.command", iccid, $"job {record.Id} TAR {record.Tar} CNTR {counter}", ct).ConfigureAwait(false);
        await smsc.SubmitAsync(new SmsMessage(iccid, options.Address, [.. tpdus.Select(Convert.ToHexStringLower)], null), ct).ConfigureAwait(false);
        return ToDto(record);
    }

    /// <summary>Handles a PoR arriving from <paramref name="iccid"/> (the SMS user data with its UDH).</summary>
    public async Task<bool> AcceptPorAsync(string iccid, byte[] userData, CancellationToken ct)
    {
        IReadOnlyList<InformationElement> ies;
        int consumed;
        try
        {
            ies = UserDataHeader.Decode(userData, out consumed);
        }
        catch (FormatException)
        {
            return false;
        }
        if (!ies.Any(e => e.Iei == UserDataHeader.ResponsePacket))
            return false;
        foreach (var pending in await store.OtaJobs.PendingAsync(iccid, ct).ConfigureAwait(false))
        {
            var keySet = await store.OtaKeySets.FindAsync(iccid, pending.KeyVersion, ct).ConfigureAwait(false);
            if (keySet is null)
                continue;
            var spi = Spi.Decode(pending.Spi);
            var opened = ResponsePacketCodec.Open(userData.AsSpan(consumed), spi, pending.Kic, pending.Kid, new Scp80Keys(keySet.Kic, keySet.Kid),
                userData.AsSpan(0, consumed), Convert.FromHexString(pending.Tar), pending.Counter);
            if (!opened.IsOk)
                continue; // not this job's PoR (or forged): it changes nothing
            var por = opened.Packet!;
            var state = por.Status == PorStatus.PorOk ? "done" : "failed";
            string? failure = por.Status == PorStatus.PorOk ? null : $"card answered {por.Status}";
            if (state == "done" && pending.ExpectedReadBack is { } expected)
            {
                var data = por.AdditionalData;
                var readBack = data.Length >= 3 ? data[1..^2] : [];
                var sw = data.Length >= 2 ? data[^2] << 8 | data[^1] : 0;
                if (sw != 0x9000 || !readBack.AsSpan().SequenceEqual(expected))
                    (state, failure) = ("failed", "EF_NASCONFIG read-back differs from what was written");
                else
                    state = "verified";
            }
            var completed = await store.OtaJobs.CompleteAsync(pending.Id, state, ((byte)por.Status).ToString("x2", System.Globalization.CultureInfo.InvariantCulture),
                Convert.ToHexStringLower(por.AdditionalData), failure, ct).ConfigureAwait(false);
            if (completed)
                await store.Audit.AppendAsync("ota", "ota.por", iccid, $"job {pending.Id} {state}", ct).ConfigureAwait(false);
            return completed;
        }
        return false;
    }
}

/// <summary>Where the OTA server sends and receives SMS.</summary>
public sealed record OtaServerOptions(Uri Smsc, string Address = "ota", string OriginatorDigits = "1234");
