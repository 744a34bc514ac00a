using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using M2MSec.Crypto.Metering;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.Pkcs;
using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.Asn1.X9;
using Org.BouncyCastle.Crypto;

namespace M2MSec.Pki.Ocsp;

/// <summary>
/// A BouncyCastle signature factory that signs with the .NET private key of a certificate, so
/// the key never has to be exportable. P-256 → ecdsa-with-SHA256, P-384 → ecdsa-with-SHA384,
/// P-521 → ecdsa-with-SHA512 (RFC 5758 §3.2, parameters absent); RSA → sha256WithRSAEncryption
/// (RFC 4055 §5, NULL parameters).
/// </summary>
internal sealed class DotNetSignatureFactory : ISignatureFactory, IDisposable
{
    private readonly AsymmetricAlgorithm _key;
    private readonly HashAlgorithmName _hash;
    private readonly AlgorithmIdentifier _algorithm;

    // .NET does not promise one key object is safe for concurrent use, so each signer thread rents
    // its own handle to the same key (taken from the certificate again: never exported).
    private readonly System.Collections.Concurrent.ConcurrentBag<AsymmetricAlgorithm> _spare = [];
    private readonly Func<AsymmetricAlgorithm> _another;

    private DotNetSignatureFactory(AsymmetricAlgorithm key, HashAlgorithmName hash, AlgorithmIdentifier algorithm, Func<AsymmetricAlgorithm> another)
    {
        _key = key;
        _hash = hash;
        _algorithm = algorithm;
        _another = another;
        _spare.Add(key);
    }

    public static DotNetSignatureFactory For(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        if (certificate.GetECDsaPrivateKey() is { } ec)
        {
            AsymmetricAlgorithm Another() => certificate.GetECDsaPrivateKey()!;
            return ec.KeySize switch
            {
                256 => new(ec, HashAlgorithmName.SHA256, new AlgorithmIdentifier(X9ObjectIdentifiers.ECDsaWithSha256), Another),
                384 => new(ec, HashAlgorithmName.SHA384, new AlgorithmIdentifier(X9ObjectIdentifiers.ECDsaWithSha384), Another),
                521 => new(ec, HashAlgorithmName.SHA512, new AlgorithmIdentifier(X9ObjectIdentifiers.ECDsaWithSha512), Another),
                _ => throw new ArgumentException($"unsupported ECDSA key size {ec.KeySize}", nameof(certificate)),
            };
        }
        if (certificate.GetRSAPrivateKey() is { } rsa)
            return new(rsa, HashAlgorithmName.SHA256, new AlgorithmIdentifier(PkcsObjectIdentifiers.Sha256WithRsaEncryption, DerNull.Instance), () => certificate.GetRSAPrivateKey()!);
        throw new ArgumentException("the certificate needs an ECDSA or RSA private key", nameof(certificate));
    }

    public object AlgorithmDetails => _algorithm;

    /// <summary>The DER AlgorithmIdentifier of the signatures made.</summary>
    public byte[] AlgorithmIdentifierDer => _algorithm.GetDerEncoded();

    public IStreamCalculator<IBlockResult> CreateCalculator() => new Calculator(this);

    public void Dispose()
    {
        _key.Dispose();
        while (_spare.TryTake(out var k))
            k.Dispose();
    }

    /// <summary>Signs <paramref name="data"/> (an ECDSA signature as a DER Ecdsa-Sig-Value, RFC 3279 §2.2.3).</summary>
    public byte[] Sign(byte[] data)
    {
        var key = _spare.TryTake(out var k) ? k : _another();
        try
        {
            OperationMeter.Count(key is RSA ? MeteredOperation.RsaSign : MeteredOperation.EcdsaSign);
            return key switch
            {
                ECDsa ec => ec.SignData(data, _hash, DSASignatureFormat.Rfc3279DerSequence),
                RSA rsa => rsa.SignData(data, _hash, RSASignaturePadding.Pkcs1),
                _ => throw new InvalidOperationException("unreachable"),
            };
        }
        finally
        {
            _spare.Add(key);
        }
    }

    private sealed class Calculator(DotNetSignatureFactory factory) : IStreamCalculator<IBlockResult>
    {
        private readonly MemoryStream _data = new();

        public Stream Stream => _data;

        public IBlockResult GetResult() => new SimpleBlockResult(factory.Sign(_data.ToArray()));
    }
}
