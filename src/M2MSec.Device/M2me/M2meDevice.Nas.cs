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

    public void WriteNasConfiguration(TreCaller caller, NasConfiguration configuration) =>
        Tre.WriteObject(caller, NasConfigurationObject, EfNasConfigCodec.Encode(configuration));
}
