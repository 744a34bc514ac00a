namespace M2MSec.Dm.Tree;

/// <summary>The Format property of a node (OMA-TS-DM_TND-V1_2 §7.7.5).</summary>
public enum DmFormat
{
    Node,
    Chr,
    Int,
    Bool,
    Bin,
    B64,
    Float,
    Date,
    Time,
}

/// <summary>Wire names of <see cref="DmFormat"/> (Meta Format values: "node", "chr", ...).</summary>
public static class DmFormatNames
{
    public static string ToWireName(this DmFormat format) => format switch
    {
        DmFormat.Node => "node",
        DmFormat.Chr => "chr",
        DmFormat.Int => "int",
        DmFormat.Bool => "bool",
        DmFormat.Bin => "bin",
        DmFormat.B64 => "b64",
        DmFormat.Float => "float",
        DmFormat.Date => "date",
        DmFormat.Time => "time",
        _ => throw new ArgumentOutOfRangeException(nameof(format)),
    };

    public static bool TryParse(string? name, out DmFormat format)
    {
        foreach (var f in Enum.GetValues<DmFormat>())
        {
            if (string.Equals(name, f.ToWireName(), StringComparison.Ordinal))
            {
                format = f;
                return true;
            }
        }

        format = default;
        return false;
    }
}
