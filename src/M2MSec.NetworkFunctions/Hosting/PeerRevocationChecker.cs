using System.Collections.Concurrent;
using System.Security.Cryptography.X509Certificates;
using M2MSec.NetworkFunctions.Ocsp;
using M2MSec.Pki;
using M2MSec.Pki.Authority;
using M2MSec.Pki.Ocsp;
using M2MSec.Pki.Tls;
using M2MSec.Pki.Validation;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace M2MSec.NetworkFunctions.Hosting;

/// <summary>
/// Revocation of a peer network function's certificate, checked in the TLS handshake against the
/// operator's OCSP responder (RFC 6960, with an RFC 9654 nonce; docs/decisions/012):
/// <list type="bullet">
/// <item>each answer is cached per serial until its nextUpdate, at most <see cref="MaxCacheLifetime"/>
/// (5 minutes): revoking a certificate cuts its holder off within that time;</item>
/// <item>past 80 % of that lifetime a hit refreshes the entry in the background, so steady traffic
/// never waits on the responder; only a certificate not (or no longer) cached makes the handshake
/// wait, for at most <see cref="QueryTimeout"/> (the callback is synchronous: a blocking query, as
/// the DM demo stage does);</item>
/// <item>fail-closed: with the responder unreachable and no unexpired answer cached, the peer is
/// refused with one warning line; the next attempt to reach it is made after <see cref="RetryAfterFailure"/>;</item>
/// <item>the response must be signed by the issuing CA or its delegated signer (id-kp-OCSPSigning,
/// issued directly by that CA; its own certificate carries id-pkix-ocsp-nocheck and is not checked
/// further — <see cref="OcspResponseVerifier"/>).</item>
/// </list>
/// </summary>
public sealed class PeerRevocationChecker
{
    private readonly X509Certificate2Collection _issuers;
    private readonly Func<byte[], byte[]> _query;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, Entry> _cache = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Lock> _fetching = new(StringComparer.Ordinal);
    private ILogger _logger = NullLogger.Instance;

    /// <param name="issuers">The CAs that issue peer certificates (the operator's issuing CA): the CertID and the responder's authority come from them.</param>
    /// <param name="query">Sends a DER OCSP request and returns the DER response, synchronously; throws when the responder cannot be reached.</param>
    /// <param name="time">The clock (cache lifetimes, response timeliness).</param>
    public PeerRevocationChecker(X509Certificate2Collection issuers, Func<byte[], byte[]> query, TimeProvider? time = null)
    {
        _issuers = issuers ?? throw new ArgumentNullException(nameof(issuers));
        _query = query ?? throw new ArgumentNullException(nameof(query));
        _time = time ?? TimeProvider.System;
    }

    /// <summary>A checker that asks the responder at <paramref name="responder"/> over HTTP (RFC 6960 Appendix A.1, POST).</summary>
    public static PeerRevocationChecker ForResponder(Uri responder, X509Certificate2Collection issuers, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(responder);
        return new PeerRevocationChecker(issuers, der => OcspEndpoints.Query(Http, responder, der), time) { Responder = responder };
    }

    /// <summary>The same, for a responder whose address is known only once it listens (the OCSP function checking its own admin callers).</summary>
    public static PeerRevocationChecker ForResponder(Func<Uri?> responder, X509Certificate2Collection issuers, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(responder);
        return new PeerRevocationChecker(issuers,
            der => OcspEndpoints.Query(Http, responder() ?? throw new InvalidOperationException("the OCSP responder is not listening yet"), der), time);
    }

    private static readonly TimeSpan DefaultQueryTimeout = TimeSpan.FromSeconds(3);

    /// <summary>One client for every checker's queries (plain HTTP: OCSP answers are signed); its timeout bounds a handshake's wait.</summary>
    private static readonly HttpClient Http = new(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) }) { Timeout = DefaultQueryTimeout };

    /// <summary>Where the answers come from, for log lines (null when the query is in-process).</summary>
    public Uri? Responder { get; init; }

    /// <summary>An answer is used at most this long, even when its nextUpdate is later (default 5 minutes).</summary>
    public TimeSpan MaxCacheLifetime { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>After a failed query, the same certificate is refused without asking again for this long (default 5 s).</summary>
    public TimeSpan RetryAfterFailure { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How long a handshake may wait for the responder (the HTTP client's timeout).</summary>
    public static TimeSpan QueryTimeout => DefaultQueryTimeout;

    /// <summary>The host's logger (set when the host starts); refusals and responder failures are logged as one line each.</summary>
    public void UseLogger(ILogger logger) => _logger = logger ?? NullLogger.Instance;

    /// <summary>The verdict on <paramref name="leaf"/> (whose chain has already been validated): valid only on a current "good".</summary>
    public ChainVerdict Check(X509Certificate2 leaf)
    {
        ArgumentNullException.ThrowIfNull(leaf);
        var serial = CertificateSerial.Of(leaf);
        var now = _time.GetUtcNow();
        if (_cache.TryGetValue(serial, out var cached) && now < cached.ExpiresAt)
        {
            if (cached.Verdict.IsValid && now >= cached.RefreshAt && cached.TryClaimRefresh())
                _ = Task.Run(() => Fetch(leaf, serial));
            return cached.Verdict;
        }
        var gate = _fetching.GetOrAdd(serial, _ => new Lock());
        lock (gate)
        {
            // Another handshake may have fetched while this one waited.
            now = _time.GetUtcNow();
            if (_cache.TryGetValue(serial, out cached) && now < cached.ExpiresAt)
                return cached.Verdict;
            return Fetch(leaf, serial).Verdict;
        }
    }

    private Entry Fetch(X509Certificate2 leaf, string serial)
    {
        var name = CertificateSubject.Sanitise(leaf.GetNameInfo(X509NameType.SimpleName, false));
        var issuer = _issuers.FirstOrDefault(i => i.SubjectName.RawData.AsSpan().SequenceEqual(leaf.IssuerName.RawData));
        if (issuer is null)
            return Store(serial, Failure(serial, name, "its issuer is not the operator's issuing CA, so no responder answers for it"));
        var request = OcspRequestBuilder.Build(leaf, issuer);
        byte[] response;
        try
        {
            response = _query(request.Der);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException or InvalidOperationException)
        {
            return Store(serial, Failure(serial, name, $"the OCSP responder{(Responder is null ? "" : $" at {Responder}")} is unreachable ({e.GetType().Name})"));
        }
        var now = _time.GetUtcNow();
        var answer = OcspResponseVerifier.Verify(response, request.CertId, issuer, request.Nonce, new OcspVerificationOptions { Now = now });
        if (answer.Reason is RefusalReason.ResponderError or RefusalReason.BadSignature or RefusalReason.UnauthorisedResponder or RefusalReason.NoNonce
            or RefusalReason.NonceMismatch or RefusalReason.StaleResponse)
            return Store(serial, Failure(serial, name, $"the OCSP answer is unusable ({answer.Reason})"));
        var lifetime = MaxCacheLifetime;
        if (answer.NextUpdate is { } next && next - now < lifetime)
            lifetime = next - now;
        ChainVerdict verdict;
        if (answer.IsAcceptable)
            verdict = ChainVerdict.Valid;
        else
        {
            verdict = ChainVerdict.Refused(answer.Reason, answer.Status == OcspStatus.Revoked ? "peer certificate revoked (OCSP)" : "peer certificate unknown to the OCSP responder");
            _logger.LogWarning("peer certificate {Serial} ({Subject}) refused: {Status} by OCSP", serial, name, answer.Status?.ToString() ?? answer.Reason.ToString());
        }
        return Store(serial, new Entry(verdict, now + lifetime, now + lifetime * 0.8));
    }

    private Entry Failure(string serial, string name, string why)
    {
        var now = _time.GetUtcNow();
        _logger.LogWarning("peer certificate {Serial} ({Subject}) refused: {Why}, and no unexpired OCSP answer is cached (fail-closed)", serial, name, why);
        return new Entry(ChainVerdict.Refused(RefusalReason.ResponderError, "revocation status unavailable (fail-closed)"), now + RetryAfterFailure, now + RetryAfterFailure);
    }

    private Entry Store(string serial, Entry entry)
    {
        // A failed background refresh must not replace a still-valid good answer.
        if (!entry.Verdict.IsValid && entry.Verdict.Reason == RefusalReason.ResponderError
            && _cache.TryGetValue(serial, out var current) && current.Verdict.IsValid && _time.GetUtcNow() < current.ExpiresAt)
            return current;
        _cache[serial] = entry;
        return entry;
    }

    private sealed class Entry(ChainVerdict verdict, DateTimeOffset expiresAt, DateTimeOffset refreshAt)
    {
        private int _refreshing;

        public ChainVerdict Verdict { get; } = verdict;

        public DateTimeOffset ExpiresAt { get; } = expiresAt;

        public DateTimeOffset RefreshAt { get; } = refreshAt;

        public bool TryClaimRefresh() => Interlocked.Exchange(ref _refreshing, 1) == 0;
    }
}
