using M2MSec.Nas;
using M2MSec.NetworkFunctions.Smsc;
using M2MSec.Ota.RemoteApdu;
using M2MSec.Ota.Scp80;
using M2MSec.Ota.SmsPp;
using M2MSec.Storage;

namespace M2MSec.NetworkFunctions.Ota;

/// <summary>The state of one OTA job for one card.</summary>
public sealed record OtaJob(string Id, string Iccid, string Tar, ulong Counter, string State, string? PorStatus, string? Data, string? Failure);

/// <summary>What one reconciliation pass did with the jobs it found stuck in "submitting".</summary>
public sealed record OtaReconciliation(int Sent, int Resubmitted, int Failed);

/// <summary>
/// The OTA server's role logic: build secured packets with the key set's next counter (from the
/// store, never reused), send them as SMS-PP through the SMSC, accept a PoR only if it verifies
/// and answers the job's TAR and counter, and record the outcome. NAS jobs read EF_NASCONFIG back
/// and compare it with what was written. A job is "submitting" until the SMSC's answer is
/// recorded ("sent"); <see cref="ReconcileAsync"/> settles jobs a crash left in between.
/// </summary>
public sealed class OtaJobs(IStateStore store, SmscClient smsc, OtaServerOptions options, M2MSec.Ota.Scp81.Scp81AdminServer? scp81 = null, TimeProvider? time = null,
    OtaMetrics? metrics = null)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    /// <summary>
    /// The longest script an SCP80 job may carry: the command packet must fit 255 concatenated
    /// SMS (TS 23.040 §9.2.3.24.1), less the largest header, RC/CC and padding (TS 102 225 §5.1.1).
    /// </summary>
    public const int MaxScriptOctets = OtaSms.MaxCommandPacket - CommandPacketCodec.MaxOverhead;

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
        {
            await store.Audit.AppendAsync("ota", "scp81.session", job.Iccid, $"job {job.Id} {state}", ct).ConfigureAwait(false);
            metrics?.Job(job.Iccid, state);
        }
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
        ArgumentNullException.ThrowIfNull(script);
        if (script.Length > MaxScriptOctets)
            throw new ArgumentException($"A script is at most {MaxScriptOctets} octets.", nameof(script));
        var keySet = await store.OtaKeySets.FindAsync(iccid, keyVersion, ct).ConfigureAwait(false)
            ?? throw new KeyNotFoundException($"no key set {keyVersion} for card {iccid}");
        var kic = (byte)(keyVersion << 4 | keySet.KicAlgorithm & 0x0F);
        var kid = (byte)(keyVersion << 4 | keySet.KidAlgorithm & 0x0F);
        var id = Guid.NewGuid().ToString("N");
        // The counter taken and the job that uses it in one commit (decision 055), before the packet leaves: "submitting" until the
        // SMSC's answer is recorded, so a crash in between leaves the truth; a counter is never handed out twice either way.
        var record = await store.InOneCommitAsync(async () =>
        {
            var counter = await store.OtaKeySets.NextCounterAsync(iccid, keyVersion, 1, ct).ConfigureAwait(false)
                ?? throw new KeyNotFoundException($"no key set {keyVersion} for card {iccid}");
            var now = _time.GetUtcNow();
            var job = new Storage.Ota.OtaJobRecord(id, iccid, Convert.ToHexStringLower(tar), keyVersion, spiBytes, kic, kid, counter,
                Storage.Ota.OtaJobRecord.Submitting, null, null, null, expectedReadBack, now, now, transport, pskIdentity, script);
            await store.OtaJobs.AddAsync(job, ct).ConfigureAwait(false);
            return job;
        }, ct).ConfigureAwait(false);
        return await SendAsync(record, keySet, ct).ConfigureAwait(false);
    }

    /// <summary>Wraps the job's script under its counter, submits it to the SMSC under the job id, and records the answer.</summary>
    private async Task<OtaJob> SendAsync(Storage.Ota.OtaJobRecord record, Storage.Ota.OtaKeySet keySet, CancellationToken ct)
    {
        var packet = CommandPacketCodec.Encode(new CommandPacket(Spi.Decode(record.Spi), record.Kic, record.Kid, Convert.FromHexString(record.Tar), record.Counter, record.Script!),
            new Scp80Keys(keySet.Kic, keySet.Kid));
        var tpdus = OtaSms.CommandTpdus(packet, new AddressField(options.OriginatorDigits, AddressField.TonUnknown, AddressField.NpiIsdn), new byte[7], (byte)record.Counter);
        try
        {
            await smsc.SubmitAsync(new SmsMessage(record.Iccid, options.Address, [.. tpdus.Select(Convert.ToHexStringLower)], null, record.Id), ct).ConfigureAwait(false);
        }
        catch (HttpRequestException e) when (e.StatusCode is { } status && (int)status is >= 400 and < 500)
        {
            var reason = $"the SMSC refused the message (HTTP {(int)status})";
            if (await store.OtaJobs.FailSubmissionAsync(record.Id, reason, _time.GetUtcNow(), ct).ConfigureAwait(false))
            {
                await store.Audit.AppendAsync("ota", "ota.failed", record.Iccid, $"job {record.Id}: {reason}", ct).ConfigureAwait(false);
                metrics?.Job(record.Iccid, "failed");
            }
            return ToDto(await store.OtaJobs.FindAsync(record.Id, ct).ConfigureAwait(false) ?? record);
        }
        catch (Exception e) when (e is HttpRequestException || (e is OperationCanceledException && !ct.IsCancellationRequested))
        {
            // Unknown whether the SMSC took it: the job stays "submitting" and reconciliation asks the SMSC.
            return ToDto(record);
        }
        if (await store.OtaJobs.MarkSentAsync(record.Id, record.Counter, _time.GetUtcNow(), ct).ConfigureAwait(false))
        {
            await store.Audit.AppendAsync("ota", "ota.command", record.Iccid, $"job {record.Id} TAR {record.Tar} CNTR {record.Counter} sent", ct).ConfigureAwait(false);
            metrics?.Job(record.Iccid, "sent");
        }
        return ToDto(await store.OtaJobs.FindAsync(record.Id, ct).ConfigureAwait(false) ?? record);
    }

    /// <summary>
    /// Settles jobs left "submitting" for longer than the grace period (a crash, or an SMSC that did
    /// not answer): each is claimed atomically (so of several OTA servers on one database exactly one
    /// acts on it), then the SMSC is asked whether it holds the job id — yes: "sent"; no: an SCP80
    /// job is re-wrapped under a FRESH counter (the reserved one may have been seen; it is never
    /// sent again) and resubmitted, anything else becomes "failed" with the reason.
    /// </summary>
    public async Task<OtaReconciliation> ReconcileAsync(CancellationToken ct)
    {
        int sent = 0, resubmitted = 0, failed = 0;
        var now = _time.GetUtcNow();
        foreach (var job in await store.OtaJobs.StuckAsync(now - options.SubmitGrace, 100, ct).ConfigureAwait(false))
        {
            if (!await store.OtaJobs.ClaimAsync(job.Id, job.UpdatedAt, now, ct).ConfigureAwait(false))
                continue; // another instance settles it
            if (await smsc.HoldsAsync(job.Id, ct).ConfigureAwait(false))
            {
                if (await store.OtaJobs.MarkSentAsync(job.Id, job.Counter, _time.GetUtcNow(), ct).ConfigureAwait(false))
                {
                    await store.Audit.AppendAsync("ota", "ota.command", job.Iccid, $"job {job.Id} TAR {job.Tar} CNTR {job.Counter} sent (reconciled: the SMSC holds it)", ct).ConfigureAwait(false);
                    metrics?.Job(job.Iccid, "sent");
                    sent++;
                }
                continue;
            }
            var keySet = await store.OtaKeySets.FindAsync(job.Iccid, job.KeyVersion, ct).ConfigureAwait(false);
            var failure = job.Transport != "scp80" ? "the OTA server stopped before the SMSC accepted the SCP81 push; the session script was not kept: submit the job again"
                : job.Script is null ? "the OTA server stopped before the SMSC accepted the message, and the script was not kept"
                : now - job.CreatedAt > options.ResubmitWithin ? $"the SMSC did not accept the message within {options.ResubmitWithin}"
                : keySet is null ? $"key set {job.KeyVersion} of the card is gone"
                : null;
            if (failure is not null)
            {
                if (await store.OtaJobs.FailSubmissionAsync(job.Id, failure, _time.GetUtcNow(), ct).ConfigureAwait(false))
                {
                    await store.Audit.AppendAsync("ota", "ota.failed", job.Iccid, $"job {job.Id}: {failure}", ct).ConfigureAwait(false);
                    metrics?.Job(job.Iccid, "failed");
                    failed++;
                }
                continue;
            }
            // TS 102 225 §5.1.1: the reserved CNTR may have been seen, so it is withdrawn and never sent; the packet is re-wrapped.
            var counter = await store.OtaKeySets.NextCounterAsync(job.Iccid, job.KeyVersion, 1, ct).ConfigureAwait(false);
            if (counter is not { } fresh || !await store.OtaJobs.RecounterAsync(job.Id, job.Counter, fresh, _time.GetUtcNow(), ct).ConfigureAwait(false))
                continue;
            await store.Audit.AppendAsync("ota", "ota.resubmit", job.Iccid, $"job {job.Id} CNTR {job.Counter} withdrawn, resubmitted with CNTR {fresh}", ct).ConfigureAwait(false);
            metrics?.Job(job.Iccid, "resubmitted");
            if ((await SendAsync(job with { Counter = fresh }, keySet!, ct).ConfigureAwait(false)).State == Storage.Ota.OtaJobRecord.Sent)
                resubmitted++;
        }
        return new OtaReconciliation(sent, resubmitted, failed);
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
            metrics?.Por(iccid, por.Status);
            if (pending.Transport == "scp81" && por.Status == PorStatus.PorOk)
            {
                // The push reached the Security Domain; the job completes with the admin session.
                var triggered = await store.OtaJobs.MarkTriggeredAsync(pending.Id, "00", ct).ConfigureAwait(false);
                if (triggered)
                    metrics?.Job(iccid, "triggered");
                return triggered;
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
            {
                await store.Audit.AppendAsync("ota", "ota.por", iccid, $"job {pending.Id} {state}", ct).ConfigureAwait(false);
                metrics?.Job(iccid, state);
            }
            return completed;
        }
        return false;
    }
}

/// <summary>
/// Where the OTA server sends and receives SMS, and how it reconciles: every
/// <see cref="ReconcileEvery"/> (default 30 s) jobs "submitting" for longer than
/// <see cref="SubmitGrace"/> (default 60 s, longer than the SMSC client's timeout) are settled;
/// one older than <see cref="ResubmitWithin"/> (default 1 h) is failed rather than resubmitted.
/// </summary>
public sealed record OtaServerOptions(Uri Smsc, string Address = "ota", string OriginatorDigits = "1234", System.Net.IPEndPoint? Scp81 = null,
    TimeSpan? ReconcileInterval = null, TimeSpan? Grace = null, TimeSpan? ResubmitAge = null)
{
    public TimeSpan ReconcileEvery => ReconcileInterval ?? TimeSpan.FromSeconds(30);

    public TimeSpan SubmitGrace => Grace ?? TimeSpan.FromSeconds(60);

    public TimeSpan ResubmitWithin => ResubmitAge ?? TimeSpan.FromHours(1);
}
