using System.Collections.Concurrent;
using System.Security.Cryptography;
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
/// never waits on the responder;</item>
/// <item>a server never blocks in its (synchronous) TLS callback: a certificate not cached passes the
/// handshake with its query started, and the connection's first request awaits the answer before it
/// is handled (<see cref="CheckAsync"/>, every request); a client's callback, with no request to
/// hold, queries on its own thread for at most <see cref="QueryTimeout"/> — a function's clients hand their handshakes to threads
/// of their own for that (<see cref="PeerTlsConnector"/>, decision 062), as the DM demo stage does;</item>
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
    private readonly Func<byte[], CancellationToken, Task<byte[]>> _queryAsync;
    private readonly ConcurrentDictionary<string, Task<Entry>> _inFlight = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, Entry> _cache = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Lock> _fetching = new(StringComparer.Ordinal);
    private ILogger _logger = NullLogger.Instance;

    /// <param name="issuers">The CAs that issue peer certificates (the operator's issuing CA): the CertID and the responder's authority come from them.</param>
    /// <param name="query">Sends a DER OCSP request and returns the DER response, synchronously (for TLS callbacks); throws when the responder cannot be reached.</param>
    /// <param name="queryAsync">The same, asynchronously (for the per-request check).</param>
    /// <param name="time">The clock (cache lifetimes, response timeliness).</param>
    public PeerRevocationChecker(X509Certificate2Collection issuers, Func<byte[], byte[]> query, Func<byte[], CancellationToken, Task<byte[]>> queryAsync,
        TimeProvider? time = null)
    {
        _issuers = issuers ?? throw new ArgumentNullException(nameof(issuers));
        _query = query ?? throw new ArgumentNullException(nameof(query));
        _queryAsync = queryAsync ?? throw new ArgumentNullException(nameof(queryAsync));
        _time = time ?? TimeProvider.System;
    }

    /// <summary>A checker that asks the responder at <paramref name="responder"/> over HTTP (RFC 6960 Appendix A.1, POST).</summary>
    public static PeerRevocationChecker ForResponder(Uri responder, X509Certificate2Collection issuers, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(responder);
        return new PeerRevocationChecker(issuers, der => OcspEndpoints.Query(Http, responder, der), (der, ct) => OcspEndpoints.QueryAsync(Http, responder, der, ct), time)
        {
            Responder = responder,
        };
    }

    /// <summary>The same, for a responder whose address is known only once it listens (the OCSP function checking its own admin callers).</summary>
    public static PeerRevocationChecker ForResponder(Func<Uri?> responder, X509Certificate2Collection issuers, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(responder);
        Uri Address() => responder() ?? throw new InvalidOperationException("the OCSP responder is not listening yet");
        return new PeerRevocationChecker(issuers, der => OcspEndpoints.Query(Http, Address(), der), (der, ct) => OcspEndpoints.QueryAsync(Http, Address(), der, ct), time);
    }

    private static readonly TimeSpan DefaultQueryTimeout = TimeSpan.FromSeconds(5);

    /// <summary>One client for every checker's queries (plain HTTP: OCSP answers are signed); its timeout bounds a handshake's wait.</summary>
    private static readonly HttpClient Http = new(new ConnectionErrorHandler(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) })) { Timeout = DefaultQueryTimeout };

    /// <summary>Where the answers come from, for log lines (null when the query is in-process).</summary>
    public Uri? Responder { get; init; }

    /// <summary>An answer is used at most this long, even when its nextUpdate is later (default 5 minutes).</summary>
    public TimeSpan MaxCacheLifetime { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>After a failed query, the same certificate is refused without asking again for this long (default 2 s).</summary>
    public TimeSpan RetryAfterFailure { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>How long a handshake may wait for the responder (the HTTP client's timeout).</summary>
    public static TimeSpan QueryTimeout => DefaultQueryTimeout;

    /// <summary>The host's logger (set when the host starts); refusals and responder failures are logged as one line each.</summary>
    public void UseLogger(ILogger logger) => _logger = logger ?? NullLogger.Instance;

    /// <summary>
    /// The verdict on <paramref name="leaf"/> (whose chain has already been validated), blocking: valid only on a current
    /// "good". A cache miss queries the responder on the calling thread (a client's TLS callback).
    /// </summary>
    public ChainVerdict Check(X509Certificate2 leaf)
    {
        ArgumentNullException.ThrowIfNull(leaf);
        var serial = CertificateSerial.Of(leaf);
        if (Cached(leaf, serial) is { } verdict)
            return verdict;
        var gate = _fetching.GetOrAdd(serial, _ => new Lock());
        lock (gate)
        {
            // Another handshake may have fetched while this one waited.
            if (Cached(leaf, serial) is { } fetched)
                return fetched;
            var (request, issuer, name) = Prepare(leaf);
            if (request is null)
                return Store(serial, Failure(serial, name, NoIssuer)).Verdict;
            byte[] response;
            try
            {
                response = _query(request.Der);
            }
            catch (Exception e) when (IsUnreachable(e))
            {
                return Store(serial, Failure(serial, name, Unreachable(e))).Verdict;
            }
            return Store(serial, Judge(response, request, issuer!, serial, name)).Verdict;
        }
    }

    /// <summary>
    /// For a server's TLS callback, never blocking: the cached verdict, or — when nothing is cached — valid for now, with
    /// the query started; <see cref="CheckAsync"/> then holds the connection's first request until the answer is in.
    /// </summary>
    public ChainVerdict CheckWithoutWaiting(X509Certificate2 leaf)
    {
        ArgumentNullException.ThrowIfNull(leaf);
        var serial = CertificateSerial.Of(leaf);
        if (Cached(leaf, serial) is { } verdict)
            return verdict;
        _ = FetchOnceAsync(leaf, serial);
        return ChainVerdict.Valid;
    }

    /// <summary>The verdict on <paramref name="leaf"/>, waiting asynchronously for the responder when nothing is cached.</summary>
    public async Task<ChainVerdict> CheckAsync(X509Certificate2 leaf)
    {
        ArgumentNullException.ThrowIfNull(leaf);
        var serial = CertificateSerial.Of(leaf);
        if (Cached(leaf, serial) is { } verdict)
            return verdict;
        return (await FetchOnceAsync(leaf, serial).ConfigureAwait(false)).Verdict;
    }

    /// <summary>
    /// Asks about <paramref name="peers"/> now (asynchronously), so that the first handshakes with them — in a client's
    /// synchronous callback — find their answers cached instead of waiting on the responder. Issue 19: those not cached yet
    /// are asked about <see cref="WarmUpBatch"/> to a request (RFC 6960 §4.1.1, one nonce and one signed response for all:
    /// a fleet's 18 checkers made 306 queries at every start); an answer that does not settle one of them — a responder that
    /// takes one CertID per request (RFC 5019), a response missing it — leaves that one to a query of its own.
    /// </summary>
    public async Task WarmUpAsync(IEnumerable<X509Certificate2> peers)
    {
        ArgumentNullException.ThrowIfNull(peers);
        var pending = peers.DistinctBy(CertificateSerial.Of).Where(p => Cached(p, CertificateSerial.Of(p)) is null)
            .Select(p => (Leaf: p, Issuer: IssuerOf(p))).ToList();
        var batches = pending.Where(p => p.Issuer is not null).GroupBy(p => p.Issuer!)
            .SelectMany(g => g.Select(p => p.Leaf).Chunk(WarmUpBatch).Select(leaves => WarmUpBatchAsync(g.Key, leaves)));
        await Task.WhenAll(pending.Where(p => p.Issuer is null).Select(p => CheckAsync(p.Leaf)).Concat(batches)).ConfigureAwait(false);
    }

    /// <summary>CertIDs per warm-up request: the default request limit of the operator's responder (<see cref="OcspResponderOptions.MaxRequestsPerMessage"/>).</summary>
    public const int WarmUpBatch = 16;

    private async Task WarmUpBatchAsync(X509Certificate2 issuer, X509Certificate2[] leaves)
    {
        if (leaves.Length == 1)
        {
            await CheckAsync(leaves[0]).ConfigureAwait(false);
            return;
        }
        var request = OcspRequestBuilder.Build([.. leaves.Select(l => OcspCertId.For(l, issuer))], RandomNumberGenerator.GetBytes(OcspRequestBuilder.DefaultNonceLength));
        OcspVerification[]? answers = null;
        try
        {
            using var timeout = new CancellationTokenSource(QueryTimeout);
            var response = await _queryAsync(request.Der, timeout.Token).ConfigureAwait(false);
            answers = OcspResponseVerifier.VerifyEach(response, request.CertIds, issuer, request.Nonce, new OcspVerificationOptions { Now = _time.GetUtcNow() });
        }
        catch (Exception e) when (IsUnreachable(e))
        {
            // Each is asked about on its own below, and refused there if the responder stays unreachable.
        }
        var rest = new List<Task>();
        for (var i = 0; i < leaves.Length; i++)
        {
            // A status this response gave for exactly this CertID is judged as a single answer would be; anything else
            // (envelope refused, CertID missing, stale) is asked again alone, with that path's failure handling.
            if (answers?[i] is { Status: not null } answer)
                Store(CertificateSerial.Of(leaves[i]), Judged(answer, CertificateSerial.Of(leaves[i]), Name(leaves[i])));
            else
                rest.Add(CheckAsync(leaves[i]));
        }
        await Task.WhenAll(rest).ConfigureAwait(false);
    }

    /// <summary>The unexpired cached verdict, refreshing a good one in the background past 80 % of its life; null when none.</summary>
    private ChainVerdict? Cached(X509Certificate2 leaf, string serial)
    {
        if (!_cache.TryGetValue(serial, out var cached) || _time.GetUtcNow() >= cached.ExpiresAt)
            return null;
        if (cached.Verdict.IsValid && _time.GetUtcNow() >= cached.RefreshAt && cached.TryClaimRefresh())
            _ = FetchOnceAsync(leaf, serial);
        return cached.Verdict;
    }

    /// <summary>One query per serial at a time (the handshakes and requests of one peer share it).</summary>
    private Task<Entry> FetchOnceAsync(X509Certificate2 leaf, string serial)
    {
        var mine = new TaskCompletionSource<Entry>(TaskCreationOptions.RunContinuationsAsynchronously);
        var task = _inFlight.GetOrAdd(serial, mine.Task);
        if (task != mine.Task)
            return task;
        _ = Task.Run(async () =>
        {
            try
            {
                mine.SetResult(await FetchAsync(leaf, serial).ConfigureAwait(false));
            }
#pragma warning disable CA1031 // Whatever went wrong, the peer is refused (fail-closed) and waiting requests are released.
            catch (Exception e)
#pragma warning restore CA1031
            {
                mine.SetResult(Store(serial, Failure(serial, CertificateSubject.Sanitise(leaf.GetNameInfo(X509NameType.SimpleName, false)), e.GetType().Name)));
            }
            finally
            {
                _inFlight.TryRemove(new KeyValuePair<string, Task<Entry>>(serial, mine.Task));
            }
        });
        return mine.Task;
    }

    private async Task<Entry> FetchAsync(X509Certificate2 leaf, string serial)
    {
        var (request, issuer, name) = Prepare(leaf);
        if (request is null)
            return Store(serial, Failure(serial, name, NoIssuer));
        byte[] response;
        try
        {
            using var timeout = new CancellationTokenSource(QueryTimeout);
            response = await _queryAsync(request.Der, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (IsUnreachable(e))
        {
            return Store(serial, Failure(serial, name, Unreachable(e)));
        }
        return Store(serial, Judge(response, request, issuer!, serial, name));
    }

    private const string NoIssuer = "its issuer is not the operator's issuing CA, so no responder answers for it";

    private static bool IsUnreachable(Exception e) => e is HttpRequestException or OperationCanceledException or IOException or InvalidOperationException;

    private string Unreachable(Exception e) => $"the OCSP responder{(Responder is null ? "" : $" at {Responder}")} is unreachable ({e.GetType().Name})";

    private (OcspRequest? Request, X509Certificate2? Issuer, string Name) Prepare(X509Certificate2 leaf)
    {
        var issuer = IssuerOf(leaf);
        return issuer is null ? (null, null, Name(leaf)) : (OcspRequestBuilder.Build(leaf, issuer), issuer, Name(leaf));
    }

    private X509Certificate2? IssuerOf(X509Certificate2 leaf) => _issuers.FirstOrDefault(i => i.SubjectName.RawData.AsSpan().SequenceEqual(leaf.IssuerName.RawData));

    private static string Name(X509Certificate2 leaf) => CertificateSubject.Sanitise(leaf.GetNameInfo(X509NameType.SimpleName, false));

    private Entry Judge(byte[] response, OcspRequest request, X509Certificate2 issuer, string serial, string name) =>
        Judged(OcspResponseVerifier.Verify(response, request.CertId, issuer, request.Nonce, new OcspVerificationOptions { Now = _time.GetUtcNow() }), serial, name);

    private Entry Judged(OcspVerification answer, string serial, string name)
    {
        var now = _time.GetUtcNow();
        if (answer.Reason is RefusalReason.ResponderError or RefusalReason.BadSignature or RefusalReason.UnauthorisedResponder or RefusalReason.NoNonce
            or RefusalReason.NonceMismatch or RefusalReason.StaleResponse)
            return Failure(serial, name, $"the OCSP answer is unusable ({answer.Reason})");
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
        return new Entry(verdict, now + lifetime, now + lifetime * 0.8);
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
