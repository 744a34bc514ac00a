using System.Diagnostics;
using M2MSec.Aka;
using M2MSec.Cli.Demo.Stages;
using M2MSec.Device.M2me;
using Spectre.Console;

namespace M2MSec.Cli.Demo;

/// <summary>Options of `m2msec demo`.</summary>
internal sealed record DemoOptions(int Devices, string DataDirectory, int Concurrency);

/// <summary>
/// The end-to-end demo: starts the network functions, manufactures the fleet, runs every
/// device through the stages with live progress, and reports what happened.
/// </summary>
internal sealed class DemoRunner(IAnsiConsole console, DemoOptions options)
{
    /// <summary>Every tenth device starts with a USIM ahead of the HSS, forcing a resynchronisation.</summary>
    public const int ForcedResyncEvery = 10;

    private readonly IDemoStage[] _stages = [new ManufactureStage(), new HssProvisioningStage(), new AkaStage(), new OtaNasConfigurationStage(), new DmNasConfigurationStage()];

    private DemoDevice[] _devices = [];

    public DemoReport Report { get; } = new();

    public TimeSpan WallTime { get; private set; }

    public async Task<int> RunAsync(CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        Directory.CreateDirectory(options.DataDirectory);
        console.MarkupLine($"[bold]M2MSec demo[/]: {options.Devices} devices, data in [grey]{Markup.Escape(options.DataDirectory)}[/]");
        await using var env = await DemoEnvironment.StartAsync(options.DataDirectory, ct);
        foreach (var h in env.Hosts)
            console.MarkupLine($"  {h.Role,-8} {h.Address}  [grey]{Markup.Escape(h.StoreDescription)}[/]");

        var devices = _devices = Manufacture(options.Devices);
        if (console.Profile.Capabilities.Interactive)
        {
            await console.Progress()
                .AutoClear(false)
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
                .StartAsync(async progress =>
                {
                    var tasks = _stages.ToDictionary(s => s, s => progress.AddTask(s.Name, maxValue: devices.Length));
                    await RunDevicesAsync(devices, env, stage => tasks[stage].Increment(1), ct);
                });
        }
        else
        {
            // Not a terminal (CI, a pipe): a line per stage at every tenth of the fleet.
            var done = _stages.ToDictionary(s => s, _ => 0);
            await RunDevicesAsync(devices, env, stage =>
            {
                int n;
                lock (done)
                    n = ++done[stage];
                if (n * 10 / devices.Length != (n - 1) * 10 / devices.Length || n == devices.Length)
                    console.WriteLine($"  {stage.Name,-20} {n,6}/{devices.Length} ({n * 100 / devices.Length}%)");
            }, ct);
        }
        WallTime = clock.Elapsed;
        Render(devices.Length);
        return Report.Failed == 0 ? Internal.ExitCodes.Success : Internal.ExitCodes.Partial;
    }

    /// <summary>Runs every device through the stages; <paramref name="advance"/> is told each time a device leaves a stage.</summary>
    private Task RunDevicesAsync(DemoDevice[] devices, DemoEnvironment env, Action<IDemoStage> advance, CancellationToken ct) =>
        Parallel.ForEachAsync(devices, new ParallelOptions { MaxDegreeOfParallelism = options.Concurrency, CancellationToken = ct },
            async (device, token) =>
            {
                foreach (var stage in _stages)
                {
                    bool ok;
                    try
                    {
                        ok = await stage.RunAsync(device, env, Report, token);
                    }
                    catch (Exception e) when (e is not OperationCanceledException || !token.IsCancellationRequested)
                    {
                        device.FailureReason = e.Message;
                        ok = false;
                    }
                    advance(stage);
                    if (!ok)
                    {
                        device.FailedStage = stage.Name;
                        Report.StageFailed(stage.Name);
                        Report.DeviceFailed(device);
                        foreach (var later in _stages.SkipWhile(s => s != stage).Skip(1))
                            advance(later);
                        return;
                    }
                    Report.StageOk(stage.Name);
                }
                Report.DeviceCompleted();
            });

    /// <summary>
    /// The fleet: even devices are TRE-based M2MEs (TR 33.812), odd ones UICC-based MTC devices
    /// (TR 33.868); every tenth device's USIM is ahead of the HSS.
    /// </summary>
    private static DemoDevice[] Manufacture(int count)
    {
        // Each run takes its own block of MSINs, so a reused --data directory keeps earlier fleets.
        var msinBase = System.Security.Cryptography.RandomNumberGenerator.GetInt32(0, 90_000) * 100_000L;
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
            devices[i] = new DemoDevice(i, imsi, kind,
                System.Security.Cryptography.RandomNumberGenerator.GetBytes(16), System.Security.Cryptography.RandomNumberGenerator.GetBytes(16), ahead);
        }
        return devices;
    }

    private void Render(int devices)
    {
        var stages = new Table().Title("Stages").AddColumns("Stage", "OK", "Failed");
        foreach (var s in _stages)
            stages.AddRow(s.Name, Report.StageOkCount(s.Name).ToString(), Report.StageFailedCount(s.Name).ToString());
        console.Write(stages);

        var summary = new Table().Title("Summary").AddColumns("Devices", "Completed", "Resyncs", "SCP80 OK", "SCP81 OK", "DM OK (notified)", "Failed", "Wall time");
        var tre = _devices.Count(d => d.Kind == M2meKind.Tre);
        console.MarkupLine($"Fleet: {tre} TRE-based M2MEs (TR 33.812), {devices - tre} UICC-based MTC devices (TR 33.868)");
        summary.AddRow(
            devices.ToString(),
            $"[green]{Report.Completed}[/]",
            Report.EventCount(AkaStage.ResyncEvent).ToString(),
            Report.EventCount(OtaNasConfigurationStage.OtaEvent).ToString(),
            Report.EventCount(OtaNasConfigurationStage.Scp81Event).ToString(),
            $"{Report.EventCount(DmNasConfigurationStage.DmEvent)} ({Report.EventCount(DmNasConfigurationStage.NotifiedEvent)})",
            Report.Failed == 0 ? "0" : $"[red]{Report.Failed}[/]",
            $"{WallTime.TotalSeconds:F1} s");
        console.Write(summary);
        foreach (var d in Report.Failures.Take(10))
            console.MarkupLine($"[red]failed[/] {d.Imsi} at {Markup.Escape(d.FailedStage ?? "?")}: {Markup.Escape(d.FailureReason ?? "?")}");
    }
}
