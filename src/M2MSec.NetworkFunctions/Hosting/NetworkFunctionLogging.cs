using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace M2MSec.NetworkFunctions.Hosting;

/// <summary>How a service writes its log lines to the console (`serve … --log-format`, issue 20).</summary>
public enum NetworkFunctionLogFormat
{
    /// <summary>One line per entry: UTC time, level, category, message.</summary>
    Text,

    /// <summary>One JSON object per line (Timestamp, EventId, LogLevel, Category, Message, State with the named fields).</summary>
    Json,
}

/// <summary>
/// Where the logs of the hosts started in this flow go. By default a function logs warnings and errors to
/// the console in single lines; `serve` chooses the level and format (<see cref="ToConsole"/>); a caller that owns the
/// terminal (the demo's progress and tables) routes them elsewhere for the hosts it starts, without every start-up API
/// carrying a logging parameter.
/// </summary>
public static class NetworkFunctionLogging
{
    private static readonly AsyncLocal<Action<ILoggingBuilder>?> Route = new();
    private static readonly AsyncLocal<ConsoleSettings?> Console = new();

    private sealed record ConsoleSettings(LogLevel Level, NetworkFunctionLogFormat Format);

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

    /// <summary>
    /// Until the returned scope is disposed, hosts started from this flow log to the console at <paramref name="level"/> and above
    /// (their domain events are Information) in <paramref name="format"/>. ASP.NET Core's own categories stay at warning unless the
    /// level is debug or trace.
    /// </summary>
    public static IDisposable ToConsole(LogLevel level, NetworkFunctionLogFormat format)
    {
        var previous = Console.Value;
        Console.Value = new ConsoleSettings(level, format);
        return new Scope(() => Console.Value = previous);
    }

    /// <summary>Sets up a host's logging: the routed providers if a scope is active, the console otherwise.</summary>
    internal static void Configure(ILoggingBuilder logging)
    {
        logging.ClearProviders();
        if (Route.Value is { } route)
        {
            route(logging);
            logging.SetMinimumLevel(LogLevel.Warning);
            return;
        }
        var settings = Console.Value ?? new ConsoleSettings(LogLevel.Warning, NetworkFunctionLogFormat.Text);
        if (settings.Format == NetworkFunctionLogFormat.Json)
        {
            logging.AddJsonConsole(o =>
            {
                o.UseUtcTimestamp = true;
                o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
            });
        }
        else
        {
            logging.AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                if (Console.Value is not null)
                {
                    o.UseUtcTimestamp = true;
                    o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
                    o.ColorBehavior = LoggerColorBehavior.Disabled;
                }
            });
        }
        logging.SetMinimumLevel(settings.Level);
        if (settings.Level > LogLevel.Debug)
            logging.AddFilter("Microsoft", LogLevel.Warning);
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
