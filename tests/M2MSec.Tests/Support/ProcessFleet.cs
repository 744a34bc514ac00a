using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace M2MSec.Tests.Support;

/// <summary>
/// Network functions as separate operating-system processes (`dotnet m2msec.dll serve ROLE`), as an operator would run them:
/// one operator hierarchy made with `pki init` in the OCSP function's store, an `nf` certificate per role from `pki issue`,
/// mutual TLS between them (peers by --peer, revocation by --ocsp-url), device-facing listeners for vno, drf and dpf. Writes
/// DIR/endpoints.json and the administrator's credentials beside it, like `serve all`. Every process is killed on dispose.
/// </summary>
internal sealed class ProcessFleet : IAsyncDisposable
{
    private static readonly string[] DeviceFacing = ["vno", "drf", "dpf", "smsc"];

    private readonly List<Process> _processes = [];
    private int _disposed;
    private readonly Dictionary<string, string> _output = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (Process Process, IReadOnlyList<string> Args)> _running = new(StringComparer.Ordinal);
    private Func<string, Task<string?>>? _postgres;

    private ProcessFleet(string directory) => Directory = directory;

    public string Directory { get; }

    public string EndpointsFile => Path.Combine(Directory, "endpoints.json");

    public string KekFile => Path.Combine(Directory, "kek.json");

    /// <summary>What each process printed (for failure messages).</summary>
    public string Output(string role)
    {
        lock (_output)
            return _output.TryGetValue(role, out var s) ? s : "";
    }

    /// <summary>Starts ROLES under DIRECTORY; issue 16: POSTGRES gives a role its PostgreSQL database (a connection string), or null for its SQLite store.</summary>
    public static async Task<ProcessFleet> StartAsync(string directory, IReadOnlyList<string> roles, CancellationToken ct, Func<string, Task<string?>>? postgres = null)
    {
        var fleet = new ProcessFleet(directory) { _postgres = postgres };
        try
        {
            await fleet.StartAllAsync(roles, ct);
            return fleet;
        }
        catch
        {
            await fleet.DisposeAsync();
            throw;
        }
    }

    private async Task StartAllAsync(IReadOnlyList<string> roles, CancellationToken ct)
    {
        TestKeyRing.CreateIn(Directory);
        var ports = roles.ToDictionary(r => r, _ => LoopbackPort.Free(), StringComparer.Ordinal);
        var devicePorts = roles.Where(DeviceFacing.Contains).ToDictionary(r => r, _ => LoopbackPort.Free(), StringComparer.Ordinal);
        var ocspPort = ports["ocsp"];
        var ocspAdminPort = LoopbackPort.Free();
        var pki = Path.Combine(Directory, "ocsp");
        var certs = System.IO.Directory.CreateDirectory(Path.Combine(Directory, "certs")).FullName;
        await CliAsync(["pki", "init", "--data", pki, "--kek-file", KekFile, "--name", "operator", "--ocsp-url", $"http://127.0.0.1:{ocspPort}/"]);
        await CliAsync(["pki", "export", "--data", pki, "--kek-file", KekFile, "--name", "operator", "--what", "root", "--out", Path.Combine(Directory, "root.pem")]);
        await CliAsync(["pki", "export", "--data", pki, "--kek-file", KekFile, "--name", "operator", "--what", "issuing", "--out", Path.Combine(Directory, "chain.pem")]);
        await CliAsync(["pki", "issue", "--data", pki, "--kek-file", KekFile, "--name", "operator", "--profile", "admin", "--subject", "m2msec-admin",
            "--out-cert", Path.Combine(Directory, "admin.crt"), "--out-key", Path.Combine(Directory, "admin.key")]);
        foreach (var role in roles)
        {
            await CliAsync(["pki", "issue", "--data", pki, "--kek-file", KekFile, "--name", "operator", "--profile", "nf", "--role", role, "--subject", role,
                "--san", "127.0.0.1", "--san", "localhost", "--out-cert", Path.Combine(certs, role + ".crt"), "--out-key", Path.Combine(certs, role + ".key")]);
        }

        var endpoints = new Dictionary<string, string>(StringComparer.Ordinal);
        var started = new List<Task>();
        foreach (var role in roles)
        {
            List<string> args = ["serve", role, "--data", Path.Combine(Directory, role), "--kek-file", KekFile,
                .. (role != "ocsp" && _postgres is not null && await _postgres(role) is { } connection ? ["--postgres", connection] : Array.Empty<string>()),
                "--cert", Path.Combine(certs, role + ".crt"), "--key", Path.Combine(certs, role + ".key"),
                "--chain", Path.Combine(Directory, "chain.pem"), "--trust-root", Path.Combine(Directory, "root.pem")];
            if (role == "ocsp")
            {
                args.AddRange(["--urls", $"http://127.0.0.1:{ocspPort}", "--admin-urls", $"https://127.0.0.1:{ocspAdminPort}"]);
                endpoints["ocsp"] = $"http://127.0.0.1:{ocspPort}/";
                endpoints["ocsp-admin"] = $"https://127.0.0.1:{ocspAdminPort}/";
            }
            else
            {
                args.AddRange(["--urls", $"https://127.0.0.1:{ports[role]}", "--ocsp-url", $"http://127.0.0.1:{ocspPort}/"]);
                foreach (var peer in roles.Where(p => p != role))
                    args.AddRange(["--peer", $"{peer}={(peer == "ocsp" ? $"http://127.0.0.1:{ocspPort}/" : $"https://127.0.0.1:{ports[peer]}/")}"]);
                endpoints[role] = $"https://127.0.0.1:{ports[role]}/";
            }
            if (devicePorts.TryGetValue(role, out var devicePort))
            {
                args.AddRange(["--device-urls", $"https://127.0.0.1:{devicePort}"]);
                endpoints[role + "-device"] = $"https://127.0.0.1:{devicePort}/";
            }
            started.Add(StartProcessAsync(role, args, ct));
            if (role == "ocsp")
                await started[^1]; // the others check their peers against it from their first handshake
        }
        await Task.WhenAll(started);
        await File.WriteAllTextAsync(EndpointsFile, JsonSerializer.Serialize(endpoints), ct);
    }

    /// <summary>Issue 16: SIGKILLs the role's process (no shutdown, no flush) and waits until it is gone.</summary>
    public async Task KillAsync(string role)
    {
        Process process;
        lock (_processes)
            process = _running[role].Process;
        process.Kill(entireProcessTree: false); // SIGKILL on Unix
        await process.WaitForExitAsync();
    }

    /// <summary>Issue 16: starts the role again with the same arguments (store, port, peers) and waits until it listens.</summary>
    public Task RestartAsync(string role, CancellationToken ct)
    {
        IReadOnlyList<string> args;
        lock (_processes)
            args = _running[role].Args;
        return StartProcessAsync(role, args, ct);
    }

    private async Task StartProcessAsync(string role, IReadOnlyList<string> args, CancellationToken ct)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false }.WithoutTiering();
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "m2msec.dll"));
        foreach (var a in args)
            psi.ArgumentList.Add(a);
        var process = Process.Start(psi)!;
        lock (_processes)
        {
            _processes.Add(process);
            _running[role] = (process, args);
        }
        var listening = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void Keep(string? line)
        {
            if (line is null)
            {
                listening.TrySetException(new InvalidOperationException($"{role} exited before listening:\n{Output(role)}"));
                return;
            }
            lock (_output)
                _output[role] = (_output.TryGetValue(role, out var s) ? s : "") + line + "\n";
            if (line.StartsWith($"{role} listening on ", StringComparison.Ordinal))
                listening.TrySetResult();
        }
        process.OutputDataReceived += (_, e) => Keep(e.Data);
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
                Keep(e.Data);
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        await listening.Task.WaitAsync(timeout.Token);
    }

    private static async Task CliAsync(string[] args)
    {
        var (code, stdout, stderr) = await CliRunner.RunAsync(args);
        if (code != 0)
            throw new InvalidOperationException($"m2msec {string.Join(' ', args.Take(3))} exited {code}: {stdout}{stderr}");
    }

    /// <summary>Stops every process (TERM, then KILL after 15 s); a second call does nothing.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
            return;
        foreach (var p in _processes)
        {
            try
            {
                if (!p.HasExited)
                {
                    using (var kill = Process.Start("kill", ["-TERM", p.Id.ToString(CultureInfo.InvariantCulture)]))
                        await kill.WaitForExitAsync();
                }
            }
            catch (InvalidOperationException)
            {
            }
        }
        foreach (var p in _processes)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            try
            {
                await p.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                p.Kill(true);
            }
            p.Dispose();
        }
    }
}
