using System.Net;
using System.Net.Sockets;
using M2MSec.Cli.Demo;
using M2MSec.Cli.Demo.Stages;
using Spectre.Console;

namespace M2MSec.Tests.Cli;

/// <summary>
/// Issue 16 (the demo at 10,000 devices on a loaded machine): a provisioning phase that meets a transient failure does not fail
/// the device — it resumes from where its TRE stands (docs/decisions/022) and ends provisioned.
/// </summary>
public sealed class DemoResumeTests
{
    /// <summary>Issue 16: the VNO's device listener drops the first connections (a loaded or restarting role); the device resumes.</summary>
    [Fact]
    public async Task ProvisioningPhase_TransientFailure_DeviceResumesFromItsTre_EndsProvisioned_OverloadedNetworkThreat()
    {
        var dir = Path.Combine(Path.GetTempPath(), "m2msec-demo-resume-" + Guid.NewGuid().ToString("N"));
        using var writer = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(writer), Ansi = AnsiSupport.No, Interactive = InteractionSupport.No });
        var flaky = new DroppingStage(drops: 3);
        try
        {
            var runner = new DemoRunner(console, new DemoOptions(1, dir, 1), [new ManufactureStage(), flaky, .. ProvisioningStage.All]);

            var code = await runner.RunAsync(TestContext.Current.CancellationToken);
            // On failure, say why: the report's reasons and what the demo printed (a CI run once ended with 3 and nothing else).
            Assert.True(code == 0, $"demo exited {code}; reasons: {string.Join(", ", runner.Report.FailureReasons.Select(r => $"{r.Key} ×{r.Value}"))}\n{writer}");

            Assert.True(flaky.Dropped >= 1, "the forwarder dropped no connection");
            Assert.Equal(1, runner.Summary!.Completed);
            var events = runner.Report.Events.ToDictionary(e => e.Key, e => e.Value, StringComparer.Ordinal);
            Assert.Equal(1, events[ProvisioningStage.ResumedEvent]);
            Assert.Equal(1, events[ProvisioningStage.ProvisionedEvent]);
        }
        finally
        {
            flaky.Dispose();
            if (Directory.Exists(dir))
                Directory.Delete(dir, true);
            File.Delete(dir + ".kek.json");
        }
    }

    /// <summary>Points the devices' VNO address at a loopback forwarder that closes its first <c>drops</c> connections unanswered.</summary>
    private sealed class DroppingStage(int drops) : IDemoStage, IDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly CancellationTokenSource _stop = new();
        private int _dropped;

        public int Dropped => Volatile.Read(ref _dropped);

        public string Name => "Flaky VNO";

        public Task<bool> RunAsync(DemoDevice device, DemoEnvironment environment, DemoReport report, CancellationToken cancellationToken)
        {
            var real = environment.ProvisioningEndpoints.VnoDevice;
            _listener.Start();
            _ = ForwardAsync(real, _stop.Token);
            var port = ((IPEndPoint)_listener.LocalEndpoint).Port;
            environment.ProvisioningEndpoints = environment.ProvisioningEndpoints with { VnoDevice = new UriBuilder(real) { Port = port }.Uri };
            return Task.FromResult(true);
        }

        private async Task ForwardAsync(Uri target, CancellationToken ct)
        {
            while (!ct.IsCancellationRequested)
            {
                var client = await _listener.AcceptTcpClientAsync(ct);
                if (Interlocked.Increment(ref _dropped) <= drops)
                {
                    client.Client.LingerState = new LingerOption(true, 0); // a reset, as a killed process gives
                    client.Dispose();
                    continue;
                }
                Interlocked.Decrement(ref _dropped);
                _ = PipeAsync(client, target, ct);
            }
        }

        private static async Task PipeAsync(TcpClient client, Uri target, CancellationToken ct)
        {
            using (client)
            using (var upstream = new TcpClient())
            {
                await upstream.ConnectAsync(target.Host, target.Port, ct);
                var a = client.GetStream();
                var b = upstream.GetStream();
                await Task.WhenAny(a.CopyToAsync(b, ct), b.CopyToAsync(a, ct));
            }
        }

        public void Dispose()
        {
            _stop.Cancel();
            _listener.Stop();
            _stop.Dispose();
        }
    }
}
