using System.Security.Cryptography;
using M2MSec.Aka;
using M2MSec.Provisioning.Bootstrap;

namespace M2MSec.Tests.Provisioning;

/// <summary>
/// Issue 15 item 1: K_RO = KDF(CK ‖ IK, FC 0xF0, PCID, RAND) with the TS 33.220 Annex B.2 KDF, checked against the S string
/// spelled out octet by octet; its FC is used nowhere else (docs/decisions/017); the VNO's K_ASME is a different key.
/// </summary>
public sealed class RoBootstrapKeyTests
{
    private static readonly byte[] Ck = Convert.FromHexString("b40ba9a3c58b2a05bbf0d987b21bf8cb");
    private static readonly byte[] Ik = Convert.FromHexString("f769bcd751044604127672711c6d3441");
    private static readonly byte[] Rand = Convert.FromHexString("23553cbe9637a89d218ae64dae47bf35");

    [Fact]
    public void KRo_IsHmacSha256OverFcPcidRand_SpelledByHand()
    {
        // S = FC || P0 || L0 || P1 || L1 (TS 33.220 B.2.2): 0xF0, "001900000000001" (15 octets, UTF-8), 0x000F, RAND, 0x0010.
        byte[] s =
        [
            0xF0,
            0x30, 0x30, 0x31, 0x39, 0x30, 0x30, 0x30, 0x30, 0x30, 0x30, 0x30, 0x30, 0x30, 0x30, 0x31,
            0x00, 0x0F,
            0x23, 0x55, 0x3c, 0xbe, 0x96, 0x37, 0xa8, 0x9d, 0x21, 0x8a, 0xe6, 0x4d, 0xae, 0x47, 0xbf, 0x35,
            0x00, 0x10,
        ];
        var expected = HMACSHA256.HashData((byte[])[.. Ck, .. Ik], s);
        Assert.Equal(expected, RoBootstrapKey.Derive(Ck, Ik, "001900000000001", Rand));
        Assert.Equal(32, expected.Length);
    }

    [Fact]
    public void KRo_BindsPcidAndRand_AndIsNotKasme_NorComputableFromIt_VnoKeySeparationThreat()
    {
        var kRo = RoBootstrapKey.Derive(Ck, Ik, "001900000000001", Rand);
        Assert.NotEqual(kRo, RoBootstrapKey.Derive(Ck, Ik, "001900000000002", Rand));
        Assert.NotEqual(kRo, RoBootstrapKey.Derive(Ck, Ik, "001900000000001", RandomNumberGenerator.GetBytes(16)));
        // What the VNO holds (K_ASME for its SN id) keyed into the same derivation gives another key: K_RO needs CK ‖ IK.
        var kasme = EpsKeys.Kasme(Ck, Ik, [0x00, 0xf1, 0x20], new byte[6]);
        Assert.NotEqual(kRo, kasme);
        Assert.NotEqual(kRo, Kdf3gpp.Derive(kasme, RoBootstrapKey.Fc, Kdf3gpp.Utf8("001900000000001"), Rand));
    }

    [Fact]
    public void FcValues_OfTheProject_AreDistinct_Decision017()
    {
        byte[] fcs = [GbaKeys.NafFc, EpsKeys.KasmeFc, NasKeys.AlgorithmKeyFc, RoBootstrapKey.Fc, M2MSec.Nas.Group.GroupKeys.MemberKeyFc];
        Assert.Equal(fcs.Length, fcs.Distinct().Count());
        Assert.Equal(0xF0, RoBootstrapKey.Fc);
    }

    [Fact]
    public void Derive_RefusesWhatIsNotAPcidOrWrongSizes()
    {
        Assert.Throws<ArgumentException>(() => RoBootstrapKey.Derive(Ck, Ik, "12345", Rand));
        Assert.Throws<ArgumentException>(() => RoBootstrapKey.Derive(Ck, Ik, "00190000000000a", Rand));
        Assert.Throws<ArgumentException>(() => RoBootstrapKey.Derive(Ck.AsSpan(1), Ik, "001900000000001", Rand));
        Assert.Throws<ArgumentException>(() => RoBootstrapKey.Derive(Ck, Ik, "001900000000001", Rand.AsSpan(1)));
    }

    /// <summary>
    /// Issue 15: the Bootstrap message carries the device's DM passwords; sealed under a key from K_RO, an eavesdropper or anyone
    /// who fetches it in the device's place (knowing the PCID and its address) learns nothing, and it opens for that PCID only.
    /// </summary>
    [Fact]
    public void BootstrapPackage_SealedUnderKRo_OpensOnlyWithThatKeyAndPcid_UnalteredOnly_BootstrapEavesdropperThreat()
    {
        var kRo = RoBootstrapKey.Derive(Ck, Ik, "001900000000001", Rand);
        var package = System.Text.Encoding.ASCII.GetBytes("<MgmtTree>AAuthSecret=client-password</MgmtTree>");
        var sealedPackage = RoBootstrapSeal.Seal(kRo, "001900000000001", package);

        Assert.DoesNotContain("client-password", System.Text.Encoding.Latin1.GetString(sealedPackage), StringComparison.Ordinal);
        Assert.True(RoBootstrapSeal.TryOpen(kRo, "001900000000001", sealedPackage, out var opened));
        Assert.Equal(package, opened);
        Assert.False(RoBootstrapSeal.TryOpen(kRo, "001900000000002", sealedPackage, out _));
        Assert.False(RoBootstrapSeal.TryOpen(RoBootstrapKey.Derive(Ck, Ik, "001900000000001", new byte[16]), "001900000000001", sealedPackage, out _));
        var tampered = (byte[])sealedPackage.Clone();
        tampered[20] ^= 0x01;
        Assert.False(RoBootstrapSeal.TryOpen(kRo, "001900000000001", tampered, out _));
        Assert.False(RoBootstrapSeal.TryOpen(kRo, "001900000000001", sealedPackage.AsSpan(0, 27), out _));
        Assert.NotEqual(sealedPackage, RoBootstrapSeal.Seal(kRo, "001900000000001", package)); // a fresh nonce each time
    }
}
