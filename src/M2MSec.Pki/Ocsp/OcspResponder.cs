using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Org.BouncyCastle.Ocsp;

namespace M2MSec.Pki.Ocsp;

/// <summary>
/// An OCSP responder for one issuing CA (RFC 6960, RFC 5019 profile, RFC 9654 nonces), signing
/// with a delegated responder certificate (id-kp-OCSPSigning, id-pkix-ocsp-nocheck; §4.2.2.2)
/// that it includes in <c>certs</c>. I/O-free: DER in, DER out.
/// </summary>
public sealed class OcspResponder : IDisposable
{
    private readonly IssuerHashes _issuerSha1;
    private readonly IssuerHashes _issuerSha256;
    private readonly DotNetSignatureFactory _signature;
    private readonly OcspResponseWriter _writer;
    private readonly Func<string, CancellationToken, ValueTask<OcspCertificateStatus>> _lookup;
    private readonly TimeProvider _time;
    private readonly OcspResponderOptions _options;

    /// <param name="issuer">The CA whose certificates this responder answers for (public part only).</param>
    /// <param name="responderCertificate">The delegated signer, with its private key (ECDSA P-256/P-384/P-521 or RSA).</param>
    /// <param name="lookup">Status of a serial (<see cref="CertificateSerial"/> spelling) issued by <paramref name="issuer"/>.</param>
    /// <param name="time">Source of producedAt/thisUpdate.</param>
    /// <param name="options">Validity and request limits; defaults when null.</param>
    public OcspResponder(X509Certificate2 issuer, X509Certificate2 responderCertificate,
        Func<string, CancellationToken, ValueTask<OcspCertificateStatus>> lookup, TimeProvider time, OcspResponderOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(lookup);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(issuer);
        _issuerSha1 = IssuerHashes.Of(issuer, HashAlgorithmName.SHA1);
        _issuerSha256 = IssuerHashes.Of(issuer, HashAlgorithmName.SHA256);
        _signature = DotNetSignatureFactory.For(responderCertificate);
        _writer = new OcspResponseWriter(responderCertificate, _signature.AlgorithmIdentifierDer); // byKey, certs: encoded once
        _lookup = lookup;
        _time = time;
        _options = options ?? new OcspResponderOptions();
        if (_options.Validity <= TimeSpan.Zero || _options.MaxRequestsPerMessage < 1)
            throw new ArgumentOutOfRangeException(nameof(options), "validity and request limit must be positive");
    }

    /// <summary>
    /// Answers one DER OCSPRequest with a DER OCSPResponse. Never throws except on cancellation:
    /// undecodable or out-of-policy requests get malformedRequest, failures internalError.
    /// </summary>
    public async ValueTask<byte[]> RespondAsync(ReadOnlyMemory<byte> requestDer, CancellationToken cancellationToken = default) =>
        (await AnswerAsync(requestDer, cancellationToken).ConfigureAwait(false)).Der;

    /// <summary>
    /// The same, with what the response says (its responseStatus and each single response's certStatus) as the
    /// responder built it — for counting answers without decoding the DER again (issue 19: the metrics decoded every
    /// response anew with BouncyCastle, a quarter of the OCSP endpoint's CPU over HTTP).
    /// </summary>
    public async ValueTask<OcspAnswer> AnswerAsync(ReadOnlyMemory<byte> requestDer, CancellationToken cancellationToken = default)
    {
        try
        {
            return await RespondCoreAsync(requestDer, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
#pragma warning disable CA1031 // The responder answers internalError (RFC 6960 §4.2.1) rather than fail the exchange.
        catch (Exception)
#pragma warning restore CA1031
        {
            return Error(OcspRespStatus.InternalError);
        }
    }

    private static OcspAnswer Error(int status) => new(ErrorResponse(status), status, []);

    /// <summary>A response with only a status (RFC 6960 §4.2.1: no responseBytes unless successful).</summary>
    public static byte[] ErrorResponse(int status) => new OCSPRespGenerator().Generate(status, null).GetEncoded();

    private async ValueTask<OcspAnswer> RespondCoreAsync(ReadOnlyMemory<byte> requestDer, CancellationToken cancellationToken)
    {
        // The optional signature is not checked: this responder serves anyone (RFC 6960 §4.1.2).
        if (!OcspRequestDecoder.TryDecode(requestDer, _options.MaxRequestsPerMessage, out var requests, out var nonce))
            return Error(OcspRespStatus.MalformedRequest);

        var now = _time.GetUtcNow();
        var answers = new (ReadOnlyMemory<byte> CertId, OcspCertificateStatus Status)[requests.Length];
        var statuses = new OcspStatus[requests.Length];
        var anyOurs = false;
        for (var i = 0; i < requests.Length; i++)
        {
            // Only SHA-1/SHA-256 CertIDs naming our CA are ours (RFC 6960 §4.1.1 hashes under the CertID's own algorithm).
            var ours = NamesIssuer(requests[i]);
            // Another CA's certificate: "unknown" (RFC 6960 §2.2) beside answers we can give.
            var found = ours ? await _lookup(requests[i].SerialHex, cancellationToken).ConfigureAwait(false) : OcspCertificateStatus.Unknown;
            anyOurs |= ours;
            // The CertID as the request spelt it (§4.2.1): a client matches its answers by it.
            answers[i] = (requests[i].Der, found);
            statuses[i] = found.Status;
        }
        // Not authoritative for any CertID asked: "unauthorized" (RFC 6960 §2.3, RFC 5019 §2.2.3).
        if (!anyOurs)
            return Error(OcspRespStatus.Unauthorized);
        // producedAt = thisUpdate = now; the nonce echoed (RFC 9654 §2.1).
        var der = _writer.Successful(answers, now, now + _options.Validity, nonce, _signature.Sign);
        return new OcspAnswer(der, OcspRespStatus.Successful, statuses);
    }

    /// <summary>Whether <paramref name="id"/> names this responder's CA, under the CertID's own hash (SHA-1 or SHA-256; any other: not ours).</summary>
    private bool NamesIssuer(OcspRequestDecoder.RequestedCertId id)
    {
        var issuer = id.HashOid switch
        {
            Sha1Oid => _issuerSha1,
            Sha256Oid => _issuerSha256,
            _ => null,
        };
        return issuer is not null && id.IssuerNameHash.Span.SequenceEqual(issuer.Name) && id.IssuerKeyHash.Span.SequenceEqual(issuer.Key);
    }

    private const string Sha1Oid = "1.3.14.3.2.26";
    private const string Sha256Oid = "2.16.840.1.101.3.4.2.1";

    /// <summary>A CA's issuerNameHash and issuerKeyHash under one algorithm (RFC 6960 §4.1.1): its subject DN's DER, its subjectPublicKey's value.</summary>
    private sealed record IssuerHashes(byte[] Name, byte[] Key)
    {
        public static IssuerHashes Of(X509Certificate2 issuer, HashAlgorithmName hash) =>
            new(Hash(hash, issuer.SubjectName.RawData), Hash(hash, issuer.PublicKey.EncodedKeyValue.RawData));

        private static byte[] Hash(HashAlgorithmName hash, byte[] data) => hash == HashAlgorithmName.SHA1 ? SHA1.HashData(data) : SHA256.HashData(data);
    }

    public void Dispose() => _signature.Dispose();
}

/// <summary>An OCSPResponse (DER) and what it says: responseStatus (RFC 6960 §4.2.1) and, when successful, each single response's certStatus in order.</summary>
public sealed record OcspAnswer(byte[] Der, int ResponseStatus, IReadOnlyList<OcspStatus> CertStatuses);
