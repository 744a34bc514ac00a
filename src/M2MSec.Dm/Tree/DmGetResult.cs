namespace M2MSec.Dm.Tree;

/// <summary>Result of a Get: a DM status and, on 200, the data with its Format and Type (TND §7.7).</summary>
public readonly record struct DmGetResult(int Status, DmFormat Format, string? Type, ReadOnlyMemory<byte> Data)
{
    public static DmGetResult Fail(int status) => new(status, DmFormat.Chr, null, ReadOnlyMemory<byte>.Empty);
}
