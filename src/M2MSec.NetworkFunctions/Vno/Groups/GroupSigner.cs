using System.Security.Cryptography;
using M2MSec.Nas.Group;
using M2MSec.Storage;

namespace M2MSec.NetworkFunctions.Vno.Groups;

/// <summary>
/// The serving network's group-message signing key (ECDSA P-256, docs/decisions/028): made on first use, kept wrapped in the store
/// (so every instance on a shared store signs with the same key), loaded once per process.
/// </summary>
public sealed class GroupSigner(IStateStore store)
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private ECDsa? _key;

    public async ValueTask<ECDsa> KeyAsync(CancellationToken ct)
    {
        if (Volatile.Read(ref _key) is { } k)
            return k;
        await _gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (_key is null)
            {
                var pkcs8 = await store.MtcGroups.GetOrCreateSigningKeyAsync(() =>
                {
                    using var fresh = ECDsa.Create(ECCurve.NamedCurves.nistP256);
                    return fresh.ExportPkcs8PrivateKey();
                }, ct).ConfigureAwait(false);
                var key = ECDsa.Create();
                key.ImportPkcs8PrivateKey(pkcs8, out _);
                CryptographicOperations.ZeroMemory(pkcs8);
                Volatile.Write(ref _key, key);
            }
            return _key;
        }
        finally
        {
            _gate.Release();
        }
    }

    public async ValueTask<byte[]> PublicKeyAsync(CancellationToken ct) => GroupKeys.PublicKeyOf(await KeyAsync(ct).ConfigureAwait(false));
}
