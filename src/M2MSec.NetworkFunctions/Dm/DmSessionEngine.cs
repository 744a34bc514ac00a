using System.Collections.Concurrent;
using M2MSec.Dm;
using M2MSec.Dm.Auth;
using M2MSec.Dm.SyncMl;
using M2MSec.Storage.Dm;
using M2MSec.Storage.Nonces;

namespace M2MSec.NetworkFunctions.Dm;

/// <summary>
/// The DM server's side of a session (OMA-TS-DM_Protocol-V1_2 §8, packages 1–4), over the SyncML
/// model — no bytes here. Package 1 (client Alert 1201 + DevInfo) is authenticated per the device's
/// account; a missing or wrong credential gets 407/401 with a Chal and a fresh nonce, inside a
/// normal answer (a real client ends its session on any HTTP status but 200), and a second failure
/// in the same session ends it. Once authenticated the queued commands go out (package 2); Status
/// and Results that come back (package 3) are recorded against the job; the server always sends its
/// own Cred (a client that gets none answers Status 0 to everything).
/// </summary>
public sealed class DmSessionEngine(IDmStore store, INonceStore nonces, string serverUri, TimeProvider time)
{
    private readonly ConcurrentDictionary<(string DevId, string SessionId), DmSessionState> _sessions = new();

    /// <summary>The nonce each device must use next for auth-md5 towards us (OMA DM Security §5.1.3: carried across sessions).</summary>
    private readonly ConcurrentDictionary<string, DmNonce> _clientNonces = new(StringComparer.Ordinal);

    /// <summary>How long a device may take to come back with the nonce it was given (its next session).</summary>
    public static TimeSpan NonceLifetime { get; } = TimeSpan.FromDays(30);

    /// <summary>The nonce each device gave us last (its Chal), for our next Cred towards it; empty until it gives one.</summary>
    private readonly ConcurrentDictionary<string, DmNonce> _serverNonces = new(StringComparer.Ordinal);

    /// <param name="incoming">The client's message.</param>
    /// <param name="hmacHeader">Its x-syncml-hmac header, if any (auth-MAC).</param>
    /// <param name="body">Its exact bytes (auth-MAC digests them).</param>
    /// <param name="cancellationToken">Cancels the store work.</param>
    /// <param name="requestUri">The URI the client reached us at, our Source LocURI (default: the configured one).</param>
    public async Task<SyncMlMessage> HandleAsync(SyncMlMessage incoming, string? hmacHeader, ReadOnlyMemory<byte> body, CancellationToken cancellationToken,
        string? requestUri = null)
    {
        ArgumentNullException.ThrowIfNull(incoming);
        var devId = incoming.Header.Source.LocUri;
        ForgetAbandonedSessions();
        var state = _sessions.GetOrAdd((devId, incoming.Header.SessionId), _ => new DmSessionState(time.GetUtcNow()));
        var account = await store.FindAccountAsync(devId, cancellationToken).ConfigureAwait(false);
        var reply = new Reply(incoming, requestUri ?? serverUri);

        // The client's Status for our previous message may carry its Chal: the nonce for our Cred.
        foreach (var s in incoming.Commands.OfType<StatusCommand>().Where(s => s.CmdRef == "0" && s.Chal?.Meta?.NextNonce is not null))
        {
            if (DmNonce.TryFromWire(s.Chal!.Meta!.NextNonce, out var n))
                _serverNonces[devId] = n;
        }

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
                    _sessions.TryRemove((devId, incoming.Header.SessionId), out _);
                return reply.Build(account is null ? null : ServerCred(account), final: true);
            }
            state.Authenticated = true;
            var next = await IssueAsync(devId, cancellationToken).ConfigureAwait(false);
            reply.HeaderStatus(DmStatusCode.AuthenticationAccepted, Challenge(account!, next));
        }
        else
        {
            reply.HeaderStatus(DmStatusCode.Ok, null);
        }

        await RecordAsync(incoming, state, cancellationToken).ConfigureAwait(false);
        foreach (var c in incoming.Commands.Where(c => c is not StatusCommand))
            reply.Status(c, c is AlertCommand or ReplaceCommand or ResultsCommand ? DmStatusCode.Ok : DmStatusCode.OptionalFeatureNotSupported);

        if (!state.CommandsSent)
        {
            state.CommandsSent = true;
            foreach (var job in await store.ListJobsAsync(devId, cancellationToken).ConfigureAwait(false))
            {
                if (job.State != "queued" || !await store.SetJobStateAsync(job.Id, "running", ["queued"], cancellationToken).ConfigureAwait(false))
                    continue;
                state.Jobs.Add(job.Id);
                foreach (var command in job.Commands)
                    state.Sent[reply.Add(ToSyncMl(command))] = (job.Id, command.Seq);
            }
        }
        else if (state.Sent.Keys.All(state.Answered.Contains))
        {
            // Everything answered: this reply (no commands) ends the session.
            await FinishJobsAsync(devId, state, cancellationToken).ConfigureAwait(false);
            _sessions.TryRemove((devId, incoming.Header.SessionId), out _);
        }
        return reply.Build(ServerCred(account!), final: true);
    }

    /// <summary>The answer to a message that could not be read past its header: the error status on SyncHdr, and Final.</summary>
    public static SyncMlMessage Refusal(SyncMlMessage incoming, int code, string serverUri)
    {
        ArgumentNullException.ThrowIfNull(incoming);
        var reply = new Reply(incoming, serverUri);
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
            Type = account?.ClientAuth switch { "basic" => DmAuthSchemeNames.Basic, "hmac" => DmAuthSchemeNames.Hmac, _ => DmAuthSchemeNames.Md5 },
            Format = "b64",
            NextNonce = nonce.ToWire(),
        },
    };

    /// <summary>Our Cred towards the device (auth-md5 with the nonce it last gave us; empty on first contact).</summary>
    private SyncMlCred ServerCred(DmAccount account) => new()
    {
        Meta = new SyncMlMeta { Type = DmAuthSchemeNames.Md5, Format = "b64" },
        Data = AuthMd5.Compute(new DmCredentials(account.ServerId, account.ServerPassword), _serverNonces.GetValueOrDefault(account.DevId, DmNonce.Empty)),
    };

    private async Task RecordAsync(SyncMlMessage incoming, DmSessionState state, CancellationToken ct)
    {
        foreach (var command in incoming.Commands)
        {
            if (command is StatusCommand status && state.Sent.TryGetValue(status.CmdRef, out var target) && status.Cmd != "Get")
            {
                state.Answered.Add(status.CmdRef);
                await store.RecordResultAsync(target.JobId, target.Seq, status.Code ?? DmStatusCode.CommandFailed, null, ct).ConfigureAwait(false);
            }
            else if (command is StatusCommand getStatus && state.Sent.TryGetValue(getStatus.CmdRef, out var get) && getStatus.Code != DmStatusCode.Ok)
            {
                state.Answered.Add(getStatus.CmdRef);
                await store.RecordResultAsync(get.JobId, get.Seq, getStatus.Code ?? DmStatusCode.CommandFailed, null, ct).ConfigureAwait(false);
            }
            else if (command is ResultsCommand results && state.Sent.TryGetValue(results.CmdRef, out var r))
            {
                state.Answered.Add(results.CmdRef);
                var data = string.Join("\n", results.Items.Select(i => i.Data?.Text ?? ""));
                await store.RecordResultAsync(r.JobId, r.Seq, DmStatusCode.Ok, data, ct).ConfigureAwait(false);
            }
        }
    }

    private async Task FinishJobsAsync(string devId, DmSessionState state, CancellationToken ct)
    {
        foreach (var job in (await store.ListJobsAsync(devId, ct).ConfigureAwait(false)).Where(j => state.Jobs.Contains(j.Id)))
        {
            var failed = job.Commands.Any(c => c.Status is null or >= 300);
            await store.SetJobStateAsync(job.Id, failed ? "failed" : "done", ["running"], ct).ConfigureAwait(false);
        }
        state.Jobs.Clear();
    }

    private static ItemCommand ToSyncMl(DmCommandRecord command)
    {
        var item = new SyncMlItem
        {
            Target = new SyncMlLocation(command.Uri),
            Meta = command.Verb is "replace" or "add" && command.Value is not null ? new SyncMlMeta { Format = "chr", Type = "text/plain" } : null,
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

    /// <summary>Builds the answer: our header (MsgID counts up), Status for what we got, our commands, Final.</summary>
    private sealed class Reply(SyncMlMessage incoming, string serverUri)
    {
        private readonly List<SyncMlCommand> _commands = [];
        private int _nextId = 1;

        public void HeaderStatus(int code, SyncMlChal? chal) => _commands.Add(new StatusCommand
        {
            CmdId = Next(),
            MsgRef = incoming.Header.MsgId,
            CmdRef = "0",
            Cmd = "SyncHdr",
            TargetRefs = [incoming.Header.Target.LocUri],
            SourceRefs = [incoming.Header.Source.LocUri],
            Chal = chal,
            Data = code.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });

        public void Status(SyncMlCommand command, int code) => _commands.Add(new StatusCommand
        {
            CmdId = Next(),
            MsgRef = incoming.Header.MsgId,
            CmdRef = command.CmdId,
            Cmd = command.ElementName,
            Data = code.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });

        public string Add(ItemCommand command)
        {
            var id = Next();
            _commands.Add(command with { CmdId = id });
            return id;
        }

        public SyncMlMessage Build(SyncMlCred? cred, bool final) => new()
        {
            Header = new SyncHeader
            {
                SessionId = incoming.Header.SessionId,
                MsgId = incoming.Header.MsgId,
                Target = new SyncMlLocation(incoming.Header.Source.LocUri),
                Source = new SyncMlLocation(serverUri),
                Cred = cred,
            },
            Commands = [.. _commands],
            Final = final,
        };

        private string Next() => (_nextId++).ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    private sealed class DmSessionState(DateTimeOffset started)
    {
        public DateTimeOffset Started { get; } = started;
        public bool Authenticated { get; set; }
        public int Failures { get; set; }
        public bool CommandsSent { get; set; }
        public Dictionary<string, (string JobId, int Seq)> Sent { get; } = new(StringComparer.Ordinal);
        public HashSet<string> Answered { get; } = new(StringComparer.Ordinal);
        public HashSet<string> Jobs { get; } = new(StringComparer.Ordinal);
    }
}
