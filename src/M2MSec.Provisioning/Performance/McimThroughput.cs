using System.Diagnostics;
using System.Security.Cryptography;
using M2MSec.Provisioning.Mcim;

namespace M2MSec.Provisioning.Performance;

/// <summary>
/// Probes behind `m2msec bench mcim` and the BenchmarkDotNet suite: MCIM objects sealed and opened per second for one platform
/// key, against the bare public-key operations each needs, with the same library in the same run (RSA: one public-key
/// operation to seal, one private-key operation to open; ECIES: one key generation and one ECDH to seal, one ECDH to open).
/// </summary>
public sealed class McimThroughput : IDisposable
{
    private static readonly byte[] RsaBoundInput = new byte[McimSuite.AesCbcHmacSha1.WrappedKeyLength()];
    private readonly AsymmetricAlgorithm _private;
    private readonly McimRecipient _recipient;
    private readonly ECDiffieHellmanPublicKey? _ecPublic;
    private readonly ECDiffieHellmanPublicKey? _senderPublic;
    private readonly ECDiffieHellman? _sender;
    private readonly RSA? _rsaPublic;
    private readonly byte[] _rsaWrapped = [];
    private readonly McimContent _content;
    private readonly byte[] _object;

    public McimThroughput(bool rsa, McimSuite suite = McimSuite.Default)
    {
        Suite = suite;
        _content = new McimContent("001010000000001", RandomNumberGenerator.GetBytes(16), RandomNumberGenerator.GetBytes(16), McimContent.Milenage, [0x80, 0x00],
            RandomNumberGenerator.GetBytes(16));
        if (rsa)
        {
            var key = RSA.Create(2048);
            _private = key;
            _rsaPublic = RSA.Create();
            _rsaPublic.ImportSubjectPublicKeyInfo(key.ExportSubjectPublicKeyInfo(), out _);
            _rsaWrapped = _rsaPublic.Encrypt(RsaBoundInput, RSAEncryptionPadding.OaepSHA256);
        }
        else
        {
            var key = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
            _private = key;
            _ecPublic = key.PublicKey;
            _sender = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
            _senderPublic = _sender.PublicKey;
        }
        _recipient = McimRecipient.FromSubjectPublicKeyInfo(_private.ExportSubjectPublicKeyInfo());
        _object = McimObject.Seal(_recipient, _content, suite);
    }

    public McimSuite Suite { get; }

    /// <summary>One MCIM object sealed to the prepared PK_D.</summary>
    public byte[] Seal() => McimObject.Seal(_recipient, _content, Suite);

    /// <summary>One MCIM object opened (MAC, decryption, parsing) with the private key.</summary>
    public McimContent Open() => McimObject.Open(_private, _object);

    /// <summary>The bare public-key work of one seal: RSA-OAEP encryption, or an ephemeral P-256 key and one ECDH.</summary>
    public int SealBound()
    {
        if (_rsaPublic is not null)
            return _rsaPublic.Encrypt(RsaBoundInput, RSAEncryptionPadding.OaepSHA256).Length;
        using var ephemeral = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        return ephemeral.DeriveRawSecretAgreement(_ecPublic!).Length;
    }

    /// <summary>The bare private-key work of one open: RSA-OAEP decryption, or one ECDH.</summary>
    public int OpenBound() => _private is RSA rsa
        ? rsa.Decrypt(_rsaWrapped, RSAEncryptionPadding.OaepSHA256).Length
        : ((ECDiffieHellman)_private).DeriveRawSecretAgreement(_senderPublic!).Length;

    /// <summary>Operations per second of <paramref name="operation"/> over <paramref name="duration"/>.</summary>
    public static double Rate(Action operation, TimeSpan duration)
    {
        ArgumentNullException.ThrowIfNull(operation);
        var sw = Stopwatch.StartNew();
        long n = 0;
        while (sw.Elapsed < duration)
        {
            for (var i = 0; i < 16; i++)
                operation();
            n += 16;
        }
        return n / sw.Elapsed.TotalSeconds;
    }

    public void Dispose()
    {
        _recipient.Dispose();
        _ecPublic?.Dispose();
        _senderPublic?.Dispose();
        _sender?.Dispose();
        _rsaPublic?.Dispose();
        _private.Dispose();
    }
}
