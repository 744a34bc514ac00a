using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Text;
using M2MSec.NetworkFunctions.Hosting;
using M2MSec.NetworkFunctions.Ocsp;
using M2MSec.Storage.InMemory;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace M2MSec.Tests.Hosting;

/// <summary>
/// Issue 13 item 18: a client's fault (a body that ends early, a reset connection) is ONE log line
/// without a stack trace, not an "unhandled exception" with one; genuine server errors keep theirs.
/// </summary>
public sealed class ClientFaultLoggingTests
{
    private sealed class CapturingProvider : ILoggerProvider
    {
        public ConcurrentQueue<(LogLevel Level, string Category, string Message, Exception? Exception)> Entries { get; } = new();

        public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

        public void Dispose()
        {
        }

        private sealed class Logger(CapturingProvider owner, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                owner.Entries.Enqueue((logLevel, category, formatter(state, exception), exception));
        }
    }

    private static async Task SendAsync(Uri address, string fault)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(address.Host, address.Port, TestContext.Current.CancellationToken);
        var head = $"POST / HTTP/1.1\r\nHost: {address.Authority}\r\nContent-Type: {OcspEndpoints.RequestMediaType}\r\nContent-Length: 1000\r\n\r\n";
        await socket.SendAsync(Encoding.ASCII.GetBytes(head + "0123456789"), TestContext.Current.CancellationToken);
        switch (fault)
        {
            case "slow":
                // Nothing more: below the minimum body data rate, Kestrel times the body out (408).
                await Task.Delay(4000, TestContext.Current.CancellationToken);
                break;
            case "reset":
                await Task.Delay(200, TestContext.Current.CancellationToken);
                socket.LingerState = new LingerOption(true, 0); // close with RST
                break;
            default:
                await Task.Delay(200, TestContext.Current.CancellationToken);
                socket.Shutdown(SocketShutdown.Send); // FIN: the body ends 990 octets early
                break;
        }
        await Task.Delay(300, TestContext.Current.CancellationToken);
    }

    [Theory]
    [InlineData("slow", LogLevel.Warning)]
    [InlineData("reset", LogLevel.None)]
    [InlineData("closed", LogLevel.None)]
    public async Task TimedOutOrAbortedRequestBody_LogsOneLine_WithoutStackTrace_SlowClientLogFloodThreat(string fault, LogLevel level)
    {
        var capture = new CapturingProvider();
        var dir = Directory.CreateTempSubdirectory("m2msec-faults-").FullName;
        try
        {
            await using (var host = await NetworkFunctionHost.StartAsync(new OcspFunction(new OcspFunctionOptions(InitialiseIfMissing: true)), dir, new InMemoryStateStore(),
                configure: s =>
                {
                    s.AddSingleton<ILoggerProvider>(capture);
                    s.Configure<LoggerFilterOptions>(o => o.MinLevel = LogLevel.Information);
                    // A slow client: under 240 octets/s after a 2 s grace period (Kestrel's default grace is 5 s).
                    s.Configure<Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions>(k =>
                        k.Limits.MinRequestBodyDataRate = new Microsoft.AspNetCore.Server.Kestrel.Core.MinDataRate(240, TimeSpan.FromSeconds(2)));
                }, cancellationToken: TestContext.Current.CancellationToken))
            {
                await SendAsync(host.Address, fault);
                for (var i = 0; i < 50 && capture.Entries.IsEmpty; i++)
                    await Task.Delay(20, TestContext.Current.CancellationToken);
                await Task.Delay(200, TestContext.Current.CancellationToken);
            }
            // Kestrel's own Information lines (listening, stopping) aside, everything Information and above counts.
            var entries = capture.Entries.Where(e => e.Level >= LogLevel.Warning || e.Category.StartsWith("M2MSec", StringComparison.Ordinal)).ToList();
            Assert.True(entries.Count == 1, string.Join(" | ", capture.Entries.Select(e => $"{e.Level} {e.Category} {e.Message} {e.Exception?.GetType()}")));
            var entry = entries[0];
            // Slow: a warning. Reset or closed mid-body: a warning or, when the client simply went away, information — never an error.
            if (level == LogLevel.None)
                Assert.True(entry.Level is LogLevel.Warning or LogLevel.Information, entry.Level.ToString());
            else
                Assert.Equal(level, entry.Level);
            Assert.Null(entry.Exception);
            Assert.DoesNotContain("   at ", entry.Message, StringComparison.Ordinal);
            Assert.DoesNotContain('\n', entry.Message);
            Assert.Contains("client fault on POST /", entry.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void GenuineServerErrors_AreNoClientFaults()
    {
        var context = new Microsoft.AspNetCore.Http.DefaultHttpContext();
        Assert.False(ClientFaults.IsClientFault(new InvalidOperationException("bug"), context));
        Assert.False(ClientFaults.IsClientFault(new IOException("disk"), context));
        Assert.True(ClientFaults.IsClientFault(new Microsoft.AspNetCore.Http.BadHttpRequestException("Unexpected end of request content."), context));
    }
}
