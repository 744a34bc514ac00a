using M2MSec.Device.Tre;
using M2MSec.Nas;

namespace M2MSec.Device.M2me;

/// <summary>
/// The ME's NAS configuration (TS 24.368), stored securely: as a TRE protected object in the
/// EF_NASCONFIG encoding, which only the DM client may change (TR 33.868 §5.8.3).
/// </summary>
public sealed partial class M2meDevice
{
    public const string NasConfigurationObject = "nas/config";

    public NasConfiguration ReadNasConfiguration(TreCaller caller) =>
        Tre.ReadObject(caller, NasConfigurationObject) is { } bytes ? EfNasConfigCodec.Decode(bytes) : NasConfiguration.Empty;

    public void WriteNasConfiguration(TreCaller caller, NasConfiguration configuration)
    {
        var (name, value) = NasConfigurationEntry(configuration);
        Tre.WriteObject(caller, name, value);
    }

    /// <summary>The configuration as the TRE object <see cref="WriteNasConfiguration"/> writes (for a write of several objects at once).</summary>
    internal static KeyValuePair<string, byte[]> NasConfigurationEntry(NasConfiguration configuration) =>
        new(NasConfigurationObject, EfNasConfigCodec.Encode(configuration));
}
