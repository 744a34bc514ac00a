using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using M2MSec.Tests.Support;

namespace M2MSec.Tests.DeviceRun;

/// <summary>Issue 20: `serve all` in the test process (as the two-terminal walkthrough's terminal 1), shared by the `device run` tests.</summary>
public sealed class DeviceRunFleet : IAsyncLifetime
{
    private readonly CancellationTokenSource _stop = new();
    private readonly SyncWriter _output = new();
    private Task<int>? _serve;

    public string Directory { get; } = Path.Combine(Path.GetTempPath(), "m2msec-devrun-" + Guid.NewGuid().ToString("N"));

    public string KekFile => Directory + ".kek.json";

    public string Fuses => Directory + ".fuses";

    public string Endpoints => Path.Combine(Directory, "endpoints.json");

    public string Address(string name) => JsonSerializer.Deserialize<Dictionary<string, string>>(File.ReadAllText(Endpoints))![name];

    public async ValueTask InitializeAsync()
    {
        TestKeyRing.CreateIn(Path.GetTempPath(), Path.GetFileName(KekFile));
        _serve = M2MSec.Cli.M2MSecCli.RunAsync(["serve", "all", "--data", Directory, "--kek-file", KekFile, "--log-level", "warning"], _output, _output, _stop.Token);
        for (var i = 0; i < 1200 && !_serve.IsCompleted && !_output.ToString().Contains("scp81 listening on", StringComparison.Ordinal); i++)
            await Task.Delay(100);
        if (_serve.IsCompleted || !File.Exists(Endpoints))
            throw new InvalidOperationException("serve all did not start:\n" + _output);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_serve is not null)
            await _serve;
        _stop.Dispose();
        _output.Dispose();
        foreach (var d in new[] { Directory, Fuses })
        {
            if (System.IO.Directory.Exists(d))
                System.IO.Directory.Delete(d, true);
        }
        File.Delete(KekFile);
        File.Delete(Directory + ".kek.stores.json");
    }

    /// <summary>`m2msec device run ARGS --endpoints … --fuse-dir … --json` as its own operating-system process.</summary>
    public DeviceProcess Run(params string[] args) =>
        DeviceProcess.Start([.. args, "--endpoints", Endpoints, "--fuse-dir", Fuses, "--json"]);

    /// <summary>The CLI in this process, with the fleet's key ring.</summary>
    public Task<(int ExitCode, string Stdout, string Stderr)> CliAsync(params string[] args) => CliRunner.RunAsync(args);
}

/// <summary>A `device run` process: its JSON lines, read as they come; SIGTERM to stop it.</summary>
public sealed class DeviceProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<JsonElement> _events = new();
    private readonly ConcurrentQueue<string> _lines = new();

    private DeviceProcess(Process process)
    {
        _process = process;
        _process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not { } line)
                return;
            _lines.Enqueue(line);
            try
            {
                _events.Enqueue(JsonDocument.Parse(line).RootElement.Clone());
            }
            catch (JsonException)
            {
                _lines.Enqueue("(not JSON) " + line);
            }
        };
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is { } line)
                _lines.Enqueue("stderr: " + line);
        };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public static DeviceProcess Start(IEnumerable<string> args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false }.WithoutTiering();
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "m2msec.dll"));
        psi.ArgumentList.Add("device");
        psi.ArgumentList.Add("run");
        foreach (var a in args)
            psi.ArgumentList.Add(a);
        return new DeviceProcess(Process.Start(psi)!);
    }

    /// <summary>Every event so far.</summary>
    public IReadOnlyList<JsonElement> Events => [.. _events];

    /// <summary>Everything it printed (for failure messages).</summary>
    public string Output => string.Join("\n", _lines);

    public static string Event(JsonElement e) => e.GetProperty("event").GetString()!;

    public static string Detail(JsonElement e) => e.GetProperty("detail").GetString()!;

    /// <summary>Waits until <paramref name="count"/> events match; fails with what the process printed.</summary>
    public async Task<IReadOnlyList<JsonElement>> WaitForAsync(string name, Func<string, bool>? detail = null, int count = 1, int seconds = 180)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (DateTime.UtcNow < deadline)
        {
            var found = Events.Where(e => Event(e) == name && (detail is null || detail(Detail(e)))).ToList();
            if (found.Count >= count)
                return found;
            if (_process.HasExited)
                break;
            await Task.Delay(100, TestContext.Current.CancellationToken);
        }
        Assert.Fail($"no {count} '{name}' event(s) (exited: {_process.HasExited}); output:\n{Output}");
        return [];
    }

    /// <summary>SIGTERM, then the exit code.</summary>
    public async Task<int> StopAsync()
    {
        using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)]))
            await kill.WaitForExitAsync(TestContext.Current.CancellationToken);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await _process.WaitForExitAsync(timeout.Token);
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }
}
