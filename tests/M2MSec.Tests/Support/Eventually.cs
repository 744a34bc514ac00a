namespace M2MSec.Tests.Support;

/// <summary>Waits for a condition another thread makes true (a server's counter), polling every 20 ms; fails after 20 s.</summary>
internal static class Eventually
{
    public static async Task HoldsAsync(Func<bool> condition, CancellationToken cancellationToken)
    {
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < until, "the condition did not hold within 20 s");
            await Task.Delay(20, cancellationToken);
        }
    }
}
