using System.Diagnostics;
using System.Reflection;
using Microsoft.Extensions.Logging;
using Prometheus;

namespace M2MSec.NetworkFunctions.Hosting;

/// <summary>
/// One hosted function's meters (issue 20, docs/decisions/031): its own Prometheus registry — so roles sharing a process
/// (`serve all`, the demo) each serve their own figures at /metrics — every series labelled with the role and the instance
/// name. Labels never carry a device, IMSI, PCID or certificate id (bounded: route templates, states, reasons). The role
/// logic counts through its small per-role class built on <see cref="Factory"/>, and logs its domain events through
/// <see cref="Event"/>: one line each, with the device and the request's correlation id.
/// </summary>
public sealed class NetworkFunctionMetrics
{
    private static readonly Action<ILogger, string, string, string, string, Exception?> EventLine = LoggerMessage.Define<string, string, string, string>(
        LogLevel.Information, new EventId(2000, "domain-event"), "{Event} device={Device} outcome={Outcome} correlation={Correlation}");

    private readonly Counter _tlsRefused;

    // The process-wide default registry (.NET runtime and meter adapters) is never exported: each function exports its own.
    static NetworkFunctionMetrics() => Prometheus.Metrics.SuppressDefaultMetrics();

    public NetworkFunctionMetrics(string role, string? instance = null, TimeProvider? time = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(role);
        Role = role;
        Registry = Prometheus.Metrics.NewCustomRegistry();
        Registry.SetStaticLabels(new Dictionary<string, string>(StringComparer.Ordinal) { ["role"] = role, ["instance"] = instance ?? role });
        Factory = Prometheus.Metrics.WithCustomRegistry(Registry);
        // No exemplars (docs/decisions/043): nothing collects the traces they would point to, and taking one from the
        // request's Activity on every observation cost each HTTP request and OCSP answer (issue 19).
        Factory.ExemplarBehavior = ExemplarBehavior.NoExemplars();
        _tlsRefused = Factory.CreateCounter("m2msec_tls_handshakes_refused_total",
            "TLS handshakes refused on this function's listeners, by reason (TS 33.310 Annex E profile checks).", ["reason"]);
        Factory.CreateGauge("m2msec_build_info", "The build serving this function (value 1).", ["version"]).WithLabels(Version).Set(1);
        Factory.CreateGauge("m2msec_start_time_seconds", "When this function started, Unix seconds (uptime = now - this).")
            .Set((time ?? TimeProvider.System).GetUtcNow().ToUnixTimeMilliseconds() / 1000.0);
    }

    /// <summary>The role these meters belong to.</summary>
    public string Role { get; }

    /// <summary>The registry /metrics exports (this function's only).</summary>
    public CollectorRegistry Registry { get; }

    /// <summary>Creates the role's metrics in <see cref="Registry"/>.</summary>
    public IMetricFactory Factory { get; }

    /// <summary>The logger of domain events (category M2MSec.ROLE).</summary>
    public ILogger Events { get; internal set; } = Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;

    /// <summary>The version /metrics and `m2msec status` report (the assembly's informational version, without the source hash).</summary>
    public static string Version { get; } =
        ((Assembly.GetEntryAssembly() is { } entry && entry.GetName().Name == "m2msec" ? entry : typeof(NetworkFunctionMetrics).Assembly)
            .GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0").Split('+')[0];

    /// <summary>A TLS handshake refused for <paramref name="reason"/> (the validator's, kebab-case, or e.g. "suite-outside-profile"; no certificate id).</summary>
    public void HandshakeRefused(string reason) => _tlsRefused.WithLabels(reason).Inc();

    /// <summary>
    /// One log line for a domain event (a session, a job, a provisioning step, a refusal): its name, the device it concerns
    /// (IMSI, PCID or device id; "-" when none), its outcome, and the correlation id of the request it happened in (the W3C trace
    /// id ASP.NET Core gives each request, taken from a caller's traceparent). Never a secret: callers pass identifiers only.
    /// </summary>
    public void Event(string name, string? device, string outcome)
    {
        if (Events.IsEnabled(LogLevel.Information))
            EventLine(Events, name, Printable(device), outcome, Activity.Current?.TraceId.ToString() ?? "-", null);
    }

    /// <summary>A label value from an identifier-like name: "PorMissing" → "por-missing".</summary>
    public static string Kebab(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var b = new System.Text.StringBuilder(name.Length + 4);
        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            if (char.IsUpper(c) && i > 0 && name[i - 1] != '-')
                b.Append('-');
            b.Append(c is '_' or ' ' ? '-' : char.ToLowerInvariant(c));
        }
        return b.ToString();
    }

    private static string Printable(string? device) =>
        string.IsNullOrEmpty(device) ? "-" : M2MSec.Pki.Authority.CertificateSubject.Sanitise(device);
}
