namespace M2MSec.Aka.Gba;

/// <summary>
/// Ua with the NAF key as TLS pre-shared key (TS 33.222 §5.4; issue 18, docs/decisions/030): the NAF's PSK identity hint, the
/// UE's PSK identity carrying the B-TID, and the Ua security protocol identifier of the cipher suite (TS 33.220 Annex H).
/// </summary>
public static class UaPskTls
{
    /// <summary>TLS_PSK_WITH_AES_128_GCM_SHA256 (RFC 5487): the one suite the NAF offers, so NAF_Id does not depend on a choice.</summary>
    public const int CipherSuite = 0x00A8;

    /// <summary>The static string of the NAF's psk_identity_hint (TS 33.222 §5.4; TS 24.109 Annex F.3).</summary>
    public const string IdentityHint = "3GPP-bootstrapping";

    /// <summary>
    /// The UE's psk_identity for a key the ME holds (Ks_NAF of GBA_ME, Ks_ext_NAF of GBA_U): "3GPP-bootstrapping" "." B-TID
    /// (TS 33.222 §5.4; TS 36.508 §4.7H table 4.7H-5).
    /// </summary>
    public const string MePrefix = IdentityHint + ".";

    /// <summary>The prefix of an identity for Ks_int_NAF, a key used inside the UICC: refused by this NAF (Zn gives it Ks_ext_NAF only).</summary>
    public const string UiccPrefix = IdentityHint + "-uicc.";

    /// <summary>The longest identity accepted (B-TID = base64(RAND)@BSF-domain is far shorter).</summary>
    public const int MaxIdentityLength = 512;

    /// <summary>Ua security protocol identifier of TLS 1.2 PSK with <paramref name="cipherSuite"/>: 0x01 0x00 0x01 yy zz (TS 33.220 Annex H.3).</summary>
    public static byte[] ProtocolId(int cipherSuite = CipherSuite)
    {
        if (cipherSuite is < 0 or > 0xFFFF)
            throw new ArgumentOutOfRangeException(nameof(cipherSuite));
        return [0x01, 0x00, 0x01, (byte)(cipherSuite >> 8), (byte)cipherSuite];
    }

    /// <summary>NAF_Id of the NAF <paramref name="fqdn"/> over Ua PSK-TLS (FQDN ‖ Ua security protocol id, TS 33.220 §4.5.2).</summary>
    public static byte[] NafId(string fqdn, int cipherSuite = CipherSuite) => GbaKeys.NafId(fqdn, ProtocolId(cipherSuite));

    /// <summary>The psk_identity the device sends for <paramref name="bTid"/>.</summary>
    public static string Identity(string bTid)
    {
        if (!IsBTid(bTid))
            throw new ArgumentException("a B-TID is 1 to 255 printable ASCII characters without spaces", nameof(bTid));
        return MePrefix + bTid;
    }

    /// <summary>The B-TID of a psk_identity with the ME prefix; false for anything else (the UICC prefix included).</summary>
    public static bool TryParseIdentity(string? identity, out string bTid)
    {
        bTid = "";
        if (identity is null || identity.Length > MaxIdentityLength || !identity.StartsWith(MePrefix, StringComparison.Ordinal))
            return false;
        var rest = identity[MePrefix.Length..];
        if (!IsBTid(rest))
            return false;
        bTid = rest;
        return true;
    }

    /// <summary>B-TID syntax as this build accepts it: NAI-like, printable ASCII without spaces (TS 33.220 §4.5.2: base64(RAND)@BSF_servers_domain_name).</summary>
    public static bool IsBTid(string? bTid) => bTid is { Length: > 0 and <= 255 } && bTid.All(c => c is > ' ' and <= '~');
}
