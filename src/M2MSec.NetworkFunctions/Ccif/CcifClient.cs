using M2MSec.NetworkFunctions.Hosting;
using M2MSec.NetworkFunctions.Pva;

namespace M2MSec.NetworkFunctions.Ccif;

/// <summary>Typed client of the CCIF's API (the factory line: `m2msec ccif manufacture`).</summary>
public sealed class CcifClient(HttpClient http)
{
    public Task<DeviceManufactured> ManufactureAsync(DeviceRegistrationRequest request, CancellationToken ct = default) =>
        JsonApiClient.PostAsync<DeviceRegistrationRequest, DeviceManufactured>(http, "devices", request, ct);

    public Task<CcifDeviceInfo> GetDeviceAsync(string pcid, CancellationToken ct = default) =>
        JsonApiClient.GetAsync<CcifDeviceInfo>(http, $"devices/{Uri.EscapeDataString(pcid)}", ct);

    public Task<PfcRevoked> RevokePfcAsync(string pcid, string reason, CancellationToken ct = default) =>
        JsonApiClient.PostAsync<PfcRevocationRequest, PfcRevoked>(http, $"devices/{Uri.EscapeDataString(pcid)}/revocation", new PfcRevocationRequest(reason), ct);

    public Task<ManufacturerRootResponse> GetManufacturerRootAsync(CancellationToken ct = default) =>
        JsonApiClient.GetAsync<ManufacturerRootResponse>(http, "manufacturer-root", ct);

    /// <summary>The manufacturer registers a firmware update's measurements; the CCIF forwards them to the PVA (issue 16).</summary>
    public Task<MeasurementSetRegistered> RegisterFirmwareUpdateAsync(string pcid, IReadOnlyDictionary<string, byte[]> measurements, CancellationToken ct = default) =>
        JsonApiClient.PostAsync<FirmwareUpdateRequest, MeasurementSetRegistered>(http, $"devices/{Uri.EscapeDataString(pcid)}/firmware-updates",
            new FirmwareUpdateRequest(measurements.ToDictionary(m => m.Key, m => Convert.ToHexStringLower(m.Value), StringComparer.Ordinal)), ct);
}
