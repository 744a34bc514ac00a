using M2MSec.Aka;
using M2MSec.Cli.Demo.Stages;
using M2MSec.Crypto.Metering;
using M2MSec.Device.M2me;
using M2MSec.NetworkFunctions.Hosting;
using Microsoft.Extensions.Logging;
using Spectre.Console;

namespace M2MSec.Cli.Demo;

/// <summary>Options of `m2msec demo`; <paramref name="StageCosts"/>: measure each stage's cost per device (<see cref="DemoStageCosts"/>, one device in flight).</summary>
internal sealed record DemoOptions(int Devices, string DataDirectory, int Concurrency, bool StageCosts = false);

/// <summary>
/// The end-to-end demo: starts the network functions, manufactures the fleet, runs every device through
/// the stages with live progress, and reports what happened: <see cref="Render"/> for the terminal,
/// <see cref="Summary"/> for --json and --report.
/// </summary>
internal sealed class DemoRunner(IAnsiConsole console, DemoOptions options, IReadOnlyList<IDemoStage>? stages = null)
{
    /// <summary>Every tenth device starts with a USIM ahead of the HSS, forcing a resynchronisation.</summary>
    public const int ForcedResyncEvery = 10;

    private readonly IDemoStage[] _stages = stages is null
        ?
        [
            new ManufactureStage(), new HssProvisioningStage(), .. ProvisioningStage.All, new AkaStage(), new OtaNasConfigurationStage(), new DmNasConfigurationStage(),
            new TriggerStage(), new FakeTriggerFloodStage(), new GroupMessageStage(), new GroupRekeyStage(), // issue 17
            new GbaStage(), // issue 18
            .. ChangeOfSubscriptionStage.All,
            .. RehabilitationStage.All,
        ]
        : [.. stages];

    private DemoDevice[] _devices = [];

    /// <summary>Devices in flight at the start (issue 19): each departure then admits two, up to <see cref="DemoOptions.Concurrency"/>.</summary>
    internal const int SlowStartDevices = 16;

    /// <summary>
    /// How long the calibration measures each operation kind the run performed (issue 19): a 200th of the run's wall time, between
    /// 50 and 250 ms. With ≈ 9 kinds in <see cref="FleetCalibration.Rounds"/> rounds it stays under ≈ 14 % of the run (a 5-device run
    /// of 8 s spent 7 s calibrating at a fixed 250 ms); from a 50 s run on it is the full 250 ms (docs/decisions/034).
    /// </summary>
    internal static TimeSpan CalibrationPerKind(TimeSpan wall) =>
        TimeSpan.FromMilliseconds(Math.Clamp(wall.TotalMilliseconds / 200, 50, 250));

    public DemoReport Report { get; } = new();

    public TimeSpan WallTime { get; private set; }

    /// <summary>The report of the finished run (null before).</summary>
    public DemoSummary? Summary { get; private set; }

    /// <summary>The network functions' log (warnings and errors), in the data directory.</summary>
    public string LogFile => Path.Combine(options.DataDirectory, DemoLogFile.FileName);

    private int _logEntries;

    public async Task<int> RunAsync(CancellationToken ct)
    {
        // Issue 19: the run's own profile (fixed cost) and the bare operations it performs (fleet bound), counted from here.
        var timeline = new DemoTimeline(TimeProvider.System);
        using var handshakes = new TlsHandshakeCounter();
        using var requests = new ServedRequestCounter();
        var operationsBefore = OperationMeter.Snapshot();
        using var stageCosts = options.StageCosts ? new DemoStageCosts() : null;
        // The functions run in this process beside the devices, and the stores' and the devices' fsyncs hold pool threads for a moment
        // each. No pool thread waits for a peer any more (decision 058: with the pool capped at 12 the run completes), but from the
        // default minimum (one per core) the pool grows by hill climbing only: two 300-device runs side by side started with
        // 14–19 s of fixed cost against 3–8 s with this floor (and alone the same CPU per device within the machine's spread).
        ThreadPool.GetMinThreads(out var workers, out var completion);
        ThreadPool.SetMinThreads(Math.Max(workers, options.Concurrency + 16), completion);
        Directory.CreateDirectory(options.DataDirectory);
        console.MarkupLine($"[bold]M2MSec demo[/]: {options.Devices} devices");
        console.MarkupLine($"  data [grey]{Markup.Escape(options.DataDirectory)}[/]");
        using var log = new DemoLogFile(options.DataDirectory, TimeProvider.System);
        var operations = await RunFleetAsync(log, timeline, handshakes, requests, operationsBefore, stageCosts, ct);
        // Issue 19: each counted kind's rate, measured now (after the timing) with the functions stopped and their garbage collected —
        // the machine's capacity, not what was left of it beside seventeen idle hosts — and the bound Σ count × cost (decision 034).
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var rates = await FleetCalibration.MeasureAsync(operations.Where(o => o.Value > 0).Select(o => o.Key), options.DataDirectory, CalibrationPerKind(WallTime), ct);
        Summary = Summary! with { FleetBound = DemoFleetBound.Of(Report.Completed, operations, rates) };
        return Report.Failed == 0 ? Internal.ExitCodes.Success : Internal.ExitCodes.Partial;
    }

    /// <summary>
    /// Starts the functions, runs the fleet through them and stops them: the summary (<see cref="Summary"/>) of the timed run, the
    /// metrics scraped, and the operations the run performed (<see cref="DemoFleetBound.Counts"/>).
    /// </summary>
    private async Task<Dictionary<string, long>> RunFleetAsync(DemoLogFile log, DemoTimeline timeline, TlsHandshakeCounter handshakes,
        ServedRequestCounter requests, IReadOnlyDictionary<MeteredOperation, long> operationsBefore, DemoStageCosts? stageCosts, CancellationToken ct)
    {
        await using var env = await StartAsync(log, ct);
        timeline.FunctionsReady();
        var prefix = Path.TrimEndingDirectorySeparator(options.DataDirectory) + Path.DirectorySeparatorChar;
        foreach (var h in env.Hosts)
            console.MarkupLine($"  {h.Name,-8} {h.Address}  [grey]{Markup.Escape(h.StoreDescription.Replace(prefix, "", StringComparison.Ordinal))}[/]");
        await using var webConsole = await Commands.DemoConsole.StartAsync(env.Hosts, options.DataDirectory, console, ct); // issue 20: the web console, its URL printed

        var devices = _devices = Manufacture(options.Devices);
        await env.AddShoImsisAsync(devices.Count(d => d.Kind == M2meKind.Tre), ct);
        await env.AddSecondShoImsisAsync(devices.Count(ChangeOfSubscriptionStage.Moves), ct); // issue 16
        timeline.SetUp();
        if (console.Profile.Capabilities.Interactive)
        {
            await console.Progress()
                .AutoClear(false)
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
                .StartAsync(async progress =>
                {
                    var tasks = _stages.ToDictionary(s => s, s => progress.AddTask(s.Name, maxValue: devices.Length));
                    await RunDevicesAsync(devices, env, timeline, stageCosts, stage => tasks[stage].Increment(1), ct);
                });
        }
        else
        {
            // Not a terminal (CI, a pipe, --json): a line per stage at every tenth of the fleet.
            var done = _stages.ToDictionary(s => s, _ => 0);
            await RunDevicesAsync(devices, env, timeline, stageCosts, stage =>
            {
                int n;
                lock (done)
                    n = ++done[stage];
                if (n * 10 / devices.Length != (n - 1) * 10 / devices.Length || n == devices.Length)
                    console.WriteLine($"  {stage.Name,-20} {n,6}/{devices.Length} ({n * 100 / devices.Length}%)");
            }, ct);
        }
        timeline.Ended();
        var operations = DemoFleetBound.Counts(operationsBefore, OperationMeter.Snapshot(), handshakes.Count);
        _logEntries = log.Entries;
        WallTime = timeline.Wall;
        Summary = Report.Summary(options.Devices, DemoSummary.PeakMemory()) with
        {
            WallSeconds = Math.Round(WallTime.TotalSeconds, 3),
            PeakMemoryBytes = DemoSummary.PeakWorkingSetBytes(),
            CpuSeconds = DemoSummary.ProcessCpuSeconds(),
            Profile = timeline.Profile(),
            HttpRequests = requests.Count,
            Runtime = DemoRuntime.Now(Report.Completed),
            StageCosts = stageCosts?.Rows(),
        };
        // Issue 20: what each function counted, as Prometheus would scrape it (after the timing: a report, not a stage).
        if (await env.ScrapeMetricsAsync(ct) > 0)
            console.MarkupLine($"  metrics [grey]{Markup.Escape(env.MetricsDirectory)}[/]");
        return operations;
    }

    /// <summary>Starts the functions with their logs going to <paramref name="log"/>, not the terminal.</summary>
    private async Task<DemoEnvironment> StartAsync(DemoLogFile log, CancellationToken ct)
    {
        using (NetworkFunctionLogging.RouteTo(logging => logging.AddProvider(log)))
            return await DemoEnvironment.StartAsync(options.DataDirectory, ct);
    }

    /// <summary>
    /// Runs every device through the stages, <see cref="DemoOptions.Concurrency"/> devices at a time; a device that fails a
    /// stage skips the rest. <paramref name="advance"/> is told each time a device leaves a stage (or skips it). A stage's
    /// seconds are its share of the wall time: the device-seconds spent in it over the devices in flight. <paramref name="costs"/>, when
    /// measuring: each stage of every device after the warm-up share of the fleet.
    /// </summary>
    private async Task RunDevicesAsync(DemoDevice[] devices, DemoEnvironment env, DemoTimeline timeline, DemoStageCosts? costs, Action<IDemoStage> advance,
        CancellationToken ct)
    {
        var inFlight = Math.Min(options.Concurrency, devices.Length);
        var warmUp = DemoStageCosts.WarmUpDevices(devices.Length);
        foreach (var stage in _stages)
            Report.BeginStage(stage.Name);
        using var slowStart = new DemoSlowStart(SlowStartDevices, options.Concurrency);
        await Parallel.ForEachAsync(devices, new ParallelOptions { MaxDegreeOfParallelism = options.Concurrency, CancellationToken = ct },
            async (device, token) =>
            {
                await slowStart.EnterAsync(token);
                using var slot = slowStart.Slot();
                foreach (var stage in _stages)
                {
                    if (!stage.AppliesTo(device))
                    {
                        advance(stage);
                        continue;
                    }
                    var started = TimeProvider.System.GetTimestamp();
                    var cost = costs is not null && Report.Completed + Report.Failed >= warmUp ? costs.Begin(stage.Name) : null;
                    var ok = await RunStageAsync(stage, device, env, token);
                    cost?.Dispose();
                    Report.StageTime(stage.Name, (TimeProvider.System.GetElapsedTime(started) + device.TakeStageTime(stage.Name)) / inFlight);
                    advance(stage);
                    if (!ok)
                    {
                        device.FailedStage = stage.Name;
                        Report.StageFailed(stage.Name);
                        Report.DeviceFailed(device);
                        foreach (var later in _stages.SkipWhile(s => s != stage).Skip(1))
                            advance(later);
                        device.Release();
                        timeline.DeviceLeft();
                        return;
                    }
                    Report.StageOk(stage.Name);
                }
                Report.DeviceCompleted();
                device.Release();
                timeline.DeviceLeft();
            });
    }

    /// <summary>One device through one stage; a failure gets its short reason key.</summary>
    private async Task<bool> RunStageAsync(IDemoStage stage, DemoDevice device, DemoEnvironment env, CancellationToken token)
    {
        try
        {
            if (await stage.RunAsync(device, env, Report, token))
                return true;
            device.FailureKey ??= StageKey(stage) + "-failed";
            return false;
        }
        catch (Exception e) when (e is not OperationCanceledException || !token.IsCancellationRequested)
        {
            device.FailureReason = e.Message;
            device.FailureKey = TransientFailure.Key(e, StageKey(stage), token);
            return false;
        }
    }

    /// <summary>A stage's name as a key: "AKA over HTTP" → "aka-over-http".</summary>
    internal static string StageKey(IDemoStage stage) =>
        string.Join('-', System.Text.RegularExpressions.Regex.Split(stage.Name.ToLowerInvariant(), "[^a-z0-9]+").Where(w => w.Length > 0));

    /// <summary>
    /// The fleet: even devices are TRE-based M2MEs (TR 33.812), odd ones UICC-based MTC devices
    /// (TR 33.868); every tenth device's USIM is ahead of the HSS.
    /// </summary>
    private static DemoDevice[] Manufacture(int count)
    {
        // Each run takes its own block of MSINs, so a reused --data directory keeps earlier fleets.
        var msinBase = System.Security.Cryptography.RandomNumberGenerator.GetInt32(1, 90_000) * 100_000L;
        var devices = new DemoDevice[count];
        for (var i = 0; i < count; i++)
        {
            var imsi = $"00101{msinBase + i:D10}";
            var kind = i % 2 == 0 ? M2meKind.Tre : M2meKind.Uicc;
            UsimSqnState? ahead = null;
            if (i % ForcedResyncEvery == ForcedResyncEvery - 1)
            {
                // A USIM that has accepted SEQ 2^20 elsewhere: the HSS (SEQ_HE = 0) is further behind than
                // the age limit L allows (TS 33.102 Annex C.2.2), so the first AKA ends in AUTS.
                var seqMs = new ulong[SqnScheme.Default.IndCount];
                seqMs[3] = 1 << 20;
                ahead = new UsimSqnState(SqnScheme.Default, seqMs);
            }
            // A TRE-based M2ME has no subscription yet: its PCID (the RO's PLMN 001/90) until the SHO provisions an MCIM.
            if (kind == M2meKind.Tre)
                imsi = $"00190{msinBase + i:D10}";
            devices[i] = new DemoDevice(i, imsi, kind,
                System.Security.Cryptography.RandomNumberGenerator.GetBytes(16), System.Security.Cryptography.RandomNumberGenerator.GetBytes(16), ahead);
        }
        return devices;
    }

    /// <summary>The tables, the fleet, the first failed devices and where the functions' log is.</summary>
    public void Render()
    {
        var summary = Summary ?? throw new InvalidOperationException("the demo has not run");
        DemoTables.Render(console, summary, Report.Events, WallTime);
        var tre = _devices.Count(d => d.Kind == M2meKind.Tre);
        console.MarkupLine($"Fleet: {tre} TRE-based M2MEs (TR 33.812), {_devices.Length - tre} UICC-based MTC devices (TR 33.868)");
        foreach (var d in Report.Failures.Take(10))
            console.MarkupLine($"[red]failed[/] {d.Imsi} at {Markup.Escape(d.FailedStage ?? "?")}: {Markup.Escape(d.FailureReason ?? "?")}");
        if (_logEntries > 0)
            console.MarkupLine($"Network functions logged {_logEntries} warnings or errors: [grey]{Markup.Escape(LogFile)}[/]");
    }
}
