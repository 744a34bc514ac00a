using System.Security.Cryptography;
using M2MSec.Aka;
using M2MSec.Device.Tre;
using M2MSec.Pki.Authority;
using M2MSec.Provisioning.Mcim;
using M2MSec.Provisioning.Objects;
using M2MSec.Tests.Provisioning;

namespace M2MSec.Tests.Device;

/// <summary>
/// Issue 15, items 3 and 4: the TRE installs an MCIM from a signed M2MSIMMobj only if the signer is the designated SHO under
/// the SHO signing root, the document is for this TRE, the registration nonce is the pending one (cleared by the same sealed
/// write), the MCIM object opens with PK_D and carries the device's authorisation token; a refusal changes nothing.
/// </summary>
public sealed class TreMcimTests : IDisposable
{
    private const string Pcid = "001990000000001";
    private const string TreId = "TRE-MCIM-0001";
    private readonly string _root = Directory.CreateTempSubdirectory("m2msec-tre-mcim-").FullName;
    private readonly Support.HostClock _clock = new(DateTimeOffset.UtcNow);

    public void Dispose() => Directory.Delete(_root, true);

    private string Dir(string name) => Path.Combine(_root, name);

    private TrustedEnvironment Manufacture(ShoSigning sho, string treId = TreId, string designated = "sho", byte[]? token = null)
    {
        var tre = TrustedEnvironment.Manufacture(Dir(treId), Dir("fuse"), treId, Pcid, Dir("fw"), _clock);
        tre.ProvisionTrustAnchor(TreCaller.Manufacturer, "sho", sho.Root);
        if (token is not null)
            tre.WriteObject(TreCaller.Manufacturer, TreObjects.AuthorisationToken, token);
        tre.WriteObject(TreCaller.Provisioning, TreObjects.DesignatedSho, System.Text.Encoding.UTF8.GetBytes(designated));
        return tre;
    }

    private TrustedEnvironment Reboot(string treId = TreId) => TrustedEnvironment.Boot(Dir(treId), Dir("fuse"), treId, Dir("fw"), _clock);

    private static McimContent Mcim(string imsi = "001010000000123", byte[]? token = null) =>
        new(imsi, RandomNumberGenerator.GetBytes(16), RandomNumberGenerator.GetBytes(16), McimContent.Milenage, null, token);

    private static byte[] Document(ShoSigning sho, byte[] nonce, byte[] mcimObject, string treId = TreId, System.Security.Cryptography.X509Certificates.X509Certificate2? signer = null) =>
        M2MSimMobj.Sign(new M2MSimMobjContent(Pcid, treId, (signer ?? sho.Signer).GetNameInfo(System.Security.Cryptography.X509Certificates.X509NameType.SimpleName, false), nonce, mcimObject),
            signer ?? sho.Signer, sho.Chain);

    private static void AssertNothingChanged(TrustedEnvironment tre, ulong version, byte[] nonce)
    {
        Assert.Equal(version, tre.GetStatus().StoreVersion);
        Assert.Equal(nonce, tre.ReadObject(TreCaller.Provisioning, TreObjects.RegistrationNonce));
        Assert.Empty(tre.InstalledMcims().Mcims);
    }

    [Fact]
    public async Task Install_ClearsTheNonceInTheSameWrite_ActivatesTheMcim_AndAkaRunsWithIt()
    {
        var sho = await ShoSigning.CreateAsync(time: _clock);
        var tre = Manufacture(sho);
        var nonce = tre.RegistrationNonce(TreCaller.Provisioning);
        Assert.Equal(16, nonce.Length);
        Assert.Equal(nonce, tre.RegistrationNonce(TreCaller.Provisioning)); // pending: the same one
        var mcim = Mcim();
        var version = tre.GetStatus().StoreVersion;

        var result = tre.InstallMcim(TreCaller.Provisioning, Document(sho, nonce, McimObject.Seal(tre.PkD(), mcim)));

        Assert.True(result.IsInstalled, result.Detail);
        Assert.Equal(mcim.Imsi, result.Imsi);
        Assert.Equal(version + 1, tre.GetStatus().StoreVersion); // one sealed write: MCIM in, nonce out
        Assert.Null(tre.ReadObject(TreCaller.Provisioning, TreObjects.RegistrationNonce));
        Assert.Equal(mcim.Imsi, tre.InstalledMcims().ActiveImsi);

        var rebooted = Reboot();
        Assert.Equal(mcim.Imsi, rebooted.InstalledMcims().ActiveImsi);
        Assert.Equal("sho", Assert.Single(rebooted.InstalledMcims().Mcims).ShoId);
        var av = AkaVectors.Generate(Milenage.Default, mcim.K, mcim.Opc, RandomNumberGenerator.GetBytes(16), SqnScheme.Default.Compose(1, 0), [0x80, 0]);
        var aka = rebooted.RunAka(TreCaller.Network, mcim.Imsi, av.Rand, av.Autn);
        Assert.True(aka.IsSuccess);
        Assert.Equal(av.Xres, aka.Res);
    }

    [Fact]
    public async Task SeveralMcims_TheNewestIsActive_AndAnotherCanBeActivated()
    {
        var sho = await ShoSigning.CreateAsync(time: _clock);
        var tre = Manufacture(sho);
        foreach (var imsi in new[] { "001010000000123", "001010000000456" })
        {
            var nonce = tre.RegistrationNonce(TreCaller.Provisioning);
            Assert.True(tre.InstallMcim(TreCaller.Provisioning, Document(sho, nonce, McimObject.Seal(tre.PkD(), Mcim(imsi)))).IsInstalled);
        }
        var status = tre.InstalledMcims();
        Assert.Equal(["001010000000123", "001010000000456"], status.Mcims.Select(m => m.Imsi));
        Assert.Equal("001010000000456", status.ActiveImsi);
        Assert.True(tre.ActivateMcim(TreCaller.Provisioning, "001010000000123"));
        Assert.Equal("001010000000123", Reboot().InstalledMcims().ActiveImsi);
        Assert.False(tre.ActivateMcim(TreCaller.Provisioning, "001010000000999"));
        // The same IMSI a second time is refused (its SQN state is not reset by a new object).
        var again = tre.RegistrationNonce(TreCaller.Provisioning);
        Assert.Equal("already-installed", tre.InstallMcim(TreCaller.Provisioning, Document(sho, again, McimObject.Seal(tre.PkD(), Mcim("001010000000123")))).Code);
    }

    [Fact]
    public async Task RsaPlatformKey_OpensItsMcim()
    {
        var sho = await ShoSigning.CreateAsync(time: _clock);
        var tre = Manufacture(sho);
        using var rsa = RSA.Create(2048);
        tre.ReplacePlatformEncryptionKeyForTests(rsa);
        var nonce = tre.RegistrationNonce(TreCaller.Provisioning);
        var result = tre.InstallMcim(TreCaller.Provisioning, Document(sho, nonce, McimObject.Seal(rsa.ExportSubjectPublicKeyInfo(), Mcim(), McimSuite.Aes128Gcm)));
        Assert.True(result.IsInstalled, result.Detail);
    }

    [Fact]
    public async Task OnlyTheProvisioningCallerInstalls()
    {
        var sho = await ShoSigning.CreateAsync(time: _clock);
        var tre = Manufacture(sho);
        var doc = Document(sho, tre.RegistrationNonce(TreCaller.Provisioning), McimObject.Seal(tre.PkD(), Mcim()));
        Assert.Throws<TreAccessDeniedException>(() => tre.InstallMcim(TreCaller.Manufacturer, doc));
        Assert.Throws<TreAccessDeniedException>(() => tre.InstallMcim(TreCaller.Network, doc));
        Assert.Throws<TreAccessDeniedException>(() => tre.InstallMcim(TreCaller.DeviceManagement, doc));
        Assert.Throws<TreAccessDeniedException>(() => tre.RegistrationNonce(TreCaller.DeviceManagement));
        Assert.Throws<TreAccessDeniedException>(() => tre.ReadObject(TreCaller.Provisioning, TreObjects.AuthorisationToken));
        Assert.Throws<TreAccessDeniedException>(() => tre.WriteObject(TreCaller.Provisioning, TreObjects.AuthorisationToken, [1]));
        Assert.Equal("malformed", tre.InstallMcim(TreCaller.Provisioning, "garbage"u8).Code);
    }

    [Fact]
    public async Task McimReplayedWithAnOldNonce_IsRefused_AlsoAfterAReboot_ReplayedMcimThreat()
    {
        var sho = await ShoSigning.CreateAsync(time: _clock);
        var tre = Manufacture(sho);
        var doc = Document(sho, tre.RegistrationNonce(TreCaller.Provisioning), McimObject.Seal(tre.PkD(), Mcim()));
        Assert.True(tre.InstallMcim(TreCaller.Provisioning, doc).IsInstalled);

        Assert.Equal("no-pending-nonce", tre.InstallMcim(TreCaller.Provisioning, doc).Code);
        var rebooted = Reboot();
        Assert.Equal("no-pending-nonce", rebooted.InstallMcim(TreCaller.Provisioning, doc).Code);
        var next = rebooted.RegistrationNonce(TreCaller.Provisioning);
        var version = rebooted.GetStatus().StoreVersion;
        Assert.Equal("stale-nonce", rebooted.InstallMcim(TreCaller.Provisioning, doc).Code);
        Assert.Equal(version, rebooted.GetStatus().StoreVersion);
        Assert.Equal(next, rebooted.ReadObject(TreCaller.Provisioning, TreObjects.RegistrationNonce));
        Assert.Single(rebooted.InstalledMcims().Mcims);
    }

    [Fact]
    public async Task TamperedMcimObject_FailsItsMac_AndNothingIsInstalled_TamperedMcimThreat()
    {
        var sho = await ShoSigning.CreateAsync(time: _clock);
        var tre = Manufacture(sho);
        var nonce = tre.RegistrationNonce(TreCaller.Provisioning);
        var version = tre.GetStatus().StoreVersion;
        var mcimObject = McimObject.Seal(tre.PkD(), Mcim());
        mcimObject[^25] ^= 0x01; // in the ciphertext, altered before the SHO signed (e.g. on the way to it)
        Assert.Equal("mac-mismatch", tre.InstallMcim(TreCaller.Provisioning, Document(sho, nonce, mcimObject)).Code);
        AssertNothingChanged(tre, version, nonce);
        // Altered after signing: the signature fails first.
        var doc = Document(sho, nonce, McimObject.Seal(tre.PkD(), Mcim()));
        var text = System.Text.Encoding.UTF8.GetString(doc);
        var at = text.IndexOf("<MCIMObject>", StringComparison.Ordinal) + 40;
        var altered = text[..at] + (text[at] == 'A' ? 'B' : 'A') + text[(at + 1)..];
        Assert.Equal("bad-signature", tre.InstallMcim(TreCaller.Provisioning, System.Text.Encoding.UTF8.GetBytes(altered)).Code);
        AssertNothingChanged(tre, version, nonce);
    }

    [Fact]
    public async Task McimSealedForAnotherDevice_CannotBeOpened_MisdirectedMcimThreat()
    {
        var sho = await ShoSigning.CreateAsync(time: _clock);
        var tre = Manufacture(sho);
        var other = Manufacture(sho, treId: "TRE-MCIM-0002");
        var nonce = tre.RegistrationNonce(TreCaller.Provisioning);
        var version = tre.GetStatus().StoreVersion;
        Assert.Equal("cannot-open", tre.InstallMcim(TreCaller.Provisioning, Document(sho, nonce, McimObject.Seal(other.PkD(), Mcim()))).Code);
        AssertNothingChanged(tre, version, nonce);
        // Signed for the other TRE (its id) though sealed to this one: refused as well.
        Assert.Equal("wrong-device", tre.InstallMcim(TreCaller.Provisioning, Document(sho, nonce, McimObject.Seal(tre.PkD(), Mcim()), treId: "TRE-MCIM-0002")).Code);
        AssertNothingChanged(tre, version, nonce);
    }

    [Fact]
    public async Task SignerThatIsNotTheDesignatedSho_IsRefused_WrongShoThreat()
    {
        var sho = await ShoSigning.CreateAsync(time: _clock);
        var tre = Manufacture(sho);
        var nonce = tre.RegistrationNonce(TreCaller.Provisioning);
        var version = tre.GetStatus().StoreVersion;
        var mcimObject = McimObject.Seal(tre.PkD(), Mcim());
        // Another SHO certified under the same root.
        using var otherSho = await sho.IssueAsync(CertificateProfile.Sho, "other-sho");
        Assert.Equal("wrong-sho", tre.InstallMcim(TreCaller.Provisioning, Document(sho, nonce, mcimObject, signer: otherSho)).Code);
        // A SHO named "sho" under another root.
        var impostor = await ShoSigning.CreateAsync(time: _clock);
        Assert.Equal("untrusted-signer", tre.InstallMcim(TreCaller.Provisioning, Document(impostor, nonce, mcimObject)).Code);
        AssertNothingChanged(tre, version, nonce);
    }

    [Fact]
    public async Task McimWithoutTheDevicesAuthorisationToken_IsRefused_AuthorisationTokenThreat()
    {
        var sho = await ShoSigning.CreateAsync(time: _clock);
        var token = RandomNumberGenerator.GetBytes(16);
        var tre = Manufacture(sho, token: token);
        var nonce = tre.RegistrationNonce(TreCaller.Provisioning);
        var version = tre.GetStatus().StoreVersion;
        Assert.Equal("wrong-token", tre.InstallMcim(TreCaller.Provisioning, Document(sho, nonce, McimObject.Seal(tre.PkD(), Mcim(token: RandomNumberGenerator.GetBytes(16))))).Code);
        Assert.Equal("wrong-token", tre.InstallMcim(TreCaller.Provisioning, Document(sho, nonce, McimObject.Seal(tre.PkD(), Mcim()))).Code);
        AssertNothingChanged(tre, version, nonce);
        Assert.True(tre.InstallMcim(TreCaller.Provisioning, Document(sho, nonce, McimObject.Seal(tre.PkD(), Mcim(token: token)))).IsInstalled);
    }
}
