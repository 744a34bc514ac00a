namespace M2MSec.NetworkFunctions.Bsf;

/// <summary>
/// Zn (TS 33.220 §4.5.3, issue 18): POST /zn/naf-keys by a NAF (mutual TLS, an nf certificate of role naf whose dNSName SAN is the
/// FQDN part of <see cref="NafId"/>). <see cref="NafId"/>: hex of the NAF's FQDN (UTF-8) ‖ the 5-octet Ua security protocol id.
/// </summary>
public sealed record ZnNafKeyRequest(string? BTid, string? NafId);

/// <summary>
/// The answer: the IMPI, the GBA type, the NAF key in hex (Ks_NAF for gba_me, Ks_ext_NAF for gba_u), when Ks was made and when it
/// expires (RFC 3339, UTC). A secret: never logged.
/// </summary>
public sealed record ZnNafKeyResponse(string BTid, string Impi, string GbaType, string KsNaf, string BootstrappingTime, string KeyLifetime)
{
    public override string ToString() => $"ZnNafKeyResponse {{ {BTid}, {Impi}, {GbaType}, expires {KeyLifetime} }}";
}
