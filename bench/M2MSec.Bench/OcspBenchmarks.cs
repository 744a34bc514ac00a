using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using BenchmarkDotNet.Attributes;
using M2MSec.Pki.Authority;
using M2MSec.Pki.Ocsp;
using M2MSec.Storage.InMemory;

namespace M2MSec.Bench;

/// <summary>
/// The OCSP responder's cost per answer (RFC 6960, nonce echoed) against its bound: one ECDSA
/// P-256 signature with the delegated signer's key (the baseline). The device side: verifying one
/// response (signature, delegation, nonce, CertID).
/// </summary>
[MemoryDiagnoser]
public class OcspBenchmarks
{
    private OcspResponder _responder = null!;
    private CertificateHierarchy _hierarchy = null!;
    private OcspRequest _request = null!;
    private byte[] _response = [];
    private X509Certificate2 _leaf = null!;
    private X509Certificate2 _issuing = null!;
    private ECDsa _signer = null!;
    private readonly byte[] _digest = SHA256.HashData("bench"u8);

    [GlobalSetup]
    public void Setup()
    {
        _hierarchy = CertificateHierarchy.InitAsync(new InMemoryCertificateStore(TimeProvider.System), "operator", KeyAlgorithm.EcP256, null, TimeProvider.System)
            .GetAwaiter().GetResult();
        // Once: the hierarchy's Issuing property loads a new certificate object each time (≈ 180 µs, more than the verification's
        // own work), and a device holds its issuer's certificate rather than loading it per check.
        _issuing = _hierarchy.Issuing;
        _leaf = _hierarchy.IssueAsync(CertificateProfile.DmServer, new CertificateSubject("dm.operator.example")).GetAwaiter().GetResult();
        _responder = new OcspResponder(_issuing, _hierarchy.OcspSigner, (_, _) => ValueTask.FromResult(OcspCertificateStatus.Good), TimeProvider.System);
        _request = OcspRequestBuilder.Build(_leaf, _issuing);
        _response = _responder.RespondAsync(_request.Der).AsTask().GetAwaiter().GetResult();
        _signer = _hierarchy.OcspSigner.GetECDsaPrivateKey()!;
    }

    [Benchmark(Baseline = true, Description = "ECDSA P-256 signature (bound)")]
    public byte[] Signature() => _signer.SignHash(_digest);

    [Benchmark(Description = "responder: request in, signed response out")]
    public byte[] Respond() => _responder.RespondAsync(_request.Der).AsTask().GetAwaiter().GetResult();

    [Benchmark(Description = "device: verify response (signature, delegate, nonce, CertID)")]
    public OcspVerification Verify() => OcspResponseVerifier.Verify(_response, _request.CertId, _issuing, _request.Nonce);

    [GlobalCleanup]
    public void Cleanup()
    {
        _responder.Dispose();
        _signer.Dispose();
        _leaf.Dispose();
        _issuing.Dispose();
    }
}
