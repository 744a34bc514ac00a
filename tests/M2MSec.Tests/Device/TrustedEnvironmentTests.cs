using System.Reflection;
using System.Security.Cryptography;
using M2MSec.Aka;
using M2MSec.Device.M2me;
using M2MSec.Device.Tre;
using M2MSec.Device.Tre.Hardware;

namespace M2MSec.Tests.Device;

/// <summary>The software TRE: sealing, anti-rollback, lockdown, the secure clock, policy, no key leaves.</summary>
public sealed class TrustedEnvironmentTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("m2msec-tre-").FullName;
    private readonly Support.HostClock _clock = new(new DateTimeOffset(2026, 11, 23, 12, 0, 0, TimeSpan.Zero));
    private readonly ECDsa _timeAuthority = ECDsa.Create(ECCurve.NamedCurves.nistP256);

    private string Data => Path.Combine(_root, "device");

    private string Fuse => Path.Combine(_root, "fuse");

    public void Dispose()
    {
        _timeAuthority.Dispose();
        Directory.Delete(_root, true);
    }

    private M2meDevice Manufacture(M2meKind kind = M2meKind.Tre) =>
        M2meDevice.Create(Data, Fuse, "001990000000001", kind, "TRE-TEST-0001", _clock,
            new Dictionary<string, byte[]> { ["network"] = _timeAuthority.ExportSubjectPublicKeyInfo() });

    private M2meDevice Reboot() => M2meDevice.Open(Data, Fuse, _clock);

    private DurableRecord SealedRecord => new(Path.Combine(Data, "tre", TrustedEnvironment.SealedFileName));

    private DurableRecord RpmbRecord => new(Path.Combine(Directory.GetDirectories(Fuse).Single(), "rpmb.bin"));

    [Fact]
    public void Manufacture_ThenShow_HasIdentitiesAndNoLockdown()
    {
        var device = Manufacture();
        var s = device.Status;
        Assert.Equal("TRE-TEST-0001", s.Info.TreId);
        Assert.Equal("001990000000001", s.Tre.Pcid);
        Assert.False(s.Tre.Locked);
        Assert.Equal(_clock.GetUtcNow(), s.Tre.Clock);
        Assert.False(Reboot().Tre.IsLocked);
    }

    [Fact]
    public void IdentityAssertion_VerifiesUnderTheIdentityKey_AndNotForAnotherPcid()
    {
        var tre = Manufacture().Tre;
        var challenge = RandomNumberGenerator.GetBytes(32);
        var assertion = tre.AuthenticateIdentities(TreCaller.Platform, challenge);
        Assert.True(assertion.Verify(tre.IdentityPublicKey()));
        Assert.False((assertion with { Pcid = "001990000000002" }).Verify(tre.IdentityPublicKey()));
    }

    [Fact]
    public void PublicKeys_AreTheKeysOwn_AndACallerChangingItsCopy_ChangesNothingInTheTre_PublicKeyTamperThreat()
    {
        var tre = Manufacture().Tre;
        var identity = tre.IdentityPublicKey();
        var pkD = tre.PkD();
        // The derived-once public halves (issue 19) are the keys' own: a signature by the TRE verifies under the first.
        var challenge = RandomNumberGenerator.GetBytes(32);
        Assert.True(tre.AuthenticateIdentities(TreCaller.Platform, challenge).Verify(identity));
        Assert.NotEqual(identity, pkD);
        identity[^1] ^= 0xFF;
        pkD[^1] ^= 0xFF;
        Assert.NotEqual(identity, tre.IdentityPublicKey());
        Assert.NotEqual(pkD, tre.PkD());
        Assert.True(tre.AuthenticateIdentities(TreCaller.Platform, challenge).Verify(tre.IdentityPublicKey()));
        Assert.Equal(tre.PkD(), Reboot().Tre.PkD());
    }

    [Fact]
    public void OneBitChangedInTheSealedStore_LocksDown_AndTheLockdownSurvivesRestart()
    {
        Manufacture();
        M2meDevice.Tamper(Data, Fuse, TamperKind.Store);
        var tre = Reboot().Tre;
        Assert.True(tre.IsLocked);
        Assert.Equal(LockdownReason.SealedStoreIntegrity, tre.LockdownReason);
        Assert.Throws<TreLockedException>(() => tre.Sign(TreCaller.Platform, [1, 2, 3]));
        Assert.Throws<TreLockedException>(() => tre.ReadObject(TreCaller.DeviceManagement, "trust/root"));
        Assert.Contains(tre.Events, e => e.Kind == "lockdown");
        // Still locked after another restart, even with the damage undone by hand.
        Assert.Equal(LockdownReason.SealedStoreIntegrity, Reboot().Tre.LockdownReason);
    }

    [Fact]
    public void OlderCopyOfTheSealedStorePutBack_IsDetected()
    {
        Manufacture();
        M2meDevice.Tamper(Data, Fuse, TamperKind.Rollback);
        var tre = Reboot().Tre;
        Assert.Equal(LockdownReason.SealedStoreRollback, tre.LockdownReason);
    }

    [Fact]
    public void ChangedFirmwareImage_LocksDown()
    {
        Manufacture();
        M2meDevice.Tamper(Data, Fuse, TamperKind.Firmware);
        Assert.Equal(LockdownReason.FirmwareMeasurement, Reboot().Tre.LockdownReason);
    }

    [Fact]
    public void AlteredReplayProtectedStore_LocksDown()
    {
        var tre = Manufacture().Tre;
        var rpmb = RpmbRecord.NewestFile!;
        var bytes = File.ReadAllBytes(rpmb);
        bytes[20] ^= 0x04;
        File.WriteAllBytes(rpmb, bytes);
        Assert.Equal(LockdownReason.ReplayProtectedStoreIntegrity, Reboot().Tre.LockdownReason);
        _ = tre;
    }

    [Fact]
    public void ReplayProtectedBlock_IsOneSectorAtEveryWrite_NoWriteIsExtendedOrTruncated_KilledMidWriteThreat()
    {
        var tre = Manufacture().Tre;
        tre.WriteObject(TreCaller.DeviceManagement, "dm/account", [1]);
        M2meDevice.Tamper(Data, Fuse, TamperKind.Firmware);
        Assert.Equal(LockdownReason.FirmwareMeasurement, Reboot().Tre.LockdownReason); // a lockdown makes the state longer
        foreach (var slot in RpmbRecord.SlotFiles)
            Assert.Equal(512, new FileInfo(slot).Length);
    }

    [Fact]
    public void AnotherDevicesSealedStore_DoesNotOpen()
    {
        Manufacture();
        var other = M2meDevice.Create(Path.Combine(_root, "other"), Fuse, "001990000000002", M2meKind.Tre, "TRE-TEST-0002", _clock);
        var theirs = new DurableRecord(Path.Combine(other.DataDirectory, "tre", TrustedEnvironment.SealedFileName)).CopyFiles();
        DurableRecord.RestoreFiles(theirs.ToDictionary(f => f.Key.Replace(other.DataDirectory, Data, StringComparison.Ordinal), f => f.Value));
        Assert.Equal(LockdownReason.SealedStoreIntegrity, Reboot().Tre.LockdownReason);
    }

    [Fact]
    public void PowerLossBetweenSealAndCounter_RollsForward_NotLockdown()
    {
        var tre = Manufacture().Tre;
        var before = RpmbRecord.CopyFiles();
        tre.WriteObject(TreCaller.DeviceManagement, "dm/account", [1, 2, 3]);
        DurableRecord.RestoreFiles(before); // the counter write never happened
        var rebooted = Reboot().Tre;
        Assert.False(rebooted.IsLocked);
        Assert.Equal([1, 2, 3], rebooted.ReadObject(TreCaller.DeviceManagement, "dm/account"));
    }

    [Fact]
    public void PowerLossMidSealedWrite_BootsFromTheWholeCopyBefore_NotLockdown_CrashMidWriteThreat()
    {
        var tre = Manufacture().Tre;
        tre.WriteObject(TreCaller.DeviceManagement, "dm/account", [1]);
        var counter = RpmbRecord.CopyFiles();
        tre.WriteObject(TreCaller.DeviceManagement, "dm/account", [2]);
        DurableRecord.RestoreFiles(counter); // the counter write never happened…
        var newest = SealedRecord.NewestFile!;
        File.WriteAllBytes(newest, File.ReadAllBytes(newest)[..100]); // …because the sealed write tore (decision 046)

        var rebooted = Reboot().Tre;
        Assert.False(rebooted.IsLocked);
        Assert.Equal([1], rebooted.ReadObject(TreCaller.DeviceManagement, "dm/account"));
        rebooted.WriteObject(TreCaller.DeviceManagement, "dm/account", [3]);
        Assert.Equal([3], Reboot().Tre.ReadObject(TreCaller.DeviceManagement, "dm/account"));
    }

    [Fact]
    public void DamagedNewestSealedCopy_OnceTheCounterNamesIt_LocksDownForIntegrity_SealedStoreTamperThreat()
    {
        var tre = Manufacture().Tre;
        tre.WriteObject(TreCaller.DeviceManagement, "dm/account", [1]);
        tre.WriteObject(TreCaller.DeviceManagement, "dm/account", [2]);
        var newest = SealedRecord.NewestFile!;
        File.WriteAllBytes(newest, File.ReadAllBytes(newest)[..100]); // the copy before is whole, but one version behind the counter
        Assert.Equal(LockdownReason.SealedStoreIntegrity, Reboot().Tre.LockdownReason);
    }

    [Fact]
    public void ReplayProtectedCopiesReordered_LocksDown_ReplayProtectedRollbackThreat()
    {
        var tre = Manufacture().Tre;
        tre.WriteObject(TreCaller.DeviceManagement, "dm/account", [1]);
        tre.WriteObject(TreCaller.DeviceManagement, "dm/account", [2]);
        var record = RpmbRecord;
        var older = record.SlotFiles.Single(f => f != record.NewestFile);
        var newestSequence = System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(File.ReadAllBytes(record.NewestFile!).AsSpan(4));
        // The slot's framing is not keyed: an attacker renumbers the older copy as the newest and fixes its checksum.
        var slot = File.ReadAllBytes(older);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(slot.AsSpan(4), newestSequence + 1);
        SHA256.HashData(slot.AsSpan(0, slot.Length - 16))[..16].CopyTo(slot.AsSpan(slot.Length - 16));
        File.WriteAllBytes(older, slot);
        Assert.Equal(older, new DurableRecord(record.LegacyPath).NewestFile);

        Assert.Equal(LockdownReason.ReplayProtectedStoreIntegrity, Reboot().Tre.LockdownReason);
    }

    [Fact]
    public void WritingWhatAnObjectHolds_IsNoNewVersion_ButAnyChangeIs()
    {
        var tre = Manufacture().Tre;
        tre.WriteObjects(TreCaller.DeviceManagement, [new("dm/account", [1, 2, 3]), new("dm/tree", [4])]);
        var version = tre.GetStatus().StoreVersion;
        var sealedBytes = SealedRecord.CopyFiles();

        tre.WriteObject(TreCaller.DeviceManagement, "dm/account", [1, 2, 3]);
        tre.WriteObjects(TreCaller.DeviceManagement, [new("dm/account", [1, 2, 3]), new("dm/tree", [4])]);
        Assert.Equal(version, tre.GetStatus().StoreVersion);
        Assert.Equal(sealedBytes, SealedRecord.CopyFiles()); // not sealed again

        // One object of the batch changed, or a value of another length: a new version each.
        tre.WriteObjects(TreCaller.DeviceManagement, [new("dm/account", [1, 2, 3]), new("dm/tree", [5])]);
        Assert.Equal(version + 1, tre.GetStatus().StoreVersion);
        tre.WriteObject(TreCaller.DeviceManagement, "dm/account", [1, 2, 3, 0]);
        Assert.Equal(version + 2, tre.GetStatus().StoreVersion);
        var rebooted = Reboot().Tre;
        Assert.False(rebooted.IsLocked);
        Assert.Equal([1, 2, 3, 0], rebooted.ReadObject(TreCaller.DeviceManagement, "dm/account"));
        Assert.Equal([5], rebooted.ReadObject(TreCaller.DeviceManagement, "dm/tree"));
    }

    [Fact]
    public void WritingWhatAnObjectHolds_StillNeedsTheWritePolicy_NoOpOracleThreat()
    {
        var tre = Manufacture().Tre;
        tre.WriteObject(TreCaller.DeviceManagement, "dm/account", [1, 2, 3]);
        // The policy is checked before the value is compared: a caller that may not write learns nothing from a no-op.
        Assert.Throws<TreAccessDeniedException>(() => tre.WriteObject(TreCaller.Network, "dm/account", [1, 2, 3]));
    }

    [Fact]
    public void Restart_KeepsKeysObjectsClockAndSubscriptions()
    {
        var first = Manufacture().Tre;
        var identity = first.IdentityPublicKey();
        var pkD = first.PkD();
        first.WriteObject(TreCaller.Manufacturer, "trust/root", [9, 9, 9]);
        first.InstallSubscription(TreCaller.Provisioning, "001010000000123", new byte[16], new byte[16]);
        _clock.Advance(TimeSpan.FromHours(5));
        var shown = first.Now();

        var again = Reboot().Tre;
        Assert.Equal(identity, again.IdentityPublicKey());
        Assert.Equal(pkD, again.PkD());
        Assert.Equal([9, 9, 9], again.ReadObject(TreCaller.DeviceManagement, "trust/root"));
        Assert.Equal(["001010000000123"], again.GetStatus().Subscriptions);
        Assert.True(again.Now() >= shown);
        var signature = again.Sign(TreCaller.Platform, [4, 5, 6]);
        using var key = ECDsa.Create();
        key.ImportSubjectPublicKeyInfo(identity, out _);
        Assert.True(key.VerifyData((byte[])[4, 5, 6], signature, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence));
    }

    [Fact]
    public void HostClockSetBack_ClockHolds_AttemptIsReportedAndSurvivesRestart()
    {
        var tre = Manufacture().Tre;
        _clock.Advance(TimeSpan.FromMinutes(10));
        var high = tre.Now();
        _clock.SetUtcNow(_clock.GetUtcNow() - TimeSpan.FromDays(30));
        Assert.Equal(high, tre.Now());
        Assert.Contains(tre.Events, e => e.Kind == "clock-rollback");
        Assert.Equal(1, tre.GetStatus().ClockRollbackAttempts);
        _clock.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(high + TimeSpan.FromSeconds(5), tre.Now()); // ticks on from where it held

        var again = Reboot().Tre;
        Assert.True(again.Now() >= high + TimeSpan.FromSeconds(5));
        Assert.Equal(1, again.GetStatus().ClockRollbackAttempts);
    }

    [Fact]
    public void TrustedTime_MovesTheClockForward_ButNeverBack_AndUntrustedIsRefused()
    {
        var tre = Manufacture().Tre;
        var now = tre.Now();
        Assert.Equal(TrustedTimeOutcome.Applied, tre.ApplyTrustedTime(SignedTime.Create("network", now + TimeSpan.FromHours(2), _timeAuthority)));
        Assert.Equal(now + TimeSpan.FromHours(2), tre.Now());

        Assert.Equal(TrustedTimeOutcome.RefusedSetBack, tre.ApplyTrustedTime(SignedTime.Create("network", now, _timeAuthority)));
        Assert.Equal(now + TimeSpan.FromHours(2), tre.Now());

        using var mallory = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        Assert.Equal(TrustedTimeOutcome.RefusedUntrusted, tre.ApplyTrustedTime(SignedTime.Create("network", now + TimeSpan.FromDays(400), mallory)));
        Assert.Equal(TrustedTimeOutcome.RefusedUntrusted, tre.ApplyTrustedTime(SignedTime.Create("unknown", now + TimeSpan.FromDays(1), _timeAuthority)));
        var forged = SignedTime.Create("network", now + TimeSpan.FromDays(1), _timeAuthority) with { Time = now + TimeSpan.FromDays(2) };
        Assert.Equal(TrustedTimeOutcome.RefusedUntrusted, tre.ApplyTrustedTime(forged));
        Assert.Equal(3, tre.Events.Count(e => e.Kind == "time-refused") - 1);
        Assert.Equal(now + TimeSpan.FromHours(2), Reboot().Tre.Now());
    }

    [Fact]
    public void Policy_RefusesCallersOutsideTheirRights()
    {
        var tre = Manufacture().Tre;
        Assert.Throws<TreAccessDeniedException>(() => tre.Sign(TreCaller.Diagnostics, [1]));
        Assert.Throws<TreAccessDeniedException>(() => tre.TryDecrypt(TreCaller.DeviceManagement, new byte[100], [], out _));
        Assert.Throws<TreAccessDeniedException>(() => tre.WriteObject(TreCaller.DeviceManagement, "trust/root", [1]));
        Assert.Throws<TreAccessDeniedException>(() => tre.ReadObject(TreCaller.Gba, "dm/account"));
        Assert.Throws<TreAccessDeniedException>(() => tre.RunAka(TreCaller.DeviceManagement, "001010000000123", new byte[16], new byte[16]));
        Assert.Throws<TreAccessDeniedException>(() => tre.ReleaseNafKey(TreCaller.Network, "001010000000123", "a@b", new byte[10]));
    }

    [Theory]
    [InlineData("key/identity")]
    [InlineData("key/pk-d")]
    [InlineData("key/device-mac")]
    [InlineData("sub/001010000000123/k")]
    [InlineData("gba/001010000000123/ks")]
    public void KeyMaterial_IsNeverAnObjectAnyCallerCanRead(string name)
    {
        var tre = Manufacture().Tre;
        tre.InstallSubscription(TreCaller.Provisioning, "001010000000123", RandomNumberGenerator.GetBytes(16), RandomNumberGenerator.GetBytes(16));
        foreach (var caller in Enum.GetValues<TreCaller>())
            Assert.Throws<TreAccessDeniedException>(() => tre.ReadObject(caller, name));
    }

    [Fact]
    public void NoPublicApi_ReturnsKeyMaterial()
    {
        // Every public member of the TRE that returns bytes is a signature, a public key, a MAC,
        // a decrypted message, an object the policy allows, or a session key for a stated use —
        // checked by name, so a new member has to be looked at.
        var allowed = new HashSet<string>(StringComparer.Ordinal)
        {
            nameof(TrustedEnvironment.IdentityPublicKey), nameof(TrustedEnvironment.PkD), nameof(TrustedEnvironment.Sign),
            nameof(TrustedEnvironment.Mac), nameof(TrustedEnvironment.ReadObject), nameof(TrustedEnvironment.ReleaseNafKey),
            // A fresh public nonce, and a signed statement (issue 15).
            nameof(TrustedEnvironment.RegistrationNonce), nameof(TrustedEnvironment.Attest),
            // A decrypted message for the device (the Bootstrap message sealed under K_RO; K_RO stays inside).
            nameof(TrustedEnvironment.OpenRoBootstrap),
            // A fresh public nonce for the PVA's rehabilitation statement (issue 16).
            nameof(TrustedEnvironment.RehabilitationChallenge),
            // A device state report MAC'd under K_NASint with the uplink COUNT (issue 17; K_NASint stays inside).
            nameof(TrustedEnvironment.ProtectReport),
        };
        var returningBytes = typeof(TrustedEnvironment).GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly)
            .Where(m => m.ReturnType == typeof(byte[]) || m.GetParameters().Any(p => p.IsOut && p.ParameterType.GetElementType() == typeof(byte[])))
            .Select(m => m.Name).Where(n => n != nameof(TrustedEnvironment.TryDecrypt));
        Assert.All(returningBytes, n => Assert.Contains(n, allowed));
        Assert.DoesNotContain(typeof(TrustedEnvironment).GetProperties(), p => typeof(AsymmetricAlgorithm).IsAssignableFrom(p.PropertyType) || p.PropertyType == typeof(byte[]));

        // And what they return is not the private key.
        var device = Manufacture();
        var tre = device.Tre;
        var outputs = new List<byte[]> { tre.IdentityPublicKey(), tre.PkD(), tre.Sign(TreCaller.Platform, [1]), tre.Mac(TreCaller.DeviceManagement, [1]),
            tre.Attest(TreCaller.Platform, new byte[16]) };
        var privateKeys = ReadPrivateScalars(device);
        Assert.All(outputs, o => Assert.All(privateKeys, d => Assert.True(o.AsSpan().IndexOf(d) < 0)));
    }

    private static List<byte[]> ReadPrivateScalars(M2meDevice device)
    {
        // Test-only: read the sealed objects through the internal path to know what must never appear.
        var objects = typeof(TrustedEnvironment).GetField("_objects", BindingFlags.NonPublic | BindingFlags.Instance)!.GetValue(device.Tre) as Dictionary<string, byte[]>;
        using var identity = ECDsa.Create();
        identity.ImportPkcs8PrivateKey(objects!["key/identity"], out _);
        using var pkD = ECDiffieHellman.Create();
        pkD.ImportPkcs8PrivateKey(objects["key/pk-d"], out _);
        return [identity.ExportParameters(true).D!, pkD.ExportParameters(true).D!, objects["key/device-mac"]];
    }

    [Fact]
    public void PkD_DecryptsOnlyWhatWasSealedToThisTre_WithItsAssociatedData()
    {
        var tre = Manufacture().Tre;
        var secret = RandomNumberGenerator.GetBytes(48);
        var sealedToTre = PkDCipher.Encrypt(tre.PkD(), secret, "registration-nonce"u8);
        Assert.True(tre.TryDecrypt(TreCaller.Provisioning, sealedToTre, "registration-nonce"u8, out var plain));
        Assert.Equal(secret, plain);
        Assert.False(tre.TryDecrypt(TreCaller.Provisioning, sealedToTre, "another-nonce"u8, out _));
        var tampered = (byte[])sealedToTre.Clone();
        tampered[^1] ^= 1;
        Assert.False(tre.TryDecrypt(TreCaller.Provisioning, tampered, "registration-nonce"u8, out _));
        var other = M2meDevice.Create(Path.Combine(_root, "other"), Fuse, "001990000000002", M2meKind.Tre, "TRE-TEST-0002", _clock).Tre;
        Assert.False(other.TryDecrypt(TreCaller.Provisioning, sealedToTre, "registration-nonce"u8, out _));
        Assert.False(tre.TryDecrypt(TreCaller.Provisioning, new byte[10], [], out _));
    }

    [Fact]
    public void AkaInsideTheTre_MatchesTheAuc_PersistsSqn_AndReleasesOnlyNafKeys()
    {
        var tre = Manufacture().Tre;
        var k = RandomNumberGenerator.GetBytes(16);
        var opc = RandomNumberGenerator.GetBytes(16);
        tre.InstallSubscription(TreCaller.Provisioning, "001010000000123", k, opc);
        var rand = RandomNumberGenerator.GetBytes(16);
        var av = AkaVectors.Generate(Milenage.Default, k, opc, rand, SqnScheme.Default.Compose(1, 0), [0x80, 0]);
        var r = tre.RunAka(TreCaller.Network, "001010000000123", av.Rand, av.Autn);
        Assert.True(r.IsSuccess);
        Assert.Equal(av.Xres, r.Res);

        // The SEQ_MS array was sealed: after a restart the same vector is a replay.
        var again = Reboot().Tre;
        Assert.Equal(UsimAuthenticationStatus.SynchronisationFailure, again.RunAka(TreCaller.Network, "001010000000123", av.Rand, av.Autn).Status);

        var gbaRand = RandomNumberGenerator.GetBytes(16);
        var gbaAv = AkaVectors.Generate(Milenage.Default, k, opc, gbaRand, SqnScheme.Default.Compose(2, 1), [0x80, 0]);
        var bootstrap = again.RunAka(TreCaller.Network, "001010000000123", gbaAv.Rand, gbaAv.Autn, keepForGba: true);
        Assert.Null(bootstrap.Ck);
        Assert.Null(bootstrap.Ik);
        var nafId = GbaKeys.NafId("naf.example.org", [1, 0, 0, 0, 2]);
        Assert.Equal(GbaKeys.KsNaf(gbaAv.Ck, gbaAv.Ik, gbaRand, "001010000000123@ims.example.org", nafId),
            again.ReleaseNafKey(TreCaller.Gba, "001010000000123", "001010000000123@ims.example.org", nafId));
    }
}

public sealed class M2meNasConfigurationTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("m2msec-nas-").FullName;

    public void Dispose() => Directory.Delete(_root, true);

    [Fact]
    public void NasConfiguration_IsSealedInTheTre_SurvivesRestart_AndOnlyDmMayChangeIt()
    {
        var device = M2meDevice.Create(Path.Combine(_root, "d"), Path.Combine(_root, "f"), "001990000000003", M2meKind.Uicc);
        var config = M2MSec.Nas.NasConfiguration.Empty.With(M2MSec.Nas.NasParameters.MinimumPeriodicSearchTimer, 30).With(M2MSec.Nas.NasParameters.AttachWithImsi, true);
        device.WriteNasConfiguration(TreCaller.DeviceManagement, config);
        Assert.Throws<TreAccessDeniedException>(() => device.WriteNasConfiguration(TreCaller.Provisioning, config));
        var again = M2meDevice.Open(device.DataDirectory, Path.Combine(_root, "f"));
        Assert.Equal(config, again.ReadNasConfiguration(TreCaller.Network));
        var sealedFiles = new DurableRecord(Path.Combine(device.DataDirectory, "tre", TrustedEnvironment.SealedFileName)).CopyFiles().Values.OfType<byte[]>().ToList();
        Assert.NotEmpty(sealedFiles);
        Assert.All(sealedFiles, f => Assert.True(f.AsSpan().IndexOf(M2MSec.Nas.EfNasConfigCodec.Encode(config)) < 0, "the configuration is sealed, not in clear"));
    }
}
