using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using M2MSec.Device.Provisioning;
using M2MSec.Device.Tre;
using M2MSec.Dm;
using M2MSec.Dm.Tree;
using M2MSec.Provisioning.Mcim;
using M2MSec.Provisioning.Objects;
using M2MSec.Tests.Provisioning;

namespace M2MSec.Tests.Device;

/// <summary>
/// Issue 16, change of subscription inside the TRE (docs/decisions/021): the RO designates a new SHO and introduces its signing
/// root (write-once per SHO id); the new SHO's MCIM installs under that root; the old MCIM stays its owner's, whose instructions
/// must chain to the root that MCIM was installed under — a root added later (by the RO) cannot sign for it.
/// </summary>
public sealed class TreShoDesignationTests : IDisposable
{
    private const string Pcid = "001990000000077";
    private const string TreId = "TRE-DESIG-0001";
    private const string ImsiA = "001010000000321";
    private const string ImsiB = "001020000000321";
    private readonly string _root = Directory.CreateTempSubdirectory("m2msec-tre-desig-").FullName;
    private readonly Support.HostClock _clock = new(DateTimeOffset.UtcNow);

    public void Dispose() => Directory.Delete(_root, true);

    private string Dir(string name) => Path.Combine(_root, name);

    private TrustedEnvironment Manufacture(ShoSigning? sho)
    {
        var tre = TrustedEnvironment.Manufacture(Dir(TreId), Dir("fuse"), TreId, Pcid, Dir("fw"), _clock);
        if (sho is not null)
            tre.ProvisionTrustAnchor(TreCaller.Manufacturer, "sho", sho.Root);
        return tre;
    }

    private TrustedEnvironment Reboot() => TrustedEnvironment.Boot(Dir(TreId), Dir("fuse"), TreId, Dir("fw"), _clock);

    private static McimInstallResult Install(TrustedEnvironment tre, ShoSigning sho, string imsi)
    {
        var shoId = sho.Signer.GetNameInfo(X509NameType.SimpleName, false);
        var mcim = new McimContent(imsi, RandomNumberGenerator.GetBytes(16), RandomNumberGenerator.GetBytes(16), McimContent.Milenage, null, null);
        var doc = M2MSimMobj.Sign(new M2MSimMobjContent(Pcid, TreId, shoId, tre.RegistrationNonce(TreCaller.Provisioning), McimObject.Seal(tre.PkD(), mcim)),
            sho.Signer, sho.Chain);
        return tre.InstallMcim(TreCaller.Provisioning, doc);
    }

    private static byte[] Instruction(ShoSigning sho, McimOperation operation, ulong sequence, string imsi) =>
        McimInstruction.Sign(new McimInstructionContent(Pcid, TreId, imsi, operation, sequence, sho.Signer.GetNameInfo(X509NameType.SimpleName, false)),
            sho.Signer, sho.Chain);

    private static string Designated(TrustedEnvironment tre) => Encoding.UTF8.GetString(tre.ReadObject(TreCaller.Provisioning, TreObjects.DesignatedSho)!);

    [Fact]
    public async Task ChangeOfSubscription_NewShoDesignatedWithItsRoot_InstallsItsMcim_OldMcimDeletedOnlyByItsOwner()
    {
        var shoA = await ShoSigning.CreateAsync(time: _clock);
        var shoB = await ShoSigning.CreateAsync(shoId: "sho-b", time: _clock);
        var tre = Manufacture(shoA);
        tre.DesignateSho(TreCaller.Provisioning, "sho", null);
        Assert.True(Install(tre, shoA, ImsiA).IsInstalled);

        // Before the designation sho-b's M2MSIMMobj is not for this TRE (designated sho; its root unknown).
        Assert.False(Install(tre, shoB, ImsiB).IsInstalled);
        var designated = tre.DesignateSho(TreCaller.Provisioning, "sho-b", shoB.Root);
        Assert.True(designated.IsDesignated, designated.Detail);
        Assert.Equal("sho-b", Designated(Reboot()));
        var installed = Install(tre, shoB, ImsiB);
        Assert.True(installed.IsInstalled, installed.Detail);
        Assert.Equal(ImsiB, tre.InstalledMcims().ActiveImsi);

        // sho-b cannot touch sho's MCIM; sho disables then deletes it; sho-b manages its own.
        Assert.False(tre.ApplyMcimInstruction(TreCaller.Provisioning, Instruction(shoB, McimOperation.Delete, 1, ImsiA)).IsApplied);
        Assert.True(tre.ApplyMcimInstruction(TreCaller.Provisioning, Instruction(shoA, McimOperation.Disable, 1, ImsiA)).IsApplied);
        Assert.True(tre.ApplyMcimInstruction(TreCaller.Provisioning, Instruction(shoA, McimOperation.Delete, 2, ImsiA)).IsApplied);
        Assert.False(tre.ApplyMcimInstruction(TreCaller.Provisioning, Instruction(shoA, McimOperation.Disable, 1, ImsiB)).IsApplied);
        Assert.True(Reboot().ApplyMcimInstruction(TreCaller.Provisioning, Instruction(shoB, McimOperation.Disable, 1, ImsiB)).IsApplied);
        Assert.Equal([ImsiB], Reboot().InstalledMcims().Mcims.Select(m => m.Imsi));
    }

    [Fact]
    public async Task RootAddedLaterForTheOwnersShoId_CannotSignForItsMcim_RogueShoRootThreat()
    {
        var shoA = await ShoSigning.CreateAsync(time: _clock);
        var rogue = await ShoSigning.CreateAsync(shoId: "sho", time: _clock); // same SHO id, another root
        var tre = Manufacture(shoA);
        tre.DesignateSho(TreCaller.Provisioning, "sho", null);
        Assert.True(Install(tre, shoA, ImsiA).IsInstalled);

        // The RO (or whoever holds its DM account) adds a root under the owner's SHO id: it is write-once per id and new here.
        Assert.True(tre.DesignateSho(TreCaller.Provisioning, "sho", rogue.Root).IsDesignated);
        var version = tre.GetStatus().StoreVersion;
        var refused = tre.ApplyMcimInstruction(TreCaller.Provisioning, Instruction(rogue, McimOperation.Delete, 1, ImsiA));
        Assert.Equal("untrusted-signer", refused.Code);
        Assert.Equal(version, tre.GetStatus().StoreVersion);
        Assert.Equal(ImsiA, Reboot().InstalledMcims().ActiveImsi);
        // The genuine owner still can.
        Assert.True(tre.ApplyMcimInstruction(TreCaller.Provisioning, Instruction(shoA, McimOperation.Disable, 1, ImsiA)).IsApplied);
    }

    [Fact]
    public async Task ShoRootIsWriteOnce_AnotherRootForTheSameShoIsRefused_NothingChanges_RootSubstitutionThreat()
    {
        var shoA = await ShoSigning.CreateAsync(time: _clock);
        var shoB = await ShoSigning.CreateAsync(shoId: "sho-b", time: _clock);
        var impostor = await ShoSigning.CreateAsync(shoId: "sho-b", time: _clock);
        var tre = Manufacture(shoA);
        Assert.True(tre.DesignateSho(TreCaller.Provisioning, "sho-b", shoB.Root).IsDesignated);
        Assert.True(tre.DesignateSho(TreCaller.Provisioning, "sho", null).IsDesignated);

        var version = tre.GetStatus().StoreVersion;
        var conflict = tre.DesignateSho(TreCaller.Provisioning, "sho-b", impostor.Root);
        Assert.Equal(ShoDesignationResult.RootConflict, conflict.Code);
        Assert.Equal(version, tre.GetStatus().StoreVersion);
        Assert.Equal("sho", Designated(tre));
        // The same root again, or none (the one held), designates.
        Assert.True(tre.DesignateSho(TreCaller.Provisioning, "sho-b", shoB.Root).IsDesignated);
        Assert.True(tre.DesignateSho(TreCaller.Provisioning, "sho-b", null).IsDesignated);
        Assert.False(Install(tre, impostor, ImsiB).IsInstalled);
        Assert.True(Install(tre, shoB, ImsiB).IsInstalled);
    }

    [Fact]
    public async Task Designation_BadInput_IsRefusedWithItsCode_AndOnlyTheProvisioningCallerMayDesignate()
    {
        var shoA = await ShoSigning.CreateAsync(time: _clock);
        var tre = Manufacture(null);
        var version = tre.GetStatus().StoreVersion;
        Assert.Equal(ShoDesignationResult.NoShoRoot, tre.DesignateSho(TreCaller.Provisioning, "sho", null).Code);
        Assert.Equal(ShoDesignationResult.BadShoId, tre.DesignateSho(TreCaller.Provisioning, "sho b", shoA.Root).Code);
        Assert.Equal(ShoDesignationResult.BadShoId, tre.DesignateSho(TreCaller.Provisioning, new string('s', 65), shoA.Root).Code);
        Assert.Equal(ShoDesignationResult.BadRoot, tre.DesignateSho(TreCaller.Provisioning, "sho", shoA.Signer).Code); // an end-entity certificate
        Assert.Equal(version, tre.GetStatus().StoreVersion);
        Assert.Null(tre.ReadObject(TreCaller.Provisioning, TreObjects.DesignatedSho));
        foreach (var caller in new[] { TreCaller.Network, TreCaller.DeviceManagement, TreCaller.Gba, TreCaller.Manufacturer })
            Assert.Throws<TreAccessDeniedException>(() => tre.DesignateSho(caller, "sho", shoA.Root));
    }

    [Fact]
    public async Task DmShoRootThenDesignatedSho_DesignatesInOneSession_RootAloneChangesNothing_RefusalIs405WithTheCode()
    {
        var shoA = await ShoSigning.CreateAsync(time: _clock);
        var shoB = await ShoSigning.CreateAsync(shoId: "sho-b", time: _clock);
        var impostor = await ShoSigning.CreateAsync(shoId: "sho-b", time: _clock);
        var tre = Manufacture(shoA);
        tre.DesignateSho(TreCaller.Provisioning, "sho", null);
        var objects = new M2MProvisioningObjects(new TreProvisioning(tre));
        var tree = new DmTree();
        objects.Attach(tree, "dpf");
        string Status() => Encoding.UTF8.GetString(tree.Get("dpf", "./M2MSIMMobj/Status").Data.Span);
        byte[] B64(byte[] der) => Encoding.ASCII.GetBytes(Convert.ToBase64String(der));

        var version = tre.GetStatus().StoreVersion;
        Assert.Equal(DmStatusCode.Ok, tree.Replace("dpf", "./M2MSIMMobj/SHORoot", null, B64(shoB.Root.RawData)));
        Assert.Equal(version, tre.GetStatus().StoreVersion); // alone: nothing in the TRE
        Assert.Equal(DmStatusCode.Ok, tree.Replace("dpf", "./M2MSIMMobj/DesignatedSHO", null, "sho-b"u8.ToArray()));
        Assert.Equal("designated", Status());
        Assert.Equal("sho-b", Encoding.UTF8.GetString(tree.Get("dpf", "./M2MMobj/SHO").Data.Span));
        Assert.Equal("sho-b", Encoding.UTF8.GetString(tree.Get("dpf", "./M2MSIMMobj/DesignatedSHO").Data.Span));
        Assert.True(tree.Get("dpf", "./M2MSIMMobj/SHORoot").Data.IsEmpty);

        Assert.Equal(DmStatusCode.Ok, tree.Replace("dpf", "./M2MSIMMobj/SHORoot", null, B64(impostor.Root.RawData)));
        Assert.Equal(DmStatusCode.CommandNotAllowed, tree.Replace("dpf", "./M2MSIMMobj/DesignatedSHO", null, "sho-b"u8.ToArray()));
        Assert.Equal(ShoDesignationResult.RootConflict, Status());
        Assert.NotEqual(DmStatusCode.Ok, tree.Replace("dpf", "./M2MSIMMobj/SHORoot", null, "not base64!"u8.ToArray())); // the tree's b64 check
        Assert.Equal(DmStatusCode.CommandNotAllowed, tree.Replace("dpf", "./M2MSIMMobj/SHORoot", null, B64([0x30, 0x03, 0x02, 0x01, 0x01])));
        Assert.Equal(DmStatusCode.PermissionDenied, tree.Replace("another-server", "./M2MSIMMobj/DesignatedSHO", null, "sho"u8.ToArray()));
        Assert.Equal("sho-b", Designated(tre));
    }
}
