namespace M2MSec.NetworkFunctions.MtcIwf;

// Issue 17: the MTC-IWF's API (TS 23.682 Tsp in spirit): MTC servers trigger devices; administrators grant which server may
// trigger which device. A public contract: snake_case, octet strings hex.

/// <summary>MTC server POST /triggers (mutual TLS, an mtc-server certificate: its CN is the MTC server's id).</summary>
/// <param name="Device">The device's external identifier (TS 23.682 §4.6.2: local@domain, or a name the grant uses).</param>
/// <param name="Action">"dm-session", "ota-job" or "application-data".</param>
/// <param name="Payload">Hex, at most 1024 octets: the application's data (application-data only).</param>
/// <param name="OtaJob">The OTA job to fetch (ota-job only).</param>
public sealed record MtcTriggerRequest(string? Device, string? Action, string? Payload, string? OtaJob);

/// <summary>The trigger was handed to the serving network: how it delivers it (queued, paging or direct) and the reference it carries.</summary>
public sealed record MtcTriggerAccepted(string TriggerId, string Device, string Action, long Reference, string Delivery, string ServingNode);

/// <summary>Administrator POST /authorisations: MTC server <c>mtc_server</c> may trigger <c>device</c>, which is IMSI <c>imsi</c>.</summary>
public sealed record MtcGrantRequest(string? MtcServer, string? Device, string? Imsi);

/// <summary>One grant (never a secret).</summary>
public sealed record MtcGrant(string MtcServer, string Device, string Imsi, string GrantedBy, DateTimeOffset GrantedAt);

/// <summary>GET /authorisations.</summary>
public sealed record MtcGrantList(IReadOnlyList<MtcGrant> Grants);

/// <summary>An MTC server id, external identifier or OTA job id: 1–128 of letters, digits and . _ - @ (e.g. sensor-17@mtc.example).</summary>
public static class MtcIdentifier
{
    public static bool IsValid(string? s) =>
        s is { Length: > 0 and <= 128 } && s.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' or '@') && s[0] != '@' && s[0] != '.';
}
