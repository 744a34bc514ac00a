using System.Diagnostics;
using M2MSec.Tests.Support;

namespace M2MSec.Tests.Cli;

/// <summary>
/// A newcomer behind a corporate proxy runs the README's demo line with http_proxy / https_proxy set: .NET sent every request between
/// the demo's functions (all on 127.0.0.1) to the proxy, and the demo stopped at its first request with exit 4. The CLI now reaches
/// loopback directly (Internal/LoopbackDirect); the environment's proxy still serves other destinations.
/// </summary>
public sealed class DemoBehindAProxyTests
{
    [Fact]
    public async Task Demo_WithAProxyInTheEnvironment_ReachesItsFunctionsDirectly_Exit0()
    {
        var ct = TestContext.Current.CancellationToken;
        var home = Directory.CreateTempSubdirectory("m2msec-demo-proxy-").FullName;
        var psi = new ProcessStartInfo(Path.Combine(AppContext.BaseDirectory, "m2msec"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { "demo", "--devices", "4", "--data", Path.Combine(home, "demo") })
            psi.ArgumentList.Add(a);
        TestHome.UseFresh(psi, home);
        // A proxy nobody listens at (port 9, discard): any request sent to it is refused.
        foreach (var name in new[] { "http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY" })
            psi.Environment[name] = "http://127.0.0.1:9";
        psi.Environment.Remove("no_proxy");
        psi.Environment.Remove("NO_PROXY");
        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEndAsync(ct);
        var error = p.StandardError.ReadToEndAsync(ct);
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromMinutes(3));
            await p.WaitForExitAsync(timeout.Token);
            var said = await error;
            Assert.True(p.ExitCode == 0, $"exit {p.ExitCode}: {said}");
            Assert.Matches(@"Completed\s+│\s+4\s+│", await output);
        }
        finally
        {
            if (!p.HasExited)
                p.Kill(true);
            Directory.Delete(home, true);
        }
    }
}
