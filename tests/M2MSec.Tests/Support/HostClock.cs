namespace M2MSec.Tests.Support;

/// <summary>
/// A host wall clock the test can move either way — like a system clock someone sets back
/// (FakeTimeProvider refuses to go backwards).
/// </summary>
internal sealed class HostClock(DateTimeOffset start) : TimeProvider
{
    private DateTimeOffset _now = start;

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by) => _now += by;

    public void SetUtcNow(DateTimeOffset value) => _now = value;
}
