namespace M2MSec.Cli.Demo;

/// <summary>Issue 20: at the end of the run, every function's /metrics as Prometheus would scrape it, kept in DATA/metrics/NAME.prom.</summary>
internal sealed partial class DemoEnvironment
{
    /// <summary>Where the scrapes go.</summary>
    public string MetricsDirectory => Path.Combine(DataDirectory, "metrics");

    /// <summary>
    /// Scrapes each function's /metrics on its admin listener with the administrator's certificate (the DM server's own admin listener
    /// included) and writes one file per function; a function that does not answer is skipped, never failing the run.
    /// </summary>
    public async Task<int> ScrapeMetricsAsync(CancellationToken ct)
    {
        Directory.CreateDirectory(MetricsDirectory);
        var written = 0;
        foreach (var host in Hosts)
        {
            if (host.AdminAddress is not { } admin || _fleet.AdminTls is not { } tls)
                continue;
            try
            {
                using var http = tls.CreateClient(admin, TimeSpan.FromSeconds(10));
                var text = await http.GetStringAsync(new Uri(admin, "/metrics"), ct);
                await File.WriteAllTextAsync(Path.Combine(MetricsDirectory, host.Name + ".prom"), text, ct);
                written++;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
            {
                // A scrape is a report, not a stage: the run's outcome stands without it.
            }
        }
        return written;
    }
}
