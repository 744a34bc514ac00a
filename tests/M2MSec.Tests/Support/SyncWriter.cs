namespace M2MSec.Tests.Support;

/// <summary>A StringWriter that is safe to read while the server writes.</summary>
internal sealed class SyncWriter : StringWriter
{
    private readonly Lock _lock = new();

    public override void Write(char value)
    {
        lock (_lock)
            base.Write(value);
    }

    public override void Write(string? value)
    {
        lock (_lock)
            base.Write(value);
    }

    public override void WriteLine(string? value)
    {
        lock (_lock)
            base.WriteLine(value);
    }

    public override string ToString()
    {
        lock (_lock)
            return base.ToString();
    }
}
