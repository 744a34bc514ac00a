namespace M2MSec.Dm.Tree;

/// <summary>Why a node URI was refused.</summary>
public enum DmUriError
{
    None,
    Empty,
    TooLong,
    TooDeep,
    EmptySegment,
    DotSegment,
    InvalidCharacter,
    SegmentTooLong,
}

/// <summary>
/// Node URIs (OMA-TS-DM_TND-V1_2 §6): "." is the root; "./A/B" and "A/B" both address A/B below the root.
/// Refused: "..", "." inside the path, empty segments (leading, trailing or doubled '/'), '?' (property
/// addressing is a separate API here), control characters, and URIs past the limits we advertise in DevDetail/URI.
/// </summary>
public static class DmUri
{
    /// <summary>DevDetail/URI/MaxTotLen.</summary>
    public const int MaxLength = 255;

    /// <summary>DevDetail/URI/MaxDepth (segments below the root).</summary>
    public const int MaxDepth = 16;

    /// <summary>DevDetail/URI/MaxSegLen.</summary>
    public const int MaxSegmentLength = 64;

    /// <summary>414 Request URI too long (SyncML RepPro §10); not in <see cref="DmStatusCode"/>.</summary>
    public const int UriTooLongStatus = 414;

    /// <summary>Splits into segments below the root (empty for "."). </summary>
    public static bool TryParse(string? uri, out string[] segments, out DmUriError error)
    {
        segments = [];
        error = Check(uri, out var parts);
        if (error == DmUriError.None)
        {
            segments = parts!;
        }

        return error == DmUriError.None;
    }

    /// <summary>The canonical form: "." or "./A/B".</summary>
    public static string Format(IEnumerable<string> segments)
    {
        var path = string.Join('/', segments);
        return path.Length == 0 ? "." : "./" + path;
    }

    /// <summary>A single node name: non-empty, not "." or "..", no '/', '?', control characters; ≤ MaxSegmentLength.</summary>
    public static bool IsValidNodeName(string? name) => name is not null && CheckSegment(name) == DmUriError.None;

    /// <summary>The DM status for a URI error: 414 for length/depth, else 400.</summary>
    public static int StatusFor(DmUriError error) => error switch
    {
        DmUriError.None => DmStatusCode.Ok,
        DmUriError.TooLong or DmUriError.TooDeep or DmUriError.SegmentTooLong => UriTooLongStatus,
        _ => DmStatusCode.BadRequest,
    };

    private static DmUriError Check(string? uri, out string[]? segments)
    {
        segments = null;
        if (string.IsNullOrEmpty(uri))
        {
            return DmUriError.Empty;
        }

        if (uri.Length > MaxLength)
        {
            return DmUriError.TooLong;
        }

        if (uri == ".")
        {
            segments = [];
            return DmUriError.None;
        }

        var path = uri.StartsWith("./", StringComparison.Ordinal) ? uri[2..] : uri;
        var parts = path.Split('/');
        if (parts.Length > MaxDepth)
        {
            return DmUriError.TooDeep;
        }

        foreach (var p in parts)
        {
            var e = CheckSegment(p);
            if (e != DmUriError.None)
            {
                return e;
            }
        }

        segments = parts;
        return DmUriError.None;
    }

    private static DmUriError CheckSegment(string s)
    {
        if (s.Length == 0)
        {
            return DmUriError.EmptySegment;
        }

        if (s is "." or "..")
        {
            return DmUriError.DotSegment;
        }

        if (s.Length > MaxSegmentLength)
        {
            return DmUriError.SegmentTooLong;
        }

        foreach (var c in s)
        {
            if (c is '/' or '?' || char.IsControl(c))
            {
                return DmUriError.InvalidCharacter;
            }
        }

        return DmUriError.None;
    }
}
