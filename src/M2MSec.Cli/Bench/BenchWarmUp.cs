namespace M2MSec.Cli.Bench;

/// <summary>
/// Warm-up until the JIT is quiet (issue 19): tiered compilation promotes hot methods in the background, and on this
/// loaded 2-core machine it was still compiling 300–1,000 methods every 2 s for 15 s after start — a fixed warm-up of
/// 0.3–0.5 s left it running through the measurements (20–40 % of the CPU samples, perf). A server is measured in its
/// steady state: the work runs in slices until a slice compiles fewer than <see cref="QuietMethods"/> methods.
/// </summary>
internal static class BenchWarmUp
{
    /// <summary>Methods compiled in one slice below which the JIT counts as quiet.</summary>
    public const int QuietMethods = 20;

    /// <summary>Runs <paramref name="slice"/> (one second of the work each) until quiet or <paramref name="max"/>; returns the slices run.</summary>
    public static async Task<int> UntilJitQuietAsync(Func<TimeSpan, Task> slice, Func<Task<long>> compiledMethods, TimeSpan max)
    {
        var deadline = DateTime.UtcNow + max;
        var slices = 0;
        while (true)
        {
            var before = await compiledMethods().ConfigureAwait(false);
            await slice(TimeSpan.FromSeconds(1)).ConfigureAwait(false);
            slices++;
            if (await compiledMethods().ConfigureAwait(false) - before < QuietMethods || DateTime.UtcNow >= deadline)
                return slices;
        }
    }

    /// <summary>This process's count.</summary>
    public static Task<long> ThisProcess() => Task.FromResult(System.Runtime.JitInfo.GetCompiledMethodCount());
}
