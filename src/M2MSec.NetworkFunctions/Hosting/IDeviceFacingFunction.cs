using Microsoft.AspNetCore.Routing;

namespace M2MSec.NetworkFunctions.Hosting;

/// <summary>
/// A network function that devices reach too (vno, drf, dpf, smsc; issue 15): besides its mutual-TLS API it opens a second
/// listener, TLS with its certificate only (devices have no role certificate), on which only the endpoints mapped here are
/// served — and those endpoints only there. Without TLS both listeners are plain HTTP on loopback.
/// </summary>
public interface IDeviceFacingFunction : INetworkFunction
{
    /// <summary>Maps the device-facing API (request bodies are the devices' own messages: validate every field).</summary>
    void MapDeviceEndpoints(IEndpointRouteBuilder devices);
}
