using System.Diagnostics.CodeAnalysis;
using System.Text;
using M2MSec.Dm.Auth;
using M2MSec.Dm.SyncMl;
using M2MSec.Dm.Tree;

namespace M2MSec.Dm.Bootstrap;

/// <summary>
/// Reads a bootstrap package (OMA-TS-DM_Bootstrap-V1_2 §5) into a <see cref="BootstrapPackage"/>, strictly: only Add
/// commands, all below one ./DMAcc/&lt;x&gt;, each node once, Formats as OMA-TS-DM_StdObj-V1_2 §5.3 gives them
/// (interior nodes "node", leaves "chr", AAuthData "bin" or "b64"), every node we do not read (PrefConRef, ToConRef,
/// Port, Ext, a second AppAddr, AppAuth levels other than SRVCRED/CLCRED) refused, and Source = ServerID.
/// Does not check the MAC: callers verify it over the same bytes first. I/O-free; errors are values.
/// </summary>
public static class BootstrapPackageReader
{
    private static readonly UTF8Encoding StrictUtf8 = new(false, true);

    public static bool TryRead(ReadOnlySpan<byte> wbxml, [NotNullWhen(true)] out BootstrapPackage? package, [NotNullWhen(false)] out BootstrapError? error)
    {
        if (!SyncMlWbxml.TryParse(wbxml, out var message, out var syncMlError))
        {
            package = null;
            error = new BootstrapError(BootstrapErrorReason.Malformed, syncMlError.ToString(), syncMlError);
            return false;
        }

        return TryRead(message, out package, out error);
    }

    public static bool TryRead(SyncMlMessage message, [NotNullWhen(true)] out BootstrapPackage? package, [NotNullWhen(false)] out BootstrapError? error)
    {
        ArgumentNullException.ThrowIfNull(message);
        try
        {
            package = new Reader(message).Read();
            error = null;
            return true;
        }
        catch (BootstrapFormatException e)
        {
            package = null;
            error = new BootstrapError(e.Reason, e.Message);
            return false;
        }
    }

    /// <summary>What makes an account unusable (null when none): shared by the writer (throws) and the reader (refuses).</summary>
    internal static string? CheckAccount(BootstrapDmAcc acc)
    {
        if (!DmUri.IsValidNodeName(acc.NodeName))
            return $"DMAcc node name '{acc.NodeName}' is not a DM node name";
        if (!DmAcl.IsValidServerId(acc.ServerId) || !DmUri.IsValidNodeName(acc.ServerId))
            return "ServerID must be printable ASCII without '/', '?', '&', '+', '=', '*' or spaces";
        if (acc.Addr is null || !acc.Addr.IsAbsoluteUri || (acc.Addr.Scheme != Uri.UriSchemeHttp && acc.Addr.Scheme != Uri.UriSchemeHttps))
            return "Addr must be an absolute http or https URI";
        if (!Enum.IsDefined(acc.AuthPref))
            return "unknown AAuthPref";
        foreach (var (level, auth) in new[] { (DmAccNames.ServerCredential, acc.ServerCredential), (DmAccNames.ClientCredential, acc.ClientCredential) })
        {
            if (auth is null || !Enum.IsDefined(auth.Type) || string.IsNullOrEmpty(auth.Name) || auth.Name.Any(char.IsControl) || string.IsNullOrEmpty(auth.Secret))
                return $"{level}: AAuthType, AAuthName (printable) and AAuthSecret are required";
        }

        return null;
    }

    private sealed class Reader(SyncMlMessage message)
    {
        private readonly Dictionary<string, (DmFormat Format, SyncMlData? Data)> _nodes = new(StringComparer.Ordinal);
        private readonly HashSet<string> _read = new(StringComparer.Ordinal);

        public BootstrapPackage Read()
        {
            if (!message.Final)
                throw Fail(BootstrapErrorReason.Malformed, "no Final: a bootstrap is one message");
            string? x = null;
            foreach (var command in message.Commands)
            {
                if (command is not AddCommand add || add.Items.Count == 0)
                    throw Fail(BootstrapErrorReason.UnexpectedCommand, $"{command.ElementName} (CmdID {command.CmdId}): a bootstrap holds Add commands with items only");
                foreach (var item in add.Items)
                {
                    if (item.Target?.LocUri is not { } uri || !DmUri.TryParse(uri, out var segs, out _))
                        throw Fail(BootstrapErrorReason.UnexpectedCommand, $"Add {add.CmdId}: an item without a valid Target LocURI");
                    if (segs.Length is 1 or 2 && segs[0] == "M2MContext")
                    {
                        // The M2M context of a Registration Operator's Bootstrap message (issue 15): ./M2MContext and ./M2MContext/SHO only.
                        if (!_nodes.TryAdd(DmUri.Format(segs), (DmFormatNames.TryParse((item.Meta ?? add.Meta)?.Format, out var f) ? f : throw Fail(BootstrapErrorReason.WrongFormat,
                            $"{uri}: not a DM Format"), item.Data)))
                            throw Fail(BootstrapErrorReason.DuplicateNode, $"{uri} added twice");
                        continue;
                    }
                    if (segs.Length < 2 || segs[0] != "DMAcc" || (x ?? segs[1]) != segs[1])
                        throw Fail(BootstrapErrorReason.UnknownNode, $"{uri}: outside ./DMAcc/{x ?? "<x>"}");
                    x = segs[1];
                    var formatName = (item.Meta ?? add.Meta)?.Format;
                    if (!DmFormatNames.TryParse(formatName, out var format))
                        throw Fail(BootstrapErrorReason.WrongFormat, $"{uri}: Meta Format '{formatName}' is not a DM Format");
                    if (!_nodes.TryAdd(DmUri.Format(segs), (format, item.Data)))
                        throw Fail(BootstrapErrorReason.DuplicateNode, $"{uri} added twice");
                }
            }

            if (x is null)
                throw Fail(BootstrapErrorReason.MissingNode, "no ./DMAcc/<x>");
            var root = $"{DmAccNames.Root}/{x}";
            Interior(root);
            if (Chr($"{root}/{DmAccNames.AppId}") != DmAccNames.AppIdValue)
                throw Fail(BootstrapErrorReason.InvalidValue, $"AppID must be \"{DmAccNames.AppIdValue}\" (OMA DM)");
            var serverId = Chr($"{root}/{DmAccNames.ServerId}");
            var name = Chr($"{root}/{DmAccNames.Name}", required: false);

            Interior($"{root}/{DmAccNames.AppAddr}");
            var addrAt = $"{root}/{DmAccNames.AppAddr}/{SingleInstance($"{root}/{DmAccNames.AppAddr}")}";
            Interior(addrAt);
            var addrText = Chr($"{addrAt}/{DmAccNames.Addr}");
            if (Chr($"{addrAt}/{DmAccNames.AddrType}") != DmAccNames.AddrTypeUri)
                throw Fail(BootstrapErrorReason.InvalidValue, $"AddrType must be \"{DmAccNames.AddrTypeUri}\"");
            if (!Uri.TryCreate(addrText, UriKind.Absolute, out var addr))
                throw Fail(BootstrapErrorReason.InvalidValue, "Addr is not an absolute URI");

            var prefText = Chr($"{root}/{DmAccNames.AAuthPref}", required: false);
            DmAuthScheme? pref = null;
            if (prefText is not null)
                pref = DmAccNames.TryParseAAuthType(prefText, out var p) ? p : throw Fail(BootstrapErrorReason.InvalidValue, $"AAuthPref '{prefText}'");

            Interior($"{root}/{DmAccNames.AppAuth}");
            var auths = new Dictionary<string, BootstrapAppAuth>(StringComparer.Ordinal);
            foreach (var instance in Instances($"{root}/{DmAccNames.AppAuth}"))
            {
                var at = $"{root}/{DmAccNames.AppAuth}/{instance}";
                Interior(at);
                var level = Chr($"{at}/{DmAccNames.AAuthLevel}")!;
                if (level is not (DmAccNames.ServerCredential or DmAccNames.ClientCredential))
                    throw Fail(BootstrapErrorReason.InvalidValue, $"AAuthLevel '{level}': only SRVCRED and CLCRED are used");
                var typeText = Chr($"{at}/{DmAccNames.AAuthType}");
                if (!DmAccNames.TryParseAAuthType(typeText, out var type))
                    throw Fail(BootstrapErrorReason.InvalidValue, $"AAuthType '{typeText}': expected BASIC, DIGEST or HMAC");
                var auth = new BootstrapAppAuth(type, Chr($"{at}/{DmAccNames.AAuthName}")!, Chr($"{at}/{DmAccNames.AAuthSecret}")!, Bytes($"{at}/{DmAccNames.AAuthData}"));
                if (!auths.TryAdd(level, auth))
                    throw Fail(BootstrapErrorReason.DuplicateNode, $"two AppAuth instances with AAuthLevel {level}");
            }

            BootstrapM2MContext? context = null;
            if (_nodes.ContainsKey(BootstrapM2MContext.Root))
            {
                Interior(BootstrapM2MContext.Root);
                var sho = Chr($"{BootstrapM2MContext.Root}/{BootstrapM2MContext.Sho}")!;
                context = BootstrapM2MContext.IsValidShoId(sho) ? new BootstrapM2MContext(sho) : throw Fail(BootstrapErrorReason.InvalidValue, "./M2MContext/SHO is not a SHO id");
            }

            if (_nodes.Keys.FirstOrDefault(k => !_read.Contains(k)) is { } unknown)
                throw Fail(BootstrapErrorReason.UnknownNode, $"{unknown} is not a DMAcc node this device reads");
            var server = auths.GetValueOrDefault(DmAccNames.ServerCredential) ?? throw Fail(BootstrapErrorReason.MissingNode, "no SRVCRED AppAuth");
            var client = auths.GetValueOrDefault(DmAccNames.ClientCredential) ?? throw Fail(BootstrapErrorReason.MissingNode, "no CLCRED AppAuth");
            var account = new BootstrapDmAcc(x, serverId!, name, addr, pref ?? client.Type, server, client);
            if (CheckAccount(account) is { } problem)
                throw Fail(BootstrapErrorReason.InvalidValue, problem);
            if (message.Header.Source.LocUri != serverId)
                throw Fail(BootstrapErrorReason.InvalidValue, "the SyncHdr Source is not the ServerID");
            return new BootstrapPackage(message.Header.SessionId, message.Header.MsgId, message.Header.Target.LocUri, account, context);
        }

        private void Interior(string uri)
        {
            if (!_nodes.TryGetValue(uri, out var node))
                throw Fail(BootstrapErrorReason.MissingNode, $"{uri} is not added");
            if (node.Format != DmFormat.Node || node.Data is { IsEmpty: false })
                throw Fail(BootstrapErrorReason.WrongFormat, $"{uri} must be an interior node (Format node, no Data)");
            _read.Add(uri);
        }

        private string? Chr(string uri, bool required = true)
        {
            var bytes = Leaf(uri, required, DmFormat.Chr);
            if (bytes is null)
                return null;
            try
            {
                var text = StrictUtf8.GetString(bytes);
                return text.Length > 0 ? text : throw Fail(BootstrapErrorReason.InvalidValue, $"{uri} is empty");
            }
            catch (DecoderFallbackException)
            {
                throw Fail(BootstrapErrorReason.InvalidValue, $"{uri} is not UTF-8");
            }
        }

        private byte[]? Bytes(string uri)
        {
            var raw = Leaf(uri, false, DmFormat.Bin, DmFormat.B64);
            if (raw is null || _nodes[uri].Format == DmFormat.Bin)
                return raw;
            return _nodes[uri].Data!.TryGetBytes("b64", out var decoded) ? decoded : throw Fail(BootstrapErrorReason.InvalidValue, $"{uri} is not base64");
        }

        private byte[]? Leaf(string uri, bool required, params DmFormat[] formats)
        {
            if (!_nodes.TryGetValue(uri, out var node))
                return required ? throw Fail(BootstrapErrorReason.MissingNode, $"{uri} is not added") : null;
            if (!formats.Contains(node.Format))
                throw Fail(BootstrapErrorReason.WrongFormat, $"{uri} has Format {node.Format.ToWireName()}, expected {string.Join(" or ", formats.Select(f => f.ToWireName()))}");
            _read.Add(uri);
            return node.Data?.RawBytes ?? [];
        }

        private IEnumerable<string> Instances(string parent)
        {
            var depth = parent.Count(c => c == '/') + 1;
            return _nodes.Keys.Where(k => k.StartsWith(parent + "/", StringComparison.Ordinal))
                .Select(k => k.Split('/')[depth]).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        }

        private string SingleInstance(string parent) => Instances(parent).ToList() switch
        {
            [var one] => one,
            [] => throw Fail(BootstrapErrorReason.MissingNode, $"no {parent}/<x>"),
            _ => throw Fail(BootstrapErrorReason.UnknownNode, $"more than one {parent}/<x>: this device uses one server address"),
        };

        private static BootstrapFormatException Fail(BootstrapErrorReason reason, string message) => new(reason, message);
    }

    private sealed class BootstrapFormatException(BootstrapErrorReason reason, string message) : Exception(message)
    {
        public BootstrapErrorReason Reason { get; } = reason;
    }
}
