namespace M2MSec.Provisioning.Mcim;

/// <summary>
/// What an MCIM carries (seed 003 NOTE 2: "the IMSI, the key Ki, an algorithm identifier and possible algorithm constants …
/// e.g. a value of OP_C if MILENAGE is the selected algorithm"), plus the optional device-specific authorisation token
/// ("distributed with the M2ME device, and provided to the SHO by the M2ME user"). K and OPc are secrets.
/// </summary>
public sealed record McimContent(string Imsi, byte[] K, byte[] Opc, string Algorithm = McimContent.Milenage, byte[]? Amf = null,
    byte[]? AuthorisationToken = null)
{
    public const string Milenage = "milenage";

    /// <summary>Never the keys.</summary>
    public override string ToString() => $"McimContent({Imsi}, {Algorithm})";

    /// <summary>Wipes K, OPc and the token once the holder is done with them.</summary>
    public void Clear()
    {
        System.Security.Cryptography.CryptographicOperations.ZeroMemory(K);
        System.Security.Cryptography.CryptographicOperations.ZeroMemory(Opc);
        if (AuthorisationToken is not null)
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(AuthorisationToken);
    }
}
