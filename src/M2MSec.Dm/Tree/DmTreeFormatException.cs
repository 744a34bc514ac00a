namespace M2MSec.Dm.Tree;

/// <summary>Persisted tree bytes are corrupt or violate the tree's rules; nothing is loaded.</summary>
public sealed class DmTreeFormatException : FormatException
{
    public DmTreeFormatException()
    {
    }

    public DmTreeFormatException(string message)
        : base(message)
    {
    }

    public DmTreeFormatException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
