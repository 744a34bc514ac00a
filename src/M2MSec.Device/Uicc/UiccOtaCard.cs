using M2MSec.Ota.RemoteApdu;
using M2MSec.Ota.Scp80;

namespace M2MSec.Device.Uicc;

/// <summary>One key set of the card's OTA security domain, with its CNTR (TS 102 225 §5.1.1).</summary>
public sealed class CardKeySet(int keyVersion, byte[] kicKey, byte[] kidKey, ulong counter = 0)
{
    public int KeyVersion { get; } = keyVersion;

    internal Scp80Keys Keys { get; } = new(kicKey, kidKey);

    /// <summary>The highest counter value accepted so far.</summary>
    public ulong Counter { get; internal set; } = counter;

    public override string ToString() => $"CardKeySet {{ KVN = {KeyVersion}, CNTR = {Counter} }}";
}

/// <summary>What the card did with one command packet, for logs and tests (no key material).</summary>
public sealed record CardOtaOutcome(PorStatus Status, string? Reason, byte[]? Por, int CommandsExecuted);

/// <summary>
/// The card side of SCP80 (TS 102 225 §5, TS 102 226 §8): command packets routed by TAR to the
/// RFM application (TS 102 226 / TS 31.116) with its key sets, the minimum security level, the
/// counter rules of the SPI, and the PoR as the SPI asks for it. The file system is shared with
/// the rest of the card. Not thread-safe: a card handles one envelope at a time.
/// </summary>
public sealed class UiccOtaCard(UiccFileSystem files)
{
    private readonly Dictionary<string, Dictionary<int, CardKeySet>> _tars = new(StringComparer.Ordinal);

    public UiccFileSystem Files { get; } = files;

    /// <summary>The TAR of the issuer Security Domain: RAM and the SCP81 trigger (TS 101 220 Annex D).</summary>
    public static ReadOnlySpan<byte> SecurityDomainTar => [0x00, 0x00, 0x00];

    /// <summary>The RAM application behind <see cref="SecurityDomainTar"/>: lists the ADFs of the card.</summary>
    public RamApplication Ram { get; } = new([.. AllAids(files.Mf)]);

    private static IEnumerable<byte[]> AllAids(DedicatedFile df) =>
        df.Children.OfType<DedicatedFile>().SelectMany(d => d.Aid is { } aid ? AllAids(d).Prepend(aid) : AllAids(d));

    /// <summary>Raised after the card's durable state (counters, files) changed, so the owner can persist it.</summary>
    public event Action? StateChanged;

    /// <summary>
    /// Raised when a verified command carries Administration Session Triggering Parameters (GP Amd B):
    /// the card's SCP81 agent should open a PSK-TLS admin session as they say.
    /// </summary>
    public event Action<M2MSec.Ota.Scp81.AdminSessionTrigger>? AdminSessionRequested;

    public void AddKeySet(ReadOnlySpan<byte> tar, CardKeySet keySet)
    {
        ArgumentNullException.ThrowIfNull(keySet);
        var key = Convert.ToHexString(tar);
        if (!_tars.TryGetValue(key, out var sets))
            _tars[key] = sets = [];
        sets[keySet.KeyVersion] = keySet;
    }

    public CardKeySet? KeySet(ReadOnlySpan<byte> tar, int keyVersion) =>
        _tars.TryGetValue(Convert.ToHexString(tar), out var sets) ? sets.GetValueOrDefault(keyVersion) : null;

    public IEnumerable<(byte[] Tar, CardKeySet KeySet)> KeySets => _tars.SelectMany(t => t.Value.Values.Select(k => (Convert.FromHexString(t.Key), k)));

    private readonly List<byte[]> _segments = [];

    /// <summary>
    /// ENVELOPE (SMS-PP download, TS 31.111 §7.1.1) as the ME hands it over: the card collects the
    /// segments of a concatenated command packet and processes it when complete. Returns null while
    /// segments are missing; a TPDU that is not an OTA message is refused with a format error.
    /// </summary>
    public CardOtaOutcome? Envelope(ReadOnlySpan<byte> envelope)
    {
        var tpdu = M2MSec.Ota.SmsPp.OtaSms.TpduFromEnvelope(envelope);
        _segments.Add(tpdu);
        byte[] packet;
        try
        {
            packet = M2MSec.Ota.SmsPp.OtaSms.CommandPacketFrom(_segments);
        }
        catch (FormatException) when (_segments.Count < 255 && IsIncompleteConcatenation())
        {
            return null;
        }
        finally
        {
            if (!IsIncompleteConcatenation())
                _segments.Clear();
        }
        return Process(packet);
    }

    private bool IsIncompleteConcatenation()
    {
        try
        {
            var first = M2MSec.Ota.SmsPp.SmsDeliver.Decode(_segments[0]);
            var ies = M2MSec.Ota.SmsPp.UserDataHeader.Decode(first.UserData, out _);
            var concat = ies.FirstOrDefault(e => e.Iei == M2MSec.Ota.SmsPp.UserDataHeader.Concatenation8Bit);
            return concat is { Value.Length: 3 } && _segments.Count < concat.Value[1];
        }
        catch (FormatException)
        {
            return false;
        }
    }

    /// <summary>Processes a command packet (from CPL onwards); returns what happened and the PoR (from RPL) if one is due.</summary>
    public CardOtaOutcome Process(ReadOnlySpan<byte> packet)
    {
        CommandHeader header;
        try
        {
            header = CommandPacketCodec.ReadHeader(packet);
        }
        catch (Scp80FormatException e)
        {
            return new(PorStatus.UnidentifiedSecurityError, e.Message, null, 0); // no TAR to answer
        }
        var spi = header.Spi;
        if (!_tars.TryGetValue(Convert.ToHexString(header.Tar), out var sets))
            return Answer(spi, header, null, PorStatus.TarUnknown, "unknown TAR", 0, []);

        var kvn = KeyIdentifier.KeyIndex(spi.Ciphering ? header.Kic : header.Kid);
        if (!sets.TryGetValue(kvn, out var keySet))
            return Answer(spi, header, null, PorStatus.UnidentifiedSecurityError, $"no key set {kvn} for this TAR", 0, []);

        // Minimum security level of the RFM application: a cryptographic checksum (or signature).
        if (spi.Integrity is not (IntegrityMode.CryptographicChecksum or IntegrityMode.DigitalSignature))
            return Answer(spi, header, keySet, PorStatus.InsufficientSecurityLevel, "the RFM application requires a cryptographic checksum", 0, [], keySet.Counter);

        var opened = CommandPacketCodec.Open(packet, keySet.Keys);
        if (!opened.IsOk)
            return Answer(spi, header, keySet, opened.Status, opened.Reason, 0, [], 0);
        var command = opened.Packet!;

        var counterStatus = CheckCounter(spi.Counter, keySet.Counter, command.Counter);
        if (counterStatus != PorStatus.PorOk)
            return Answer(spi, header, keySet, counterStatus, $"CNTR {command.Counter} against {keySet.Counter}", 0, [], command.Counter);
        if (spi.Counter is CounterMode.MustBeHigher or CounterMode.MustBeOneHigher)
        {
            keySet.Counter = command.Counter;
            StateChanged?.Invoke();
        }

        if (command.SecuredData is [M2MSec.Ota.Scp81.AdminSessionTrigger.Tag, ..])
        {
            try
            {
                var trigger = M2MSec.Ota.Scp81.AdminSessionTrigger.Decode(command.SecuredData);
                AdminSessionRequested?.Invoke(trigger);
                return Answer(spi, header, keySet, PorStatus.PorOk, null, 0, [], command.Counter);
            }
            catch (FormatException e)
            {
                return Answer(spi, header, keySet, PorStatus.UnidentifiedSecurityError, e.Message, 0, [], command.Counter);
            }
        }

        IReadOnlyList<CommandApdu> script;
        RemoteApduFormat format;
        try
        {
            script = RemoteCommandScript.Decode(command.SecuredData, out format);
        }
        catch (FormatException e)
        {
            return Answer(spi, header, keySet, PorStatus.UnidentifiedSecurityError, e.Message, 0, [], command.Counter);
        }
        // TAR routing (TS 101 220 Annex D): the Security Domain's TAR reaches RAM, the others RFM.
        var ram = header.Tar.AsSpan().SequenceEqual(SecurityDomainTar) ? Ram : null;
        var session = Files.NewSession();
        var responses = new List<ResponseApdu>();
        foreach (var apdu in script)
        {
            var r = ram is not null ? ram.Execute(apdu) : Files.Execute(session, apdu);
            responses.Add(r);
            if (!r.LetsScriptContinue)
                break; // TS 102 226 §5.1.1: the script stops at the first error
        }
        if (responses.Count > 0)
            StateChanged?.Invoke();
        var data = RemoteCommandScript.EncodeResponse(format, responses);
        return Answer(spi, header, keySet, PorStatus.PorOk, null, responses.Count, data, command.Counter);
    }

    /// <summary>
    /// A script the SCP81 admin session delivered (GlobalPlatform Amendment B: RFM over HTTP): run on the file system like an SCP80
    /// one, stopping at the first error (TS 102 226 §5.1.1).
    /// </summary>
    public IReadOnlyList<ResponseApdu> RunAdminScript(IReadOnlyList<CommandApdu> script)
    {
        ArgumentNullException.ThrowIfNull(script);
        var session = Files.NewSession();
        var responses = new List<ResponseApdu>();
        foreach (var apdu in script)
        {
            var r = Files.Execute(session, apdu);
            responses.Add(r);
            if (!r.LetsScriptContinue)
                break;
        }
        if (responses.Count > 0)
            StateChanged?.Invoke();
        return responses;
    }

    /// <summary>TS 102 225 §5.1.1, SPI b5b4 and the status codes of Table 5.</summary>
    internal static PorStatus CheckCounter(CounterMode mode, ulong stored, ulong received)
    {
        if (mode is CounterMode.NoCounter or CounterMode.AvailableNoCheck)
            return PorStatus.PorOk;
        if (stored >= CommandPacket.MaxCounter)
            return PorStatus.CounterBlocked;
        if (received <= stored)
            return PorStatus.CounterLow;
        if (mode == CounterMode.MustBeOneHigher && received != stored + 1)
            return PorStatus.CounterHigh;
        return PorStatus.PorOk;
    }

    private static CardOtaOutcome Answer(Spi spi, CommandHeader header, CardKeySet? keySet, PorStatus status, string? reason, int executed, byte[] data, ulong counter = 0)
    {
        var due = spi.Por == PorMode.Required || (spi.Por == PorMode.OnErrorOnly && status != PorStatus.PorOk);
        if (!due)
            return new(status, reason, null, executed);
        var response = new ResponsePacket(header.Tar, counter, status, data);
        // Without a key set (unknown TAR / key) the PoR cannot be protected: it goes out in clear.
        var porSpi = keySet is null ? spi with { PorIntegrity = IntegrityMode.None, PorCiphered = false } : spi;
        var keys = keySet?.Keys ?? new Scp80Keys([], []);
        return new(status, reason, ResponsePacketCodec.Encode(response, porSpi, header.Kic, header.Kid, keys, ResponsePacketCodec.SmsPorHeader), executed);
    }
}
