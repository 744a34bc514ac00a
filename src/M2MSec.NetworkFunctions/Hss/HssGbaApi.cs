namespace M2MSec.NetworkFunctions.Hss;

// Issue 18 (GBA): the HSS's Zh reference point (TS 29.109 Multimedia-Auth, simplified to JSON) and the GUSS administration.

/// <summary>POST /zh/gba-vectors (role bsf): one vector for the IMPI, with the resynchronisation info of a device's AUTS.</summary>
public sealed record GbaVectorRequest(string? Impi, ResyncInfo? Resync);

/// <summary>The vector (CK and IK: the BSF makes Ks = CK ‖ IK) and the GUSS's GBA type ("gba_me" or "gba_u").</summary>
public sealed record GbaVectorResponse(string Impi, string GbaType, bool Resynchronised, string Rand, string Xres, string Autn, string Ck, string Ik)
{
    public override string ToString() => $"GbaVectorResponse {{ {Impi}, {GbaType} }}";
}

/// <summary>PUT /subscribers/{imsi}/guss: the GBA type the BSF is to run for the subscriber.</summary>
public sealed record GussRequest(string? GbaType);

public sealed record GussResponse(string Imsi, string GbaType);

/// <summary>The GBA types of the GUSS (TS 29.109 UICCSecurityType, TS 33.220 §4.2.1).</summary>
public static class GbaTypes
{
    public const string GbaMe = "gba_me";
    public const string GbaU = "gba_u";

    public static bool IsValid(string? s) => s is GbaMe or GbaU;
}
