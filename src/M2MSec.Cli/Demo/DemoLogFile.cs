using Microsoft.Extensions.Logging;

namespace M2MSec.Cli.Demo;

/// <summary>
/// The log of the demo's in-process network functions (Kestrel, ASP.NET Core, the roles): warnings and errors,
/// with their stack traces, appended to a file in the demo's data directory, so that only progress and tables
/// reach the terminal. The count of entries goes into the text report.
/// </summary>
internal sealed class DemoLogFile : ILoggerProvider
{
    public const string FileName = "network-functions.log";

    private readonly Lock _lock = new();
    private readonly StreamWriter _writer;
    private readonly TimeProvider _time;
    private int _entries;
    private bool _disposed;

    public DemoLogFile(string dataDirectory, TimeProvider time)
    {
        Path = System.IO.Path.Combine(dataDirectory, FileName);
        _time = time;
        _writer = new StreamWriter(new FileStream(Path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite)) { AutoFlush = true };
    }

    public string Path { get; }

    /// <summary>Entries written so far (warnings and errors).</summary>
    public int Entries => Volatile.Read(ref _entries);

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    private void Write(string category, LogLevel level, string message, Exception? exception)
    {
        lock (_lock)
        {
            if (_disposed)
                return;
            _writer.WriteLine($"{_time.GetUtcNow():O} {level} {category}: {message}");
            if (exception is not null)
                _writer.WriteLine(exception);
            _entries++;
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _disposed = true;
            _writer.Dispose();
        }
    }

    private sealed class Logger(DemoLogFile file, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
                file.Write(category, logLevel, formatter(state, exception), exception);
        }
    }
}
