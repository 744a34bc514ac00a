using System.Security.Cryptography.X509Certificates;
using Org.BouncyCastle.Ocsp;
using BcCertificate = Org.BouncyCastle.X509.X509Certificate;

namespace M2MSec.Pki.Ocsp;

/// <summary>
/// An OCSP responder for one issuing CA (RFC 6960, RFC 5019 profile, RFC 9654 nonces), signing
/// with a delegated responder certificate (id-kp-OCSPSigning, id-pkix-ocsp-nocheck; §4.2.2.2)
/// that it includes in <c>certs</c>. I/O-free: DER in, DER out.
/// </summary>
public sealed class OcspResponder : IDisposable
{
    private readonly BcCertificate _issuer;
    private readonly BcCertificate _signer;
    private readonly DotNetSignatureFactory _signature;
    private readonly RespID _responderId;
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
        _issuer = BouncyCastleCertificates.ToBouncyCastle(issuer);
        _signer = BouncyCastleCertificates.ToBouncyCastle(responderCertificate);
        _signature = DotNetSignatureFactory.For(responderCertificate);
        _responderId = new RespID(_signer.GetPublicKey()); // byKey: SHA-1 of the key BIT STRING (§4.2.1)
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
        if (!TryParse(requestDer, out var requests, out var nonce))
            return Error(OcspRespStatus.MalformedRequest);

        var now = _time.GetUtcNow();
        var thisUpdate = BouncyCastleCertificates.ToWholeSecondsUtc(now);
        var nextUpdate = BouncyCastleCertificates.ToWholeSecondsUtc(now + _options.Validity);
        var generator = new BasicOcspRespGenerator(_responderId);
        var anyOurs = false;
        var statuses = new OcspStatus[requests.Length];
        var n = 0;
        foreach (var id in requests)
        {
            // Only SHA-1/SHA-256 CertIDs naming our CA are ours (RFC 6960 §4.1.1 hashes under the CertID's own algorithm).
            var ours = OcspCertId.TryFrom(id) is { } certId && certId.NamesIssuer(_issuer) ? certId : null;
            CertificateStatus status;
            if (ours is null)
            {
                // Another CA's certificate: "unknown" (RFC 6960 §2.2) beside answers we can give.
                status = new UnknownStatus();
                statuses[n++] = OcspStatus.Unknown;
            }
            else
            {
                anyOurs = true;
                var found = await _lookup(ours.SerialHex, cancellationToken).ConfigureAwait(false);
                status = ToBouncyCastle(found);
                statuses[n++] = found.Status is OcspStatus.Good or OcspStatus.Revoked ? found.Status : OcspStatus.Unknown;
            }
            generator.AddResponse(id, status, thisUpdate, nextUpdate, null);
        }
        // Not authoritative for any CertID asked: "unauthorized" (RFC 6960 §2.3, RFC 5019 §2.2.3).
        if (!anyOurs)
            return Error(OcspRespStatus.Unauthorized);
        if (nonce is not null)
            generator.SetResponseExtensions(OcspNonce.Extensions(nonce)); // echo (RFC 9654 §2.1)
        var basic = generator.Generate(_signature, [_signer], thisUpdate); // producedAt = now
        return new OcspAnswer(new OCSPRespGenerator().Generate(OcspRespStatus.Successful, basic).GetEncoded(), OcspRespStatus.Successful, statuses);
    }

    private bool TryParse(ReadOnlyMemory<byte> der, out CertificateID[] requests, out byte[]? nonce)
    {
        requests = [];
        nonce = null;
        try
        {
            // The optional signature is not checked: this responder serves anyone (RFC 6960 §4.1.2).
            var request = new OcspReq(der.ToArray());
            var list = request.GetRequestList();
            if (list.Length == 0 || list.Length > _options.MaxRequestsPerMessage)
                return false;
            requests = [.. list.Select(r => r.GetCertID())];
            switch (OcspNonce.TryRead(request.RequestExtensions, out var n))
            {
                case OcspNonce.Presence.Invalid:
                    return false; // RFC 9654 §2.1: 0 or more than 128 octets → malformedRequest
                case OcspNonce.Presence.Valid:
                    nonce = n;
                    break;
            }
            return true;
        }
#pragma warning disable CA1031 // Any decoding failure of untrusted bytes is a malformed request.
        catch (Exception)
#pragma warning restore CA1031
        {
            return false;
        }
    }

    private static CertificateStatus ToBouncyCastle(OcspCertificateStatus status) => status.Status switch
    {
        OcspStatus.Good => CertificateStatus.Good,
        OcspStatus.Revoked when status.Reason is { } reason =>
            new RevokedStatus(BouncyCastleCertificates.ToWholeSecondsUtc(status.RevokedAt!.Value), reason),
        OcspStatus.Revoked => new RevokedStatus(BouncyCastleCertificates.ToWholeSecondsUtc(status.RevokedAt!.Value)),
        _ => new UnknownStatus(),
    };

    public void Dispose() => _signature.Dispose();
}

/// <summary>An OCSPResponse (DER) and what it says: responseStatus (RFC 6960 §4.2.1) and, when successful, each single response's certStatus in order.</summary>
public sealed record OcspAnswer(byte[] Der, int ResponseStatus, IReadOnlyList<OcspStatus> CertStatuses);
