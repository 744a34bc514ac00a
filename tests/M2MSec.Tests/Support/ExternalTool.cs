using System.Diagnostics;

namespace M2MSec.Tests.Support;

/// <summary>
/// Independent tools the interop tests run (the OpenSSL CLI, PostgreSQL, testssl.sh). A missing
/// tool skips the test with the reason — unless M2MSEC_REQUIRE_TOOLS=1 (set by .ci/run), which
/// turns that skip into a failure.
/// </summary>
internal static class ExternalTool
{
    public const string RequireVariable = "M2MSEC_REQUIRE_TOOLS";

    public static bool SkipsAreFailures => Environment.GetEnvironmentVariable(RequireVariable) == "1";

    /// <summary>Returns the tool's full path, or skips/fails the calling test.</summary>
    public static string Require(string name, string installHint)
    {
        var path = Find(name);
        if (path is not null)
            return path;
        var reason = $"'{name}' is not installed ({installHint}); ./test.sh installs it when run as root";
        if (SkipsAreFailures)
            Assert.Fail($"{reason}. {RequireVariable}=1 forbids skipping.");
        Assert.Skip(reason);
        return null!;
    }

    public static string? Find(string name)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator))
        {
            var candidate = Path.Combine(dir, name);
            if (File.Exists(candidate))
                return candidate;
        }
        return null;
    }

    /// <summary>Runs a tool to completion; returns exit code, stdout and stderr.</summary>
    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(string path, IEnumerable<string> args, byte[]? stdin = null, TimeSpan? timeout = null)
    {
        var psi = new ProcessStartInfo(path)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = stdin is not null,
            UseShellExecute = false,
        };
        foreach (var a in args)
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        if (stdin is not null)
        {
            try
            {
                await p.StandardInput.BaseStream.WriteAsync(stdin);
                p.StandardInput.Close();
            }
            catch (IOException)
            {
                // The tool exited without reading its input (openssl s_client after a refused handshake: EPIPE in CI,
                // 2026-12-05): its exit code and output below are the result.
            }
        }
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(60));
        await p.WaitForExitAsync(cts.Token);
        return (p.ExitCode, await stdout, await stderr);
    }
}
