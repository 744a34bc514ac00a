namespace M2MSec.Device.Gba;

/// <summary>
/// A device's bootstrapped GBA keys (issue 18, TS 33.220 §4.5.2, §5.3.2): the B-TID and lifetime the BSF sent, and the NAF key for
/// one NAF_Id (FQDN ‖ Ua security protocol id) — Ks_NAF from the TRE (GBA_ME) or Ks_ext_NAF from the UICC (GBA_U). Ks itself never
/// leaves the TRE or the UICC. <see cref="NafKey"/> throws <see cref="GbaKeyExpiredException"/> after <see cref="Expires"/>: bootstrap again.
/// </summary>
public interface IGbaKeyHolder
{
    string BTid { get; }

    DateTimeOffset Expires { get; }

    /// <summary>The IMPI the keys are bound to (an input of the KDF).</summary>
    string Impi { get; }

    /// <summary>"gba_me" or "gba_u".</summary>
    string GbaType { get; }

    byte[] NafKey(ReadOnlySpan<byte> nafId);
}

/// <summary>The bootstrapped keys' lifetime has passed (TS 33.220 §4.5.2): the device must bootstrap again.</summary>
public sealed class GbaKeyExpiredException(string bTid) : InvalidOperationException($"the GBA keys of {bTid} have expired: bootstrap again");

/// <summary>How the device's AKA answered a Ub challenge.</summary>
public sealed record GbaAkaAnswer(bool MacOk, byte[]? Res, byte[]? Auts)
{
    public override string ToString() => $"GbaAkaAnswer {{ MacOk = {MacOk}, Resync = {Auts is not null} }}";
}

/// <summary>
/// What runs AKA for Ub on the device: the TRE (GBA_ME, <see cref="TreGbaAuthenticator"/>) or the UICC's GBA security context
/// (GBA_U, <see cref="UiccGbaAuthenticator"/>). Only RES or AUTS come out; Ks stays inside.
/// </summary>
public interface IGbaAuthenticator
{
    string Impi { get; }

    GbaAkaAnswer Authenticate(byte[] rand, byte[] autn);

    /// <summary>After the BSF proved itself (rspauth): the keys under the B-TID until <paramref name="lifetime"/>.</summary>
    IGbaKeyHolder Bootstrapped(string bTid, DateTimeOffset lifetime);
}
