using System.Globalization;
using M2MSec.Dm.SyncMl;
using M2MSec.Dm.Tree;

namespace M2MSec.Dm.Bootstrap;

/// <summary>
/// Writes a bootstrap package (OMA-TS-DM_Bootstrap-V1_2 §5): a SyncML DM 1.2 message, Source = the server (its
/// ServerID), Target = the device (its DevId), one Add per DMAcc node (OMA-TS-DM_StdObj-V1_2 §5.3), interior nodes
/// before their children, and Final. No Cred: the bootstrap is authenticated by the MAC over the WBXML body
/// (<see cref="BootstrapAuthenticator"/>). I/O-free; caller mistakes throw.
/// </summary>
public static class BootstrapPackageBuilder
{
    /// <summary>Instance names this writer uses below AppAddr and AppAuth (the reader accepts any).</summary>
    public const string AppAddrInstance = "1";

    public static SyncMlMessage ToMessage(BootstrapPackage package)
    {
        Validate(package);
        var acc = package.Account;
        var root = $"{DmAccNames.Root}/{acc.NodeName}";
        var nodes = new List<(string Uri, DmFormat Format, SyncMlData? Data)>
        {
            (root, DmFormat.Node, null),
            ($"{root}/{DmAccNames.AppId}", DmFormat.Chr, DmAccNames.AppIdValue),
            ($"{root}/{DmAccNames.ServerId}", DmFormat.Chr, acc.ServerId),
        };
        if (acc.Name is { } name)
            nodes.Add(($"{root}/{DmAccNames.Name}", DmFormat.Chr, name));
        var addr = $"{root}/{DmAccNames.AppAddr}/{AppAddrInstance}";
        nodes.Add(($"{root}/{DmAccNames.AppAddr}", DmFormat.Node, null));
        nodes.Add((addr, DmFormat.Node, null));
        nodes.Add(($"{addr}/{DmAccNames.Addr}", DmFormat.Chr, acc.Addr.AbsoluteUri));
        nodes.Add(($"{addr}/{DmAccNames.AddrType}", DmFormat.Chr, DmAccNames.AddrTypeUri));
        nodes.Add(($"{root}/{DmAccNames.AAuthPref}", DmFormat.Chr, DmAccNames.ToAAuthType(acc.AuthPref)));
        nodes.Add(($"{root}/{DmAccNames.AppAuth}", DmFormat.Node, null));
        AppAuth(nodes, root, DmAccNames.ServerCredential, acc.ServerCredential);
        AppAuth(nodes, root, DmAccNames.ClientCredential, acc.ClientCredential);
        if (package.M2MContext is { } context)
        {
            nodes.Add((BootstrapM2MContext.Root, DmFormat.Node, null));
            nodes.Add(($"{BootstrapM2MContext.Root}/{BootstrapM2MContext.Sho}", DmFormat.Chr, context.ShoId));
        }

        return new SyncMlMessage
        {
            Header = new SyncHeader
            {
                SessionId = package.SessionId,
                MsgId = package.MsgId,
                Target = new SyncMlLocation(package.DevId),
                Source = new SyncMlLocation(acc.ServerId),
            },
            Commands =
            [
                .. nodes.Select((n, i) => new AddCommand
                {
                    CmdId = (i + 1).ToString(CultureInfo.InvariantCulture),
                    Items = [new SyncMlItem { Target = new SyncMlLocation(n.Uri), Meta = new SyncMlMeta { Format = n.Format.ToWireName() }, Data = n.Data }],
                }),
            ],
            Final = true,
        };
    }

    /// <summary>The package as WBXML: the exact bytes the MAC is computed over and the device receives.</summary>
    public static byte[] Build(BootstrapPackage package) => SyncMlWbxml.Write(ToMessage(package));

    private static void AppAuth(List<(string, DmFormat, SyncMlData?)> nodes, string root, string level, BootstrapAppAuth auth)
    {
        // The instance is named after its level: ./DMAcc/<x>/AppAuth/SRVCRED, .../CLCRED.
        var at = $"{root}/{DmAccNames.AppAuth}/{level}";
        nodes.Add((at, DmFormat.Node, null));
        nodes.Add(($"{at}/{DmAccNames.AAuthLevel}", DmFormat.Chr, level));
        nodes.Add(($"{at}/{DmAccNames.AAuthType}", DmFormat.Chr, DmAccNames.ToAAuthType(auth.Type)));
        nodes.Add(($"{at}/{DmAccNames.AAuthName}", DmFormat.Chr, auth.Name));
        nodes.Add(($"{at}/{DmAccNames.AAuthSecret}", DmFormat.Chr, auth.Secret));
        if (auth.Data is { } data)
            nodes.Add(($"{at}/{DmAccNames.AAuthData}", DmFormat.Bin, SyncMlData.FromOpaque(data)));
    }

    private static void Validate(BootstrapPackage package)
    {
        ArgumentNullException.ThrowIfNull(package);
        ArgumentException.ThrowIfNullOrEmpty(package.SessionId);
        ArgumentException.ThrowIfNullOrEmpty(package.MsgId);
        ArgumentException.ThrowIfNullOrEmpty(package.DevId);
        var acc = package.Account ?? throw new ArgumentException("no account", nameof(package));
        if (BootstrapPackageReader.CheckAccount(acc) is { } problem)
            throw new ArgumentException(problem, nameof(package));
        if (package.M2MContext is { } context && !BootstrapM2MContext.IsValidShoId(context.ShoId))
            throw new ArgumentException("the M2M context's SHO id must be 1-64 of A-Z a-z 0-9 . _ -", nameof(package));
    }
}
