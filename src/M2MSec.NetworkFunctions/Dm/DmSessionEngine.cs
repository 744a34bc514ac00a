using System.Collections.Concurrent;
using M2MSec.Dm;
using M2MSec.Dm.Auth;
using M2MSec.Dm.SyncMl;
using M2MSec.Storage.Dm;
using M2MSec.Storage.Nonces;

namespace M2MSec.NetworkFunctions.Dm;

/// <summary>
/// The DM server's side of a session (OMA-TS-DM_Protocol-V1_2 §8, packages 0–4), over the SyncML
/// model — no bytes here. Package 1 (client Alert 1201, or 1200 after a notification, + DevInfo) is
/// authenticated per the device's account; a missing or wrong credential gets 407/401 with a Chal and a
/// fresh nonce, inside a normal answer (a real client ends its session on any HTTP status but 200), and a
/// second failure in the same session ends it. Once authenticated the queued commands go out (package 2),
/// split over messages to respect the device's MaxMsgSize and as large objects when a value alone is too
/// big; Status and Results that come back (package 3) are recorded against the job, and a job ends "done"
/// only if every command succeeded and every value written reads back equal. The server always proves
/// itself: auth-md5 Cred, or an x-syncml-hmac header (auth-MAC) when the account says so.
/// </summary>
/// <param name="store">Accounts and jobs.</param>
/// <param name="nonces">Single-use nonces across instances and restarts.</param>
/// <param name="serverUri">Our Source LocURI when the request does not say.</param>
/// <param name="time">The clock.</param>
/// <param name="maxMsgSize">Our MaxMsgSize, announced in every message (the device splits what it sends to fit).</param>
public sealed class DmSessionEngine(IDmStore store, INonceStore nonces, string serverUri, TimeProvider time, long maxMsgSize = 64 * 1024)
{
    private readonly ConcurrentDictionary<(string DevId, string SessionId), DmSessionState> _sessions = new();

    /// <summary>The nonce each device must use next for auth-md5 towards us (OMA DM Security §5.1.3: carried across sessions).</summary>
    private readonly ConcurrentDictionary<string, DmNonce> _clientNonces = new(StringComparer.Ordinal);

    /// <summary>The largest object a device may send us in chunks (Results of a Get): beyond it, 413 and the chunks are dropped.</summary>
    public const int MaxLargeObjectBytes = 1024 * 1024;

    /// <summary>How long a device may take to come back with the nonce it was given (its next session).</summary>
    public static TimeSpan NonceLifetime { get; } = TimeSpan.FromDays(30);

    /// <param name="incoming">The client's message.</param>
    /// <param name="hmacHeader">Its x-syncml-hmac header, if any (auth-MAC).</param>
    /// <param name="body">Its exact bytes (auth-MAC digests them).</param>
    /// <param name="cancellationToken">Cancels the store work.</param>
    /// <param name="requestUri">The URI the client reached us at, our Source LocURI (default: the configured one).</param>
    public async Task<DmServerReply> HandleAsync(SyncMlMessage incoming, string? hmacHeader, ReadOnlyMemory<byte> body, CancellationToken cancellationToken,
        string? requestUri = null)
    {
        ArgumentNullException.ThrowIfNull(incoming);
        var devId = incoming.Header.Source.LocUri;
        ForgetAbandonedSessions();
        var key = (devId, incoming.Header.SessionId);
        var state = _sessions.GetOrAdd(key, _ => new DmSessionState(time.GetUtcNow()));
        var account = await store.FindAccountAsync(devId, cancellationToken).ConfigureAwait(false);
        var reply = new DmReplyBuilder(incoming, requestUri ?? serverUri, maxMsgSize);

        if (!state.Authenticated)
        {
            var verdict = account is null ? DmStatusCode.InvalidCredentials : Authenticate(incoming, account, hmacHeader, body);
            // A nonce is good for one authentication, across instances and restarts (the store decides).
            if (verdict == DmStatusCode.AuthenticationAccepted && account!.ClientAuth != "basic"
                && !await nonces.ConsumeAsync(NoncePurpose(devId), _clientNonces.GetValueOrDefault(devId, DmNonce.Empty).Bytes.ToArray(), cancellationToken).ConfigureAwait(false))
            {
                verdict = DmStatusCode.InvalidCredentials;
            }
            if (verdict != DmStatusCode.AuthenticationAccepted)
            {
                state.Failures++;
                var nonce = await IssueAsync(devId, cancellationToken).ConfigureAwait(false);
                var refuse = state.Failures > 1;
                reply.HeaderStatus(verdict, refuse ? null : Challenge(account, nonce));
                foreach (var c in incoming.Commands.Where(c => c is not StatusCommand))
                    reply.Status(c, refuse ? DmStatusCode.InvalidCredentials : DmStatusCode.MissingCredentials);
                if (refuse)
                    _sessions.TryRemove(key, out _);
                return Sign(reply.Build(account is null ? null : ServerCred(account), final: true), account);
            }
            state.Authenticated = true;
            if (incoming.Header.Meta?.MaxMsgSize is > 0 and var max)
                state.MaxMsgSize = Math.Min(max, SyncMlLimits.Default.MaxDocumentBytes);
            var next = await IssueAsync(devId, cancellationToken).ConfigureAwait(false);
            reply.HeaderStatus(DmStatusCode.AuthenticationAccepted, Challenge(account!, next));
        }
        else
        {
            reply.HeaderStatus(DmStatusCode.Ok, null);
        }

        // The authenticated client's Status for our previous message carries its Chal: the nonce for our next Cred /
        // MAC / notification digest (never taken from a message that has not authenticated: it would let anyone
        // reset a device's nonce).
        foreach (var s in incoming.Commands.OfType<StatusCommand>().Where(s => s.CmdRef == "0" && s.Chal?.Meta?.NextNonce is not null))
        {
            if (DmNonce.TryFromWire(s.Chal!.Meta!.NextNonce, out _))
            {
                await store.SetServerNonceAsync(devId, s.Chal.Meta.NextNonce!, cancellationToken).ConfigureAwait(false);
                account = account! with { ServerNonce = s.Chal.Meta.NextNonce };
            }
        }

        await RecordAsync(incoming, state, reply, cancellationToken).ConfigureAwait(false);
        if (!incoming.Final && !incoming.Commands.OfType<AlertCommand>().Any(a => a.Code == 1222))
        {
            // The device's package continues in its next message: ask for it (§8.7), send nothing new meanwhile.
            reply.NextMessageAlert();
            return Sign(reply.Build(ServerCred(account!), final: false), account);
        }

        if (!state.JobsTaken)
        {
            state.JobsTaken = true;
            foreach (var job in await store.ListJobsAsync(devId, cancellationToken).ConfigureAwait(false))
            {
                if (job.State != "queued" || !await store.SetJobStateAsync(job.Id, "running", ["queued"], cancellationToken).ConfigureAwait(false))
                    continue;
                state.Jobs.Add(job.Id);
                foreach (var command in job.Commands)
                    state.Outbox.AddLast(new DmOutgoing(ToSyncMl(command), job.Id, command.Seq));
            }
        }
        var before = reply.CommandCount;
        var final = DmMessagePacker.Fill(reply, state);
        if (reply.CommandCount == before && final)
        {
            // Nothing more to send and nothing outstanding: this reply (no commands) ends the session.
            await FinishJobsAsync(devId, state, cancellationToken).ConfigureAwait(false);
            await store.RecordSessionAsync(devId, time.GetUtcNow(), DmSessionOutcomes.Completed, cancellationToken).ConfigureAwait(false);
            _sessions.TryRemove(key, out _);
        }
        return Sign(reply.Build(ServerCred(account!), final), account);
    }

    /// <summary>
    /// One message in, one out, as bytes (what the HTTP endpoint does): the device's body and x-syncml-hmac header in,
    /// the answer in the same representation with its header out. A hostile or broken message gets a SyncML error
    /// status when its header was readable; null when not even that (the transport answers it with a plain error).
    /// </summary>
    public async Task<SyncMlWireMessage?> ExchangeAsync(SyncMlWireMessage wire, bool wbxml, CancellationToken cancellationToken, string? requestUri = null)
    {
        ArgumentNullException.ThrowIfNull(wire);
        var parsed = wbxml ? SyncMlWbxml.TryParse(wire.Body, out var message, out var error) : SyncMlXml.TryParse(wire.Body, out message, out error);
        if (!parsed)
        {
            return error!.Header is { } header
                ? new SyncMlWireMessage(Write(Refusal(new SyncMlMessage { Header = header }, error.StatusCode, requestUri ?? serverUri), wbxml))
                : null;
        }
        var reply = await HandleAsync(message!, wire.Hmac, wire.Body, cancellationToken, requestUri).ConfigureAwait(false);
        var body = Write(reply.Message, wbxml);
        // auth-MAC: the server's digest over exactly the bytes it sends (OMA-TS-DM_Security-V1_2 §5.1.4.2).
        return new SyncMlWireMessage(body, reply.HmacHeaderFor(body));
    }

    /// <summary>In process, XML (tests, benchmarks, a co-located device); an unreadable message throws.</summary>
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

    /// <summary>Sessions a device walked away from are dropped after 10 minutes (their jobs stay "running" for the operator to see).</summary>
    private void ForgetAbandonedSessions()
    {
        if (_sessions.Count < 256)
            return;
        var cutoff = time.GetUtcNow() - TimeSpan.FromMinutes(10);
        foreach (var (key, s) in _sessions)
        {
            if (s.Started < cutoff)
                _sessions.TryRemove(key, out _);
        }
    }

    private static string NoncePurpose(string devId) => "dm-client:" + devId;

    private async Task<DmNonce> IssueAsync(string devId, CancellationToken ct)
    {
        var nonce = DmNonce.FromBytes(await nonces.IssueAsync(NoncePurpose(devId), NonceLifetime, DmNonce.GeneratedLength, ct).ConfigureAwait(false));
        _clientNonces[devId] = nonce;
        return nonce;
    }

    /// <summary>The DM status of the client's credential against its account.</summary>
    private int Authenticate(SyncMlMessage message, DmAccount account, string? hmacHeader, ReadOnlyMemory<byte> body)
    {
        var credentials = new DmCredentials(account.ClientUser, account.ClientPassword);
        var nonce = _clientNonces.GetValueOrDefault(account.DevId, DmNonce.Empty);
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

    /// <summary>Records Status and Results for our commands (Results of a large object chunk by chunk) and answers the device's own commands.</summary>
    private async Task RecordAsync(SyncMlMessage incoming, DmSessionState state, DmReplyBuilder reply, CancellationToken ct)
    {
        await DmDeviceReports.KeepAsync(store, incoming.Header.Source.LocUri, incoming, time.GetUtcNow(), ct).ConfigureAwait(false); // authenticated only
        foreach (var command in incoming.Commands)
        {
            switch (command)
            {
                case StatusCommand { Code: DmStatusCode.ChunkAccepted } chunk when state.Sent.ContainsKey(chunk.CmdRef):
                    break; // a large-object chunk buffered by the device: the next one goes out
                case StatusCommand status when state.Sent.TryGetValue(status.CmdRef, out var target) && (status.Cmd != "Get" || status.Code != DmStatusCode.Ok):
                    DropRemainder(state, target);
                    await store.RecordResultAsync(target.JobId, target.Seq, status.Code ?? DmStatusCode.CommandFailed, null, ct).ConfigureAwait(false);
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
                        await store.RecordResultAsync(r.JobId, r.Seq, DmStatusCode.RequestEntityTooLarge, null, ct).ConfigureAwait(false);
                        break;
                    }
                    if (results.Items.Any(i => i.MoreData))
                    {
                        reply.Status(results, DmStatusCode.ChunkAccepted);
                        break;
                    }
                    state.IncomingChunks.Remove(results.CmdRef);
                    reply.Status(results, DmStatusCode.Ok);
                    await store.RecordResultAsync(r.JobId, r.Seq, DmStatusCode.Ok, System.Text.Encoding.UTF8.GetString([.. buffer]), ct).ConfigureAwait(false);
                    break;
                default:
                    reply.Status(command, command is AlertCommand or ReplaceCommand or ResultsCommand ? DmStatusCode.Ok : DmStatusCode.OptionalFeatureNotSupported);
                    break;
            }
        }
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

    private async Task FinishJobsAsync(string devId, DmSessionState state, CancellationToken ct)
    {
        foreach (var job in (await store.ListJobsAsync(devId, ct).ConfigureAwait(false)).Where(j => state.Jobs.Contains(j.Id)))
            await store.SetJobStateAsync(job.Id, DmJobReadBack.FinalState(job), ["running"], ct).ConfigureAwait(false);
        state.Jobs.Clear();
    }

    private static ItemCommand ToSyncMl(DmCommandRecord command)
    {
        var item = new SyncMlItem
        {
            Target = new SyncMlLocation(command.Uri),
            // An interior Add says so on its Item too: libdmclient reads only Item-level Meta (RepPro allows Meta on either).
            Meta = command.Verb is "replace" or "add" && command.Value is not null ? new SyncMlMeta { Format = "chr", Type = "text/plain" }
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
