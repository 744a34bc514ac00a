using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using M2MSec.Crypto.Metering;

namespace M2MSec.Cli.Demo;

/// <summary>
/// Issue 19 ("show where the time goes for one device of the demo"), `demo --stage-costs`: with one device in flight, everything
/// the process does while a device is in a stage is that stage's — the functions answering it, the device's own work, the JIT and the
/// collector meanwhile. Per stage and device: CPU time (<see cref="Environment.CpuUsage"/>, every thread), wall time, the bare operations
/// the fleet bound counts (<see cref="OperationMeter"/>, TLS handshakes) and the HTTP requests the functions answered by route and status.
/// The first <see cref="WarmUpShare"/> of the fleet is left out (its code is still being compiled). Not thread-safe across stages: one
/// device at a time is what makes the figures attributable, so the demo refuses --stage-costs with more than one device in flight.
/// The demo runs it with the thread pool's idle workers not spinning (<see cref="DemoReexec.SpinLimitVariable"/>): with one device in
/// flight they are idle after every request, and their spinning was a tenth to a fifth of the CPU charged to the stages.
/// </summary>
internal sealed class DemoStageCosts : IDisposable
{
    /// <summary>The share of the fleet run before measuring (first JIT compilations, connections opened, caches filled).</summary>
    public const double WarmUpShare = 1.0 / 3;

    private readonly ConcurrentDictionary<string, Totals> _totals = new(StringComparer.Ordinal);
    private readonly MeterListener _listener = new();
    private readonly List<string> _order = [];
    private volatile Totals? _current;

    public DemoStageCosts()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if ((instrument.Meter.Name, instrument.Name) is ("Microsoft.AspNetCore.Hosting", "http.server.request.duration")
                or ("Microsoft.AspNetCore.Server.Kestrel", "kestrel.tls_handshake.duration"))
                listener.EnableMeasurementEvents(instrument);
        };
        _listener.SetMeasurementEventCallback<double>((instrument, _, tags, _) =>
        {
            if (_current is not { } totals)
                return;
            if (instrument.Name == "kestrel.tls_handshake.duration")
            {
                Interlocked.Increment(ref totals.TlsHandshakes);
                return;
            }
            string? method = null, route = null, status = null;
            foreach (var tag in tags)
            {
                switch (tag.Key)
                {
                    case "http.request.method": method = tag.Value?.ToString(); break;
                    case "http.route": route = tag.Value?.ToString(); break;
                    case "http.response.status_code": status = tag.Value?.ToString(); break;
                }
            }
            totals.Requests.AddOrUpdate($"{method ?? "?"} {route ?? "(no route)"} {status ?? "?"}", 1, (_, n) => n + 1);
        });
        _listener.Start();
    }

    /// <summary>Devices to run before measuring, of <paramref name="devices"/>.</summary>
    public static int WarmUpDevices(int devices) => (int)Math.Floor(devices * WarmUpShare);

    /// <summary>Starts measuring a device's stage; dispose the result when the stage ends.</summary>
    public Measurement Begin(string stage)
    {
        var totals = _totals.GetOrAdd(stage, s =>
        {
            lock (_order)
                _order.Add(s);
            return new Totals();
        });
        _current = totals;
        return new Measurement(this, totals, Environment.CpuUsage.TotalTime, System.Runtime.JitInfo.GetCompilationTime(), TimeProvider.System.GetTimestamp(),
            OperationMeter.Snapshot());
    }

    /// <summary>The rows, in the order the stages were first measured: per device of each stage, rounded.</summary>
    public IReadOnlyList<DemoStageCost> Rows()
    {
        lock (_order)
        {
            return [.. _order.Where(stage => _totals[stage].Devices > 0).Select(stage => _totals[stage].Row(stage))];
        }
    }

    public void Dispose() => _listener.Dispose();

    private void End(Totals totals, TimeSpan cpu, TimeSpan jit, long started, IReadOnlyDictionary<MeteredOperation, long> before)
    {
        _current = null;
        totals.Devices++;
        totals.Cpu += Environment.CpuUsage.TotalTime - cpu;
        totals.Jit += System.Runtime.JitInfo.GetCompilationTime() - jit;
        totals.Wall += TimeProvider.System.GetElapsedTime(started);
        foreach (var (operation, count) in OperationMeter.Snapshot())
        {
            var n = count - before.GetValueOrDefault(operation);
            if (n != 0)
                totals.Operations[DemoFleetBound.Name(operation)] = totals.Operations.GetValueOrDefault(DemoFleetBound.Name(operation)) + n;
        }
    }

    /// <summary>One device's stage being measured.</summary>
    public sealed class Measurement(DemoStageCosts owner, Totals totals, TimeSpan cpu, TimeSpan jit, long started, IReadOnlyDictionary<MeteredOperation, long> before)
        : IDisposable
    {
        public void Dispose() => owner.End(totals, cpu, jit, started, before);
    }

    internal sealed class Totals
    {
        public int Devices;
        public TimeSpan Cpu;
        public TimeSpan Jit;
        public TimeSpan Wall;
        public long TlsHandshakes;
        public readonly Dictionary<string, long> Operations = new(StringComparer.Ordinal);
        public readonly ConcurrentDictionary<string, long> Requests = new(StringComparer.Ordinal);

        public DemoStageCost Row(string stage)
        {
            double Each(long n) => Math.Round((double)n / Devices, 2);
            var operations = Operations.Where(o => o.Value > 0).OrderBy(o => o.Key, StringComparer.Ordinal).ToDictionary(o => o.Key, o => Each(o.Value), StringComparer.Ordinal);
            if (TlsHandshakes > 0)
                operations[DemoFleetBound.TlsHandshake] = Each(TlsHandshakes);
            return new DemoStageCost(stage, Devices, Math.Round(Cpu.TotalMilliseconds / Devices, 2), Math.Round(Jit.TotalMilliseconds / Devices, 2),
                Math.Round(Wall.TotalMilliseconds / Devices, 2),
                Each(Requests.Values.Sum()), operations,
                Requests.OrderByDescending(r => r.Value).ThenBy(r => r.Key, StringComparer.Ordinal).ToDictionary(r => r.Key, r => Each(r.Value), StringComparer.Ordinal));
        }
    }
}

/// <summary>
/// Issue 19, `demo --stage-costs`: one stage's cost per device that went through it — <c>stage</c>, <c>devices</c> (measured),
/// <c>cpu_ms</c> (the whole process's CPU while the device was in the stage), <c>jit_ms</c> (of it, the JIT's compilation time meanwhile,
/// every thread: the tiering of code that the stage's own work does not account for), <c>wall_ms</c>, <c>http_requests</c> (answered by the
/// functions), <c>operations</c> (the fleet bound's kinds and TLS handshakes) and <c>requests</c> ("METHOD route status" → per device).
/// </summary>
internal sealed record DemoStageCost(string Stage, int Devices, double CpuMs, double JitMs, double WallMs, double HttpRequests, IReadOnlyDictionary<string, double> Operations,
    IReadOnlyDictionary<string, double> Requests);
