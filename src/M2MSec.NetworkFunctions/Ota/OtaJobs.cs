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
public sealed class OtaJobs(IStateStore store, SmscClient smsc, OtaServerOptions options, M2MSec.Ota.Scp81.Scp81AdminServer? scp81 = null)
{
    /// <summary>The Security Domain's TAR, to which the SCP81 trigger is pushed (TS 101 220 Annex D).</summary>
    public static readonly byte[] IsdTar = [0x00, 0x00, 0x00];

    /// <summary>CC, ciphering, counter must be higher; PoR required, with CC, ciphered, by SMS-SUBMIT.</summary>
    public static readonly byte[] DefaultSpi = [0x16, 0x39];

    public async Task<OtaJob?> FindAsync(string id, CancellationToken ct) =>
        await store.OtaJobs.FindAsync(id, ct).ConfigureAwait(false) is { } r ? ToDto(r) : null;

    private static OtaJob ToDto(Storage.Ota.OtaJobRecord r) => new(r.Id, r.Iccid, r.Tar, r.Counter, r.State, r.PorStatus, r.Data, r.Failure);

    /// <summary>Builds the command script that writes <paramref name="configuration"/> to EF_NASCONFIG and reads it back.</summary>
    public static (byte[] Script, byte[] File) NasScript(NasConfiguration configuration, int fileSize, RemoteApduFormat format = RemoteApduFormat.Compact)
    {
        var file = EfNasConfigCodec.EncodeFile(configuration, fileSize);
        CommandApdu[] commands =
        [
            new(0x00, 0xA4, 0x04, 0x0C, Aids.Usim.ToArray(), null),
            new(0x00, 0xA4, 0x00, 0x0C, [0x6F, 0xE8], null),
            new(0x00, 0xD6, 0x00, 0x00, file, null),
            new(0x00, 0xB0, 0x00, 0x00, [], fileSize),
        ];
        return (format == RemoteApduFormat.Compact ? RemoteCommandScript.EncodeCompact(commands) : RemoteCommandScript.EncodeExpanded(commands), file);
    }

    /// <summary>
    /// An SCP81 job: the script waits at the admin server for the card's PSK identity, and an SCP80
    /// push carrying the Administration Session Triggering Parameters goes to the card's Security
    /// Domain; the job completes when the card reports the script's responses over PSK-TLS.
    /// </summary>
    public async Task<OtaJob> SubmitScp81Async(string iccid, string pskIdentity, int keyVersion, byte[] spiBytes, byte[] script, byte[]? expectedReadBack, CancellationToken ct)
    {
        if (scp81 is null)
            throw new InvalidOperationException("this OTA server has no SCP81 admin server");
        if (await store.OtaKeySets.FindPskAsync(pskIdentity, ct).ConfigureAwait(false) is not { } psk || psk.Iccid != iccid)
            throw new KeyNotFoundException($"no SCP81 PSK identity {pskIdentity} for card {iccid}");
        var trigger = new M2MSec.Ota.Scp81.AdminSessionTrigger(scp81.EndPoint, pskIdentity, 0x01, 0x01, scp81.EndPoint.Address.ToString(),
            $"//se-id/iccid/{iccid}", M2MSec.Ota.Scp81.Scp81AdminServer.AdminPath);
        scp81.Enqueue(pskIdentity, script);
        return await SubmitAsync(iccid, IsdTar, keyVersion, spiBytes, trigger.Encode(), expectedReadBack, ct, "scp81", pskIdentity).ConfigureAwait(false);
    }

    /// <summary>Completes the SCP81 job of the card that just reported a script's responses.</summary>
    public async Task AcceptScp81ExchangeAsync(M2MSec.Ota.Scp81.Scp81Exchange exchange, CancellationToken ct)
    {
        var job = (await store.OtaJobs.AwaitingSessionAsync(exchange.Identity, ct).ConfigureAwait(false)).FirstOrDefault();
        if (job is null)
            return;
        var (state, failure) = exchange.ScriptStatus == "ok" ? ("done", (string?)null) : ("failed", $"script status {exchange.ScriptStatus}");
        if (state == "done" && job.ExpectedReadBack is { } expected)
        {
            var last = LastRApdu(exchange.Response);
            (state, failure) = last is { Length: >= 2 } r && r[^2] == 0x90 && r[^1] == 0x00 && r.AsSpan(0, r.Length - 2).SequenceEqual(expected)
                ? ("verified", null)
                : ("failed", "EF_NASCONFIG read-back differs from what was written");
        }
        if (await store.OtaJobs.CompleteAsync(job.Id, state, job.PorStatus, Convert.ToHexStringLower(exchange.Response), failure, ct).ConfigureAwait(false))
            await store.Audit.AppendAsync("ota", "scp81.session", job.Iccid, $"job {job.Id} {state}", ct).ConfigureAwait(false);
    }

    /// <summary>The last R-APDU TLV ('23') of an expanded response ('AB').</summary>
    private static byte[]? LastRApdu(byte[] response)
    {
        if (response.Length < 2 || response[0] != 0xAB)
            return null;
        var at = response[1] == 0x81 ? 3 : response[1] == 0x82 ? 4 : 2;
        byte[]? last = null;
        while (at + 2 <= response.Length)
        {
            var tag = response[at];
            int length = response[at + 1], header = 2;
            if (length == 0x81 && at + 2 < response.Length)
            {
                length = response[at + 2];
                header = 3;
            }
            if (at + header + length > response.Length)
                return null;
            if (tag == 0x23)
                last = response.AsSpan(at + header, length).ToArray();
            at += header + length;
        }
        return last;
    }

    public async Task<OtaJob> SubmitAsync(string iccid, byte[] tar, int keyVersion, byte[] spiBytes, byte[] script, byte[]? expectedReadBack, CancellationToken ct,
        string transport = "scp80", string? pskIdentity = null)
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
            "sent", null, null, null, expectedReadBack, now, now, transport, pskIdentity);
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
            if (pending.Transport == "scp81" && por.Status == PorStatus.PorOk)
            {
                // The push reached the Security Domain; the job completes with the admin session.
                return await store.OtaJobs.MarkTriggeredAsync(pending.Id, "00", ct).ConfigureAwait(false);
            }
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
public sealed record OtaServerOptions(Uri Smsc, string Address = "ota", string OriginatorDigits = "1234", System.Net.IPEndPoint? Scp81 = null);
