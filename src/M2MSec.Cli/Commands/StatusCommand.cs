using System.CommandLine;
using System.Globalization;
using System.Net.Sockets;
using System.Text.Json;
using M2MSec.Cli.Internal;

namespace M2MSec.Cli.Commands;

/// <summary>
/// `m2msec status --endpoints FILE [--json]` (issue 20, docs/decisions/031): every service of a running `serve all` — its health
/// (GET /health), and from its /metrics (read with the administrator's certificate beside FILE, on the admin listener where the
/// service has one apart) its version, uptime and key counters. Exit 0 all healthy, 3 some down, 2 a FILE that is no endpoints.json,
/// 4 a FILE that cannot be read.
/// </summary>
internal static class StatusCommand
{
    /// <summary>One service's line.</summary>
    private sealed record ServiceStatus(string Name, string Url, bool Up, string? Version, long? UptimeSeconds, IReadOnlyDictionary<string, double> Counters,
        string? Problem);

    public static Command Create()
    {
        var endpoints = CliArgs.ExistingFile("--endpoints", "endpoints.json of running services (serve all), the administrator's credentials beside it");
        var json = CliArgs.Flag("--json", "print one JSON object (snake_case)");
        var command = new Command("status", "Health, version, uptime and key counters of every running service; exit 3 if some are down") { endpoints, json };
        CliArgs.Required(command, endpoints);
        command.SetAction(async (r, ct) =>
        {
            var services = RunningServices.Load("--endpoints", r.GetRequiredValue(endpoints));
            var names = services.Names.Where(n => !n.EndsWith("-admin", StringComparison.Ordinal) && !n.EndsWith("-device", StringComparison.Ordinal)).ToList();
            var statuses = await Task.WhenAll(names.Select(n => ProbeAsync(services, n, ct)));
            var down = statuses.Count(s => !s.Up);
            if (r.GetValue(json))
            {
                var document = new Dictionary<string, object?>
                {
                    ["endpoints"] = services.File,
                    ["healthy"] = statuses.Length - down,
                    ["down"] = down,
                    ["services"] = statuses.Select(s => new Dictionary<string, object?>
                    {
                        ["name"] = s.Name,
                        ["url"] = s.Url,
                        ["health"] = s.Up ? "up" : "down",
                        ["version"] = s.Version,
                        ["uptime_seconds"] = s.UptimeSeconds,
                        ["counters"] = s.Counters,
                        ["problem"] = s.Problem,
                    }).ToList(),
                };
                r.InvocationConfiguration.Output.WriteLine(JsonSerializer.Serialize(document));
            }
            else
            {
                var output = r.InvocationConfiguration.Output;
                output.WriteLine($"{"service",-10} {"health",-6} {"version",-8} {"uptime",-9} key counters");
                foreach (var s in statuses)
                {
                    var counters = s.Problem ?? string.Join(", ", KeyCounters(s.Counters).Select(c => $"{c.Key} {c.Value.ToString("0.##", CultureInfo.InvariantCulture)}"));
                    output.WriteLine($"{s.Name,-10} {(s.Up ? "up" : "down"),-6} {s.Version ?? "-",-8} {Uptime(s.UptimeSeconds),-9} {counters}");
                }
                output.WriteLine($"{statuses.Length - down} of {statuses.Length} services up");
            }
            return down == 0 ? ExitCodes.Success : ExitCodes.Partial;
        });
        return command;
    }

    /// <summary>The few counters a screen has room for: the requests, then the role's own non-zero ones.</summary>
    private static IEnumerable<KeyValuePair<string, double>> KeyCounters(IReadOnlyDictionary<string, double> counters) =>
        counters.Where(c => c.Key == "requests").Concat(counters.Where(c => c.Key != "requests" && c.Value > 0).OrderByDescending(c => c.Value)).Take(4);

    private static string Uptime(long? seconds) => seconds is not { } s ? "-"
        : s >= 86_400 ? $"{s / 86_400}d{s % 86_400 / 3600:D2}h" : s >= 3600 ? $"{s / 3600}h{s % 3600 / 60:D2}m" : $"{s / 60}m{s % 60:D2}s";

    private static async Task<ServiceStatus> ProbeAsync(RunningServices services, string name, CancellationToken ct)
    {
        var url = services.Find(name);
        var empty = new Dictionary<string, double>();
        if (url is null)
            return new ServiceStatus(name, "?", false, null, null, empty, "no usable URL in endpoints.json");
        if (url.Scheme is not ("http" or "https"))
            return new ServiceStatus(name, url.ToString(), false, null, null, empty, $"unsupported scheme {url.Scheme}");
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));
        if (name == ServeCommand.Scp81Role || name.EndsWith("-" + ServeCommand.Scp81Role, StringComparison.Ordinal) || name.EndsWith("-ua", StringComparison.Ordinal))
        {
            // The SCP81 admin server and a NAF's Ua listener speak PSK-TLS only: up when they accept a connection.
            try
            {
                using var tcp = new TcpClient();
                await tcp.ConnectAsync(url.Host, url.Port, timeout.Token);
                return new ServiceStatus(name, url.ToString(), true, null, null, empty, "PSK-TLS listener (no /health)");
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException)
            {
                return new ServiceStatus(name, url.ToString(), false, null, null, empty, "not reachable");
            }
        }
        var up = false;
        string? problem = null;
        try
        {
            using var http = services.AdminClient("--endpoints", name);
            using var health = await http.GetAsync(new Uri(url, "/health"), timeout.Token);
            up = health.IsSuccessStatusCode;
            problem = up ? null : $"/health answered {(int)health.StatusCode}";
            // Issue 20: the web console is for browsers (docs/decisions/032): no /metrics of its own.
            if (name == M2MSec.NetworkFunctions.Console.ConsoleStores.ConsoleRole)
                return new ServiceStatus(name, url.ToString(), up, null, null, empty, problem ?? "web console (no /metrics)");
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException)
        {
            return new ServiceStatus(name, url.ToString(), false, null, null, empty, "not reachable");
        }
        var metricsUrl = services.Find(name + "-admin") ?? url;
        try
        {
            using var http = services.AdminClient("--endpoints", services.Find(name + "-admin") is null ? name : name + "-admin");
            using var response = await http.GetAsync(new Uri(metricsUrl, "/metrics"), timeout.Token);
            if (!response.IsSuccessStatusCode)
                return new ServiceStatus(name, url.ToString(), up, null, null, empty, problem ?? $"/metrics answered {(int)response.StatusCode}");
            var text = await response.Content.ReadAsStringAsync(timeout.Token);
            var (version, started, counters) = PrometheusText.Summarise(text);
            long? uptime = started is { } s ? (long)Math.Max(0, TimeProvider.System.GetUtcNow().ToUnixTimeSeconds() - s) : null;
            return new ServiceStatus(name, url.ToString(), up, version, uptime, counters, problem);
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException)
        {
            return new ServiceStatus(name, url.ToString(), up, null, null, empty, problem ?? "/metrics not reachable");
        }
    }
}

/// <summary>Reads what `status` shows from the Prometheus text exposition format (version 0.0.4): a line per sample.</summary>
internal static class PrometheusText
{
    /// <summary>
    /// The build's version (m2msec_build_info), the start time (m2msec_start_time_seconds), and every counter (…_total) summed over
    /// its labels, named without the m2msec_ prefix and the _total suffix; http_requests_received_total is "requests".
    /// </summary>
    public static (string? Version, double? Started, IReadOnlyDictionary<string, double> Counters) Summarise(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string? version = null;
        double? started = null;
        var counters = new SortedDictionary<string, double>(StringComparer.Ordinal);
        foreach (var line in text.Split('\n'))
        {
            if (line.Length == 0 || line[0] == '#' || !TryParse(line, out var name, out var labels, out var value))
                continue;
            if (name == "m2msec_build_info")
                version = Label(labels, "version");
            else if (name == "m2msec_start_time_seconds")
                started = value;
            else if (name == "http_requests_received_total")
                counters["requests"] = counters.GetValueOrDefault("requests") + value;
            else if (name.StartsWith("m2msec_", StringComparison.Ordinal) && name.EndsWith("_total", StringComparison.Ordinal))
            {
                var key = name["m2msec_".Length..^"_total".Length];
                counters[key] = counters.GetValueOrDefault(key) + value;
            }
        }
        return (version, started, counters);
    }

    /// <summary>One sample line: name{labels} value.</summary>
    public static bool TryParse(string line, out string name, out string labels, out double value)
    {
        ArgumentNullException.ThrowIfNull(line);
        var brace = line.IndexOf('{', StringComparison.Ordinal);
        var close = brace < 0 ? -1 : line.LastIndexOf('}');
        var space = close >= 0 ? close + 1 : line.IndexOf(' ', StringComparison.Ordinal);
        name = brace >= 0 ? line[..brace] : space > 0 ? line[..space] : line;
        labels = brace >= 0 && close > brace ? line[(brace + 1)..close] : "";
        var rest = space > 0 && space < line.Length ? line[space..].Trim().Split(' ')[0] : "";
        return double.TryParse(rest, NumberStyles.Float, CultureInfo.InvariantCulture, out value);
    }

    /// <summary>A label's value in "a=\"x\",b=\"y\"" (the values here never hold a quote).</summary>
    public static string? Label(string labels, string label)
    {
        ArgumentNullException.ThrowIfNull(labels);
        var key = label + "=\"";
        var at = labels.IndexOf(key, StringComparison.Ordinal);
        if (at < 0 || (at > 0 && labels[at - 1] != ','))
            return null;
        var start = at + key.Length;
        var end = labels.IndexOf('"', start);
        return end < 0 ? null : labels[start..end];
    }
}
