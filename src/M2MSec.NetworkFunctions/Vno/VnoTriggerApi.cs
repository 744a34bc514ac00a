namespace M2MSec.NetworkFunctions.Vno;

// Issue 17: the VNO's trigger API (the MTC-IWF hands a trigger to the serving node, docs/decisions/025) and the device's side of
// it (paging, connection state). A public contract: snake_case, octet strings hex.

/// <summary>MTC-IWF POST /triggers: protect this indication for <c>identity</c> (an IMSI the VNO holds a NAS context for).</summary>
/// <param name="Identity">The device's IMSI.</param>
/// <param name="Reference">The MTC-IWF's reference (0 to 2^32−1), carried in the indication.</param>
/// <param name="Action">"dm-session", "ota-job" or "application-data".</param>
/// <param name="Payload">Hex, at most 1024 octets (the OTA job id for ota-job, the application's data for application-data).</param>
public sealed record VnoTriggerRequest(string? Identity, long? Reference, string? Action, string? Payload);

/// <summary>
/// What the VNO did with a trigger (seed 002 §5.1.1): <c>delivery</c> "queued" (the device is offline: it gets it at its next
/// paging occasion or attach), "paging" (attached without a data connection: paged, then delivered) or "direct" (over its data
/// connection); <c>count</c> the NAS downlink COUNT it is protected with.
/// </summary>
public sealed record VnoTriggerAccepted(string TriggerId, string Identity, string Delivery, long Count, string Plmn);

/// <summary>Device POST /detach and POST /data-session: the device tells the serving network its connection state.</summary>
/// <param name="Identity">The device's IMSI.</param>
/// <param name="Open">For /data-session: true when a data connection is set up, false when it is released.</param>
/// <param name="Nas">The report as an integrity-protected NAS message (hex, 13 octets): MAC under the device's K_NASint with the next uplink COUNT (issue 17).</param>
public sealed record VnoDeviceStateRequest(string? Identity, bool? Open, string? Nas = null);

/// <summary>Issue 20, device POST /battery: the device's battery figure, reported as its state reports are (docs/decisions/033).</summary>
/// <param name="Identity">The device's IMSI.</param>
/// <param name="LevelPermille">The remaining charge in per mille, 0 to 1000 — the report's value.</param>
/// <param name="Nas">The report (kind 5, value the level) as an integrity-protected NAS message (hex, 13 octets), as for /detach.</param>
public sealed record VnoBatteryReport(string? Identity, long? LevelPermille, string? Nas);

/// <summary>Issue 20: the last battery figure the VNO holds for a device (GET /battery/{identity}, administrators; the console's fleet).</summary>
public sealed record VnoBatteryFigure(string Identity, int LevelPermille, long UplinkCount, DateTimeOffset ReportedAt);

/// <summary>The connection state the VNO now holds for a device: "offline", "idle" or "connected".</summary>
public sealed record VnoDeviceState(string Identity, string State);

/// <summary>Device GET /paging/{identity}: the protected triggers waiting (the paging channel's content, integrity-protected, not secret).</summary>
public sealed record VnoPagingResponse(string Identity, IReadOnlyList<VnoPagedTrigger> Triggers);

/// <summary>One protected trigger: the NAS message (hex) and how it was delivered.</summary>
public sealed record VnoPagedTrigger(string Message, string Delivery);

/// <summary>Device POST /paging/{identity}/ack: the device holds every trigger up to this downlink COUNT; <c>nas</c> the report protected as for /detach.</summary>
public sealed record VnoPagingAck(long? Count, string? Nas = null);
