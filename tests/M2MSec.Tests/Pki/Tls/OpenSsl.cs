using System.Diagnostics;
using System.Text;
using M2MSec.Tests.Support;

namespace M2MSec.Tests.Pki.Tls;

/// <summary>The OpenSSL CLI for the TLS tests; every process is killed when its time is up.</summary>
internal static class OpenSsl
{
    public static string Require() => ExternalTool.Require("openssl", "Debian package openssl");

    /// <summary>Like <see cref="ExternalTool.RunAsync"/>, but kills the process on timeout (then returns exit code -1).</summary>
    public static async Task<(int ExitCode, string Output)> RunAsync(string openssl, IEnumerable<string> args, string stdin = "", int timeoutSeconds = 20)
    {
        using var p = Process.Start(StartInfo(openssl, args))!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        try
        {
            await p.StandardInput.WriteAsync(stdin);
            p.StandardInput.Close();
        }
        catch (IOException)
        {
            // The tool exited before reading its input.
        }
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(timeoutSeconds));
        var exit = -1;
        try
        {
            await p.WaitForExitAsync(cts.Token);
            exit = p.ExitCode;
        }
        catch (OperationCanceledException)
        {
            p.Kill(entireProcessTree: true);
            await p.WaitForExitAsync();
        }
        return (exit, await stdout + await stderr);
    }

    /// <summary>s_client to the test server; stdin "Q" quits once the handshake is done.</summary>
    public static Task<(int ExitCode, string Output)> ClientAsync(string openssl, int port, string caFile, params string[] extra) =>
        RunAsync(openssl, ["s_client", "-connect", $"127.0.0.1:{port}", "-servername", "localhost", "-CAfile", caFile, "-verify_return_error", .. extra], "Q\n");

    /// <summary>Starts <c>openssl s_server -naccept 1</c> on a free loopback port; returns once it accepts.</summary>
    public static async Task<SServer> StartServerAsync(string openssl, params string[] extra)
    {
        for (var attempt = 0; ; attempt++)
        {
            var port = LoopbackPort.Free();
            var p = Process.Start(StartInfo(openssl, ["s_server", "-accept", $"127.0.0.1:{port}", "-naccept", "1", .. extra]))!;
            var output = new StringBuilder();
            var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            p.OutputDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); if (e.Data?.StartsWith("ACCEPT", StringComparison.Ordinal) == true) ready.TrySetResult(); };
            p.ErrorDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
            p.BeginOutputReadLine();
            p.BeginErrorReadLine();
            var exited = p.WaitForExitAsync();
            var first = await Task.WhenAny(ready.Task, exited, Task.Delay(TimeSpan.FromSeconds(10)));
            if (first == ready.Task)
                return new SServer(p, port, output);
            var server = new SServer(p, port, output);
            server.Dispose();
            if (attempt >= 3)
                throw new InvalidOperationException($"s_server did not start: {server.Output}");
        }
    }

    private static ProcessStartInfo StartInfo(string path, IEnumerable<string> args)
    {
        var psi = new ProcessStartInfo(path)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args)
            psi.ArgumentList.Add(a);
        return psi;
    }

    /// <summary>A running s_server; disposing kills it (it also exits after one connection).</summary>
    internal sealed class SServer(Process process, int port, StringBuilder output) : IDisposable
    {
        public int Port { get; } = port;

        public string Output
        {
            get
            {
                lock (output)
                    return output.ToString();
            }
        }

        public void Dispose()
        {
            try
            {
                if (!process.HasExited)
                    process.Kill(entireProcessTree: true);
                process.WaitForExit(5000);
            }
            catch (InvalidOperationException)
            {
            }
            process.Dispose();
        }
    }
}
