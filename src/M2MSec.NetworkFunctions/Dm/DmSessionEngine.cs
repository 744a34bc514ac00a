using M2MSec.Dm;
using M2MSec.Dm.Auth;
using M2MSec.Dm.SyncMl;
using M2MSec.Storage.Audit;
using M2MSec.Storage.Dm;
using Microsoft.Extensions.Logging;

namespace M2MSec.NetworkFunctions.Dm;

/// <summary>
/// The DM server's side of a session (OMA-TS-DM_Protocol-V1_2 §8, packages 0–4), over the SyncML
/// model — no bytes here. A message at the base URI must authenticate per the device's account (a missing or wrong
/// credential gets 407/401 with a Chal carrying the account's one pending nonce, inside a normal answer — a real
/// client ends its session on any HTTP status but 200 — and the second failure ends the session). An authenticated
/// one opens a session bound to a RespURI with an unguessable token (§8.3): the session's later messages are accepted
/// only there (auth-MAC accounts also MAC every one), until it ends or goes idle. Once authenticated the queued commands
/// go out (package 2), split over messages to respect the device's MaxMsgSize and as large objects when a value alone is
/// too big; Status and Results that come back (package 3) are recorded against the job, and a job ends "done" only if
/// every command succeeded and every value written reads back equal. The server proves itself (auth-md5 Cred, or an
/// x-syncml-hmac header under auth-MAC) only in answers to authenticated messages. Decisions: docs/decisions/013.
/// </summary>
/// <param name="store">Accounts and jobs.</param>
/// <param name="serverUri">Our Source LocURI when the request does not say.</param>
/// <param name="time">The clock.</param>
/// <param name="options">Session binding, idle time, bounds, back-off.</param>
/// <param name="audit">Authentication failures, session start and end, job state changes (none when null). It must be the log of
/// <paramref name="store"/>'s state: an entry recording a change of the store (a session's start with its nonce, a job's move, a session's
/// end) is handed to the store and commits in that change's transaction; refusals and failures are appended here, each its own commit
/// (decision 036).</param>
/// <param name="logger">One line per session.</param>
/// <param name="maxMsgSize">Our MaxMsgSize, announced in every message (the device splits what it sends to fit).</param>
/// <param name="metrics">Sessions by outcome and authentication failures (issue 20; none when null).</param>
public sealed class DmSessionEngine(IDmStore store, string serverUri, TimeProvider time, DmSessionOptions? options = null, IAuditLog? audit = null,
    ILogger? logger = null, long maxMsgSize = 64 * 1024, DmMetrics? metrics = null)
{
    private const string Actor = "dm-server";
    private readonly DmSessionOptions _options = options ?? new DmSessionOptions();
    private DmSessionTable? _table;
    private DmChallenge? _challenge;
    private DmBackOff? _backOff;
    private long _lastSweepMs;

    private DmSessionTable Sessions => _table ??= new DmSessionTable(time, _options);
    private DmChallenge Challenges => _challenge ??= new DmChallenge(store, time, _options);
    private DmBackOff BackOff => _backOff ??= new DmBackOff(time, _options);

    /// <summary>
    /// Called after a job this instance moved to "done" or "failed" (its commands with their statuses and Results in the store):
    /// the hook a function on top of the DM server (the DPF) uses to act on what a device answered. An exception it throws is
    /// logged, never allowed to break the session.
    /// </summary>
    public Func<DmJobFinished, CancellationToken, Task>? JobFinished { get; set; }

    /// <summary>
    /// Decision 038: asked once a session's jobs finished (after <see cref="JobFinished"/>): null when the function expects no further job
    /// for the device, else a task that completes true once it queued one (the session takes it) or false when none will come.
    /// </summary>
    public Func<string, Task<bool>?>? NextWork { get; set; }

    /// <summary>The largest object a device may send us in chunks (Results of a Get): beyond it, 413 and the chunks are dropped.</summary>
    public const int MaxLargeObjectBytes = 1024 * 1024;

    /// <summary>Live sessions on this instance.</summary>
    public int LiveSessions => Sessions.Count;

    /// <summary>Whether a live session of this instance carries the job (issue 16: a running job no session holds was lost with its session).</summary>
    internal bool HoldsJob(string jobId) => Sessions.HoldsJob(jobId);

    /// <summary>Failed authentications counted against <paramref name="source"/> in its back-off window.</summary>
    public int FailuresFrom(string source) => BackOff.SourceFailures(source);

    /// <param name="incoming">The client's message.</param>
    /// <param name="hmacHeader">Its x-syncml-hmac header, if any (auth-MAC).</param>
    /// <param name="body">Its exact bytes (auth-MAC digests them).</param>
    /// <param name="cancellationToken">Cancels the store work.</param>
    /// <param name="requestUri">The URI the client reached us at (HTTP); in process, the message's Target LocURI.</param>
    /// <param name="source">The client's address (back-off); "in-process" when null.</param>
    public async Task<DmServerReply> HandleAsync(SyncMlMessage incoming, string? hmacHeader, ReadOnlyMemory<byte> body, CancellationToken cancellationToken,
        string? requestUri = null, string? source = null)
    {
        ArgumentNullException.ThrowIfNull(incoming);
        var at = requestUri ?? incoming.Header.Target.LocUri;
        if (DmHeaderLimits.Violation(incoming.Header, hmacHeader, at) is not null)
            return new DmServerReply(Refusal(DmHeaderLimits.Clipped(incoming), DmStatusCode.BadRequest, serverUri)); // nothing read further, nothing written
        await SweepLocalAsync(cancellationToken).ConfigureAwait(false);
        var (baseUri, instance, token) = DmSessionTable.Split(at);
        source ??= "in-process";
        return token is null
            ? await StartAsync(incoming, hmacHeader, body, baseUri, source, cancellationToken).ConfigureAwait(false)
            : await ContinueAsync(incoming, hmacHeader, body, instance, token, source, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A message at the base URI: it must authenticate, and then opens a new session (whatever its SessionID).</summary>
    private async Task<DmServerReply> StartAsync(SyncMlMessage incoming, string? hmacHeader, ReadOnlyMemory<byte> body, string baseUri, string source, CancellationToken ct)
    {
        var devId = incoming.Header.Source.LocUri;
        var sessionId = incoming.Header.SessionId;
        var account = await store.FindAccountAsync(devId, ct).ConfigureAwait(false);
        // An unknown DevId is answered like a known one, with a nonce of the same shape that nothing stores.
        DmNonce nonce;
        if (account is null)
            nonce = Challenges.ForUnknown(devId);
        else
            (account, nonce) = await Challenges.PendingAsync(account, ct).ConfigureAwait(false);
        var verdict = account is null
            ? (incoming.Header.Cred?.Data is not null || hmacHeader is not null ? DmStatusCode.InvalidCredentials : DmStatusCode.MissingCredentials)
            : Authenticate(incoming, account, hmacHeader, body, nonce);
        // First contact (OMA-TS-DM_Security-V1_2 §5.1.3): a device never given a nonce (the bootstrap carries no AAuthData) digests over the
        // empty one. The right password over it is answered with the pending nonce like a message without a credential — not a guess, so
        // neither a failure nor audited (decision 036). A wrong one over it stays a failure.
        var firstContact = verdict == DmStatusCode.InvalidCredentials && account is not null && nonce.Bytes.Length > 0
            && Authenticate(incoming, account, hmacHeader, body, DmNonce.Empty) == DmStatusCode.AuthenticationAccepted;
        if (BackOff.SessionFailures(source, devId, sessionId) >= 2)
            (verdict, firstContact) = (DmStatusCode.InvalidCredentials, false); // this session already ended on its second failure

        if (verdict == DmStatusCode.AuthenticationAccepted)
        {
            var reply = new DmReplyBuilder(incoming, baseUri, maxMsgSize);
            if (IsPlainHttp(baseUri) && account!.ClientAuth != "hmac" && !_options.AllowPlainHttpSessions)
            {
                // The session token would travel in clear with nothing else protecting the session's messages.
                await AuditAsync("dm.session.refused", devId, $"session {sessionId}: {account.ClientAuth} account over plain HTTP", ct).ConfigureAwait(false);
                reply.HeaderStatus(DmStatusCode.Forbidden, null);
                return new DmServerReply(reply.Build(null, final: true));
            }
            // A device authenticating anew has walked away from its older sessions.
            foreach (var old in Sessions.All.Where(s => s.DevId == devId).ToList())
            {
                if (Sessions.Remove(old))
                    await EndAsync(old, "superseded", "session-expired", ct).ConfigureAwait(false);
            }
            if (Sessions.Count >= _options.MaxSessions)
            {
                reply.HeaderStatus(DmStatusCode.ServiceUnavailable, null);
                return new DmServerReply(reply.Build(null, final: true));
            }
            // The pending nonce is used up (compare-and-swap: a replayed credential, or a second instance, loses).
            // Its entry commits with the nonce's replacement (decision 036): no session start without its entry, no entry for a replay.
            var serverNonce = ServerNonceIn(incoming);
            if (await Challenges.ReplaceAsync(account!, nonce, Entry("dm.session.start", devId, $"session {sessionId}, auth {account!.ClientAuth}"), ct, serverNonce)
                .ConfigureAwait(false) is { } next)
            {
                var token = DmSessionTable.NewToken();
                var state = new DmSessionState(time.GetUtcNow(), account! with { ClientNonce = next.ToWire() }, sessionId, System.Text.Encoding.ASCII.GetBytes(token), baseUri)
                {
                    MacNonce = account!.ClientAuth == "hmac" ? next : null,
                };
                if (incoming.Header.Meta?.MaxMsgSize is > 0 and var max)
                    state.MaxMsgSize = Math.Min(max, SyncMlLimits.Default.MaxDocumentBytes);
                if (!Sessions.TryAdd(state))
                {
                    // Filled meanwhile by another device: the session that started (its nonce used, its entry written) ends at once.
                    await AuditAsync("dm.session.end", devId, $"session {sessionId}: no room (MaxSessions)", ct).ConfigureAwait(false);
                    reply.HeaderStatus(DmStatusCode.ServiceUnavailable, null);
                    return new DmServerReply(reply.Build(null, final: true));
                }
                reply.RespUri = Sessions.RespUri(baseUri, token);
                reply.HeaderStatus(DmStatusCode.AuthenticationAccepted, Challenge(account, next));
                return await ProcessAsync(incoming, state, reply, ct, serverNonceKept: serverNonce is not null).ConfigureAwait(false);
            }
            verdict = DmStatusCode.InvalidCredentials;
        }
        return await RefuseAsync(incoming, account, verdict, nonce, baseUri, source, firstContact, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// A failed or missing credential: the pending nonce again (nothing written), or, at the second failure, the end. <paramref name="firstContact"/>:
    /// the right password over the empty nonce, challenged (401 with the pending nonce) but not a failure.
    /// </summary>
    private async Task<DmServerReply> RefuseAsync(SyncMlMessage incoming, DmAccount? account, int verdict, DmNonce nonce, string baseUri, string source, bool firstContact,
        CancellationToken ct)
    {
        var devId = incoming.Header.Source.LocUri;
        // A message without a credential is challenged (407): not a guess, so not a failure. A wrong one (401) is.
        var challenged = verdict == DmStatusCode.MissingCredentials || firstContact;
        var (failures, delay) = challenged
            ? (BackOff.SessionFailures(source, devId, incoming.Header.SessionId), TimeSpan.Zero)
            : BackOff.Fail(source, devId, incoming.Header.SessionId);
        var ended = failures >= 2;
        if (!challenged)
            metrics?.AuthFailed(devId, account?.ClientAuth);
        if (ended && account is not null)
            metrics?.SessionEnded(devId, DmSessionOutcomes.AuthFailed);
        // Audited for accounts that exist, a bounded number of times per source and window (the log must not be a way to fill the store).
        if (account is not null && !challenged && BackOff.SourceFailures(source) <= 2 * _options.BackOffThreshold)
        {
            await AuditAsync("dm.auth.failure", devId, $"session {incoming.Header.SessionId}, auth {account.ClientAuth}, status {verdict}{(ended ? ", session ended" : "")}",
                ct).ConfigureAwait(false);
        }
        if (ended && account is not null)
            LogSession(devId, incoming.Header.SessionId, account.ClientAuth, $"failed ({verdict})", 0, [], TimeSpan.Zero, "ended after a second authentication failure");
        if (delay > TimeSpan.Zero)
            await Task.Delay(delay, time, ct).ConfigureAwait(false);
        var reply = new DmReplyBuilder(incoming, baseUri, maxMsgSize);
        reply.HeaderStatus(verdict, ended ? null : Challenge(account, nonce));
        foreach (var c in incoming.Commands.Where(c => c is not StatusCommand))
            reply.Status(c, ended ? DmStatusCode.InvalidCredentials : DmStatusCode.MissingCredentials);
        return new DmServerReply(reply.Build(null, final: true)); // no Cred, no MAC: the peer has not authenticated
    }

    /// <summary>A message at a session's RespURI: only the live session holding that token, for its device and SessionID.</summary>
    private async Task<DmServerReply> ContinueAsync(SyncMlMessage incoming, string? hmacHeader, ReadOnlyMemory<byte> body, string? instance, string token, string source,
        CancellationToken ct)
    {
        var state = Sessions.Find(instance, token);
        if (state is null || state.DevId != incoming.Header.Source.LocUri || state.SessionId != incoming.Header.SessionId)
        {
            // Unknown, ended or expired session (or someone else's): refused, nothing recorded.
            var (_, delay) = BackOff.Fail(source, incoming.Header.Source.LocUri, incoming.Header.SessionId);
            if (delay > TimeSpan.Zero)
                await Task.Delay(delay, time, ct).ConfigureAwait(false);
            var refusal = new DmReplyBuilder(incoming, serverUri, maxMsgSize);
            refusal.HeaderStatus(DmStatusCode.InvalidCredentials, null);
            return new DmServerReply(refusal.Build(null, final: true));
        }
        var reply = new DmReplyBuilder(incoming, state.BaseUri, maxMsgSize) { RespUri = Sessions.RespUri(state.BaseUri, token) };
        string? serverNonce = null;
        if (state.MacNonce is { } macNonce)
        {
            // auth-MAC: every message carries a MAC over the nonce we gave in our last message; each nonce serves once.
            var ok = hmacHeader is not null && AuthMac.Verify(new DmCredentials(state.Account.ClientUser, state.Account.ClientPassword), macNonce, body.Span, hmacHeader);
            serverNonce = ok ? ServerNonceIn(incoming) : null;
            var next = ok ? await Challenges.ReplaceAsync(state.Account, macNonce, null, ct, serverNonce).ConfigureAwait(false) : null;
            if (next is null)
            {
                state.Failures++;
                BackOff.Fail(source, state.DevId, state.SessionId);
                metrics?.AuthFailed(state.DevId, "hmac");
                await AuditAsync("dm.auth.failure", state.DevId, $"session {state.SessionId}, auth hmac, in session{(state.Failures >= 2 ? ", session ended" : "")}", ct)
                    .ConfigureAwait(false);
                if (state.Failures >= 2 && Sessions.Remove(state))
                    await EndAsync(state, "failed (second authentication failure)", "auth-failed", ct).ConfigureAwait(false);
                reply.RespUri = null;
                reply.HeaderStatus(hmacHeader is null ? DmStatusCode.MissingCredentials : DmStatusCode.InvalidCredentials, null);
                return new DmServerReply(reply.Build(null, final: true));
            }
            state.MacNonce = next;
            state.Account = state.Account with { ClientNonce = next.ToWire() };
            reply.HeaderStatus(DmStatusCode.Ok, Challenge(state.Account, next));
        }
        else
        {
            reply.HeaderStatus(DmStatusCode.Ok, null);
        }
        state.LastActivity = time.GetUtcNow();
        return await ProcessAsync(incoming, state, reply, ct, serverNonceKept: serverNonce is not null).ConfigureAwait(false);
    }

    /// <summary>
    /// The nonce an authenticated message gives the server: the Chal of its Status for our SyncHdr (the last well-formed one); null when none.
    /// </summary>
    private static string? ServerNonceIn(SyncMlMessage incoming) =>
        incoming.Commands.OfType<StatusCommand>().LastOrDefault(s => s.CmdRef == "0" && DmNonce.TryFromWire(s.Chal?.Meta?.NextNonce, out _))?.Chal!.Meta!.NextNonce;

    /// <summary>
    /// An authenticated message of <paramref name="state"/>'s session: record what came back, send what is queued. <paramref name="serverNonceKept"/>:
    /// the message's nonce for the server was stored with the client nonce's replacement already.
    /// </summary>
    private async Task<DmServerReply> ProcessAsync(SyncMlMessage incoming, DmSessionState state, DmReplyBuilder reply, CancellationToken cancellationToken,
        bool serverNonceKept = false)
    {
        var devId = state.DevId;
        var account = state.Account;
        // The authenticated client's Status for our previous message carries its Chal: the nonce for our next Cred /
        // MAC / notification digest (never taken from a message that has not authenticated: it would let anyone
        // reset a device's nonce).
        // Decision 041: kept in the session and stored with its end (or with the client nonce's swap already), not one commit per message.
        if (ServerNonceIn(incoming) is { } serverNonce)
        {
            state.UnsavedServerNonce = serverNonceKept ? null : serverNonce;
            account = state.Account = account with { ServerNonce = serverNonce };
        }

        // The device refused our credential (401/407 on our SyncHdr): with a fresh nonce in the same message, once, we
        // resend our last message with a Cred over it (a client that cannot keep nonces expects its new one); else the end.
        var refused = incoming.Commands.OfType<StatusCommand>()
            .FirstOrDefault(s => s.CmdRef == "0" && s.Code is DmStatusCode.InvalidCredentials or DmStatusCode.MissingCredentials);
        if (refused is not null)
        {
            if (state.CredRetried || !DmNonce.TryFromWire(refused.Chal?.Meta?.NextNonce, out _))
            {
                Sessions.Remove(state);
                await EndAsync(state, "the device refused the server's credential", "server-credential-refused", cancellationToken).ConfigureAwait(false);
                return Sign(reply.Build(ServerCred(account), final: true), account);
            }
            state.CredRetried = true;
            state.Outbox.Clear();
            foreach (var o in state.PreviousOutbox)
                state.Outbox.AddLast(o);
        }

        // Issue 19: what the message changes in the store — the device's statuses and results, the jobs taken, the commands marked sent, the
        // session's end — commits once, before the reply leaves (was one commit each); the functions hear of finished jobs after it.
        Dictionary<string, (string JobId, int Seq)> sentBefore = [];
        var before = 0;
        var final = false;
        List<(string Id, string State, string? Reason)>? finishedForNextJob = null;
        var message = await store.InOneCommitAsync(async () =>
        {
            if (refused is null)
                await RecordAsync(incoming, state, reply, cancellationToken).ConfigureAwait(false);
            if (!incoming.Final && !incoming.Commands.OfType<AlertCommand>().Any(a => a.Code == 1222))
            {
                // The device's package continues in its next message: ask for it (§8.7), send nothing new meanwhile.
                reply.NextMessageAlert();
                return new DmMessageEnd(Sign(reply.Build(ServerCred(account), final: false), account), [], null);
            }
            if (!state.JobsTaken)
            {
                state.JobsTaken = true;
                await TakeQueuedJobsAsync(state, cancellationToken).ConfigureAwait(false);
            }
            state.PreviousOutbox = [.. state.Outbox];
            sentBefore = new Dictionary<string, (string JobId, int Seq)>(state.Sent, StringComparer.Ordinal);
            before = reply.CommandCount;
            final = DmMessagePacker.Fill(reply, state);
            if (reply.CommandCount != before || !final || !MayWaitForNextJob(state))
                return await EndMessageAsync(state, reply, sentBefore, before, final, cancellationToken).ConfigureAwait(false);
            // Decision 038: the session's jobs are answered; they finish with this commit, and the wait for the function's next job comes
            // after it (the function writes that job meanwhile).
            finishedForNextJob = await FinishJobsAsync(devId, state, cancellationToken).ConfigureAwait(false);
            state.Finished.AddRange(finishedForNextJob.Select(f => $"{f.Id} {f.State}"));
            return null;
        }, cancellationToken).ConfigureAwait(false);
        if (finishedForNextJob is not null)
        {
            var next = await WaitForNextJobAsync(state, finishedForNextJob, cancellationToken).ConfigureAwait(false);
            message = await store.InOneCommitAsync(async () =>
            {
                if (next && await TakeQueuedJobsAsync(state, cancellationToken).ConfigureAwait(false) > 0)
                {
                    // The function queued the device's next job meanwhile: it goes out now, in this session.
                    state.PreviousOutbox = [.. state.Outbox];
                    final = DmMessagePacker.Fill(reply, state);
                }
                return await EndMessageAsync(state, reply, sentBefore, before, final, cancellationToken).ConfigureAwait(false);
            }, cancellationToken).ConfigureAwait(false);
        }
        if (message!.SessionOutcome is { } outcome)
        {
            LogSession(devId, state.SessionId, account.ClientAuth, "accepted", state.CommandsSent, state.Statuses, time.GetUtcNow() - state.Started, outcome);
            metrics?.SessionEnded(devId, DmSessionOutcomes.Completed);
        }
        foreach (var (id, jobState, reason) in message.FinishedJobs)
            await NotifyAsync(new DmJobFinished(id, devId, jobState, reason), cancellationToken).ConfigureAwait(false);
        return message.Reply;
    }

    /// <summary>Decision 038: whether a session whose jobs are answered may wait for the function's next job (<see cref="WaitForNextJobAsync"/>).</summary>
    private bool MayWaitForNextJob(DmSessionState state) => NextWork is not null && state.Jobs.Count > 0 && _options.NextJobWait > TimeSpan.Zero;

    /// <summary>
    /// The store's side of a reply about to leave: its commands marked sent, and when nothing is left to send, the session's end (its jobs
    /// finished, recorded); else now and then the jobs' last activity. Runs inside the message's commit; returns the reply and the jobs that ended.
    /// </summary>
    private async ValueTask<DmMessageEnd> EndMessageAsync(DmSessionState state, DmReplyBuilder reply, Dictionary<string, (string JobId, int Seq)> sentBefore, int before,
        bool final, CancellationToken cancellationToken)
    {
        var devId = state.DevId;
        var account = state.Account;
        await MarkSentAsync(state, sentBefore, cancellationToken).ConfigureAwait(false);
        List<(string Id, string State, string? Reason)> finishedJobs = [];
        if (reply.CommandCount == before && final)
        {
            // Nothing more to send and nothing outstanding: this reply (no commands) ends the session.
            Sessions.Remove(state);
            finishedJobs = await FinishJobsAsync(devId, state, cancellationToken).ConfigureAwait(false);
            await store.RecordSessionAsync(devId, time.GetUtcNow(), DmSessionOutcomes.Completed, state.UnsavedServerNonce,
                Entry("dm.session.end", devId, $"session {state.SessionId}: completed"), cancellationToken).ConfigureAwait(false);
            var outcomes = state.Finished.Concat(finishedJobs.Select(f => $"{f.Id} {f.State}")).ToList();
            return new DmMessageEnd(Sign(reply.Build(ServerCred(account), final), account), finishedJobs,
                outcomes.Count == 0 ? "completed" : "completed: " + string.Join(", ", outcomes));
        }
        else if (time.GetUtcNow() - state.LastTouched > TimeSpan.FromSeconds(5))
        {
            // The jobs' last activity, for instances that look for jobs whose session went away (SweepAsync).
            state.LastTouched = time.GetUtcNow();
            foreach (var job in state.Jobs)
                await store.SetJobStateAsync(job, "running", ["running"], cancellationToken).ConfigureAwait(false);
        }
        return new DmMessageEnd(Sign(reply.Build(ServerCred(account), final), account), finishedJobs, null);
    }

    /// <summary>
    /// A reply, the jobs its message ended and, when it ended the session, how (logged, counted and the functions told once the message's
    /// changes have committed).
    /// </summary>
    private sealed record DmMessageEnd(DmServerReply Reply, List<(string Id, string State, string? Reason)> FinishedJobs, string? SessionOutcome);

    /// <summary>Marks what this message carries as sent (a command with no status after the session is "unknown", not "never sent").</summary>
    private async Task MarkSentAsync(DmSessionState state, Dictionary<string, (string JobId, int Seq)> before, CancellationToken ct)
    {
        var sent = state.Sent.Where(kv => !before.TryGetValue(kv.Key, out var v) || v != kv.Value).Select(kv => kv.Value).ToList();
        state.CommandsSent += sent.Count;
        foreach (var job in sent.GroupBy(s => s.JobId))
            await store.MarkSentAsync(job.Key, [.. job.Select(s => s.Seq).Distinct()], ct).ConfigureAwait(false);
        if (sent.Count > 0)
            state.LastTouched = time.GetUtcNow();
    }

    /// <summary>A session ends without completing: its running jobs fail with <paramref name="reason"/>.</summary>
    private async Task EndAsync(DmSessionState state, string outcome, string reason, CancellationToken ct)
    {
        foreach (var job in state.Jobs)
        {
            if (await store.FailJobAsync(job, reason, ["running"], Entry("dm.job.failed", state.DevId, $"{job}: {reason}"), ct).ConfigureAwait(false))
                await NotifyAsync(new DmJobFinished(job, state.DevId, "failed", reason), ct).ConfigureAwait(false);
        }
        await store.RecordSessionAsync(state.DevId, time.GetUtcNow(), reason, state.UnsavedServerNonce,
            Entry("dm.session.end", state.DevId, $"session {state.SessionId}: {outcome}"), ct).ConfigureAwait(false);
        metrics?.SessionEnded(state.DevId, reason);
        LogSession(state.DevId, state.SessionId, state.Account.ClientAuth, "accepted", state.CommandsSent, state.Statuses, state.LastActivity - state.Started, outcome);
    }

    /// <summary>Ends this instance's idle sessions (at most once a second, on the request path).</summary>
    private async Task SweepLocalAsync(CancellationToken ct)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var last = Interlocked.Read(ref _lastSweepMs);
        if (now - last < 1000 || Interlocked.CompareExchange(ref _lastSweepMs, now, last) != last)
            return;
        foreach (var idle in Sessions.TakeIdle())
            await EndAsync(idle, "expired (idle)", "session-expired", ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Ends idle sessions, then fails every "running" job (of any instance on the store) whose last activity is older than
    /// the idle timeout and that no live session here holds — after a restart or the loss of another instance, no job
    /// stays running for ever. Returns how many jobs it failed.
    /// </summary>
    public async Task<int> SweepAsync(CancellationToken cancellationToken = default)
    {
        foreach (var idle in Sessions.TakeIdle())
            await EndAsync(idle, "expired (idle)", "session-expired", cancellationToken).ConfigureAwait(false);
        var failed = 0;
        foreach (var job in await store.ListIdleJobsAsync("running", time.GetUtcNow() - _options.IdleTimeout, cancellationToken).ConfigureAwait(false))
        {
            if (Sessions.HoldsJob(job.Id)
                || !await store.FailJobAsync(job.Id, "session-expired", ["running"], Entry("dm.job.failed", job.DevId, $"{job.Id}: session-expired (no live session)"),
                    cancellationToken).ConfigureAwait(false))
                continue;
            failed++;
            await NotifyAsync(new DmJobFinished(job.Id, job.DevId, "failed", "session-expired"), cancellationToken).ConfigureAwait(false);
        }
        return failed;
    }

    private async Task NotifyAsync(DmJobFinished finished, CancellationToken ct)
    {
        if (JobFinished is not { } observer)
            return;
        try
        {
            await observer(finished, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger?.LogWarning("dm job {JobId} of {DevId}: its observer failed: {Message}", finished.JobId, finished.DevId, e.Message);
        }
    }

    private static bool IsPlainHttp(string uri) => !uri.StartsWith("https://", StringComparison.OrdinalIgnoreCase);

    /// <summary>An entry appended on its own, its own commit: refusals and failures, which no later failure may take away.</summary>
    private async Task AuditAsync(string action, string subject, string detail, CancellationToken ct)
    {
        if (audit is not null)
            await audit.AppendAsync(Actor, action, subject, detail, ct).ConfigureAwait(false);
    }

    /// <summary>An entry for the store to write in the transaction of the change it records (decision 036); none without an audit log.</summary>
    private AuditRecord? Entry(string action, string subject, string detail) => audit is null ? null : new AuditRecord(Actor, action, subject, detail);

    /// <summary>The one line per session (never a secret or the session token).</summary>
    private void LogSession(string devId, string sessionId, string scheme, string authResult, int sent, IReadOnlyList<int> statuses, TimeSpan duration, string outcome)
    {
        if (logger is null || !logger.IsEnabled(LogLevel.Information))
            return;
        var codes = string.Join(" ", statuses.GroupBy(c => c).OrderBy(g => g.Key).Select(g => $"{g.Key}x{g.Count()}"));
        logger.LogInformation("dm session {DevId} {SessionId}: auth {Scheme} {AuthResult}, {Sent} command(s) sent, statuses [{Statuses}], {DurationMs} ms, {Outcome}",
            devId, sessionId, scheme, authResult, sent, codes, (long)duration.TotalMilliseconds, outcome);
    }

    /// <summary>
    /// One message in, one out, as bytes (what the HTTP endpoint does): the device's body and x-syncml-hmac header in,
    /// the answer in the same representation with its header out. A hostile or broken message gets a SyncML error
    /// status when its header was readable; null when not even that (the transport answers it with a plain error).
    /// </summary>
    public async Task<SyncMlWireMessage?> ExchangeAsync(SyncMlWireMessage wire, bool wbxml, CancellationToken cancellationToken, string? requestUri = null,
        string? source = null)
    {
        ArgumentNullException.ThrowIfNull(wire);
        var parsed = wbxml ? SyncMlWbxml.TryParse(wire.Body, out var message, out var error) : SyncMlXml.TryParse(wire.Body, out message, out error);
        if (!parsed)
        {
            return error!.Header is { } header
                ? new SyncMlWireMessage(Write(Refusal(DmHeaderLimits.Clipped(new SyncMlMessage { Header = header }), error.StatusCode, serverUri), wbxml))
                : null;
        }
        var reply = await HandleAsync(message!, wire.Hmac, wire.Body, cancellationToken, requestUri ?? wire.Target, source).ConfigureAwait(false);
        var body = Write(reply.Message, wbxml);
        // auth-MAC: the server's digest over exactly the bytes it sends (OMA-TS-DM_Security-V1_2 §5.1.4.2).
        return new SyncMlWireMessage(body, reply.HmacHeaderFor(body));
    }

    /// <summary>In process, XML (tests, benchmarks, a co-located device): the message goes where its Target says; an unreadable one throws.</summary>
    public async Task<SyncMlWireMessage> ExchangeXmlAsync(SyncMlWireMessage wire, CancellationToken cancellationToken) =>
        await ExchangeAsync(wire, wbxml: false, cancellationToken).ConfigureAwait(false)
        ?? throw new FormatException("not a SyncML message: its header is unreadable");

    private static byte[] Write(SyncMlMessage message, bool wbxml) => wbxml ? SyncMlWbxml.Write(message) : SyncMlXml.Write(message);

    /// <summary>The answer to a message that could not be read past its header: the error status on SyncHdr, and Final.</summary>
    public static SyncMlMessage Refusal(SyncMlMessage incoming, int code, string serverUri)
    {
        ArgumentNullException.ThrowIfNull(incoming);
        var reply = new DmReplyBuilder(incoming, serverUri);
        reply.HeaderStatus(code, null);
        return reply.Build(null, final: true);
    }

    /// <summary>The DM status of the client's credential against its account.</summary>
    private static int Authenticate(SyncMlMessage message, DmAccount account, string? hmacHeader, ReadOnlyMemory<byte> body, DmNonce nonce)
    {
        var credentials = new DmCredentials(account.ClientUser, account.ClientPassword);
        if (account.ClientAuth == "hmac")
        {
            if (hmacHeader is null)
                return DmStatusCode.MissingCredentials;
            return AuthMac.Verify(credentials, nonce, body.Span, hmacHeader) ? DmStatusCode.AuthenticationAccepted : DmStatusCode.InvalidCredentials;
        }
        var cred = message.Header.Cred;
        if (cred?.Data is null)
            return DmStatusCode.MissingCredentials;
        var type = cred.Meta?.Type ?? DmAuthSchemeNames.Basic;
        var ok = account.ClientAuth switch
        {
            "basic" => type == DmAuthSchemeNames.Basic && AuthBasic.Verify(credentials, cred.Data.Text),
            "md5" => type == DmAuthSchemeNames.Md5 && AuthMd5.Verify(credentials, nonce, cred.Data.Text),
            _ => false,
        };
        return ok ? DmStatusCode.AuthenticationAccepted : DmStatusCode.InvalidCredentials;
    }

    private static SyncMlChal Challenge(DmAccount? account, DmNonce nonce) => new()
    {
        Meta = new SyncMlMeta
        {
            Type = DmAuthSchemeNames.TryParseAccountName(account?.ClientAuth, out var scheme) ? scheme.ToWireName() : DmAuthSchemeNames.Md5,
            Format = "b64",
            NextNonce = nonce.ToWire(),
        },
    };

    internal static DmNonce ServerNonce(DmAccount account) =>
        DmNonce.TryFromWire(account.ServerNonce, out var n) ? n : DmNonce.Empty;

    /// <summary>Our Cred towards the device (auth-md5 with the nonce it last gave us; empty on first contact); none under auth-MAC.</summary>
    private static SyncMlCred? ServerCred(DmAccount account) => account.ServerAuth == "hmac" ? null : new()
    {
        Meta = new SyncMlMeta { Type = DmAuthSchemeNames.Md5, Format = "b64" },
        Data = AuthMd5.Compute(new DmCredentials(account.ServerId, account.ServerPassword), ServerNonce(account)),
    };

    private static DmServerReply Sign(SyncMlMessage message, DmAccount? account) => account is { ServerAuth: "hmac" }
        ? new DmServerReply(message, new DmCredentials(account.ServerId, account.ServerPassword), ServerNonce(account))
        : new DmServerReply(message);

    /// <summary>
    /// Records Status and Results for our commands (Results of a large object chunk by chunk) and answers the device's own commands. The
    /// message's statuses and Results are recorded together, one commit (issue 19), before the reply that follows them leaves.
    /// </summary>
    private async Task RecordAsync(SyncMlMessage incoming, DmSessionState state, DmReplyBuilder reply, CancellationToken ct)
    {
        await DmDeviceReports.KeepAsync(store, incoming.Header.Source.LocUri, incoming, time.GetUtcNow(), ct).ConfigureAwait(false); // authenticated only
        var recorded = new List<DmCommandResult>();
        foreach (var command in incoming.Commands)
        {
            switch (command)
            {
                case StatusCommand { Code: DmStatusCode.ChunkAccepted } chunk when state.Sent.ContainsKey(chunk.CmdRef):
                    break; // a large-object chunk buffered by the device: the next one goes out
                case StatusCommand status when state.Sent.TryGetValue(status.CmdRef, out var target) && (status.Cmd != "Get" || status.Code != DmStatusCode.Ok):
                    DropRemainder(state, target);
                    state.Statuses.Add(status.Code ?? DmStatusCode.CommandFailed);
                    recorded.Add(new DmCommandResult(target.JobId, target.Seq, status.Code ?? DmStatusCode.CommandFailed, null));
                    break;
                case StatusCommand:
                    break;
                case ResultsCommand results when state.Sent.TryGetValue(results.CmdRef, out var r):
                    var buffer = state.IncomingChunks.TryGetValue(results.CmdRef, out var b) ? b : state.IncomingChunks[results.CmdRef] = [];
                    foreach (var item in results.Items)
                        buffer.AddRange(item.Data?.RawBytes ?? []);
                    if (buffer.Count > MaxLargeObjectBytes)
                    {
                        state.IncomingChunks.Remove(results.CmdRef);
                        reply.Status(results, DmStatusCode.RequestEntityTooLarge);
                        recorded.Add(new DmCommandResult(r.JobId, r.Seq, DmStatusCode.RequestEntityTooLarge, null));
                        break;
                    }
                    if (results.Items.Any(i => i.MoreData))
                    {
                        reply.Status(results, DmStatusCode.ChunkAccepted);
                        break;
                    }
                    state.IncomingChunks.Remove(results.CmdRef);
                    state.Statuses.Add(DmStatusCode.Ok);
                    reply.Status(results, DmStatusCode.Ok);
                    recorded.Add(new DmCommandResult(r.JobId, r.Seq, DmStatusCode.Ok, System.Text.Encoding.UTF8.GetString([.. buffer])));
                    break;
                default:
                    reply.Status(command, command is AlertCommand or ReplaceCommand or ResultsCommand ? DmStatusCode.Ok : DmStatusCode.OptionalFeatureNotSupported);
                    break;
            }
        }
        await store.RecordResultsAsync(recorded, ct).ConfigureAwait(false);
    }

    /// <summary>A large object the device refused part-way: the rest of it is not sent.</summary>
    private static void DropRemainder(DmSessionState state, (string JobId, int Seq) target)
    {
        for (var node = state.Outbox.First; node is not null; node = node.Next)
        {
            if (node.Value.JobId == target.JobId && node.Value.Seq == target.Seq && node.Value.Remaining is not null)
            {
                state.Outbox.Remove(node);
                return;
            }
        }
    }

    /// <summary>Moves the device's queued jobs to "running" in this session and puts their commands in its outbox; returns how many.</summary>
    private async Task<int> TakeQueuedJobsAsync(DmSessionState state, CancellationToken ct)
    {
        var taken = 0;
        // Issue 19: the queued jobs only — one query, not every job the device ever had.
        foreach (var job in await store.ListQueuedJobsAsync(state.DevId, ct).ConfigureAwait(false))
        {
            if (job.State != "queued"
                || !await store.SetJobStateAsync(job.Id, "running", ["queued"], Entry("dm.job.running", state.DevId, $"{job.Id}: session {state.SessionId}"), ct)
                    .ConfigureAwait(false))
                continue;
            taken++;
            state.Jobs.Add(job.Id);
            foreach (var command in job.Commands)
                state.Outbox.AddLast(new DmOutgoing(ToSyncMl(command), job.Id, command.Seq));
        }
        return taken;
    }

    /// <summary>
    /// Decision 038: with <see cref="NextWork"/> set, a session whose jobs are all answered does not end at once. Its jobs finished (with
    /// the message's commit: <paramref name="finishedJobs"/>); the function is told, as at a session's end, and the session waits — at most
    /// <see cref="DmSessionOptions.NextJobWait"/> — for its follow-up: true once it queued a job for the device (the session takes it);
    /// false otherwise (the session ends as before, and the device's next session finds what comes later). A device then needs one
    /// session, not one per step.
    /// </summary>
    private async Task<bool> WaitForNextJobAsync(DmSessionState state, List<(string Id, string State, string? Reason)> finishedJobs, CancellationToken ct)
    {
        foreach (var (id, jobState, reason) in finishedJobs)
            await NotifyAsync(new DmJobFinished(id, state.DevId, jobState, reason), ct).ConfigureAwait(false);
        if (finishedJobs.Count == 0 || NextWork?.Invoke(state.DevId) is not { } next)
            return false; // no job of ours ended here (another instance moved it): nothing announced for this session
        try
        {
            // A bound on a wait, not a protocol time: real time, so that a test's stopped clock cannot hold a device's request for ever.
            if (!await next.WaitAsync(_options.NextJobWait, TimeProvider.System, ct).ConfigureAwait(false))
                return false;
        }
        catch (TimeoutException)
        {
            return false;
        }
        state.LastActivity = time.GetUtcNow();
        return true;
    }

    /// <summary>Ends the session's running jobs (done, or failed with why); returns those it moved, with their new state and reason.</summary>
    private async Task<List<(string Id, string State, string? Reason)>> FinishJobsAsync(string devId, DmSessionState state, CancellationToken ct)
    {
        var finished = new List<(string Id, string State, string? Reason)>();
        // Issue 19: the session's own jobs by id, not every job the device ever had; oldest first as before.
        var jobs = new List<DmJobRecord>();
        foreach (var id in state.Jobs)
            if (await store.FindJobAsync(id, ct).ConfigureAwait(false) is { } j && j.DevId == devId)
                jobs.Add(j);
        foreach (var job in jobs.OrderBy(j => j.CreatedAt).ThenBy(j => j.Id, StringComparer.Ordinal))
        {
            if (DmJobReadBack.FinalState(job) == "done")
            {
                if (await store.SetJobStateAsync(job.Id, "done", ["running"], Entry("dm.job.done", devId, job.Id), ct).ConfigureAwait(false))
                    finished.Add((job.Id, "done", null));
                continue;
            }
            var reason = job.Commands.Any(c => c.Status is null or >= 300) ? "command-failed" : "read-back-differs";
            if (await store.FailJobAsync(job.Id, reason, ["running"], Entry("dm.job.failed", devId, $"{job.Id}: {reason}"), ct).ConfigureAwait(false))
                finished.Add((job.Id, "failed", reason));
        }
        state.Jobs.Clear();
        return finished;
    }

    private static ItemCommand ToSyncMl(DmCommandRecord command)
    {
        var item = new SyncMlItem
        {
            Target = new SyncMlLocation(command.Uri),
            // An interior Add says so on its Item too: libdmclient reads only Item-level Meta (RepPro allows Meta on either).
            Meta = command.Verb is "replace" or "add" && command.Value is not null ? new SyncMlMeta { Format = command.Format ?? "chr", Type = command.Format is null or "chr" ? "text/plain" : null }
                : command.Verb == "add" ? new SyncMlMeta { Format = "node" } : null,
            // Always a Data element on Add (an interior Add without <Data> crashes a real client).
            Data = command.Value is not null ? SyncMlData.FromText(command.Value) : command.Verb == "add" ? SyncMlData.Empty : null,
        };
        ItemCommand c = command.Verb switch
        {
            "get" => new GetCommand { CmdId = "0" },
            "replace" => new ReplaceCommand { CmdId = "0" },
            "add" => new AddCommand { CmdId = "0", Meta = command.Value is null ? new SyncMlMeta { Format = "node" } : null },
            "delete" => new DeleteCommand { CmdId = "0" },
            "exec" => new ExecCommand { CmdId = "0" },
            _ => throw new InvalidOperationException($"unknown DM verb {command.Verb}"),
        };
        return c with { Items = [item] };
    }
}

/// <summary>A job that ended: "done", or "failed" with its reason (docs/decisions/013).</summary>
public sealed record DmJobFinished(string JobId, string DevId, string State, string? Reason);
