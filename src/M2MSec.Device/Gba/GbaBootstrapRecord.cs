using System.Text.Json;
using M2MSec.Device.Tre;
using M2MSec.Device.Tre.Hardware;

namespace M2MSec.Device.Gba;

/// <summary>
/// What a TRE-based device directory keeps of its last bootstrapping (issue 18; gba.json, no secret: Ks stays in the TRE): the
/// B-TID, its lifetime, the IMPI and IMSI — so a later command (the NAF side, Ua) can release a NAF key without bootstrapping again.
/// </summary>
public sealed record GbaBootstrapRecord(string BTid, DateTimeOffset Expires, string Impi, string Imsi)
{
    public const string FileName = "gba.json";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, WriteIndented = true };

    public void Save(string deviceDirectory) =>
        AtomicFile.Write(Path.Combine(deviceDirectory, FileName), JsonSerializer.SerializeToUtf8Bytes(this, Json));

    /// <summary>The record, or null when the device never bootstrapped; throws <see cref="InvalidDataException"/> when damaged.</summary>
    public static GbaBootstrapRecord? Load(string deviceDirectory)
    {
        var path = Path.Combine(deviceDirectory, FileName);
        if (!File.Exists(path))
            return null;
        try
        {
            return JsonSerializer.Deserialize<GbaBootstrapRecord>(File.ReadAllBytes(path), Json) ?? throw new InvalidDataException($"{path} is empty");
        }
        catch (JsonException)
        {
            throw new InvalidDataException($"{path} is not a GBA bootstrapping record");
        }
    }

    /// <summary>The key holder over the device's TRE (GBA_ME) for this record.</summary>
    public IGbaKeyHolder KeysIn(TrustedEnvironment tre, TimeProvider? time = null) =>
        new TreGbaAuthenticator(tre, Imsi, time).Bootstrapped(BTid, Expires);
}
