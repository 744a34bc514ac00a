using System.Text.Json;
using M2MSec.Nas;
using M2MSec.Ota.RemoteApdu;

namespace M2MSec.NetworkFunctions.Ota;

/// <summary>A POST /jobs request whose every field was checked: nothing is reserved or allocated before this exists.</summary>
public sealed record ValidatedOtaJob(string Iccid, byte[] Tar, int KeyVersion, byte[] Spi, byte[] Script, byte[]? ExpectedReadBack, string Transport, string? PskIdentity);

/// <summary>
/// Reads POST /jobs strictly: JSON types as declared (a number is a JSON number, never a string),
/// no unknown or repeated fields, ranges from the specifications; the first bad field is named.
/// </summary>
public static class OtaJobRequestReader
{
    /// <summary>
    /// The largest body read (2 MiB): beyond the longest script in hex (about 68 KB), so that an
    /// over-long script is answered naming apdus; anything larger is refused unread (413).
    /// </summary>
    public const int MaxBodyOctets = 2 * 1024 * 1024;

    /// <summary>EF_NASCONFIG is written by one UPDATE BINARY and read by one READ BINARY, short APDUs: at most 255 octets (ISO/IEC 7816-4 §5.1).</summary>
    public const int MaxNasFileSize = 255;

    public const int DefaultNasFileSize = 48;

    private static readonly HashSet<string> Fields = ["iccid", "tar", "key_version", "spi", "apdus", "nas", "nas_file_size", "transport", "psk_identity"];

    public static bool TryRead(ReadOnlySpan<byte> body, out ValidatedOtaJob job, out string type, out string detail)
    {
        job = null!;
        Dictionary<string, JsonElement> f;
        try
        {
            using var document = JsonDocument.Parse(body.ToArray(), new JsonDocumentOptions { MaxDepth = 4 });
            if (document.RootElement.ValueKind != JsonValueKind.Object)
                return Fail("bad-json", "body: expected a JSON object", out type, out detail);
            f = new(StringComparer.Ordinal);
            foreach (var p in document.RootElement.EnumerateObject())
            {
                if (!Fields.Contains(p.Name))
                    return Fail("unknown-field", $"{Printable(p.Name)}: not a field of an OTA job", out type, out detail);
                if (!f.TryAdd(p.Name, p.Value.Clone()))
                    return Fail("bad-json", $"{p.Name}: given twice", out type, out detail);
                if (p.Value.ValueKind == JsonValueKind.Null)
                    f.Remove(p.Name); // null is "absent"
            }
        }
        catch (JsonException)
        {
            return Fail("bad-json", "body: not well-formed JSON", out type, out detail);
        }

        if (!String(f, "iccid", out var iccid, out type, out detail))
            return false;
        if (iccid is not { Length: >= 10 and <= 20 } || !iccid.All(char.IsAsciiDigit))
            return Fail("bad-iccid", "iccid: required, 10 to 20 digits", out type, out detail);
        if (!Hex(f, "tar", 3, required: true, out var tar, out type, out detail)
            || !Hex(f, "spi", 2, required: false, out var spi, out type, out detail))
            return false;

        // TS 102 225 §5.1.1: the key version is the high nibble of KIc/KID; 0 means "implicit", not a key set.
        var keyVersion = 1;
        if (f.TryGetValue("key_version", out var kv) && (kv.ValueKind != JsonValueKind.Number || !kv.TryGetInt32(out keyVersion) || keyVersion is < 1 or > 15))
            return Fail("bad-key-version", "key_version: expected a JSON integer 1..15 (TS 102 225 key version number)", out type, out detail);

        if (!String(f, "transport", out var transport, out type, out detail, required: false))
            return false;
        transport ??= "scp80";
        if (transport is not ("scp80" or "scp81"))
            return Fail("bad-transport", "transport: expected scp80 or scp81", out type, out detail);
        if (!String(f, "psk_identity", out var pskIdentity, out type, out detail, required: false))
            return false;
        if (pskIdentity is not null && (pskIdentity.Length is < 1 or > 128 || !pskIdentity.All(c => c is >= '!' and <= '~')))
            return Fail("bad-psk-identity", "psk_identity: expected 1 to 128 printable ASCII characters", out type, out detail);
        if ((transport == "scp81") != (pskIdentity is not null))
            return Fail("bad-transport", "transport: expected scp80, or scp81 with psk_identity", out type, out detail);

        var hasApdus = f.TryGetValue("apdus", out var apdusElement);
        var hasNas = f.TryGetValue("nas", out var nasElement);
        if (hasApdus == hasNas)
            return Fail("bad-job", "apdus | nas: expected exactly one of them", out type, out detail);
        if (f.ContainsKey("nas_file_size") && !hasNas)
            return Fail("bad-nas-file-size", "nas_file_size: only with nas", out type, out detail);

        byte[] script;
        byte[]? readBack = null;
        if (hasNas)
        {
            if (nasElement.ValueKind != JsonValueKind.Object)
                return Fail("bad-nas-value", "nas: expected an object of NAS configuration leaf names and string values", out type, out detail);
            var leaves = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var p in nasElement.EnumerateObject())
            {
                if (p.Value.ValueKind != JsonValueKind.String || leaves.Count >= 64 || !leaves.TryAdd(p.Name, p.Value.GetString()!))
                    return Fail("bad-nas-value", "nas: expected at most 64 distinct leaves, each value a JSON string", out type, out detail);
            }
            NasConfiguration configuration;
            try
            {
                configuration = NasConfigMo.FromLeaves(leaves);
            }
            catch (NasConfigurationException e)
            {
                return Fail("bad-nas-value", e.Message, out type, out detail);
            }
            var fileSize = DefaultNasFileSize;
            if (f.TryGetValue("nas_file_size", out var fs) && (fs.ValueKind != JsonValueKind.Number || !fs.TryGetInt32(out fileSize) || fileSize is < 1 or > MaxNasFileSize))
                return Fail("bad-nas-file-size", $"nas_file_size: expected a JSON integer 1..{MaxNasFileSize} (EF_NASCONFIG in one short APDU)", out type, out detail);
            var needed = EfNasConfigCodec.GetEncodedLength(configuration);
            if (needed > fileSize)
                return Fail("bad-nas-file-size", $"nas_file_size: the configuration needs {needed} octets, more than {fileSize}", out type, out detail);
            (script, readBack) = OtaJobs.NasScript(configuration, fileSize, transport == "scp81" ? RemoteApduFormat.Expanded : RemoteApduFormat.Compact);
        }
        else
        {
            if (apdusElement.ValueKind != JsonValueKind.String || apdusElement.GetString() is not { Length: > 0 } apdus)
                return Fail("bad-apdus", "apdus: expected a non-empty hex string", out type, out detail);
            if (apdus.Length > 2 * OtaJobs.MaxScriptOctets)
                return Fail("bad-apdus", $"apdus: at most {OtaJobs.MaxScriptOctets} octets (255 concatenated SMS)", out type, out detail);
            if (apdus.Length % 2 != 0 || !apdus.All(char.IsAsciiHexDigit))
                return Fail("bad-apdus", "apdus: expected a hex script (an even number of hex digits)", out type, out detail);
            script = Convert.FromHexString(apdus);
            try
            {
                // TS 102 226 §5.1.1 / §5.2.1: a compact run of C-APDUs or an expanded command scripting template.
                if (RemoteCommandScript.Decode(script, out _).Count == 0)
                    return Fail("bad-apdus", "apdus: the script holds no C-APDU", out type, out detail);
            }
            catch (FormatException e)
            {
                return Fail("bad-apdus", $"apdus: not a well-formed TS 102 226 script ({e.Message})", out type, out detail);
            }
        }
        job = new ValidatedOtaJob(iccid, tar!, keyVersion, spi ?? OtaJobs.DefaultSpi, script, readBack, transport, pskIdentity);
        return true;
    }

    private static bool String(Dictionary<string, JsonElement> f, string name, out string? value, out string type, out string detail, bool required = true)
    {
        value = null;
        (type, detail) = ("", "");
        if (!f.TryGetValue(name, out var e))
            return !required || Fail("bad-" + name.Replace('_', '-'), $"{name}: required", out type, out detail);
        if (e.ValueKind != JsonValueKind.String)
            return Fail("bad-" + name.Replace('_', '-'), $"{name}: expected a JSON string", out type, out detail);
        value = e.GetString();
        return true;
    }

    private static bool Hex(Dictionary<string, JsonElement> f, string name, int octets, bool required, out byte[]? value, out string type, out string detail)
    {
        value = null;
        if (!String(f, name, out var text, out type, out detail, required))
            return false;
        if (text is null)
            return true;
        if (Hosting.HexField.TryParse(text, octets, name, out var bytes, out detail))
        {
            value = bytes;
            return true;
        }
        type = "bad-" + name;
        return false;
    }

    private static bool Fail(string t, string d, out string type, out string detail)
    {
        (type, detail) = (t, d);
        return false;
    }

    private static string Printable(string name) => name.Length <= 32 && name.All(c => c is >= ' ' and <= '~') ? name : "(a field)";
}
