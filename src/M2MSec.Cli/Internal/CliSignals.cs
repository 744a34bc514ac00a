using System.Runtime.InteropServices;

namespace M2MSec.Cli.Internal;

/// <summary>
/// SIGINT (Ctrl-C) and SIGTERM for a command that runs network functions inside its own process (`demo`, `bench`): each function's
/// host listens for both signals too (the generic host's console lifetime, which `serve` waits on) and cancels them, so neither the
/// runtime's default nor the command line's own handling ended such a command — the demo ran on to its last device. This one stops
/// the command: <see cref="Token"/> is cancelled and <see cref="Received"/> names the signal; the command winds down and says so.
/// `serve scp81`, the one role without a host to wait on, takes the signals here too (it was killed by them, no "stopped").
/// </summary>
internal sealed class CliSignals : IDisposable
{
    private readonly CancellationTokenSource _stop;
    private readonly PosixSignalRegistration _interrupt;
    private readonly PosixSignalRegistration _terminate;
    private int _received;

    public CliSignals(CancellationToken cancellationToken)
    {
        _stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        _interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        _terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
    }

    /// <summary>
    /// Runs <paramref name="run"/> until it ends or a signal stops it; then one line on standard error — <paramref name="command"/>,
    /// the signal and <paramref name="progress"/>'s account of what was done — and exit 3 (the run completed only in part).
    /// </summary>
    public static async Task<int> RunAsync(string command, TextWriter error, CancellationToken cancellationToken,
        Func<CancellationToken, Task<int>> run, Func<string>? progress = null)
    {
        using var signals = new CliSignals(cancellationToken);
        try
        {
            return await run(signals.Token);
        }
        catch (OperationCanceledException) when (signals.Received is { } signal)
        {
            await error.WriteLineAsync($"{command}: stopped by {signal}{(progress is null ? "" : " " + progress())}");
            return ExitCodes.Partial;
        }
    }

    /// <summary>Cancelled by the first SIGINT or SIGTERM (or by the token given).</summary>
    public CancellationToken Token => _stop.Token;

    /// <summary>The first signal received, or null.</summary>
    public PosixSignal? Received => Volatile.Read(ref _received) switch
    {
        0 => null,
        var s => (PosixSignal)s,
    };

    private void OnSignal(PosixSignalContext context)
    {
        context.Cancel = true;
        Interlocked.CompareExchange(ref _received, (int)context.Signal, 0);
        _stop.Cancel();
    }

    public void Dispose()
    {
        _interrupt.Dispose();
        _terminate.Dispose();
        _stop.Dispose();
    }
}
