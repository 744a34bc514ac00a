using System.Globalization;

namespace M2MSec.Nas;

/// <summary>
/// The NAS configuration Management Object (TS 24.368, MO identifier
/// urn:oma:mo:ext-3gpp-nas-config:1.0): one leaf per parameter under the MO's interior node
/// &lt;X&gt;. Booleans are "0"/"1" as TS 24.368 lists their values ("true"/"false", the OMA DM
/// bool format, is accepted on input). Codec only.
/// </summary>
public static class NasConfigMo
{
    public const string Urn = "urn:oma:mo:ext-3gpp-nas-config:1.0";

    /// <summary>Where this implementation places &lt;X&gt; in the device's DM tree.</summary>
    public const string DefaultRoot = "./NASConfig";

    /// <summary>The leaves (path relative to &lt;X&gt;, value) of a configuration.</summary>
    public static IEnumerable<KeyValuePair<string, string>> ToLeaves(NasConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return configuration.Values.Select(v => new KeyValuePair<string, string>(v.Parameter.Leaf, v.Value.ToString(CultureInfo.InvariantCulture)));
    }

    /// <summary>Parses one leaf's value: the DM server's check before a Replace is accepted.</summary>
    /// <exception cref="NasConfigurationException">Unknown leaf, wrong format, or out of range.</exception>
    public static NasConfiguration ApplyLeaf(NasConfiguration configuration, string leaf, string value)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var p = NasParameters.ByLeaf(leaf) ?? throw new NasConfigurationException($"{leaf}: not a leaf of {Urn}");
        int parsed;
        if (p.Kind == NasValueKind.Boolean)
        {
            parsed = value switch
            {
                "0" or "false" => 0,
                "1" or "true" => 1,
                _ => throw new NasConfigurationException($"{leaf}: expected a bool (0 or 1), got '{Shorten(value)}'"),
            };
        }
        else if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out parsed))
        {
            throw new NasConfigurationException($"{leaf}: expected an integer {p.Min}..{p.Max}, got '{Shorten(value)}'");
        }
        return configuration.With(p, parsed);
    }

    public static NasConfiguration FromLeaves(IEnumerable<KeyValuePair<string, string>> leaves) =>
        leaves.Aggregate(NasConfiguration.Empty, (c, l) => ApplyLeaf(c, l.Key, l.Value));

    private static string Shorten(string s) => s.Length <= 16 ? s : s[..16] + "…";
}
