using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using M2MSec.Device.M2me;
using M2MSec.Device.Tre;
using M2MSec.Pki.Authority;
using M2MSec.Provisioning;
using M2MSec.Provisioning.Validation;
using M2MSec.Storage.InMemory;

namespace M2MSec.Tests.Provisioning;

/// <summary>
/// Issue 15 items 1–2: the TRE's two platform keys (EC P-256 or RSA), the PfC profiles, and the attestation statement — its
/// codec (malformed input refused without exceptions), and the TRE signing the measurements of this boot, also while locked
/// down for a firmware mismatch (and nothing else then).
/// </summary>
public sealed class AttestationStatementTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("m2msec-attest-").FullName;

    public void Dispose() => Directory.Delete(_root, true);

    private M2meDevice Device(string name = "d", KeyAlgorithm key = KeyAlgorithm.EcP256) =>
        M2meDevice.Create(Path.Combine(_root, name), Path.Combine(_root, "fuse"), "001990000000001", M2meKind.Tre, "TRE-" + name.ToUpperInvariant(), platformKey: key);

    private static readonly byte[] Challenge = RandomNumberGenerator.GetBytes(32);

    [Theory]
    [InlineData(KeyAlgorithm.EcP256, SignatureScheme.EcdsaP256Sha256)]
    [InlineData(KeyAlgorithm.Rsa2048, SignatureScheme.RsaPssSha256)]
    public void Attest_SignsTreIdPcidChallengeAndBootMeasurements_UnderTheAttestationKey(KeyAlgorithm key, SignatureScheme scheme)
    {
        var device = Device(key: key);
        Assert.Equal(key, device.Tre.PlatformKeyAlgorithm);
        var statement = AttestationStatement.Decode(device.Tre.Attest(TreCaller.Platform, Challenge));
        Assert.Equal(scheme, statement.Scheme);
        Assert.Equal("TRE-D", statement.TreId);
        Assert.Equal("001990000000001", statement.Pcid);
        Assert.Equal(Challenge, statement.Challenge);
        var built = M2meDevice.BuiltFirmwareMeasurements(device.DataDirectory);
        Assert.Equal(built.Keys.Order(StringComparer.Ordinal), statement.Measurements.Select(m => m.Name));
        Assert.All(statement.Measurements, m => Assert.Equal(built[m.Name], m.Sha256));
        Assert.True(statement.Verify(device.Tre.IdentityPublicKey()));
        Assert.False(statement.Verify(device.Tre.PkD())); // the encryption key is another key
        Assert.False((statement with { Pcid = "001990000000002" }).Verify(device.Tre.IdentityPublicKey()));
        // IdentityAssertion keeps working for both kinds.
        Assert.True(device.Tre.AuthenticateIdentities(TreCaller.Platform, Challenge).Verify(device.Tre.IdentityPublicKey()));
        Assert.Throws<TreAccessDeniedException>(() => device.Tre.Attest(TreCaller.Diagnostics, Challenge));
        Assert.Throws<ArgumentException>(() => device.Tre.Attest(TreCaller.Platform, new byte[8]));
    }

    [Fact]
    public void Rsa_PkD_IsRsaInPkcs8_EcPkD_KeepsEcdh()
    {
        var rsa = Device("r", KeyAlgorithm.Rsa2048);
        Assert.Equal(KeyAlgorithm.Rsa2048, KeyAlgorithms.Of(PublicKey.CreateFromSubjectPublicKeyInfo(rsa.Tre.PkD(), out _)));
        Assert.False(rsa.Tre.TryDecrypt(TreCaller.Provisioning, new byte[200], [], out _)); // ECIES is for EC keys only
        var ec = Device("e");
        var sealedToTre = PkDCipher.Encrypt(ec.Tre.PkD(), [1, 2, 3], "ad"u8);
        Assert.True(ec.Tre.TryDecrypt(TreCaller.Provisioning, sealedToTre, "ad"u8, out var plain));
        Assert.Equal([1, 2, 3], plain);
    }

    [Fact]
    public void LockedForFirmwareMismatch_StillAttests_WithThisBootsMeasurements_AndNothingElse_ModifiedPlatformThreat()
    {
        var device = Device();
        var reference = M2meDevice.BuiltFirmwareMeasurements(device.DataDirectory);
        M2meDevice.Tamper(device.DataDirectory, Path.Combine(_root, "fuse"), TamperKind.Firmware);
        foreach (var boot in new[] { 1, 2 }) // the lockdown is persisted: the second boot starts locked
        {
            var tre = M2meDevice.Open(device.DataDirectory, Path.Combine(_root, "fuse")).Tre;
            Assert.True(tre.IsLocked, $"boot {boot}");
            Assert.Equal(LockdownReason.FirmwareMeasurement, tre.LockdownReason);
            var statement = AttestationStatement.Decode(tre.Attest(TreCaller.Platform, Challenge));
            Assert.True(statement.Verify(device.Tre.IdentityPublicKey()));
            var changed = statement.Measurements.Where(m => !m.Sha256.AsSpan().SequenceEqual(reference[m.Name])).Select(m => m.Name).ToList();
            Assert.Equal(["application.img"], changed); // what this boot measured, not the stored reference
            Assert.Throws<TreLockedException>(() => tre.Sign(TreCaller.Platform, [1]));
            Assert.Throws<TreLockedException>(() => tre.IdentityPublicKey());
            // Issue 16 (docs/decisions/020): the PfC and the operator root stay readable (none was installed here), so the device
            // can reach the DPF for its rehabilitation; other objects do not (the DM account's secret included).
            Assert.Null(tre.ReadObject(TreCaller.Platform, TreObjects.PfcAttestation));
            Assert.Null(tre.ReadObject(TreCaller.DeviceManagement, TreObjects.DmRoot));
            Assert.Throws<TreLockedException>(() => tre.ReadObject(TreCaller.DeviceManagement, M2MSec.Device.Dm.DmClientAccounts.ObjectPrefix + "dpf"));
            Assert.Throws<TreLockedException>(() => tre.RunAka(TreCaller.Network, "001990000000001", new byte[16], new byte[16]));
        }
    }

    [Fact]
    public void LockedForRollback_RefusesToAttest()
    {
        var device = Device();
        M2meDevice.Tamper(device.DataDirectory, Path.Combine(_root, "fuse"), TamperKind.Rollback);
        var tre = M2meDevice.Open(device.DataDirectory, Path.Combine(_root, "fuse")).Tre;
        Assert.Equal(LockdownReason.SealedStoreRollback, tre.LockdownReason);
        Assert.Throws<TreLockedException>(() => tre.Attest(TreCaller.Platform, Challenge));
    }

    [Fact]
    public async Task InstallPlatformCredential_StoresPfcSubscriptionRootsAndToken_RefusesAnotherTresCertificates()
    {
        var ct = TestContext.Current.CancellationToken;
        var h = await CertificateHierarchy.InitAsync(new InMemoryCertificateStore(TimeProvider.System), "manufacturer", KeyAlgorithm.EcP256, null, TimeProvider.System, ct);
        var device = Device();
        var other = Device("o");
        X509Certificate2 Issue(CertificateProfile p, byte[] spki) =>
            h.IssueForKeyAsync(p, new CertificateSubject("TRE-D"), PublicKey.CreateFromSubjectPublicKeyInfo(spki, out _), cancellationToken: ct).GetAwaiter().GetResult();
        using var attestation = Issue(CertificateProfile.PlatformAttestation, device.Tre.IdentityPublicKey());
        using var encryption = Issue(CertificateProfile.PlatformEncryption, device.Tre.PkD());
        using var foreign = Issue(CertificateProfile.PlatformAttestation, other.Tre.IdentityPublicKey());
        var k = RandomNumberGenerator.GetBytes(16);
        Assert.Throws<ArgumentException>(() => device.Tre.InstallPlatformCredential(TreCaller.Manufacturer, foreign, encryption, k, k, h.Root, null));
        Assert.Throws<TreAccessDeniedException>(() => device.Tre.InstallPlatformCredential(TreCaller.Provisioning, attestation, encryption, k, k, h.Root, null));
        Assert.Null(device.Tre.ReadObject(TreCaller.Platform, TreObjects.PfcAttestation));

        var version = device.Tre.SealedVersion;
        device.Tre.InstallPlatformCredential(TreCaller.Manufacturer, attestation, encryption, k, k, h.Root, h.Root, "token"u8);
        Assert.Equal(version + 1, device.Tre.SealedVersion); // 2026-12-05: certificates, subscription, roots and token in one sealed version
        // A second install finds its roots there: refused before anything changes (no half-credentialed TRE, no commit).
        Assert.Throws<InvalidOperationException>(() => device.Tre.InstallPlatformCredential(TreCaller.Manufacturer, attestation, encryption,
            RandomNumberGenerator.GetBytes(16), k, h.Root, null));
        Assert.Equal(version + 1, device.Tre.SealedVersion);
        var tre = M2meDevice.Open(device.DataDirectory, Path.Combine(_root, "fuse")).Tre;
        Assert.Equal(attestation.RawData, tre.ReadObject(TreCaller.Platform, TreObjects.PfcAttestation));
        Assert.Equal(encryption.RawData, tre.ReadObject(TreCaller.Provisioning, TreObjects.PfcEncryption));
        Assert.Equal(h.Root.RawData, tre.ReadObject(TreCaller.Provisioning, TreObjects.DmRoot));
        Assert.Equal(h.Root.RawData, tre.ReadObject(TreCaller.Provisioning, TreObjects.ShoSigningRoot));
        // The token is compared inside the TRE only (InstallMcim): no caller reads it back.
        Assert.Throws<TreAccessDeniedException>(() => tre.ReadObject(TreCaller.Provisioning, TreObjects.AuthorisationToken));
        Assert.Contains("001990000000001", tre.GetStatus().Subscriptions);
        // The profiles: attestation signs only; encryption agrees keys (EC) — keyEncipherment is for RSA.
        Assert.Equal(X509KeyUsageFlags.DigitalSignature, attestation.Extensions.OfType<X509KeyUsageExtension>().Single().KeyUsages);
        Assert.Equal(X509KeyUsageFlags.KeyAgreement, encryption.Extensions.OfType<X509KeyUsageExtension>().Single().KeyUsages);
        var rsa = Device("r", KeyAlgorithm.Rsa2048);
        using var rsaEncryption = Issue(CertificateProfile.PlatformEncryption, rsa.Tre.PkD());
        Assert.Equal(X509KeyUsageFlags.KeyEncipherment, rsaEncryption.Extensions.OfType<X509KeyUsageExtension>().Single().KeyUsages);
    }

    private static AttestationStatement Sample()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        return AttestationStatement.Create("TRE-1", "001990000000001", Challenge,
            [new FirmwareMeasurement("b.img", new byte[32]), new FirmwareMeasurement("a.img", Enumerable.Repeat((byte)7, 32).ToArray())],
            SignatureScheme.EcdsaP256Sha256, tbs => PlatformSignature.Sign(key, tbs));
    }

    [Fact]
    public void Codec_RoundTrips_TryEncodeAndLengthAgree()
    {
        var s = Sample();
        var bytes = s.Encode();
        Assert.Equal(s.GetEncodedLength(), bytes.Length);
        Assert.False(s.TryEncode(new byte[bytes.Length - 1], out _));
        var back = AttestationStatement.Decode(bytes);
        Assert.Equal(["a.img", "b.img"], back.Measurements.Select(m => m.Name)); // ordered by name
        Assert.Equal(bytes, back.Encode());
    }

    [Fact]
    public void Codec_MalformedInput_IsRefusedWithAReason_NeverAnUnexpectedException()
    {
        var bytes = Sample().Encode();
        for (var n = 0; n < bytes.Length; n++)
            Assert.False(AttestationStatement.TryDecode(bytes.AsSpan(0, n), out _, out _, out _), $"truncated to {n}");
        var trailing = Assert.Throws<ProvisioningException>(() => AttestationStatement.Decode([.. bytes, 0]));
        Assert.Equal("bad-attestation", trailing.Code);
        byte[] Mutate(int at, byte value)
        {
            var copy = (byte[])bytes.Clone();
            copy[at] = value;
            return copy;
        }
        Assert.Contains("magic", Assert.Throws<ProvisioningException>(() => AttestationStatement.Decode(Mutate(0, (byte)'X'))).Message);
        Assert.Contains("version", Assert.Throws<ProvisioningException>(() => AttestationStatement.Decode(Mutate(4, 2))).Message);
        Assert.Contains("scheme", Assert.Throws<ProvisioningException>(() => AttestationStatement.Decode(Mutate(5, 9))).Message);
        var challengeAt = 6 + 2 + 5 + 2 + 15;
        Assert.Contains("challenge", Assert.Throws<ProvisioningException>(() => AttestationStatement.Decode(Mutate(challengeAt, 8))).Message);
        var countAt = challengeAt + 1 + 32;
        Assert.Contains("at most", Assert.Throws<ProvisioningException>(() => AttestationStatement.Decode(Mutate(countAt, 33))).Message);
        // Names out of order (a → c after b): refused, so one statement has one encoding.
        Assert.Contains("order", Assert.Throws<ProvisioningException>(() => AttestationStatement.Decode(Mutate(countAt + 2, (byte)'c'))).Message);
        Assert.Contains("UTF-8", Assert.Throws<ProvisioningException>(() => AttestationStatement.Decode(Mutate(countAt + 2, 0xFF))).Message);
        // Random garbage never throws from TryDecode.
        var random = new Random(15);
        for (var i = 0; i < 500; i++)
        {
            var garbage = (byte[])bytes.Clone();
            garbage[random.Next(garbage.Length)] ^= (byte)random.Next(1, 256);
            _ = AttestationStatement.TryDecode(garbage, out _, out _, out _);
        }
        Assert.Throws<ArgumentException>(() => AttestationStatement.Create("TRE", "1", new byte[15], [], SignatureScheme.EcdsaP256Sha256, _ => []));
    }
}
