using System.Globalization;
using System.Text;
using M2MSec.Device.M2me;
using M2MSec.Device.Tre;
using M2MSec.Dm;
using M2MSec.Dm.Auth;
using M2MSec.Dm.Notification;
using M2MSec.Dm.SyncMl;
using M2MSec.Dm.Tree;

namespace M2MSec.Device.Dm;

/// <summary>
/// The device's DM account (DMAcc seen from the device): where the server is, the credentials both sides
/// use, and how each proves itself (auth-basic/md5/MAC towards the server; auth-md5 or auth-MAC from it).
/// </summary>
public sealed record DmClientAccount(string ServerId, Uri ServerUri, string ClientUser, byte[] ClientPassword, byte[] ServerPassword,
    DmAuthScheme ClientAuth, DmAuthScheme ServerAuth = DmAuthScheme.Md5)
{
    /// <summary>Never the passwords.</summary>
    public override string ToString() => $"DmClientAccount({ServerId}, {ServerUri}, user {ClientUser}, client {ClientAuth}, server {ServerAuth})";
}

/// <summary>How a session ended.</summary>
public sealed record DmSessionOutcome(bool Completed, string Detail, int CommandsExecuted, int CommandsRefused);

/// <summary>
/// The M2ME's DM client (OMA-TS-DM_Protocol-V1_2 §8): package 1 (Alert 1201, or 1200 after a verified
/// notification, DevInfo, credentials), then it authenticates the server (auth-md5 Cred or auth-MAC header
/// over the nonce it issued — fresh for every message, so a replayed server message fails), runs the
/// server's commands against its tree under the tree's ACLs, answers Status and Results (Alert 1222 while
/// the server's package continues); what a round's commands changed — the tree and the NAS configuration it holds — is
/// committed to the TRE with the nonces before that round's Status and Results go out. A server whose credential fails is challenged once (401 and a fresh nonce, none of its message's commands run);
/// a second failure ends the session with nothing applied.
/// </summary>
public sealed partial class DmClient(M2meDevice device, DmClientAccount account, long maxMsgSize = 64 * 1024)
{
    // Per DM account (OMA-TS-DM_StdObj DMAcc/AAuthData): a device with several servers (the DPF's provisioning account and
    // the operator's DM server) keeps each server's nonces apart.
    private string NoncesObject => $"dm/nonces/{account.ServerId}";
    private string LastNotificationObject => $"dm/notification/{account.ServerId}";
    private const int MaxMessages = 256;

    /// <summary>The DevId this account's sessions use (SyncHdr Source); default the TRE id. The provisioning account at the DPF uses the PCID.</summary>
    public string? DevId { get; init; }

    /// <summary>Managed objects the session adds to the tree after loading it (their handlers are code, re-attached every session).</summary>
    public Action<DmTree>? PrepareTree { get; init; }

    /// <summary>A client-initiated session (Alert 1201).</summary>
    public Task<DmSessionOutcome> RunSessionAsync(Func<SyncMlWireMessage, CancellationToken, Task<SyncMlWireMessage>> exchange, CancellationToken cancellationToken = default) =>
        RunAsync(exchange, null, cancellationToken);

    /// <summary>
    /// A notification-initiated session (OMA-TS-DM_Notification-V1_2 §6): package 0 must name this account's
    /// server and carry its digest over the nonce the device gave that server last; then Alert 1200 with the
    /// notification's session id. A notification that does not verify starts nothing.
    /// </summary>
    public async Task<DmSessionOutcome> RunNotifiedSessionAsync(ReadOnlyMemory<byte> package0, Func<SyncMlWireMessage, CancellationToken, Task<SyncMlWireMessage>> exchange,
        CancellationToken cancellationToken = default)
    {
        if (!DmNotificationCodec.TryDecode(package0.Span, out var notification, out var error))
            return new DmSessionOutcome(false, $"notification refused: {error}", 0, 0);
        if (notification.ServerId != account.ServerId)
            return new DmSessionOutcome(false, $"notification refused: server '{notification.ServerId}' is not this account's", 0, 0);
        var (_, serverNonce) = LoadNonces();
        if (!DmNotificationCodec.VerifyDigest(package0.Span, new DmCredentials(account.ServerId, account.ServerPassword), serverNonce))
            return new DmSessionOutcome(false, $"notification refused: {DmNotificationError.BadDigest}", 0, 0);
        // The digest's nonce changes only when the device next answers the server, so the same package 0 could be
        // replayed until then: the device acts on each one once.
        var digest = Convert.ToBase64String(package0.Span[..DmNotificationCodec.DigestLength]);
        if (device.Tre.ReadObject(TreCaller.DeviceManagement, LastNotificationObject) is { } last && Encoding.ASCII.GetString(last) == digest)
            return new DmSessionOutcome(false, "notification refused: replayed (already acted on)", 0, 0);
        device.Tre.WriteObject(TreCaller.DeviceManagement, LastNotificationObject, Encoding.ASCII.GetBytes(digest));
        return await RunAsync(exchange, notification, cancellationToken).ConfigureAwait(false);
    }

    private async Task<DmSessionOutcome> RunAsync(Func<SyncMlWireMessage, CancellationToken, Task<SyncMlWireMessage>> exchange, DmNotification? notification, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(exchange);
        var tree = DeviceDmTree.Load(device, account.ServerId);
        PrepareTree?.Invoke(tree);
        var executor = new DmCommandExecutor(account.ServerId, tree);
        var (clientNonce, serverNonce) = LoadNonces();
        var devId = DevId ?? device.Info.TreId;
        var sessionId = notification?.SyncMlSessionId ?? (Environment.TickCount64 & 0xFFFF).ToString("X", CultureInfo.InvariantCulture);
        var alert = notification is null ? "1201" : "1200";
        var msgId = 1;
        var challenged = false; // the server challenged our credential once
        var serverChallenged = false; // we challenged the server's once
        // serverNonce: the nonce the server must use next — the last one we issued (stored since the
        // previous session), then a fresh one in every message we send.
        var outgoing = Package1(devId, sessionId, msgId, alert, clientNonce, executor.Tree);
        var packer = new DmAnswerPacker();
        List<SyncMlCommand> later = []; // answers that did not fit our previous message (the rest of a large Results)
        long serverMaxMsgSize = SyncMlLimits.Default.MaxDocumentBytes;
        string? respUri = null; // where the session's later messages go (SyncHdr RespURI), as libdmclient does
        for (var round = 0; round < MaxMessages; round++)
        {
            var replyWire = await exchange(Wire(outgoing, clientNonce, respUri), cancellationToken).ConfigureAwait(false);
            if (!SyncMlXml.TryParse(replyWire.Body, out var reply, out var parseError))
                return Failed($"unreadable server message: {parseError}", executor, clientNonce, serverNonce);
            var header = reply.Commands.OfType<StatusCommand>().FirstOrDefault(s => s.CmdRef == "0" && s.MsgRef == outgoing.Header.MsgId);
            if (header?.Chal?.Meta?.NextNonce is { } next && DmNonce.TryFromWire(next, out var n))
                clientNonce = n;
            if (header?.Code is DmStatusCode.InvalidCredentials or DmStatusCode.MissingCredentials)
            {
                if (challenged || header.Chal is null)
                    return Failed($"the server refused our credentials ({header.Code})", executor, clientNonce, serverNonce);
                challenged = true;
                respUri = null; // authenticating again is a new session, at the server's base URI
                outgoing = Package1(devId, sessionId, ++msgId, alert, clientNonce, executor.Tree);
                continue;
            }
            // The server proves itself with the nonce we issued last (OMA DM Security §5.1.3, §5.1.4.2): a message
            // replayed from an earlier exchange carries a digest over an older nonce and fails.
            if (!ServerAuthenticated(reply, replyWire, serverNonce))
            {
                if (serverChallenged)
                    return Failed($"the server did not authenticate (missing, wrong or replayed {account.ServerAuth.ToWireName()} credential)", executor, clientNonce, serverNonce);
                // OMA-TS-DM_Security-V1_2 §5.3: a credential that fails is answered with 401 and a Chal carrying a fresh
                // nonce (the server may simply hold an older one: killed after keeping our last Chal, before we got its answer).
                // Once per session; none of the message's commands runs (issue 16).
                serverChallenged = true;
                serverNonce = DmNonce.New();
                SaveNonces(clientNonce, serverNonce);
                if (respUri is null && SameServer(reply.Header.RespUri))
                    respUri = reply.Header.RespUri; // the session's address: the answer carries no secret, only the challenge
                var challenge = ServerChallenge(reply, serverNonce);
                outgoing = Message(devId, sessionId, ++msgId, challenge, reply.Header.MsgId, final: true);
                continue;
            }
            if (reply.Header.RespUri is { } given)
            {
                // OMA-TS-DM_Protocol-V1_2 §8.3: the rest of the session goes to RespURI — only on the server's own scheme, host and port.
                if (!SameServer(given))
                    return Failed("the server's RespURI is not on its own scheme, host and port", executor, clientNonce, serverNonce);
                respUri = given;
            }

            if (reply.Header.Meta?.MaxMsgSize is > 0 and var serverMax)
                serverMaxMsgSize = Math.Min(serverMax, SyncMlLimits.Default.MaxDocumentBytes);
            var commands = reply.Commands.Where(c => c is not StatusCommand and not ResultsCommand).ToList();
            // Alert 1222 from the server asks for our next message (the rest of what we are sending).
            var nextWanted = commands.OfType<AlertCommand>().Any(a => a.Code == 1222);
            if (commands.Count == 0 && reply.Final && later.Count == 0)
            {
                Persist(executor.Tree, clientNonce, serverNonce);
                GenericAlertsDelivered();
                return new DmSessionOutcome(true, $"session complete: {executor.Executed} command(s) executed, {executor.Refused} refused", executor.Executed, executor.Refused);
            }
            serverNonce = DmNonce.New();
            var first = new List<SyncMlCommand> { HeaderStatus(reply, "212", serverNonce) };
            var answers = new List<SyncMlCommand>(later);
            var ran = false;
            foreach (var command in commands)
            {
                if (command is AlertCommand { Code: 1222 })
                {
                    first.Add(new StatusCommand { CmdId = "0", MsgRef = "0", CmdRef = command.CmdId, Cmd = "Alert", Data = "200" });
                    continue;
                }
                answers.AddRange(executor.Execute(command).Select(a => a is ResultsCommand r ? r with { MsgRef = reply.Header.MsgId } : a));
                ran = true;
            }
            if (ran)
                Persist(executor.Tree, clientNonce, serverNonce); // what our Status and Results report is durable before they leave
            var serverContinues = !reply.Final && !nextWanted;
            if (serverContinues)
                first.Add(new AlertCommand { CmdId = "0", Data = "1222" }); // the server's package continues: ask for its next message
            var nextMsgId = ++msgId;
            (var now, later) = packer.Pack(first, answers, serverMaxMsgSize,
                cmds => SyncMlXml.Write(At(Message(devId, sessionId, nextMsgId, cmds, reply.Header.MsgId, final: true), respUri)).Length);
            outgoing = Message(devId, sessionId, nextMsgId, now, reply.Header.MsgId, final: later.Count == 0 && !serverContinues);
        }
        return Failed("the server did not end the session", executor, clientNonce, serverNonce);
    }

    /// <summary>Our status for the server's SyncHdr, with a Chal carrying the nonce the server must use next (OMA DM Security §5.1.4.2).</summary>
    private StatusCommand HeaderStatus(SyncMlMessage reply, string code, DmNonce serverNonce) => new()
    {
        CmdId = "0",
        MsgRef = reply.Header.MsgId,
        CmdRef = "0",
        Cmd = "SyncHdr",
        Chal = new SyncMlChal { Meta = new SyncMlMeta { Type = account.ServerAuth.ToWireName(), Format = "b64", NextNonce = serverNonce.ToWire() } },
        Data = code,
    };

    /// <summary>A RespURI on the server's own scheme, host and port (OMA-TS-DM_Protocol-V1_2 §8.3).</summary>
    private bool SameServer(string? uri) =>
        Uri.TryCreate(uri, UriKind.Absolute, out var r) && Uri.Compare(r, account.ServerUri, UriComponents.SchemeAndServer, UriFormat.UriEscaped, StringComparison.OrdinalIgnoreCase) == 0;

    /// <summary>
    /// The answer to a server message whose credential failed: 401 on its SyncHdr with a Chal (our server-auth scheme, a fresh
    /// nonce), and 407 on each of its commands — none was processed (no command runs in a package that has not authenticated).
    /// </summary>
    private List<SyncMlCommand> ServerChallenge(SyncMlMessage reply, DmNonce serverNonce)
    {
        var answers = new List<SyncMlCommand> { HeaderStatus(reply, DmStatusCode.InvalidCredentials.ToString(CultureInfo.InvariantCulture), serverNonce) };
        foreach (var command in reply.Commands.Where(c => c is not StatusCommand and not ResultsCommand))
            answers.Add(new StatusCommand { CmdId = "0", MsgRef = "0", CmdRef = command.CmdId, Cmd = command.ElementName, Data = DmStatusCode.MissingCredentials.ToString(CultureInfo.InvariantCulture) });
        return answers;
    }

    private bool ServerAuthenticated(SyncMlMessage reply, SyncMlWireMessage wire, DmNonce serverNonce)
    {
        var serverCredentials = new DmCredentials(account.ServerId, account.ServerPassword);
        if (account.ServerAuth == DmAuthScheme.Hmac)
            return AuthMac.Verify(serverCredentials, serverNonce, wire.Body, wire.Hmac);
        var cred = reply.Header.Cred;
        return cred?.Data is not null && cred.Meta?.Type == DmAuthSchemeNames.Md5 && AuthMd5.Verify(serverCredentials, serverNonce, cred.Data.Text);
    }

    /// <summary>The bytes we send; under auth-MAC with the header keyed by the server's last nonce (and no Cred).</summary>
    private SyncMlWireMessage Wire(SyncMlMessage message, DmNonce clientNonce, string? respUri)
    {
        var body = SyncMlXml.Write(At(message, respUri));
        return account.ClientAuth == DmAuthScheme.Hmac
            ? new SyncMlWireMessage(body, AuthMac.CreateHeader(new DmCredentials(account.ClientUser, account.ClientPassword), clientNonce, body).Format(), respUri)
            : new SyncMlWireMessage(body, Target: respUri);
    }

    /// <summary>The message addressed to the session's RespURI (its SyncHdr Target too), when the server gave one.</summary>
    private static SyncMlMessage At(SyncMlMessage message, string? respUri) =>
        respUri is null ? message : message with { Header = message.Header with { Target = new SyncMlLocation(respUri) } };

    private SyncMlMessage Message(string devId, string sessionId, int msgId, IReadOnlyList<SyncMlCommand> commands, string msgRef, bool final) => new()
    {
        Header = Header(devId, sessionId, msgId, null),
        Commands = [.. commands.Select((a, i) => Number(a, i + 1, msgRef))],
        Final = final,
    };

    /// <summary>CmdIDs in message order; MsgRef = the server message answered, unless already set (a Results carried over keeps its own).</summary>
    private static SyncMlCommand Number(SyncMlCommand command, int id, string msgRef)
    {
        var cmdId = id.ToString(CultureInfo.InvariantCulture);
        return command switch
        {
            StatusCommand s => s with { CmdId = cmdId, MsgRef = s.MsgRef is "0" ? msgRef : s.MsgRef },
            ResultsCommand r => r with { CmdId = cmdId, MsgRef = r.MsgRef ?? msgRef },
            _ => command with { CmdId = cmdId },
        };
    }

    private SyncMlMessage Package1(string devId, string sessionId, int msgId, string alert, DmNonce clientNonce, DmTree tree)
    {
        var credentials = new DmCredentials(account.ClientUser, account.ClientPassword);
        var cred = account.ClientAuth switch
        {
            DmAuthScheme.Basic => new SyncMlCred { Meta = new SyncMlMeta { Type = DmAuthSchemeNames.Basic, Format = "b64" }, Data = AuthBasic.Compute(credentials) },
            DmAuthScheme.Md5 => new SyncMlCred { Meta = new SyncMlMeta { Type = DmAuthSchemeNames.Md5, Format = "b64" }, Data = AuthMd5.Compute(credentials, clientNonce) },
            _ => null, // auth-MAC travels in the transport header
        };
        var devInfo = new[] { "DevId", "Man", "Mod", "DmV", "Lang" }
            .Select(leaf => tree.Get(account.ServerId, $"./DevInfo/{leaf}") is { Status: DmStatusCode.Ok } r
                ? new SyncMlItem { Source = new SyncMlLocation($"./DevInfo/{leaf}"), Meta = new SyncMlMeta { Format = "chr", Type = "text/plain" }, Data = Encoding.UTF8.GetString(r.Data.Span) }
                : null)
            .OfType<SyncMlItem>();
        return new SyncMlMessage
        {
            Header = Header(devId, sessionId, msgId, cred) with { Meta = new SyncMlMeta { MaxMsgSize = maxMsgSize } },
            Commands = [new AlertCommand { CmdId = "1", Data = alert }, new ReplaceCommand { CmdId = "2", Items = [.. devInfo] }, .. GenericAlertCommands(3)],
            Final = true,
        };
    }

    private SyncHeader Header(string devId, string sessionId, int msgId, SyncMlCred? cred) => new()
    {
        SessionId = sessionId,
        MsgId = msgId.ToString(CultureInfo.InvariantCulture),
        Target = new SyncMlLocation(account.ServerUri.ToString()),
        Source = new SyncMlLocation(devId),
        Cred = cred,
    };

    private (DmNonce Client, DmNonce Server) LoadNonces()
    {
        var bytes = device.Tre.ReadObject(TreCaller.DeviceManagement, NoncesObject);
        if (bytes is null)
            return (DmNonce.Empty, DmNonce.Empty);
        var parts = Encoding.ASCII.GetString(bytes).Split('\n');
        return (DmNonce.TryFromWire(parts[0], out var c) ? c : DmNonce.Empty, parts.Length > 1 && DmNonce.TryFromWire(parts[1], out var s) ? s : DmNonce.Empty);
    }

    private void SaveNonces(DmNonce clientNonce, DmNonce serverNonce) =>
        device.Tre.WriteObject(TreCaller.DeviceManagement, NoncesObject, Nonces(clientNonce, serverNonce));

    private static byte[] Nonces(DmNonce clientNonce, DmNonce serverNonce) => Encoding.ASCII.GetBytes($"{clientNonce.ToWire()}\n{serverNonce.ToWire()}");

    /// <summary>
    /// The tree, the NAS configuration it holds and the nonces in one sealed version (one TRE commit): after a round whose commands
    /// ran, before its Status and Results go out — a device that reported a change holds it, whatever happens next — and at the
    /// session's end. All three every time: a commit seals every object of the TRE anyway, so leaving out an unchanged one saves nothing.
    /// </summary>
    private void Persist(DmTree tree, DmNonce clientNonce, DmNonce serverNonce) =>
        device.Tre.WriteObjects(TreCaller.DeviceManagement,
            [new(NoncesObject, Nonces(clientNonce, serverNonce)), DeviceDmTree.Entry(tree), M2meDevice.NasConfigurationEntry(DeviceDmTree.NasConfiguration(tree))]);

    /// <summary>A session that did not complete: the nonces are kept (the next session authenticates with them), nothing else.</summary>
    private DmSessionOutcome Failed(string detail, DmCommandExecutor executor, DmNonce clientNonce, DmNonce serverNonce)
    {
        SaveNonces(clientNonce, serverNonce);
        return new DmSessionOutcome(false, detail, executor.Executed, executor.Refused);
    }
}
