using System.Net;
using System.Net.Sockets;
using System.Security.Authentication;
using M2MSec.Cli.Demo;
using M2MSec.NetworkFunctions.Hosting;
using M2MSec.NetworkFunctions.Hss;
using M2MSec.Storage.InMemory;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Spectre.Console;

namespace M2MSec.Tests.Cli;

/// <summary>
/// Issue 14 item 14: the demo's devices retry transient failures with bounded, jittered exponential back-off (never a
/// security refusal), failures are summarised by a short reason key, and the network functions' logs (Kestrel stack
/// traces included) go to a file in the data directory, not the terminal.
/// </summary>
public sealed class DemoRetryTests
{
    private static readonly RetryPolicy Fast = new(4, TimeSpan.FromMilliseconds(1), TimeSpan.FromMilliseconds(4), TimeSpan.FromMilliseconds(300));

    public static TheoryData<string> TransientKinds => ["503", "502", "timeout", "refused", "reset"];

    /// <summary>Issue 14 item 14: an HSS call that fails transiently twice completes on the third attempt, its body sent whole each time.</summary>
    [Theory]
    [MemberData(nameof(TransientKinds))]
    public async Task StageHttpCall_FailingTransientlyTwice_CompletesAfterRetries_OverloadedNetworkThreat(string kind)
    {
        var inner = new ScriptedHandler(Failure(kind), Failure(kind), Created);
        using var http = new HttpClient(new TransientRetryHandler(Fast, inner)) { BaseAddress = new Uri("http://127.0.0.1:9/") };

        await new HssClient(http).AddSubscriberAsync("001010000000001", new byte[16], new byte[16], new byte[] { 0x80, 0 }, TestContext.Current.CancellationToken);

        Assert.Equal(3, inner.Calls);
        Assert.All(inner.Bodies, b => Assert.Contains("\"imsi\":\"001010000000001\"", b, StringComparison.Ordinal));
    }

    /// <summary>Issue 14 item 14: a refusal by a security check (403, 401, a refused TLS handshake) is final: one attempt.</summary>
    [Theory]
    [InlineData("403")]
    [InlineData("401")]
    [InlineData("tls")]
    public async Task SecurityRefusal_IsNeverRetried_RetryAgainstRefusalThreat(string kind)
    {
        var inner = new ScriptedHandler(Failure(kind), Created);
        using var http = new HttpClient(new TransientRetryHandler(Fast, inner)) { BaseAddress = new Uri("http://127.0.0.1:9/") };

        var e = await Assert.ThrowsAnyAsync<HttpRequestException>(() =>
            new HssClient(http).AddSubscriberAsync("001010000000001", new byte[16], new byte[16], new byte[] { 0x80, 0 }, TestContext.Current.CancellationToken));

        Assert.Equal(1, inner.Calls);
        Assert.Equal(kind == "tls" ? "tls-refused" : "http-" + kind, TransientFailure.Key(e, "hss-provisioning"));
    }

    /// <summary>Issue 14 item 14: retries are bounded; the last answer or a timeout (saying so) is what the stage sees.</summary>
    [Fact]
    public async Task PersistentOverloadOrSilence_GivesUpAfterMaxAttempts_OverloadedNetworkThreat()
    {
        var busy = new ScriptedHandler(Failure("503"));
        using (var http = new HttpClient(new TransientRetryHandler(Fast, busy)) { BaseAddress = new Uri("http://127.0.0.1:9/") })
        {
            var e = await Assert.ThrowsAsync<HssRequestException>(() =>
                new HssClient(http).GetVectorsAsync("001010000000001", ct: TestContext.Current.CancellationToken));
            Assert.Equal(HttpStatusCode.ServiceUnavailable, e.StatusCode);
            Assert.Equal("http-503", TransientFailure.Key(e, "aka-over-http"));
        }
        Assert.Equal(Fast.MaxAttempts, busy.Calls);

        var silent = new ScriptedHandler(Failure("timeout"));
        using (var http = new HttpClient(new TransientRetryHandler(Fast, silent)) { BaseAddress = new Uri("http://127.0.0.1:9/") })
        {
            var e = await Assert.ThrowsAsync<TimeoutException>(() => http.GetAsync("x", TestContext.Current.CancellationToken));
            Assert.Contains("4 attempts", e.Message, StringComparison.Ordinal);
            Assert.Equal("timeout", TransientFailure.Key(e, "aka-over-http"));
        }
        Assert.Equal(Fast.MaxAttempts, silent.Calls);
    }

    /// <summary>Issue 14 item 14: the blocking path (an OCSP query inside a TLS certificate callback) retries too.</summary>
    [Fact]
    public void SynchronousSend_ConnectionRefusedOnce_CompletesOnRetry_OverloadedNetworkThreat()
    {
        var inner = new ScriptedHandler(Failure("refused"), Created);
        using var http = new HttpClient(new TransientRetryHandler(Fast, inner));

        using var response = http.Send(new HttpRequestMessage(HttpMethod.Post, "http://127.0.0.1:9/ocsp") { Content = new ByteArrayContent([0x30, 0x03]) },
            TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal(2, inner.Calls);
    }

    /// <summary>Issue 14 item 14: back-off doubles from ¼ s, is capped at 4 s, and is jittered (a fleet does not come back in step).</summary>
    [Fact]
    public void BackOff_IsExponential_Capped_AndJittered_ThunderingHerdThreat()
    {
        var policy = RetryPolicy.Device(TimeSpan.FromSeconds(30));
        var random = new Random(14);
        for (var retry = 1; retry <= 8; retry++)
        {
            var d = Math.Min(4000, 250 * Math.Pow(2, retry - 1));
            var waits = Enumerable.Range(0, 50).Select(_ => policy.DelayBefore(retry, random).TotalMilliseconds).ToList();
            Assert.All(waits, w => Assert.InRange(w, d / 2, d));
            Assert.True(waits.Distinct().Count() > 40, "jittered");
        }
        Assert.Equal(4, policy.MaxAttempts);
    }

    /// <summary>Issue 14 item 14: failures are counted by short reason keys, in the JSON report and in a table.</summary>
    [Fact]
    public void FailedDevices_AreCountedByShortReasonKey_InJsonAndTable_UnexplainedFailureThreat()
    {
        Assert.Equal("timeout", TransientFailure.Key(new TaskCanceledException("The request was canceled due to the configured HttpClient.Timeout of 10 seconds elapsing."), "x"));
        Assert.Equal("connection-refused", TransientFailure.Key(new HttpRequestException(HttpRequestError.ConnectionError, "Connection refused (127.0.0.1:9)",
            new SocketException((int)SocketError.ConnectionRefused)), "x"));
        Assert.Equal("connection-reset", TransientFailure.Key(new HttpRequestException(HttpRequestError.ResponseEnded, "ended"), "x"));
        Assert.Equal("connection-reset", TransientFailure.Key(new IOException("reset", new SocketException((int)SocketError.ConnectionReset)), "x"));
        Assert.Equal("connection-reset", TransientFailure.Key(new SocketException((int)SocketError.NotConnected), "x")); // bare, from a raw socket
        Assert.Equal("aka-over-http-error", TransientFailure.Key(new InvalidOperationException("no vector"), "aka-over-http"));
        Assert.Null(TransientFailure.TransientKey(new OperationCanceledException(), new CancellationToken(true))); // the caller's own cancel

        var report = new DemoReport();
        report.BeginStage("AKA over HTTP");
        foreach (var key in new[] { "timeout", "http-403", "timeout" })
            report.DeviceFailed(new DemoDevice(0, "001010000000001", M2MSec.Device.M2me.M2meKind.Tre, new byte[16], new byte[16], null) { FailureKey = key });
        var summary = report.Summary(3, 100);

        Assert.Equal(new Dictionary<string, int> { ["timeout"] = 2, ["http-403"] = 1 }, summary.Failures);
        Assert.Contains("\"failures\": {\n    \"timeout\": 2,\n    \"http-403\": 1\n  }", summary.ToJson().ReplaceLineEndings("\n"), StringComparison.Ordinal);
        using var writer = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(writer), Ansi = AnsiSupport.No, Interactive = InteractionSupport.No });
        console.Profile.Width = 80;
        DemoTables.Render(console, summary, [], TimeSpan.FromSeconds(1));
        Assert.Equal(["2"], DemoReportTests.Row(writer.ToString(), "timeout"));
        Assert.Equal(["1"], DemoReportTests.Row(writer.ToString(), "http-403"));
    }

    /// <summary>
    /// Issue 14 item 14: inside the demo's routing scope a network function's error — an unhandled exception with its
    /// stack trace — goes to the log file, and no console logger is registered; outside it (`serve`), the console stays.
    /// </summary>
    [Fact]
    public async Task NetworkFunctionErrors_InTheDemo_GoToTheLogFile_NotTheTerminal_NoiseInProgressThreat()
    {
        var dir = Directory.CreateTempSubdirectory("m2msec-demo-log-").FullName;
        try
        {
            using (var log = new DemoLogFile(dir, TimeProvider.System))
            {
                NetworkFunctionHost host;
                using (NetworkFunctionLogging.RouteTo(b => b.AddProvider(log)))
                    host = await NetworkFunctionHost.StartAsync(new ThrowingFunction(), dir, new InMemoryStateStore(), cancellationToken: TestContext.Current.CancellationToken);
                await using (host)
                {
                    Assert.DoesNotContain(host.Services.GetServices<ILoggerProvider>(), p => p is ConsoleLoggerProvider);
                    using var http = new HttpClient { BaseAddress = host.Address };
                    using var response = await http.GetAsync("boom", TestContext.Current.CancellationToken);
                    Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
                }
                Assert.True(log.Entries > 0);
            }
            var text = await File.ReadAllTextAsync(Path.Combine(dir, DemoLogFile.FileName), TestContext.Current.CancellationToken);
            Assert.Contains("boom in the handler", text, StringComparison.Ordinal);
            Assert.Contains("   at ", text, StringComparison.Ordinal);

            await using var serve = await NetworkFunctionHost.StartAsync(new ThrowingFunction(), dir, new InMemoryStateStore(), cancellationToken: TestContext.Current.CancellationToken);
            Assert.Contains(serve.Services.GetServices<ILoggerProvider>(), p => p is ConsoleLoggerProvider);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    /// <summary>
    /// Issue 14 item 14: in a real run, devices whose stage throws or refuses are counted by reason (the stage's own key
    /// for a refusal), the run exits 3, and the terminal shows the failure table but no exception or stack trace.
    /// </summary>
    [Fact]
    public async Task DemoRunner_FailingDevices_SummarisedByReason_ExitPartial_NoStackTraceOnTheTerminal_UnexplainedFailureThreat()
    {
        var dir = Path.Combine(Path.GetTempPath(), "m2msec-demo-fail-" + Guid.NewGuid().ToString("N"));
        using var writer = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(writer), Ansi = AnsiSupport.No, Interactive = InteractionSupport.No });
        console.Profile.Width = 80;
        try
        {
            var runner = new DemoRunner(console, new DemoOptions(5, dir, 4), [new FlakyStage()]);

            Assert.Equal(3, await runner.RunAsync(TestContext.Current.CancellationToken));
            runner.Render();

            Assert.Equal(new Dictionary<string, int> { ["connection-refused"] = 1, ["flaky-link-failed"] = 1, ["timeout"] = 1 }, runner.Summary!.Failures);
            Assert.Equal(2, runner.Summary.Completed);
            Assert.Equal(new DemoStageRow("Flaky link", 2, 3, runner.Summary.Stages[0].Seconds, runner.Summary.Stages[0].PerSecond), runner.Summary.Stages.Single());
            var text = writer.ToString();
            Assert.Equal(["1"], DemoReportTests.Row(text, "flaky-link-failed"));
            Assert.DoesNotContain("Exception", text, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", text, StringComparison.Ordinal);
        }
        finally
        {
            if (Directory.Exists(dir))
                Directory.Delete(dir, true);
            File.Delete(dir + ".kek.json");
        }
    }

    /// <summary>Device 0: connection refused; 1: refused by a check; 2: no answer; the rest pass.</summary>
    private sealed class FlakyStage : IDemoStage
    {
        public string Name => "Flaky link";

        public Task<bool> RunAsync(DemoDevice device, DemoEnvironment environment, DemoReport report, CancellationToken cancellationToken)
        {
            switch (device.Index)
            {
                case 0:
                    throw new HttpRequestException(HttpRequestError.ConnectionError, "Connection refused", new SocketException((int)SocketError.ConnectionRefused));
                case 1:
                    device.FailureReason = "RES differs from XRES";
                    return Task.FromResult(false);
                case 2:
                    throw new TimeoutException("no answer within 30 s, 4 attempts");
                default:
                    return Task.FromResult(true);
            }
        }
    }

    private static Func<HttpRequestMessage, CancellationToken, Task<HttpResponseMessage>> Created =>
        (_, _) => Task.FromResult(new HttpResponseMessage(HttpStatusCode.Created));

    private static Func<HttpRequestMessage, CancellationToken, Task<HttpResponseMessage>> Failure(string kind) => kind switch
    {
        "timeout" => async (_, ct) =>
        {
            await Task.Delay(Timeout.Infinite, ct);
            throw new InvalidOperationException("unreachable");
        }
        ,
        "refused" => (_, _) => throw new HttpRequestException(HttpRequestError.ConnectionError, "Connection refused", new SocketException((int)SocketError.ConnectionRefused)),
        "reset" => (_, _) => throw new HttpRequestException(HttpRequestError.ResponseEnded, "The response ended prematurely"),
        "tls" => (_, _) => throw new HttpRequestException(HttpRequestError.SecureConnectionError, "The SSL connection could not be established",
            new AuthenticationException("The remote certificate was rejected")),
        _ => (_, _) => Task.FromResult(new HttpResponseMessage((HttpStatusCode)int.Parse(kind, System.Globalization.CultureInfo.InvariantCulture))
        {
            Content = new StringContent("{\"title\":\"" + kind + "\"}"),
        }),
    };

    /// <summary>Answers each attempt from a script (the last entry repeats) and records what was sent.</summary>
    private sealed class ScriptedHandler(params Func<HttpRequestMessage, CancellationToken, Task<HttpResponseMessage>>[] script) : HttpMessageHandler
    {
        private int _calls;

        public int Calls => _calls;

        public List<string> Bodies { get; } = [];

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var i = Interlocked.Increment(ref _calls) - 1;
            if (request.Content is not null)
                Bodies.Add(await request.Content.ReadAsStringAsync(cancellationToken));
            return await script[Math.Min(i, script.Length - 1)](request, cancellationToken);
        }

        protected override HttpResponseMessage Send(HttpRequestMessage request, CancellationToken cancellationToken) =>
            SendAsync(request, cancellationToken).GetAwaiter().GetResult();
    }

    /// <summary>A function whose one endpoint fails: ASP.NET Core logs the exception with its stack trace.</summary>
    private sealed class ThrowingFunction : INetworkFunction
    {
        public string Role => "boom";

        public void ConfigureServices(IServiceCollection services, string dataDirectory)
        {
        }

        public void MapEndpoints(WebApplication app) => app.MapGet("/boom", string () => throw new InvalidOperationException("boom in the handler"));
    }
}
