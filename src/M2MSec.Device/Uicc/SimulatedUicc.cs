using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using M2MSec.Device.Tre.Hardware;

namespace M2MSec.Device.Uicc;

/// <summary>
/// The UICC of a UICC-based MTC device: its file system, OTA key sets and counters, persisted in
/// the device directory (uicc/card.bin) sealed with AES-256-GCM under a key the card's "chip" holds
/// (derived from the device's fuse, outside the device directory). Every change — a counter, a
/// file update — is written before the PoR leaves the card. docs/decisions/009-ota-card-choices.md.
/// </summary>
public sealed class SimulatedUicc
{
    private const string FileName = "card.bin";
    private readonly string _path;
    private readonly byte[] _key;
    private readonly string _treId;

    private SimulatedUicc(string path, byte[] key, string treId, string iccid, string imsi, UiccOtaCard card)
    {
        _path = path;
        _key = key;
        _treId = treId;
        Iccid = iccid;
        Imsi = imsi;
        Card = card;
        Card.StateChanged += Save;
    }

    public string Iccid { get; }

    public string Imsi { get; }

    public UiccOtaCard Card { get; }

    /// <summary>Issues a card (profile files, no key sets yet) into <paramref name="deviceDirectory"/>/uicc.</summary>
    public static SimulatedUicc Issue(string deviceDirectory, string fuseDirectory, string treId, string iccid, string imsi)
    {
        var uicc = new SimulatedUicc(PathIn(deviceDirectory), CardKey(fuseDirectory, treId), treId, iccid, imsi, new UiccOtaCard(UiccProfile.Create(iccid, imsi)));
        if (File.Exists(uicc._path))
            throw new InvalidOperationException($"{deviceDirectory} already holds a UICC");
        Directory.CreateDirectory(Path.GetDirectoryName(uicc._path)!);
        uicc.Save();
        return uicc;
    }

    /// <summary>Loads the card; the TRE id is the associated data, binding the image to its device.</summary>
    public static SimulatedUicc Load(string deviceDirectory, string fuseDirectory, string treId)
    {
        var path = PathIn(deviceDirectory);
        var key = CardKey(fuseDirectory, treId);
        var blob = File.ReadAllBytes(path);
        if (blob.Length < 28)
            throw new InvalidDataException("the UICC image is damaged");
        var plain = new byte[blob.Length - 28];
        try
        {
            using var gcm = new AesGcm(key, 16);
            gcm.Decrypt(blob.AsSpan(0, 12), blob.AsSpan(12, plain.Length), blob.AsSpan(blob.Length - 16), plain, Encoding.ASCII.GetBytes(treId));
        }
        catch (AuthenticationTagMismatchException)
        {
            throw new InvalidDataException("the UICC image does not open: altered, or another device's");
        }
        var state = JsonSerializer.Deserialize(plain, UiccJson.Default.CardState) ?? throw new InvalidDataException("empty UICC image");
        CryptographicOperations.ZeroMemory(plain);
        var files = UiccProfile.Create(state.Iccid, state.Imsi);
        foreach (var f in state.Files)
        {
            var target = files.Find([.. f.Path.Split('/').Select(p => Convert.ToUInt16(p, 16))]);
            switch (target)
            {
                case TransparentEf t when f.Content is { } c:
                    Convert.FromHexString(c).CopyTo(t.Content, 0);
                    break;
                case LinearFixedEf l when f.Records is { } rs:
                    l.Records.Clear();
                    l.Records.AddRange(rs.Select(Convert.FromHexString));
                    break;
            }
        }
        var card = new UiccOtaCard(files);
        foreach (var k in state.KeySets)
            card.AddKeySet(Convert.FromHexString(k.Tar), new CardKeySet(k.Kvn, Convert.FromHexString(k.Kic), Convert.FromHexString(k.Kid), k.Counter));
        return new SimulatedUicc(path, key, treId, state.Iccid, state.Imsi, card) { _usim = state.Usim, _scp81 = state.Scp81 };
    }

    private UsimState? _usim;
    private Scp81State? _scp81;
    private SimulatedUsim? _usimApplication;

    /// <summary>Whether the card carries a USIM subscription (K, OPc) and an SCP81 PSK: personalised by <see cref="Personalise"/>.</summary>
    public bool IsPersonalised => _usim is not null && _scp81 is not null;

    /// <summary>
    /// Issue 20 (decision 033): personalisation of the card a running device is made with — the USIM's K and OPc (TS 31.102; the HSS
    /// holds the same) and the SCP81 PSK with its identity (GP Amendment B; the OTA server holds the same). Sealed in the card image only.
    /// </summary>
    public void Personalise(ReadOnlySpan<byte> k, ReadOnlySpan<byte> opc, string pskIdentity, ReadOnlySpan<byte> psk)
    {
        ArgumentException.ThrowIfNullOrEmpty(pskIdentity);
        if (k.Length != 16 || opc.Length != 16 || psk.Length < 16)
            throw new ArgumentException("K and OPc are 16 octets, the PSK at least 16.");
        _usim = new UsimState(Convert.ToHexString(k), Convert.ToHexString(opc), null);
        _scp81 = new Scp81State(pskIdentity, Convert.ToHexString(psk));
        _usimApplication = null;
        Save();
    }

    /// <summary>The SCP81 PSK identity and PSK (decision 010), or null before personalisation.</summary>
    public (string Identity, byte[] Psk)? Scp81Psk => _scp81 is { } s ? (s.PskIdentity, Convert.FromHexString(s.Psk)) : null;

    /// <summary>
    /// AUTHENTICATE on the card's USIM (TS 31.102 §7.1.2, E-UTRAN: separation bit required); SEQ_MS is written to the card image before
    /// the answer leaves the card, so a restart never accepts an AUTN again.
    /// </summary>
    public M2MSec.Aka.UsimAuthenticationResult Authenticate(byte[] rand, byte[] autn)
    {
        var state = _usim ?? throw new InvalidOperationException("the card holds no USIM subscription");
        if (_usimApplication is null)
        {
            var sqn = state.SeqMs is { } seq ? new M2MSec.Aka.UsimSqnState(M2MSec.Aka.SqnScheme.Default, seq.ToArray()) : null;
            var k = Convert.FromHexString(state.K);
            var opc = Convert.FromHexString(state.Opc);
            _usimApplication = new SimulatedUsim(Imsi, k, opc, sqn);
            CryptographicOperations.ZeroMemory(k);
            CryptographicOperations.ZeroMemory(opc);
        }
        var result = _usimApplication.Authenticate(rand, autn, eUtran: true);
        _usim = state with { SeqMs = [.. _usimApplication.SqnState.Snapshot()] };
        Save();
        return result;
    }

    /// <summary>Personalisation: adds a key set for a TAR (the OTA server holds the same keys).</summary>
    public void AddKeySet(ReadOnlySpan<byte> tar, int keyVersion, byte[] kicKey, byte[] kidKey)
    {
        Card.AddKeySet(tar, new CardKeySet(keyVersion, kicKey, kidKey));
        Save();
    }

    private void Save()
    {
        var files = new List<FileState>();
        void Walk(DedicatedFile df, string prefix)
        {
            foreach (var f in df.Children)
            {
                var path = $"{prefix}/{f.Fid:X4}";
                switch (f)
                {
                    case TransparentEf t: files.Add(new FileState(path, Convert.ToHexString(t.Content), null)); break;
                    case LinearFixedEf l: files.Add(new FileState(path, null, [.. l.Records.Select(Convert.ToHexString)])); break;
                    case DedicatedFile d: Walk(d, path); break;
                }
            }
        }
        Walk(Card.Files.Mf, "3F00");
        var state = new CardState(Iccid, Imsi, files,
            [.. Card.KeySets.Select(k => new KeySetState(Convert.ToHexString(k.Tar), k.KeySet.KeyVersion, Convert.ToHexString(k.KeySet.Keys.KicKey), Convert.ToHexString(k.KeySet.Keys.KidKey), k.KeySet.Counter))])
        {
            Usim = _usim,
            Scp81 = _scp81,
        };
        var plain = JsonSerializer.SerializeToUtf8Bytes(state, UiccJson.Default.CardState);
        var blob = new byte[12 + plain.Length + 16];
        RandomNumberGenerator.Fill(blob.AsSpan(0, 12));
        using (var gcm = new AesGcm(_key, 16))
            gcm.Encrypt(blob.AsSpan(0, 12), plain, blob.AsSpan(12, plain.Length), blob.AsSpan(blob.Length - 16), Encoding.ASCII.GetBytes(_treId));
        CryptographicOperations.ZeroMemory(plain);
        AtomicFile.Write(_path, blob);
    }

    private static string PathIn(string deviceDirectory) => Path.Combine(Path.GetFullPath(deviceDirectory), "uicc", FileName);

    private static byte[] CardKey(string fuseDirectory, string treId) => DeviceFuse.Read(fuseDirectory, treId).DeriveKey("UICC card storage key");

    internal sealed record CardState(string Iccid, string Imsi, List<FileState> Files, List<KeySetState> KeySets)
    {
        /// <summary>Issue 20: the USIM's subscription and SEQ_MS (absent in an image written before it).</summary>
        public UsimState? Usim { get; init; }

        public Scp81State? Scp81 { get; init; }
    }

    internal sealed record UsimState(string K, string Opc, List<ulong>? SeqMs);

    internal sealed record Scp81State(string PskIdentity, string Psk);

    internal sealed record FileState(string Path, string? Content, List<string>? Records);

    internal sealed record KeySetState(string Tar, int Kvn, string Kic, string Kid, ulong Counter);
}

[JsonSerializable(typeof(SimulatedUicc.CardState))]
internal sealed partial class UiccJson : JsonSerializerContext;
