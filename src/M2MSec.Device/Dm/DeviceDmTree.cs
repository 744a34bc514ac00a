using System.Text;
using M2MSec.Device.M2me;
using M2MSec.Device.Tre;
using M2MSec.Dm.Tree;
using M2MSec.Nas;

namespace M2MSec.Device.Dm;

/// <summary>
/// The M2ME's DM tree (OMA-TS-DM_StdObj-V1_2): DevInfo, DevDetail, DMAcc and the NAS configuration
/// MO of TS 24.368 at ./NASConfig, whose leaves refuse values outside their type and range. The
/// tree lives in the TRE's sealed storage (dm/tree); validators are code, attached on load.
/// </summary>
public static class DeviceDmTree
{
    public const string TreeObject = "dm/tree";

    /// <summary>Loads the device's tree from the TRE, or builds it at first use; ACLs give <paramref name="serverId"/> the NAS MO.</summary>
    public static DmTree Load(M2meDevice device, string serverId)
    {
        ArgumentNullException.ThrowIfNull(device);
        var tree = device.Tre.ReadObject(TreCaller.DeviceManagement, TreeObject) is { } bytes
            ? DmTreeSerializer.Deserialize(bytes)
            : Build(device, serverId);
        AttachValidators(tree);
        return tree;
    }

    /// <summary>A tree from its serialized form, with its validators (an Atomic's rollback point).</summary>
    public static DmTree Restore(ReadOnlySpan<byte> serialized)
    {
        var tree = DmTreeSerializer.Deserialize(serialized);
        AttachValidators(tree);
        return tree;
    }

    public static void Save(M2meDevice device, DmTree tree)
    {
        ArgumentNullException.ThrowIfNull(device);
        var (name, value) = Entry(tree);
        device.Tre.WriteObject(TreCaller.DeviceManagement, name, value);
    }

    /// <summary>The tree as the TRE object <see cref="Save"/> writes (for a write of several objects at once).</summary>
    internal static KeyValuePair<string, byte[]> Entry(DmTree tree) => new(TreeObject, DmTreeSerializer.Serialize(tree));

    /// <summary>The NAS configuration the tree's ./NASConfig leaves hold (what the device applies after a session).</summary>
    public static NasConfiguration NasConfiguration(DmTree tree)
    {
        ArgumentNullException.ThrowIfNull(tree);
        var root = tree.Find(NasConfigMo.DefaultRoot);
        if (root is null)
            return M2MSec.Nas.NasConfiguration.Empty;
        return NasConfigMo.FromLeaves(root.Children.Where(c => !c.IsInterior && c.Value.Length > 0)
            .Select(c => new KeyValuePair<string, string>(c.Name, Encoding.UTF8.GetString(c.Value.Span))));
    }

    /// <summary>
    /// For a bootstrap: the device's tree as sealed, or, at first use, the standard objects with their ACLs granted to
    /// <paramref name="serverId"/> and an empty ./DMAcc (the bootstrap adds the account). Not saved here.
    /// </summary>
    internal static DmTree LoadOrBuildEmpty(M2meDevice device, string serverId)
    {
        var tree = device.Tre.ReadObject(TreCaller.DeviceManagement, TreeObject) is { } bytes
            ? DmTreeSerializer.Deserialize(bytes)
            : Build(device, serverId, withAccount: false);
        AttachValidators(tree);
        return tree;
    }

    private static DmTree Build(M2meDevice device, string serverId, bool withAccount = true)
    {
        var tree = new DmTree();
        var get = DmAcl.Parse($"Get={serverId}");
        var manage = DmAcl.Parse($"Get={serverId}&Replace={serverId}");
        tree.AddInteriorLocal("./DevInfo", get, permanent: true);
        Leaf(tree, "./DevInfo/DevId", device.Info.TreId);
        Leaf(tree, "./DevInfo/Man", "M2MSec");
        Leaf(tree, "./DevInfo/Mod", device.Info.Kind == M2meKind.Tre ? "M2ME-TRE" : "M2ME-UICC");
        Leaf(tree, "./DevInfo/DmV", "1.2");
        Leaf(tree, "./DevInfo/Lang", "en-US");
        tree.AddInteriorLocal("./DevDetail", get, permanent: true);
        Leaf(tree, "./DevDetail/DevTyp", "M2M");
        Leaf(tree, "./DevDetail/FwV", "1.0");
        Leaf(tree, "./DevDetail/SwV", "1.0");
        Leaf(tree, "./DevDetail/HwV", "1.0");
        Leaf(tree, "./DevDetail/LrgObj", "false", DmFormat.Bool);
        // DMAcc: the account as the device sees it; the credentials stay in the TRE, not in the tree.
        tree.AddInteriorLocal("./DMAcc", DmAcl.Parse($"Get={serverId}"), permanent: true);
        if (withAccount)
        {
            tree.AddInteriorLocal($"./DMAcc/{serverId}", permanent: true);
            Leaf(tree, $"./DMAcc/{serverId}/ServerID", serverId);
        }

        tree.AddInteriorLocal(NasConfigMo.DefaultRoot, manage, permanent: true, type: NasConfigMo.Urn);
        foreach (var p in NasParameters.All)
            tree.AddLeafLocal($"{NasConfigMo.DefaultRoot}/{p.Leaf}", DmFormat.Chr, [], permanent: true);
        return tree;
    }

    private static void Leaf(DmTree tree, string uri, string value, DmFormat format = DmFormat.Chr) =>
        tree.AddLeafLocal(uri, format, Encoding.UTF8.GetBytes(value), permanent: true);

    /// <summary>Each NAS leaf accepts only what TS 24.368 allows for it (type and range): a bad value gets a DM error and is not applied.</summary>
    private static void AttachValidators(DmTree tree)
    {
        foreach (var p in NasParameters.All)
        {
            var uri = $"{NasConfigMo.DefaultRoot}/{p.Leaf}";
            if (tree.Find(uri) is null)
                continue;
            tree.SetValidator(uri, value =>
            {
                try
                {
                    NasConfigMo.ApplyLeaf(M2MSec.Nas.NasConfiguration.Empty, p.Leaf, Encoding.UTF8.GetString(value.Span));
                    return true;
                }
                catch (NasConfigurationException)
                {
                    return false;
                }
            });
        }
    }
}
