using M2MSec.NetworkFunctions.Hosting;
using Org.BouncyCastle.Ocsp;
using Prometheus;

namespace M2MSec.NetworkFunctions.Ocsp;

/// <summary>
/// OCSP answers by status (issue 20): each single response's certStatus (RFC 6960 §4.2.1: good, revoked, unknown), or the
/// responseStatus of an answer without one (malformed-request, internal-error, try-later, unauthorized).
/// </summary>
public sealed class OcspMetrics
{
    private static readonly string[] Statuses = ["good", "revoked", "unknown", "malformed-request", "internal-error", "try-later", "sig-required", "unauthorized", "other"];

    private readonly NetworkFunctionMetrics _metrics;

    // One child per status, looked up once (issue 19: the label lookup on every answer).
    private readonly Dictionary<string, Counter.Child> _answers;

    public OcspMetrics(NetworkFunctionMetrics metrics)
    {
        _metrics = metrics ?? throw new ArgumentNullException(nameof(metrics));
        var answers = metrics.Factory.CreateCounter("m2msec_ocsp_responses_total",
            "OCSP answers by status: certStatus per single response (good, revoked, unknown) or the error responseStatus (RFC 6960 §4.2.1).", ["status"]);
        _answers = Statuses.ToDictionary(s => s, s => answers.WithLabels(s), StringComparer.Ordinal);
    }

    /// <summary>
    /// Counts what the responder's <paramref name="answer"/> says, as the responder built it — issue 19: decoding every
    /// DER response again here cost a quarter of the OCSP endpoint's CPU over HTTP.
    /// </summary>
    public void Answered(M2MSec.Pki.Ocsp.OcspAnswer answer)
    {
        ArgumentNullException.ThrowIfNull(answer);
        if (answer.ResponseStatus != OcspRespStatus.Successful)
        {
            Count(answer.ResponseStatus switch
            {
                OcspRespStatus.MalformedRequest => "malformed-request",
                OcspRespStatus.InternalError => "internal-error",
                OcspRespStatus.TryLater => "try-later",
                OcspRespStatus.SigRequired => "sig-required",
                OcspRespStatus.Unauthorized => "unauthorized",
                _ => "other",
            });
            return;
        }
        foreach (var single in answer.CertStatuses)
        {
            Count(single switch
            {
                M2MSec.Pki.Ocsp.OcspStatus.Good => "good",
                M2MSec.Pki.Ocsp.OcspStatus.Revoked => "revoked",
                _ => "unknown",
            });
        }
    }

    private void Count(string status)
    {
        _answers[status].Inc();
        if (status is "revoked" or "malformed-request" or "unauthorized")
            _metrics.Event("ocsp.answer", null, status);
    }
}
