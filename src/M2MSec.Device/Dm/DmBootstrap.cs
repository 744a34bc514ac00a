using System.Text;
using M2MSec.Device.M2me;
using M2MSec.Device.Tre;
using M2MSec.Dm.Bootstrap;
using M2MSec.Dm.Tree;

namespace M2MSec.Device.Dm;

/// <summary>How a bootstrap ended.</summary>
public enum DmBootstrapStatus
{
    /// <summary>The account is in the tree and its secrets in the TRE.</summary>
    Applied,

    /// <summary>The MAC did not verify (wrong MAC, wrong key/IMSI/PIN, tampered body) or could not be checked.</summary>
    NotAuthenticated,

    /// <summary>Authenticated, but not a bootstrap package we accept (see <see cref="DmBootstrapResult.Error"/>).</summary>
    Malformed,

    /// <summary>The package's Target is another device's DevId.</summary>
    NotForThisDevice,

    /// <summary>The device already has an account for this ServerID (or the DMAcc node name is taken), and replacing was not allowed.</summary>
    AccountExists,
}

/// <summary>Checks a bootstrap MAC over the body as received (the key stays with whoever checks).</summary>
public delegate BootstrapVerifyResult BootstrapMacVerifier(ReadOnlySpan<byte> body, string? mac);

/// <summary>The outcome; on refusal nothing in the TRE changed.</summary>
public sealed record DmBootstrapResult(DmBootstrapStatus Status, string Detail, string? ServerId = null,
    BootstrapVerifyResult Mac = BootstrapVerifyResult.Ok, BootstrapError? Error = null)
{
    /// <summary>The applied package's M2M context (a Registration Operator's Bootstrap message), if it had one.</summary>
    public BootstrapM2MContext? M2MContext { get; init; }

    /// <summary>The applied account's server address (Addr).</summary>
    public Uri? ServerAddress { get; init; }

    public bool Applied => Status == DmBootstrapStatus.Applied;
}

/// <summary>
/// The device side of the DM bootstrap (OMA-TS-DM_Bootstrap-V1_2 §5): checks the MAC over the body exactly as
/// received before reading anything from it, then reads the package strictly (<see cref="BootstrapPackageReader"/>),
/// and in one sealed TRE write adds ./DMAcc/&lt;x&gt; to the DM tree (public leaves only; the bootstrapped server gets
/// Get/Replace on it and on ./NASConfig, Get on ./DMAcc, ./DevInfo, ./DevDetail) and keeps the credentials in
/// dm/accounts/&lt;ServerID&gt; (<see cref="DmClientAccounts"/>). A second bootstrap for a ServerID the device already
/// has is refused unless the caller allows replacing it.
/// </summary>
public static class DmBootstrap
{
    /// <summary>With an OMA SEC method (NETWPIN: <paramref name="imsi"/>; USERPIN: <paramref name="pin"/>; ...).</summary>
    public static DmBootstrapResult Apply(M2meDevice device, ReadOnlySpan<byte> body, BootstrapSecMethod sec, string? mac,
        string? imsi = null, string? pin = null, bool allowReplace = false)
    {
        ArgumentNullException.ThrowIfNull(device);
        var verdict = BootstrapAuthenticator.Verify(sec, imsi, pin, body, mac);
        return verdict == BootstrapVerifyResult.Ok
            ? ApplyAuthenticated(device, body, allowReplace)
            : new DmBootstrapResult(DmBootstrapStatus.NotAuthenticated, $"bootstrap MAC ({sec}): {verdict}", Mac: verdict);
    }

    /// <summary>
    /// With the keyed method: <paramref name="key"/> is the secret the device and the Registration Operator share. The package must name
    /// <paramref name="devId"/> as DevId (default: the TRE id; a UICC-based device's DM DevId is its ICCID, decision 033).
    /// </summary>
    public static DmBootstrapResult ApplyWithKey(M2meDevice device, ReadOnlySpan<byte> body, ReadOnlySpan<byte> key, string? mac, bool allowReplace = false,
        string? devId = null)
    {
        ArgumentNullException.ThrowIfNull(device);
        var verdict = BootstrapAuthenticator.VerifyWithKey(key, body, mac);
        return verdict == BootstrapVerifyResult.Ok
            ? ApplyAuthenticated(device, body, allowReplace, devId)
            : new DmBootstrapResult(DmBootstrapStatus.NotAuthenticated, $"bootstrap MAC (keyed): {verdict}", Mac: verdict);
    }

    /// <summary>
    /// With a MAC checked by someone holding the key the caller must not see: the TRE, for the Registration Operator's
    /// K_RO (issue 15). <paramref name="verify"/> gets the body exactly as received and the MAC parameter.
    /// </summary>
    public static DmBootstrapResult ApplyVerified(M2meDevice device, ReadOnlySpan<byte> body, string? mac, BootstrapMacVerifier verify, bool allowReplace = false)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(verify);
        var verdict = verify(body, mac);
        return verdict == BootstrapVerifyResult.Ok
            ? ApplyAuthenticated(device, body, allowReplace)
            : new DmBootstrapResult(DmBootstrapStatus.NotAuthenticated, $"bootstrap MAC (verified in the TRE): {verdict}", Mac: verdict);
    }

    private static DmBootstrapResult ApplyAuthenticated(M2meDevice device, ReadOnlySpan<byte> body, bool allowReplace, string? devId = null)
    {
        if (!BootstrapPackageReader.TryRead(body, out var package, out var error))
            return new DmBootstrapResult(DmBootstrapStatus.Malformed, $"bootstrap refused: {error}", Error: error);
        var acc = package.Account;
        if (package.DevId != (devId ?? device.Info.TreId))
            return new DmBootstrapResult(DmBootstrapStatus.NotForThisDevice, $"bootstrap for DevId {package.DevId}, not this device", acc.ServerId);

        var tree = DeviceDmTree.LoadOrBuildEmpty(device, acc.ServerId);
        var root = $"{DmAccNames.Root}/{acc.NodeName}";
        var ours = AccountNodes(tree, acc.ServerId);
        var taken = tree.Find(root) is { } node && !ours.Contains(node.Uri);
        var known = ours.Count > 0 || DmClientAccounts.NodeName(device, acc.ServerId) is not null;
        if (taken || (known && !allowReplace))
        {
            return new DmBootstrapResult(DmBootstrapStatus.AccountExists, taken
                ? $"{root} holds another server's account"
                : $"the device already has a DM account for {acc.ServerId}", acc.ServerId);
        }

        foreach (var uri in ours)
            tree.DeleteLocal(uri);
        AddAccount(tree, acc);
        var account = new DmClientAccount(acc.ServerId, acc.Addr, acc.ClientCredential.Name,
            Encoding.UTF8.GetBytes(acc.ClientCredential.Secret), Encoding.UTF8.GetBytes(acc.ServerCredential.Secret), acc.ClientCredential.Type,
            acc.ServerCredential.Type);
        device.Tre.WriteObjects(TreCaller.DeviceManagement,
        [
            new(DmClientAccounts.ObjectName(acc.ServerId), DmClientAccounts.Serialize(account, acc.NodeName)),
            new(DeviceDmTree.TreeObject, DmTreeSerializer.Serialize(tree)),
        ]);
        return new DmBootstrapResult(DmBootstrapStatus.Applied, $"DM account {root} for {acc.ServerId} at {acc.Addr}", acc.ServerId)
        {
            M2MContext = package.M2MContext,
            ServerAddress = acc.Addr,
        };
    }

    /// <summary>The ./DMAcc/&lt;x&gt; nodes whose ServerID is <paramref name="serverId"/>.</summary>
    private static List<string> AccountNodes(DmTree tree, string serverId) =>
        tree.Find(DmAccNames.Root) is { } dmAcc
            ? [.. dmAcc.Children.Where(c => c.IsInterior && c.Children.Any(l => l.Name == DmAccNames.ServerId && !l.IsInterior
                && l.Value.Span.SequenceEqual(Encoding.UTF8.GetBytes(serverId)))).Select(c => c.Uri)]
            : [];

    // OMA-TS-DM_StdObj-V1_2 §5.3: the DMAcc leaves the device keeps in its tree. AAuthSecret and AAuthData are not
    // among them: the secrets live in the TRE object only, so no DM command reaches them.
    private static void AddAccount(DmTree tree, BootstrapDmAcc acc)
    {
        var id = acc.ServerId;
        var root = $"{DmAccNames.Root}/{acc.NodeName}";
        tree.AddInteriorLocal(root, DmAcl.Parse($"Get={id}&Replace={id}"));
        Leaf(tree, $"{root}/{DmAccNames.AppId}", DmAccNames.AppIdValue);
        Leaf(tree, $"{root}/{DmAccNames.ServerId}", id);
        if (acc.Name is { } name)
            Leaf(tree, $"{root}/{DmAccNames.Name}", name);
        var addr = $"{root}/{DmAccNames.AppAddr}/{BootstrapPackageBuilder.AppAddrInstance}";
        tree.AddInteriorLocal($"{root}/{DmAccNames.AppAddr}");
        tree.AddInteriorLocal(addr);
        Leaf(tree, $"{addr}/{DmAccNames.Addr}", acc.Addr.AbsoluteUri);
        Leaf(tree, $"{addr}/{DmAccNames.AddrType}", DmAccNames.AddrTypeUri);
        Leaf(tree, $"{root}/{DmAccNames.AAuthPref}", DmAccNames.ToAAuthType(acc.AuthPref));
        tree.AddInteriorLocal($"{root}/{DmAccNames.AppAuth}");
        foreach (var (level, auth) in new[] { (DmAccNames.ServerCredential, acc.ServerCredential), (DmAccNames.ClientCredential, acc.ClientCredential) })
        {
            var at = $"{root}/{DmAccNames.AppAuth}/{level}";
            tree.AddInteriorLocal(at);
            Leaf(tree, $"{at}/{DmAccNames.AAuthLevel}", level);
            Leaf(tree, $"{at}/{DmAccNames.AAuthType}", DmAccNames.ToAAuthType(auth.Type));
            Leaf(tree, $"{at}/{DmAccNames.AAuthName}", auth.Name);
        }

        Grant(tree, DmAccNames.Root, id, DmAclCommand.Get);
        Grant(tree, "./DevInfo", id, DmAclCommand.Get);
        Grant(tree, "./DevDetail", id, DmAclCommand.Get);
        Grant(tree, M2MSec.Nas.NasConfigMo.DefaultRoot, id, DmAclCommand.Get, DmAclCommand.Replace);
    }

    private static void Leaf(DmTree tree, string uri, string value) => tree.AddLeafLocal(uri, DmFormat.Chr, Encoding.UTF8.GetBytes(value));

    /// <summary>Adds <paramref name="serverId"/> to the node's own ACL entries for <paramref name="commands"/>.</summary>
    private static void Grant(DmTree tree, string uri, string serverId, params DmAclCommand[] commands)
    {
        if (tree.Find(uri) is not { } node)
            return;
        var acl = node.Acl;
        foreach (var command in commands)
        {
            var ids = acl.ServersFor(command);
            if (!ids.Contains(DmAcl.Any) && !ids.Contains(serverId, StringComparer.Ordinal))
                acl = acl.With(command, [.. ids, serverId]);
        }

        tree.SetAclLocal(uri, acl);
    }
}
