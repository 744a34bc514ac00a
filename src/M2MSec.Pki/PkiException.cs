namespace M2MSec.Pki;

/// <summary>A PKI operation refused: the message says why and nothing was changed.</summary>
public sealed class PkiException : Exception
{
    public PkiException(string message)
        : base(message)
    {
    }

    public PkiException(string message, Exception inner)
        : base(message, inner)
    {
    }

    public PkiException()
    {
    }
}
