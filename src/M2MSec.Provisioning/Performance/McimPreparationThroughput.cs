using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using M2MSec.Provisioning.Mcim;
using M2MSec.Provisioning.Objects;

namespace M2MSec.Provisioning.Performance;

/// <summary>
/// Probes behind `m2msec bench mcim`'s prepared-versus-on-demand figures (issue 16, docs/decisions/023): the SHO's work from a valid
/// verdict to a signed M2MSIMMobj — on demand (fresh K and OPc, the MCIM sealed to PK_D, M2MSIMMobj signed) or with an MCIM prepared
/// ahead of time (the sealed object, K and OPc unwrapped from the store's AES-256-GCM key-ring wrapping, M2MSIMMobj signed) — and
/// bulk sealing on several cores. The store's own I/O (the same for both paths: one row read, one transaction) is left out.
/// </summary>
public sealed class McimPreparationThroughput : IDisposable
{
    private readonly McimRecipient _recipient;
    private readonly AsymmetricAlgorithm _private;
    private readonly X509Certificate2 _signer;
    private readonly byte[] _kek = RandomNumberGenerator.GetBytes(32);
    private readonly byte[] _pkD;
    private readonly (byte[] Nonce, byte[] Ciphertext, byte[] Tag)[] _wrapped;
    private readonly byte[] _registrationNonce = RandomNumberGenerator.GetBytes(16);

    public McimPreparationThroughput(bool rsa)
    {
        _private = rsa ? RSA.Create(2048) : ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        _pkD = _private.ExportSubjectPublicKeyInfo();
        _recipient = McimRecipient.FromSubjectPublicKeyInfo(_pkD);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=sho", key, HashAlgorithmName.SHA256);
        using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        _signer = X509CertificateLoader.LoadPkcs12(cert.Export(X509ContentType.Pkcs12), null);
        // One prepared MCIM as the store keeps it: the sealed object, K and OPc, each wrapped under the key ring.
        var k = RandomNumberGenerator.GetBytes(16);
        var opc = RandomNumberGenerator.GetBytes(16);
        _wrapped = [Wrap(McimObject.Seal(_recipient, new McimContent("001010000000001", k, opc))), Wrap(k), Wrap(opc)];
    }

    /// <summary>On demand: fresh K and OPc, the MCIM sealed to PK_D, M2MSIMMobj signed around it. The document's length.</summary>
    public int OnDemand()
    {
        var k = RandomNumberGenerator.GetBytes(16);
        var opc = RandomNumberGenerator.GetBytes(16);
        var sealedMcim = McimObject.Seal(_recipient, new McimContent("001010000000001", k, opc));
        CryptographicOperations.ZeroMemory(k);
        CryptographicOperations.ZeroMemory(opc);
        return Sign(sealedMcim);
    }

    /// <summary>Prepared: the sealed object, K and OPc unwrapped from the store's wrapping, M2MSIMMobj signed around it.</summary>
    public int Prepared()
    {
        var sealedMcim = Unwrap(_wrapped[0]);
        var k = Unwrap(_wrapped[1]);
        var opc = Unwrap(_wrapped[2]);
        CryptographicOperations.ZeroMemory(k);
        CryptographicOperations.ZeroMemory(opc);
        return Sign(sealedMcim);
    }

    /// <summary>One bulk seal as the preparation does it: fresh K and OPc, the MCIM sealed to PK_D.</summary>
    public int Seal()
    {
        var k = RandomNumberGenerator.GetBytes(16);
        var opc = RandomNumberGenerator.GetBytes(16);
        var length = McimObject.Seal(_pkD, new McimContent("001010000000001", k, opc)).Length;
        CryptographicOperations.ZeroMemory(k);
        CryptographicOperations.ZeroMemory(opc);
        return length;
    }

    /// <summary>Seals per second over <paramref name="count"/> MCIMs on <paramref name="cores"/> cores (Parallel.For, as `sho prepare`).</summary>
    public double BulkSealRate(int count, int cores)
    {
        var sw = System.Diagnostics.Stopwatch.StartNew();
        Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = cores }, _ => Seal());
        return count / sw.Elapsed.TotalSeconds;
    }

    private int Sign(byte[] sealedMcim) =>
        M2MSimMobj.Sign(new M2MSimMobjContent("001900000000001", "tre-1", "sho", _registrationNonce, sealedMcim), _signer).Length;

    private (byte[], byte[], byte[]) Wrap(byte[] secret)
    {
        var nonce = RandomNumberGenerator.GetBytes(12);
        var ciphertext = new byte[secret.Length];
        var tag = new byte[16];
        using var gcm = new AesGcm(_kek, 16);
        gcm.Encrypt(nonce, secret, ciphertext, tag);
        return (nonce, ciphertext, tag);
    }

    private byte[] Unwrap((byte[] Nonce, byte[] Ciphertext, byte[] Tag) wrapped)
    {
        var plain = new byte[wrapped.Ciphertext.Length];
        using var gcm = new AesGcm(_kek, 16);
        gcm.Decrypt(wrapped.Nonce, wrapped.Ciphertext, wrapped.Tag, plain);
        return plain;
    }

    public void Dispose()
    {
        _recipient.Dispose();
        _private.Dispose();
        _signer.Dispose();
        CryptographicOperations.ZeroMemory(_kek);
    }
}
