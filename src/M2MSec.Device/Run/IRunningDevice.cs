using System.Threading.Channels;
using M2MSec.Device.Gba;
using M2MSec.Device.Provisioning;

namespace M2MSec.Device.Run;

/// <summary>Issue 20 (docs/decisions/033): a device `device run` drives — TRE-based (<see cref="DeviceAgent"/>) or UICC-based (<see cref="UiccDeviceAgent"/>).</summary>
public interface IRunningDevice : IDisposable
{
    string TreId { get; }

    string Pcid { get; }

    /// <summary>What the `stopped` event says this run did.</summary>
    string StopSummary { get; }

    /// <summary>Provisioning or the attach; throws what ended it (<see cref="RoProvisioningException"/>, or a network that never answered).</summary>
    Task StartAsync(CancellationToken ct);

    /// <summary>The device's life until <paramref name="ct"/> is cancelled; returns normally when stopped.</summary>
    Task RunAsync(CancellationToken ct);
}

/// <summary>One step of a running device's loop: a network that did not answer is an event and a later try, never the end of the device.</summary>
internal static class DeviceRunStep
{
    public static async Task<bool> RunAsync(Func<Task> step, string peer, Action<string, string> report, CancellationToken ct)
    {
        try
        {
            await step().ConfigureAwait(false);
            return true;
        }
        catch (Exception e) when (e is HttpRequestException or IOException || (e is OperationCanceledException && !ct.IsCancellationRequested))
        {
            report("unreachable", $"{peer}: {(e is HttpRequestException { StatusCode: { } code } ? $"answered {(int)code}" : "could not be reached")}; trying again later");
            return false;
        }
        catch (RoProvisioningException e)
        {
            report("refused", $"{peer}: {e.Code}: {e.Message}");
            return false;
        }
        catch (GbaBootstrapException e)
        {
            report("refused", $"{peer}: {e.Failure}: {e.Message}");
            return false;
        }
    }

    /// <summary>Until <paramref name="wake"/> has passed or a short message is waiting, whichever comes first.</summary>
    public static async Task WaitForSmsAsync(ChannelReader<ReceivedSms> sms, TimeSpan wake, CancellationToken ct)
    {
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(ct);
        wait.CancelAfter(wake);
        try
        {
            await sms.WaitToReadAsync(wait.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
        }
    }

    /// <summary>Stops the SMS long poll and waits for it to end.</summary>
    public static async Task StopPollerAsync(CancellationTokenSource stop, Task poller)
    {
        await stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await poller.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
    }
}

/// <summary>The SMSC's device listener, long-polled for one address until stopped; an SMSC away is an event and a retry with back-off.</summary>
internal static class DeviceSmsPoller
{
    public static async Task RunAsync(DeviceRunOptions options, string address, ChannelWriter<ReceivedSms> sms, Action<string, string> report, CancellationToken ct)
    {
        var backOff = options.BackOff;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                foreach (var m in await options.ReceiveSms!(address, ct).ConfigureAwait(false))
                    await sms.WriteAsync(m, ct).ConfigureAwait(false);
                backOff = options.BackOff;
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is HttpRequestException or IOException or OperationCanceledException or System.Text.Json.JsonException)
            {
                report("unreachable", "smsc: could not be reached; trying again later");
                await Task.Delay(backOff, options.Time, ct).ConfigureAwait(false);
                backOff = TimeSpan.FromTicks(Math.Min(backOff.Ticks * 2, options.MaxBackOff.Ticks));
            }
        }
    }
}

/// <summary>Issue 20 (decision 033): the battery figure reported to the VNO (report kind 5 under the device's NAS context) — periodically and at the stop.</summary>
internal static class DeviceBatteryReport
{
    public static async Task SendAsync(HttpClient vno, string imsi, Triggering.ITriggerContext context, Power.BatteryMeter meter, Action<string, string> report,
        CancellationToken ct)
    {
        var level = Triggering.ServingNetworkClient.LevelPermille(meter);
        await Triggering.ServingNetworkClient.BatteryAsync(vno, imsi, level, context, ct, meter).ConfigureAwait(false);
        report("battery-reported", FormattableString.Invariant($"{level / 10.0:0.0} % remaining, to the vno (NAS report kind 5)"));
    }

    /// <summary>At the stop: one last report, best effort within a few seconds (the process is ending; nothing waits on it).</summary>
    public static async Task SendAtStopAsync(HttpClient vno, string imsi, Triggering.ITriggerContext context, Power.BatteryMeter meter, Action<string, string> report)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            await SendAsync(vno, imsi, context, meter, report, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpRequestException or IOException or OperationCanceledException or InvalidOperationException)
        {
            report("unreachable", "vno: the battery report at the stop was not delivered");
        }
    }
}
