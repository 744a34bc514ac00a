using System.Globalization;
using System.Text;
using M2MSec.Device.M2me;
using M2MSec.Device.Tre;
using M2MSec.Dm;
using M2MSec.Dm.Auth;
using M2MSec.Dm.SyncMl;
using M2MSec.Dm.Tree;

namespace M2MSec.Device.Dm;

/// <summary>The device's DM account (DMAcc seen from the device): where the server is and the credentials both sides use.</summary>
public sealed record DmClientAccount(string ServerId, Uri ServerUri, string ClientUser, byte[] ClientPassword, byte[] ServerPassword, DmAuthScheme ClientAuth);

/// <summary>How a session ended.</summary>
public sealed record DmSessionOutcome(bool Completed, string Detail, int CommandsExecuted, int CommandsRefused);

/// <summary>
/// The M2ME's DM client (OMA-TS-DM_Protocol-V1_2 §8): package 1 (Alert 1201, DevInfo, Cred),
/// then it authenticates the server (auth-md5 with the nonce it issued — fresh for every message,
/// so a replayed server message fails), runs the server's commands against its tree under the
/// tree's ACLs, answers Status and Results, and at the end applies the NAS configuration the tree
/// holds to the TRE. A server it cannot authenticate ends the session with nothing applied.
/// </summary>
public sealed class DmClient(M2meDevice device, DmClientAccount account)
{
    private const string NoncesObject = "dm/nonces";
    private const int MaxMessages = 16;

    public async Task<DmSessionOutcome> RunSessionAsync(Func<SyncMlMessage, CancellationToken, Task<SyncMlMessage>> exchange, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(exchange);
        var tree = DeviceDmTree.Load(device, account.ServerId);
        var (clientNonce, serverNonce) = LoadNonces();
        var devId = device.Info.TreId;
        var sessionId = (Environment.TickCount64 & 0xFFFF).ToString(CultureInfo.InvariantCulture);
        var msgId = 1;
        var executed = 0;
        var refused = 0;
        var challenged = false;
        // serverNonce: the nonce the server must use for its next Cred — the last one we issued
        // (stored since the previous session), then a fresh one in every message we send.
        var outgoing = Package1(devId, sessionId, msgId, clientNonce, tree);
        for (var round = 0; round < MaxMessages; round++)
        {
            var reply = await exchange(outgoing, cancellationToken).ConfigureAwait(false);
            var header = reply.Commands.OfType<StatusCommand>().FirstOrDefault(s => s.CmdRef == "0" && s.MsgRef == outgoing.Header.MsgId);
            if (header?.Chal?.Meta?.NextNonce is { } next && DmNonce.TryFromWire(next, out var n))
                clientNonce = n;
            if (header?.Code is DmStatusCode.InvalidCredentials or DmStatusCode.MissingCredentials)
            {
                if (challenged || header.Chal is null)
                    return End(false, $"the server refused our credentials ({header.Code})", executed, refused, clientNonce, serverNonce);
                challenged = true;
                outgoing = Package1(devId, sessionId, ++msgId, clientNonce, tree);
                continue;
            }
            // The server proves itself with the nonce we issued last (OMA DM Security §5.1.3): a message
            // replayed from an earlier exchange carries a digest over an older nonce and fails.
            var cred = reply.Header.Cred;
            var serverCredentials = new DmCredentials(account.ServerId, account.ServerPassword);
            if (cred?.Data is null || cred.Meta?.Type != DmAuthSchemeNames.Md5 || !AuthMd5.Verify(serverCredentials, serverNonce, cred.Data.Text))
                return End(false, "the server did not authenticate (missing, wrong or replayed auth-md5 credential)", executed, refused, clientNonce, serverNonce);

            var commands = reply.Commands.Where(c => c is not StatusCommand and not ResultsCommand).ToList();
            if (commands.Count == 0 && reply.Final)
            {
                DeviceDmTree.Save(device, tree);
                device.WriteNasConfiguration(TreCaller.DeviceManagement, DeviceDmTree.NasConfiguration(tree));
                return End(true, $"session complete: {executed} command(s) executed, {refused} refused", executed, refused, clientNonce, serverNonce);
            }
            var answers = new List<SyncMlCommand>();
            var id = 1;
            serverNonce = DmNonce.New();
            answers.Add(new StatusCommand
            {
                CmdId = (id++).ToString(CultureInfo.InvariantCulture),
                MsgRef = reply.Header.MsgId,
                CmdRef = "0",
                Cmd = "SyncHdr",
                Chal = new SyncMlChal { Meta = new SyncMlMeta { Type = DmAuthSchemeNames.Md5, Format = "b64", NextNonce = serverNonce.ToWire() } },
                Data = "212",
            });
            foreach (var command in commands)
            {
                var (status, results) = Execute(tree, command);
                if (status < 300)
                    executed++;
                else
                    refused++;
                answers.Add(new StatusCommand
                {
                    CmdId = (id++).ToString(CultureInfo.InvariantCulture),
                    MsgRef = reply.Header.MsgId,
                    CmdRef = command.CmdId,
                    Cmd = command.ElementName,
                    Data = status.ToString(CultureInfo.InvariantCulture),
                });
                if (results is not null)
                    answers.Add(results with { CmdId = (id++).ToString(CultureInfo.InvariantCulture), MsgRef = reply.Header.MsgId });
            }
            outgoing = new SyncMlMessage
            {
                Header = Header(devId, sessionId, ++msgId, null),
                Commands = [.. answers],
                Final = true,
            };
        }
        return End(false, "the server did not end the session", executed, refused, clientNonce, serverNonce);
    }

    private (int Status, ResultsCommand? Results) Execute(DmTree tree, SyncMlCommand command)
    {
        if (command is not ItemCommand items || items.Items.Count != 1 || items.Items[0].Target?.LocUri is not { } uri)
            return (command is AtomicCommand or SequenceCommand or CopyCommand ? DmStatusCode.OptionalFeatureNotSupported : DmStatusCode.BadRequest, null);
        var item = items.Items[0];
        var value = item.Data?.RawBytes ?? [];
        var format = (item.Meta ?? items.Meta)?.Format is { } f && DmFormatNames.TryParse(f, out var parsed) ? parsed : (DmFormat?)null;
        switch (command)
        {
            case GetCommand:
                var got = tree.Get(account.ServerId, uri);
                if (got.Status != DmStatusCode.Ok)
                    return (got.Status, null);
                return (got.Status, new ResultsCommand
                {
                    CmdId = "0",
                    CmdRef = command.CmdId,
                    Items = [new SyncMlItem { Source = new SyncMlLocation(uri), Meta = new SyncMlMeta { Format = DmFormatNames.ToWireName(got.Format) }, Data = Encoding.UTF8.GetString(got.Data.Span) }],
                });
            case ReplaceCommand:
                return (tree.Replace(account.ServerId, uri, format, value), null);
            case AddCommand:
                return (tree.Add(account.ServerId, uri, format ?? DmFormat.Chr, value), null);
            case DeleteCommand:
                return (tree.Delete(account.ServerId, uri), null);
            case ExecCommand:
                return (tree.Exec(account.ServerId, uri, value), null);
            default:
                return (DmStatusCode.OptionalFeatureNotSupported, null);
        }
    }

    private SyncMlMessage Package1(string devId, string sessionId, int msgId, DmNonce clientNonce, DmTree tree)
    {
        var credentials = new DmCredentials(account.ClientUser, account.ClientPassword);
        var cred = account.ClientAuth switch
        {
            DmAuthScheme.Basic => new SyncMlCred { Meta = new SyncMlMeta { Type = DmAuthSchemeNames.Basic, Format = "b64" }, Data = AuthBasic.Compute(credentials) },
            _ => new SyncMlCred { Meta = new SyncMlMeta { Type = DmAuthSchemeNames.Md5, Format = "b64" }, Data = AuthMd5.Compute(credentials, clientNonce) },
        };
        var devInfo = new[] { "DevId", "Man", "Mod", "DmV", "Lang" }
            .Select(leaf => tree.Get(account.ServerId, $"./DevInfo/{leaf}") is { Status: DmStatusCode.Ok } r
                ? new SyncMlItem { Source = new SyncMlLocation($"./DevInfo/{leaf}"), Meta = new SyncMlMeta { Format = "chr", Type = "text/plain" }, Data = Encoding.UTF8.GetString(r.Data.Span) }
                : null)
            .OfType<SyncMlItem>();
        return new SyncMlMessage
        {
            Header = Header(devId, sessionId, msgId, cred) with { Meta = new SyncMlMeta { MaxMsgSize = SyncMlLimits.Default.MaxDocumentBytes } },
            Commands = [new AlertCommand { CmdId = "1", Data = "1201" }, new ReplaceCommand { CmdId = "2", Items = [.. devInfo] }],
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

    private DmSessionOutcome End(bool completed, string detail, int executed, int refused, DmNonce clientNonce, DmNonce serverNonce)
    {
        device.Tre.WriteObject(TreCaller.DeviceManagement, NoncesObject, Encoding.ASCII.GetBytes($"{clientNonce.ToWire()}\n{serverNonce.ToWire()}"));
        return new DmSessionOutcome(completed, detail, executed, refused);
    }
}
