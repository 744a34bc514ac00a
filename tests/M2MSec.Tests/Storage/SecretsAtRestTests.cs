using System.Security.Cryptography;
using System.Text;
using M2MSec.Storage;
using M2MSec.Storage.Certificates;
using M2MSec.Storage.Dm;
using M2MSec.Storage.Hss;
using M2MSec.Storage.Ota;
using M2MSec.Storage.PostgreSql;
using M2MSec.Storage.Security;
using M2MSec.Storage.Sqlite;
using M2MSec.Tests.Support;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace M2MSec.Tests.Storage;

/// <summary>
/// Ki/OPc and OTA keys at rest: absent from the files and dumps in every encoding, bound to
/// their row, and re-wrapped by a key rotation.
/// </summary>
public sealed class SecretsAtRestTests(PostgresServer server) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("m2msec-secrets-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private static async Task<List<byte[]>> AddKnownSecretsAsync(IStateStore store)
    {
        var secrets = new List<byte[]>();
        for (var i = 0; i < 20; i++)
        {
            var s = new HssSubscriber($"0010100000001{i:D2}", RandomNumberGenerator.GetBytes(16), RandomNumberGenerator.GetBytes(16), [0x80, 0]);
            Assert.True(await store.Subscribers.AddAsync(s));
            secrets.Add(s.K);
            secrets.Add(s.Opc);
        }
        var tempK = RandomNumberGenerator.GetBytes(16);
        var tempOpc = RandomNumberGenerator.GetBytes(16);
        Assert.True(await store.Ccif.AddDeviceAsync(new M2MSec.Storage.Ccif.CcifDevice("001990000000001", "TRE-1", "ec-p256", tempK, tempOpc, "01", "02", [0x30], [0x30],
            null, DateTimeOffset.UnixEpoch))); // issue 15: the CCIF's temporary credential
        secrets.Add(tempK);
        secrets.Add(tempOpc);
        // Issue 17 (schema v23): a group key, a device's K_GRP, the network's signing key.
        var groupKey = RandomNumberGenerator.GetBytes(32);
        var memberKey = RandomNumberGenerator.GetBytes(32);
        var signingKey = RandomNumberGenerator.GetBytes(40);
        Assert.True(await store.MtcGroups.CreateGroupAsync("meters@example.com", groupKey));
        await store.MtcGroups.SetMemberKeyAsync("001010000000100", memberKey);
        await store.MtcGroups.GetOrCreateSigningKeyAsync(() => (byte[])signingKey.Clone());
        secrets.Add(groupKey);
        secrets.Add(memberKey);
        secrets.Add(signingKey);
        var ks = new OtaKeySet("8988211000000000201", 1, 0x12, RandomNumberGenerator.GetBytes(16), 0x12, RandomNumberGenerator.GetBytes(16));
        await store.OtaKeySets.AddAsync(ks);
        secrets.Add(ks.Kic);
        secrets.Add(ks.Kid);
        var psk = RandomNumberGenerator.GetBytes(16);
        Assert.True(await store.OtaKeySets.AddPskAsync("psk-identity-1", "8988211000000000201", psk));
        secrets.Add(psk);
        var caKey = RandomNumberGenerator.GetBytes(121);
        Assert.True(await store.Certificates.PutAuthorityKeyAsync(new AuthorityKey("operator", "issuing", [0x30, 0x00], caKey), replace: false));
        secrets.Add(caKey);
        var dmClient = RandomNumberGenerator.GetBytes(12);
        var dmServer = RandomNumberGenerator.GetBytes(12);
        Assert.True(await store.Dm.AddAccountAsync(new DmAccount("dev-1", "srv", "user", dmClient, dmServer, "md5", "md5", DateTimeOffset.UnixEpoch)));
        secrets.Add(dmClient);
        secrets.Add(dmServer);
        return secrets;
    }

    private static void AssertAbsent(byte[] haystack, IEnumerable<byte[]> secrets, string where)
    {
        var text = Encoding.Latin1.GetString(haystack);
        foreach (var s in secrets)
        {
            Assert.True(haystack.AsSpan().IndexOf(s) < 0, $"{where}: a secret appears as raw bytes");
            Assert.DoesNotContain(Convert.ToHexStringLower(s), text, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain(Convert.ToBase64String(s), text, StringComparison.Ordinal);
            Assert.DoesNotContain(Convert.ToBase64String(s).TrimEnd('='), text, StringComparison.Ordinal);
        }
    }

    private static byte[] ReadShared(string path)
    {
        using var f = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var m = new MemoryStream();
        f.CopyTo(m);
        return m.ToArray();
    }

    [Fact]
    public async Task Sqlite_DatabaseAndWal_HoldNoSecret_InAnyEncoding()
    {
        await using var store = await SqliteStateStore.OpenAsync(_dir, KeyRing.CreateEphemeral());
        var secrets = await AddKnownSecretsAsync(store);
        var db = Path.Combine(_dir, SqliteStateStore.FileName);
        Assert.True(File.Exists(db + "-wal"), "expected a WAL file while the store is open");
        AssertAbsent(ReadShared(db), secrets, "m2msec.db");
        AssertAbsent(ReadShared(db + "-wal"), secrets, "m2msec.db-wal");
        // ... while the store itself reads them back.
        Assert.Equal(secrets[0], (await store.Subscribers.FindAsync("001010000000100"))!.K);
    }

    [Fact]
    public async Task Postgres_Dump_HoldsNoSecret_InAnyEncoding()
    {
        var connection = await server.CreateDatabaseAsync();
        await using var store = await PostgresStateStore.OpenAsync(connection, KeyRing.CreateEphemeral());
        var secrets = await AddKnownSecretsAsync(store);
        var b = new NpgsqlConnectionStringBuilder(connection);
        var (code, dump, stderr) = await ExternalTool.RunAsync(Path.Combine(server.BinDirectory, "pg_dump"),
            ["-h", "127.0.0.1", "-p", b.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-U", "postgres", b.Database!]);
        Assert.True(code == 0, stderr);
        Assert.Contains("subscribers", dump);
        AssertAbsent(Encoding.UTF8.GetBytes(dump), secrets, "pg_dump");
    }

    [Fact]
    public async Task SwappedKiCiphertexts_FailToDecrypt_InsteadOfSwappingKeys()
    {
        var kek = KeyRing.CreateEphemeral();
        await using (var store = await SqliteStateStore.OpenAsync(Path.Combine(_dir, "swap"), kek))
        {
            await store.Subscribers.AddAsync(new HssSubscriber("001010000000301", RandomNumberGenerator.GetBytes(16), RandomNumberGenerator.GetBytes(16), [0x80, 0]));
            await store.Subscribers.AddAsync(new HssSubscriber("001010000000302", RandomNumberGenerator.GetBytes(16), RandomNumberGenerator.GetBytes(16), [0x80, 0]));
        }
        await using (var raw = new SqliteConnection($"Data Source={Path.Combine(_dir, "swap", SqliteStateStore.FileName)};Pooling=False"))
        {
            await raw.OpenAsync();
            await using var read = raw.CreateCommand();
            read.CommandText = "SELECT identity, k_enc FROM subscribers ORDER BY identity";
            var blobs = new List<byte[]>();
            await using (var r = await read.ExecuteReaderAsync())
                while (await r.ReadAsync())
                    blobs.Add((byte[])r.GetValue(1));
            await using var swap = raw.CreateCommand();
            swap.CommandText = "UPDATE subscribers SET k_enc = @k WHERE identity = @id";
            swap.Parameters.AddWithValue("@k", blobs[1]);
            swap.Parameters.AddWithValue("@id", "001010000000301");
            Assert.Equal(1, await swap.ExecuteNonQueryAsync());
            swap.Parameters["@k"].Value = blobs[0];
            swap.Parameters["@id"].Value = "001010000000302";
            Assert.Equal(1, await swap.ExecuteNonQueryAsync());
        }
        await using var reopened = await SqliteStateStore.OpenAsync(Path.Combine(_dir, "swap"), kek);
        var e = await Assert.ThrowsAsync<SecretDecryptionException>(async () => await reopened.Subscribers.FindAsync("001010000000301"));
        Assert.Contains("subscribers|001010000000301|k", e.Message);
        await Assert.ThrowsAsync<SecretDecryptionException>(async () => await reopened.Subscribers.FindAsync("001010000000302"));
    }

    [Fact]
    public async Task KekRotation_WhileAnotherInstanceRuns_EverySecretReadableWithNewKey_NoneWithOld()
    {
        var kekFile = Path.Combine(Path.GetTempPath(), $"m2msec-rotate-{Guid.NewGuid():N}.kek.json");
        try
        {
            var ringA = KeyRing.Open(kekFile, createIfMissing: true);
            var oldId = ringA.ActiveKeyId;
            var oldOnly = File.ReadAllText(kekFile);
            await using var running = await SqliteStateStore.OpenAsync(_dir, ringA);
            var secrets = await AddKnownSecretsAsync(running);

            // Operator: kek rotate, store rewrap (another instance), kek retire.
            var ringB = KeyRing.Open(kekFile);
            var newId = ringB.AddKey();
            await using (var other = await SqliteStateStore.OpenAsync(_dir, ringB))
                Assert.Equal(20 * 2 + 2 + 1 + 1 + 1 + 2 + 2 + 3, await other.RewrapSecretsAsync()); // + probe, PSK, CA key, DM passwords, CCIF K/OPc, group key, K_GRP, signing key (issue 17)
            ringB.RemoveKey(oldId);

            // The instance that kept running reads everything (it reloads the ring on the new key id).
            Assert.Equal(secrets[0], (await running.Subscribers.FindAsync("001010000000100"))!.K);
            Assert.Equal(secrets[^5], (await running.OtaKeySets.FindAsync("8988211000000000201", 1))!.Kid);
            Assert.Equal(secrets[^4], (await running.OtaKeySets.FindPskAsync("psk-identity-1"))!.Value.Psk);
            Assert.Equal(secrets[^3], (await running.Certificates.FindAuthorityKeyAsync("operator", "issuing"))!.PrivateKeyPkcs8);
            Assert.Equal(secrets[^1], (await running.Dm.FindAccountAsync("dev-1"))!.ServerPassword);

            await using (var fresh = await SqliteStateStore.OpenAsync(_dir, KeyRing.Open(kekFile)))
            {
                for (var i = 0; i < 20; i++)
                    Assert.Equal(secrets[2 * i], (await fresh.Subscribers.FindAsync($"0010100000001{i:D2}"))!.K);
                Assert.Equal(0, await fresh.RewrapSecretsAsync());
            }

            // With only the old key: refused at open (the probe), and no secret decrypts.
            var oldFile = kekFile + ".old";
            File.WriteAllText(oldFile, oldOnly);
            var e = await Assert.ThrowsAsync<StoreException>(async () => await SqliteStateStore.OpenAsync(_dir, KeyRing.Open(oldFile)));
            Assert.Contains("key-encryption key", e.Message);
            File.Delete(oldFile);
            Assert.Equal([newId], KeyRing.Open(kekFile).KeyIds);
        }
        finally
        {
            File.Delete(kekFile);
        }
    }
}
