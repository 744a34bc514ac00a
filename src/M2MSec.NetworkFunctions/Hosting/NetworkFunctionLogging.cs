using Microsoft.Extensions.Logging;

namespace M2MSec.NetworkFunctions.Hosting;

/// <summary>
/// Where the logs of the hosts started in this flow go. By default a function logs warnings and errors to
/// the console in single lines (<c>serve</c>); a caller that owns the terminal (the demo's progress and tables)
/// routes them elsewhere for the hosts it starts, without every start-up API carrying a logging parameter.
/// </summary>
public static class NetworkFunctionLogging
{
    private static readonly AsyncLocal<Action<ILoggingBuilder>?> Route = new();

    /// <summary>
    /// Until the returned scope is disposed, hosts started from this flow (and the tasks it starts) log only to
    /// the providers <paramref name="configure"/> adds, at warning and above, never to the console.
    /// </summary>
    public static IDisposable RouteTo(Action<ILoggingBuilder> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        var previous = Route.Value;
        Route.Value = configure;
        return new Scope(() => Route.Value = previous);
    }

    /// <summary>Sets up a host's logging: the routed providers if a scope is active, the console otherwise.</summary>
    internal static void Configure(ILoggingBuilder logging)
    {
        logging.ClearProviders();
        if (Route.Value is { } route)
            route(logging);
        else
            logging.AddSimpleConsole(o => o.SingleLine = true);
        logging.SetMinimumLevel(LogLevel.Warning);
    }

    private sealed class Scope(Action restore) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
                restore();
        }
    }
}
