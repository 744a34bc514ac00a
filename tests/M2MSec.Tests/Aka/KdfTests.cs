using System.Text;
using M2MSec.Aka;
using M2MSec.Tests.Support;

namespace M2MSec.Tests.Aka;

/// <summary>
/// TS 33.220 Annex B KDF and Ks_NAF; TS 33.401 A.2 K_ASME. The HMAC is checked against the
/// OpenSSL CLI over an S string the test assembles by hand from the clause text.
/// </summary>
public sealed class KdfTests
{
    private static readonly byte[] Ck = Convert.FromHexString("b40ba9a3c58b2a05bbf0d987b21bf8cb");
    private static readonly byte[] Ik = Convert.FromHexString("f769bcd751044604127672711c6d3441");
    private static readonly byte[] Rand = Convert.FromHexString("23553cbe9637a89d218ae64dae47bf35");
    private const string Impi = "001010000000001@ims.mnc001.mcc001.3gppnetwork.org";

    // Ua security protocol identifier for "shared key-based UE authentication with certificate-based
    // NAF authentication" (TS 33.220 Annex H: organisation 0x01, protocol 0x00000002, TS 33.222 HTTPS).
    private static readonly byte[] UaId = [0x01, 0x00, 0x00, 0x00, 0x02];

    [Fact]
    public void S_String_IsFcThenEachParameterWithTwoOctetLength()
    {
        // B.2.2 example shape: FC || P0 || L0 || P1 || L1, checked through HMAC with a known key.
        var expected = System.Security.Cryptography.HMACSHA256.HashData(new byte[32], (byte[])
            [0x10, 0xaa, 0xbb, 0xcc, 0x00, 0x03, 0x01, 0x00, 0x01]);
        Assert.Equal(expected, Kdf3gpp.Derive(new byte[32], 0x10, [0xaa, 0xbb, 0xcc], [0x01]));
    }

    [Fact]
    public async Task KsNaf_MatchesOpenSslHmacOverTheSpecString()
    {
        var openssl = ExternalTool.Require("openssl", "Debian package openssl");
        var nafId = GbaKeys.NafId("naf.mtc.example.org", UaId);
        var ours = GbaKeys.KsNaf(Ck, Ik, Rand, Impi, nafId);

        var s = new List<byte> { 0x01 };
        void Add(byte[] p)
        {
            s.AddRange(p);
            s.Add((byte)(p.Length >> 8));
            s.Add((byte)p.Length);
        }
        Add(Encoding.ASCII.GetBytes("gba-me"));
        Add(Rand);
        Add(Encoding.ASCII.GetBytes(Impi));
        Add(nafId);

        var theirs = await OpenSslHmacAsync(openssl, [.. Ck, .. Ik], [.. s]);
        Assert.Equal(theirs, Convert.ToHexStringLower(ours));
    }

    [Fact]
    public async Task Kasme_MatchesOpenSslHmacOverTheSpecString()
    {
        var openssl = ExternalTool.Require("openssl", "Debian package openssl");
        byte[] snId = [0x00, 0xf1, 0x10];
        var sqnXorAk = Convert.FromHexString("55f328b43577");
        var ours = EpsKeys.Kasme(Ck, Ik, snId, sqnXorAk);
        byte[] s = [0x10, .. snId, 0x00, 0x03, .. sqnXorAk, 0x00, 0x06];
        Assert.Equal(await OpenSslHmacAsync(openssl, [.. Ck, .. Ik], s), Convert.ToHexStringLower(ours));
    }

    [Fact]
    public void KsIntNaf_DiffersFromKsExtNaf()
    {
        var nafId = GbaKeys.NafId("naf.example.org", UaId);
        Assert.NotEqual(GbaKeys.KsNaf(Ck, Ik, Rand, Impi, nafId), GbaKeys.KsIntNaf(Ck, Ik, Rand, Impi, nafId));
    }

    [Fact]
    public void KsNaf_BadInputs_Throw()
    {
        Assert.Throws<ArgumentException>(() => GbaKeys.KsNaf(Ck[..15], Ik, Rand, Impi, GbaKeys.NafId("a", UaId)));
        Assert.Throws<ArgumentException>(() => GbaKeys.KsNaf(Ck, Ik, Rand, "", GbaKeys.NafId("a", UaId)));
        Assert.Throws<ArgumentException>(() => GbaKeys.KsNaf(Ck, Ik, Rand, Impi, UaId));
        Assert.Throws<ArgumentException>(() => GbaKeys.NafId("a", [1, 2, 3]));
    }

    internal static async Task<string> OpenSslHmacAsync(string openssl, byte[] key, byte[] data)
    {
        var file = Path.GetTempFileName();
        try
        {
            await File.WriteAllBytesAsync(file, data);
            var (code, stdout, stderr) = await ExternalTool.RunAsync(openssl,
                ["mac", "-digest", "SHA256", "-macopt", "hexkey:" + Convert.ToHexStringLower(key), "-in", file, "HMAC"]);
            Assert.True(code == 0, stderr);
            return stdout.Trim().ToLowerInvariant();
        }
        finally
        {
            File.Delete(file);
        }
    }
}
