using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Xml;
using M2MSec.Aka;
using M2MSec.Device.Provisioning;
using M2MSec.Device.Tre;
using M2MSec.Dm;
using M2MSec.Dm.Tree;
using M2MSec.Pki.Authority;
using M2MSec.Provisioning.Mcim;
using M2MSec.Provisioning.Objects;
using M2MSec.Tests.Provisioning;

namespace M2MSec.Tests.Device;

/// <summary>
/// Issue 16, "The MCIM life cycle in the TRE": enable, disable and delete of an MCIM, each only by a signed McimInstruction of
/// the SHO that owns it (the signer of its M2MSIMMobj), for this PCID and TRE, with a sequence above the last one applied;
/// exactly one active; AKA refused with a disabled MCIM; delete removes the key material and moves the sealed store's
/// version, so an older copy with the deleted MCIM locks the TRE down. A refused instruction changes nothing.
/// </summary>
public sealed class TreMcimLifecycleTests : IDisposable
{
    private const string Pcid = "001990000000001";
    private const string TreId = "TRE-LIFE-0001";
    private const string ImsiA = "001010000000123";
    private const string ImsiB = "001010000000456";
    private readonly string _root = Directory.CreateTempSubdirectory("m2msec-tre-life-").FullName;
    private readonly Support.HostClock _clock = new(DateTimeOffset.UtcNow);

    public void Dispose() => Directory.Delete(_root, true);

    private string Dir(string name) => Path.Combine(_root, name);

    private TrustedEnvironment Manufacture(ShoSigning sho)
    {
        var tre = TrustedEnvironment.Manufacture(Dir(TreId), Dir("fuse"), TreId, Pcid, Dir("fw"), _clock);
        tre.ProvisionTrustAnchor(TreCaller.Manufacturer, "sho", sho.Root);
        return tre;
    }

    private TrustedEnvironment Reboot() => TrustedEnvironment.Boot(Dir(TreId), Dir("fuse"), TreId, Dir("fw"), _clock);

    /// <summary>Installs an MCIM signed by <paramref name="signer"/> (designated for this install), returns its K and OPc.</summary>
    private static McimContent Install(TrustedEnvironment tre, ShoSigning sho, string imsi, X509Certificate2? signer = null)
    {
        signer ??= sho.Signer;
        var shoId = signer.GetNameInfo(X509NameType.SimpleName, false);
        tre.WriteObject(TreCaller.Provisioning, TreObjects.DesignatedSho, Encoding.UTF8.GetBytes(shoId));
        var mcim = new McimContent(imsi, RandomNumberGenerator.GetBytes(16), RandomNumberGenerator.GetBytes(16), McimContent.Milenage, null, null);
        var doc = M2MSimMobj.Sign(new M2MSimMobjContent(Pcid, TreId, shoId, tre.RegistrationNonce(TreCaller.Provisioning), McimObject.Seal(tre.PkD(), mcim)), signer, sho.Chain);
        var result = tre.InstallMcim(TreCaller.Provisioning, doc);
        Assert.True(result.IsInstalled, result.Detail);
        return mcim;
    }

    private static byte[] Instruction(ShoSigning sho, McimOperation operation, ulong sequence, string imsi = ImsiA, X509Certificate2? signer = null,
        string pcid = Pcid, string treId = TreId)
    {
        signer ??= sho.Signer;
        return McimInstruction.Sign(new McimInstructionContent(pcid, treId, imsi, operation, sequence, signer.GetNameInfo(X509NameType.SimpleName, false)), signer, sho.Chain);
    }

    private static InstalledMcim Mcim(TrustedEnvironment tre, string imsi) => tre.InstalledMcims().Mcims.Single(m => m.Imsi == imsi);

    private UsimAuthenticationResult Aka(TrustedEnvironment tre, McimContent mcim, int sqn)
    {
        var av = AkaVectors.Generate(Milenage.Default, mcim.K, mcim.Opc, RandomNumberGenerator.GetBytes(16), SqnScheme.Default.Compose((ulong)sqn, 0), [0x80, 0]);
        return tre.RunAka(TreCaller.Network, mcim.Imsi, av.Rand, av.Autn);
    }

    private static void AssertRefusedAndUnchanged(TrustedEnvironment tre, byte[] instruction, string code)
    {
        var version = tre.GetStatus().StoreVersion;
        var before = tre.InstalledMcims();
        var result = tre.ApplyMcimInstruction(TreCaller.Provisioning, instruction);
        Assert.Equal(code, result.Code);
        Assert.False(result.IsApplied);
        Assert.Equal(version, tre.GetStatus().StoreVersion);
        var after = tre.InstalledMcims();
        Assert.Equal(before.ActiveImsi, after.ActiveImsi);
        Assert.Equal(before.Mcims, after.Mcims);
    }

    [Fact]
    public async Task InstalledMcim_RecordsItsOwnerAndIsEnabled_DisableThenEnable_OneSealedWriteEach()
    {
        var sho = await ShoSigning.CreateAsync(time: _clock);
        var tre = Manufacture(sho);
        var mcim = Install(tre, sho, ImsiA);
        Assert.Equal(("sho", McimStates.Enabled, true, 0UL), (Mcim(tre, ImsiA).ShoId, Mcim(tre, ImsiA).State, Mcim(tre, ImsiA).Active, Mcim(tre, ImsiA).LastSequence));

        var version = tre.GetStatus().StoreVersion;
        var disabled = tre.ApplyMcimInstruction(TreCaller.Provisioning, Instruction(sho, McimOperation.Disable, 1));
        Assert.True(disabled.IsApplied, disabled.Detail);
        Assert.Equal(version + 1, tre.GetStatus().StoreVersion);
        Assert.Equal((McimStates.Disabled, false, 1UL), (Mcim(tre, ImsiA).State, Mcim(tre, ImsiA).Active, Mcim(tre, ImsiA).LastSequence));
        Assert.Null(tre.InstalledMcims().ActiveImsi); // disabling the active one leaves none active
        Assert.False(tre.ActivateMcim(TreCaller.Provisioning, ImsiA)); // only a signed enable brings it back

        var rebooted = Reboot();
        Assert.Equal(McimStates.Disabled, Mcim(rebooted, ImsiA).State);
        Assert.True(rebooted.ApplyMcimInstruction(TreCaller.Provisioning, Instruction(sho, McimOperation.Enable, 2)).IsApplied);
        Assert.Equal((McimStates.Enabled, ImsiA), (Mcim(rebooted, ImsiA).State, rebooted.InstalledMcims().ActiveImsi));
        Assert.True(Aka(rebooted, mcim, 1).IsSuccess);
        Assert.Throws<TreAccessDeniedException>(() => rebooted.ApplyMcimInstruction(TreCaller.DeviceManagement, Instruction(sho, McimOperation.Disable, 3)));
        Assert.Throws<TreAccessDeniedException>(() => rebooted.ApplyMcimInstruction(TreCaller.Network, Instruction(sho, McimOperation.Disable, 3)));
    }

    [Fact]
    public async Task EnablingAnMcim_DisablesThePreviouslyActiveOne_ExactlyOneActive()
    {
        var sho = await ShoSigning.CreateAsync(time: _clock);
        var tre = Manufacture(sho);
        var a = Install(tre, sho, ImsiA);
        Install(tre, sho, ImsiB);
        Assert.Equal(ImsiB, tre.InstalledMcims().ActiveImsi);

        Assert.True(tre.ApplyMcimInstruction(TreCaller.Provisioning, Instruction(sho, McimOperation.Enable, 1, ImsiA)).IsApplied);
        var status = Reboot().InstalledMcims();
        Assert.Equal(ImsiA, status.ActiveImsi);
        Assert.Single(status.Mcims, m => m.Active);
        Assert.Equal(McimStates.Disabled, status.Mcims.Single(m => m.Imsi == ImsiB).State);
        Assert.True(Aka(tre, a, 1).IsSuccess);
    }

    [Fact]
    public async Task AkaWithADisabledMcim_IsRefused_DisabledMcimThreat()
    {
        var sho = await ShoSigning.CreateAsync(time: _clock);
        var tre = Manufacture(sho);
        var mcim = Install(tre, sho, ImsiA);
        Assert.True(Aka(tre, mcim, 1).IsSuccess);
        Assert.True(tre.ApplyMcimInstruction(TreCaller.Provisioning, Instruction(sho, McimOperation.Disable, 1)).IsApplied);

        var version = tre.GetStatus().StoreVersion;
        Assert.Equal(ImsiA, Assert.Throws<TreMcimDisabledException>(() => Aka(tre, mcim, 2)).Imsi);
        Assert.Throws<TreMcimDisabledException>(() => Aka(Reboot(), mcim, 2));
        Assert.Throws<TreMcimDisabledException>(() => tre.ReleaseNafKey(TreCaller.Gba, ImsiA, "impi", [1, 2, 3]));
        Assert.Equal(version, tre.GetStatus().StoreVersion); // the SQN state did not move
    }

    [Fact]
    public async Task Delete_RemovesTheKeyMaterial_AndTheRecord_InOneSealedWrite()
    {
        var sho = await ShoSigning.CreateAsync(time: _clock);
        var tre = Manufacture(sho);
        var mcim = Install(tre, sho, ImsiA);
        var av = AkaVectors.Generate(Milenage.Default, mcim.K, mcim.Opc, RandomNumberGenerator.GetBytes(16), SqnScheme.Default.Compose(1, 0), [0x80, 0]);
        Assert.True(tre.RunAka(TreCaller.Network, ImsiA, av.Rand, av.Autn, keepForGba: true).IsSuccess);
        Assert.Contains(ImsiA, tre.GetStatus().Subscriptions);
        var version = tre.GetStatus().StoreVersion;

        var result = tre.ApplyMcimInstruction(TreCaller.Provisioning, Instruction(sho, McimOperation.Delete, 1));

        Assert.True(result.IsApplied, result.Detail);
        Assert.Equal(version + 1, tre.GetStatus().StoreVersion);
        var rebooted = Reboot();
        Assert.False(rebooted.IsLocked);
        Assert.Empty(rebooted.InstalledMcims().Mcims);
        Assert.Null(rebooted.InstalledMcims().ActiveImsi);
        Assert.DoesNotContain(ImsiA, rebooted.GetStatus().Subscriptions);
        Assert.Throws<InvalidOperationException>(() => Aka(rebooted, mcim, 2));
        Assert.Throws<InvalidOperationException>(() => rebooted.ReleaseNafKey(TreCaller.Gba, ImsiA, "impi", [1, 2, 3]));
    }

    [Fact]
    public async Task AnotherShoDisablesOrDeletesAnMcimItDoesNotOwn_IsRefused_ForeignShoInstructionThreat()
    {
        var sho = await ShoSigning.CreateAsync(time: _clock);
        var tre = Manufacture(sho);
        Install(tre, sho, ImsiA);
        using var other = await sho.IssueAsync(CertificateProfile.Sho, "other-sho");
        Install(tre, sho, ImsiB, signer: other); // the other SHO owns B, not A

        foreach (var op in new[] { McimOperation.Disable, McimOperation.Delete, McimOperation.Enable })
            AssertRefusedAndUnchanged(tre, Instruction(sho, op, 1, ImsiA, signer: other), "not-owner");
        // A SHO named like the owner under another root (not the TRE's SHO signing root).
        var impostor = await ShoSigning.CreateAsync(time: _clock);
        AssertRefusedAndUnchanged(tre, Instruction(impostor, McimOperation.Delete, 1, ImsiA), "untrusted-signer");
        // A certificate of another profile with the owner's name, under the same root.
        using var device = await sho.IssueAsync(CertificateProfile.Device, "sho");
        AssertRefusedAndUnchanged(tre, Instruction(sho, McimOperation.Delete, 1, ImsiA, signer: device), "wrong-profile");
        Assert.Equal((McimStates.Enabled, "sho"), (Mcim(tre, ImsiA).State, Mcim(tre, ImsiA).ShoId));
        // Each owner acts on its own MCIM.
        Assert.True(tre.ApplyMcimInstruction(TreCaller.Provisioning, Instruction(sho, McimOperation.Disable, 1, ImsiB, signer: other)).IsApplied);
    }

    [Fact]
    public async Task ReplayedDeleteOrEnable_IsRefused_AlsoAfterATreReboot_ReplayedInstructionThreat()
    {
        var sho = await ShoSigning.CreateAsync(time: _clock);
        var tre = Manufacture(sho);
        Install(tre, sho, ImsiA);
        Install(tre, sho, ImsiB);
        var enableA = Instruction(sho, McimOperation.Enable, 5, ImsiA);
        var disableA = Instruction(sho, McimOperation.Disable, 6, ImsiA);
        Assert.True(tre.ApplyMcimInstruction(TreCaller.Provisioning, enableA).IsApplied);
        Assert.True(tre.ApplyMcimInstruction(TreCaller.Provisioning, disableA).IsApplied);

        AssertRefusedAndUnchanged(tre, enableA, "replayed");
        var rebooted = Reboot();
        AssertRefusedAndUnchanged(rebooted, enableA, "replayed");
        AssertRefusedAndUnchanged(rebooted, Instruction(sho, McimOperation.Enable, 6, ImsiA), "replayed"); // equal is not above
        Assert.Equal(McimStates.Disabled, Mcim(rebooted, ImsiA).State);

        // A replayed delete: the MCIM is gone, and once the IMSI is installed again its old instructions are still replays.
        var deleteA = Instruction(sho, McimOperation.Delete, 7, ImsiA);
        Assert.True(rebooted.ApplyMcimInstruction(TreCaller.Provisioning, deleteA).IsApplied);
        // The very delete again (its answer lost) is "already-applied", nothing changes; an older instruction stays refused.
        AssertRefusedAndUnchanged(rebooted, deleteA, "already-applied");
        AssertRefusedAndUnchanged(rebooted, disableA, "not-installed");
        var again = Reboot();
        AssertRefusedAndUnchanged(again, deleteA, "already-applied");
        Install(again, sho, ImsiA);
        Assert.Equal(7UL, Mcim(again, ImsiA).LastSequence);
        AssertRefusedAndUnchanged(again, deleteA, "replayed");
        AssertRefusedAndUnchanged(Reboot(), enableA, "replayed");
        Assert.Single(Reboot().InstalledMcims().Mcims, m => m.Imsi == ImsiA);
    }

    /// <summary>
    /// Issue 16 (docs/decisions/021): the TRE tells the very signed document it applied last (a repeat after its answer was lost with a DM
    /// session: "already-applied", nothing changes, also after a reboot and after the MCIM's delete) from a replay of an older instruction
    /// or another document with the same sequence ("replayed", refused) — so a replay cannot pass for an applied instruction.
    /// </summary>
    [Fact]
    public async Task SameDocumentAgain_AlreadyApplied_OlderOrResignedInstruction_StillReplayed_AlreadyAppliedClassificationReplayedInstructionThreat()
    {
        var sho = await ShoSigning.CreateAsync(time: _clock);
        var tre = Manufacture(sho);
        Install(tre, sho, ImsiA);
        var disable = Instruction(sho, McimOperation.Disable, 1);
        var enable = Instruction(sho, McimOperation.Enable, 2);
        Assert.True(tre.ApplyMcimInstruction(TreCaller.Provisioning, disable).IsApplied);
        Assert.True(tre.ApplyMcimInstruction(TreCaller.Provisioning, enable).IsApplied);

        var repeat = tre.ApplyMcimInstruction(TreCaller.Provisioning, enable);
        Assert.True(repeat.IsAlreadyApplied);
        Assert.Equal((ImsiA, McimOperation.Enable), (repeat.Imsi, repeat.Operation));
        AssertRefusedAndUnchanged(tre, enable, "already-applied");
        AssertRefusedAndUnchanged(tre, disable, "replayed"); // an older instruction: the attacker's replay
        AssertRefusedAndUnchanged(tre, Instruction(sho, McimOperation.Enable, 2), "replayed"); // same content, another signature
        AssertRefusedAndUnchanged(tre, Instruction(sho, McimOperation.Disable, 2), "replayed");
        var rebooted = Reboot();
        AssertRefusedAndUnchanged(rebooted, enable, "already-applied");
        AssertRefusedAndUnchanged(rebooted, disable, "replayed");
        Assert.Equal((McimStates.Enabled, 2UL), (Mcim(rebooted, ImsiA).State, Mcim(rebooted, ImsiA).LastSequence));

        // After the delete: the delete again is already applied; anything else for the deleted MCIM is not-installed.
        var delete = Instruction(sho, McimOperation.Delete, 3);
        Assert.True(rebooted.ApplyMcimInstruction(TreCaller.Provisioning, delete).IsApplied);
        AssertRefusedAndUnchanged(rebooted, delete, "already-applied");
        AssertRefusedAndUnchanged(Reboot(), delete, "already-applied");
        AssertRefusedAndUnchanged(Reboot(), enable, "not-installed");
        AssertRefusedAndUnchanged(Reboot(), Instruction(sho, McimOperation.Delete, 3), "not-installed");
        // Installed again: the delete of before is a replay again, not "already applied" to the new MCIM.
        var back = Reboot();
        Install(back, sho, ImsiA);
        AssertRefusedAndUnchanged(back, delete, "replayed");
    }

    [Fact]
    public async Task OlderCopyOfTheSealedStoreWithADeletedMcim_LocksDownAtBoot_DeletedMcimRollbackThreat()
    {
        var sho = await ShoSigning.CreateAsync(time: _clock);
        var tre = Manufacture(sho);
        var mcim = Install(tre, sho, ImsiA);
        var sealedRecord = new M2MSec.Device.Tre.Hardware.DurableRecord(Path.Combine(Dir(TreId), TrustedEnvironment.SealedFileName));
        var withMcim = sealedRecord.CopyFiles();
        Assert.True(tre.ApplyMcimInstruction(TreCaller.Provisioning, Instruction(sho, McimOperation.Delete, 1)).IsApplied);
        Assert.False(Reboot().IsLocked);

        M2MSec.Device.Tre.Hardware.DurableRecord.RestoreFiles(withMcim); // the attacker puts the older copies back

        var rebooted = Reboot();
        Assert.True(rebooted.IsLocked);
        Assert.Equal(LockdownReason.SealedStoreRollback, rebooted.LockdownReason);
        Assert.Throws<TreLockedException>(() => Aka(rebooted, mcim, 1));
        Assert.Throws<TreLockedException>(() => rebooted.ApplyMcimInstruction(TreCaller.Provisioning, Instruction(sho, McimOperation.Enable, 2)));
        Assert.Empty(rebooted.InstalledMcims().Mcims);
        Assert.Equal(LockdownReason.SealedStoreRollback, Reboot().LockdownReason);
    }

    [Fact]
    public async Task InstructionForAnotherTreOrPcid_OrAnUnknownImsi_IsRefused_MisdirectedInstructionThreat()
    {
        var sho = await ShoSigning.CreateAsync(time: _clock);
        var tre = Manufacture(sho);
        Install(tre, sho, ImsiA);
        AssertRefusedAndUnchanged(tre, Instruction(sho, McimOperation.Delete, 1, treId: "TRE-LIFE-0002"), "wrong-device");
        AssertRefusedAndUnchanged(tre, Instruction(sho, McimOperation.Delete, 1, pcid: "001990000000002"), "wrong-device");
        AssertRefusedAndUnchanged(tre, Instruction(sho, McimOperation.Delete, 1, imsi: "001010000000999"), "not-installed");
        Assert.True(tre.ApplyMcimInstruction(TreCaller.Provisioning, Instruction(sho, McimOperation.Delete, 1)).IsApplied);
    }

    [Fact]
    public async Task MalformedOversizedOrWrappedInstruction_IsRefused_NothingChanges_InstructionWrappingThreat()
    {
        var sho = await ShoSigning.CreateAsync(time: _clock);
        var tre = Manufacture(sho);
        Install(tre, sho, ImsiA);
        var doc = Encoding.UTF8.GetString(Instruction(sho, McimOperation.Disable, 1));

        AssertRefusedAndUnchanged(tre, "garbage"u8.ToArray(), "malformed");
        AssertRefusedAndUnchanged(tre, Encoding.UTF8.GetBytes("<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]>" + doc), "malformed");
        AssertRefusedAndUnchanged(tre, new byte[McimInstruction.MaxDocumentLength + 1], "oversized");
        // A changed value fails the signature; a M2MSIMMobj is not an instruction.
        AssertRefusedAndUnchanged(tre, Encoding.UTF8.GetBytes(doc.Replace("<Operation>disable</Operation>", "<Operation>delete</Operation>", StringComparison.Ordinal)), "bad-signature");
        AssertRefusedAndUnchanged(tre, Encoding.UTF8.GetBytes(doc.Replace("<Sequence>1</Sequence>", "<Sequence>01</Sequence>", StringComparison.Ordinal)), "bad-signature");
        var m2mSimMobj = M2MSimMobj.Sign(new M2MSimMobjContent(Pcid, TreId, "sho", new byte[16], [1]), sho.Signer, sho.Chain);
        AssertRefusedAndUnchanged(tre, m2mSimMobj, "bad-shape");

        // Signature wrapping: an unsigned instruction around the signed one, a second Operation, a comment, a ds:Object.
        var xml = Load(doc);
        var evil = new XmlDocument { PreserveWhitespace = true };
        var outer = evil.CreateElement(McimInstruction.RootName, McimInstruction.Namespace);
        evil.AppendChild(outer);
        outer.AppendChild(evil.ImportNode(xml.DocumentElement!, true));
        AssertRefusedAndUnchanged(tre, Encoding.UTF8.GetBytes(evil.OuterXml), "bad-shape");
        var duplicated = Load(doc);
        var op = duplicated.DocumentElement!["Operation", McimInstruction.Namespace]!;
        var second = (XmlElement)op.CloneNode(true);
        second.InnerText = "delete";
        duplicated.DocumentElement.InsertBefore(second, op);
        AssertRefusedAndUnchanged(tre, Encoding.UTF8.GetBytes(duplicated.OuterXml), "bad-shape");
        AssertRefusedAndUnchanged(tre, Encoding.UTF8.GetBytes(doc.Replace("<IMSI>", "<!-- x --><IMSI>", StringComparison.Ordinal)), "bad-shape");
        AssertRefusedAndUnchanged(tre, Encoding.UTF8.GetBytes(doc.Replace("URI=\"\"", "URI=\"#evil\"", StringComparison.Ordinal)), "bad-shape");
        Assert.Equal(McimStates.Enabled, Mcim(tre, ImsiA).State);
        Assert.True(tre.ApplyMcimInstruction(TreCaller.Provisioning, Encoding.UTF8.GetBytes(doc)).IsApplied);
    }

    [Fact]
    public async Task McimInstruction_SignThenVerify_GivesTheContentAndTheSigner_AndRefusesBadContent()
    {
        var sho = await ShoSigning.CreateAsync(KeyAlgorithm.Rsa2048);
        var content = new McimInstructionContent(Pcid, TreId, ImsiA, McimOperation.Delete, ulong.MaxValue, "sho");
        var got = McimInstruction.Verify(McimInstruction.Sign(content, sho.Signer, sho.Chain), sho.Root, DateTimeOffset.UtcNow, out var signer);
        Assert.Equal(content, got);
        Assert.Equal(sho.Signer.Thumbprint, signer.Thumbprint);
        Assert.Throws<ArgumentException>(() => McimInstruction.Sign(content with { Sequence = 0 }, sho.Signer, sho.Chain));
        Assert.Throws<ArgumentException>(() => McimInstruction.Sign(content with { Imsi = "12ab" }, sho.Signer, sho.Chain));
        Assert.Throws<ArgumentException>(() => McimInstruction.Sign(content with { ShoId = "" }, sho.Signer, sho.Chain));
        // The SHO element names another SHO than the signer.
        var lying = McimInstruction.Sign(content with { ShoId = "other-sho" }, sho.Signer, sho.Chain);
        Assert.Equal("wrong-sho", Assert.Throws<M2MSec.Provisioning.ProvisioningException>(() => McimInstruction.Verify(lying, sho.Root, DateTimeOffset.UtcNow, out _)).Code);
    }

    [Fact]
    public async Task DmInstructionLeaf_AppliesTheInstruction_Status200_AndRefusalIs4xxWithTheCodeInStatus()
    {
        var sho = await ShoSigning.CreateAsync(time: _clock);
        var tre = Manufacture(sho);
        Install(tre, sho, ImsiA);
        var objects = new M2MProvisioningObjects(new TreProvisioning(tre));
        var tree = new DmTree();
        objects.Attach(tree, "dpf");
        string Status() => Encoding.UTF8.GetString(tree.Get("dpf", "./M2MSIMMobj/Status").Data.Span);
        byte[] B64(byte[] doc) => Encoding.ASCII.GetBytes(Convert.ToBase64String(doc));

        var disable = Instruction(sho, McimOperation.Disable, 1);
        Assert.Equal(DmStatusCode.Ok, tree.Replace("dpf", "./M2MSIMMobj/Instruction", null, B64(disable)));
        Assert.Equal("applied", Status());
        Assert.Equal(McimStates.Disabled, Mcim(tre, ImsiA).State);

        // Issue 16: the same document again (its answer lost) is done as the first time: 200, Status "already-applied"; another
        // document with the same sequence is a replay: 405.
        Assert.Equal(DmStatusCode.Ok, tree.Replace("dpf", "./M2MSIMMobj/Instruction", null, B64(disable)));
        Assert.Equal("already-applied", Status());
        Assert.Equal(DmStatusCode.CommandNotAllowed, tree.Replace("dpf", "./M2MSIMMobj/Instruction", null, B64(Instruction(sho, McimOperation.Disable, 1))));
        Assert.Equal("replayed", Status());
        Assert.Equal("replayed", objects.LastInstruction!.Code);
        Assert.Equal(DmStatusCode.PermissionDenied, tree.Replace("another-server", "./M2MSIMMobj/Instruction", null, B64(Instruction(sho, McimOperation.Enable, 2))));
        Assert.Equal(McimStates.Disabled, Mcim(tre, ImsiA).State);
    }

    private static XmlDocument Load(string xml)
    {
        var doc = new XmlDocument { PreserveWhitespace = true, XmlResolver = null };
        doc.LoadXml(xml);
        return doc;
    }
}
