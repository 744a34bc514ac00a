using System.Net;
using System.Net.Http.Json;
using M2MSec.NetworkFunctions.Hosting;

namespace M2MSec.NetworkFunctions.Hss;

/// <summary>Typed client of the HSS API, used by other network functions and the demo.</summary>
public sealed class HssClient(HttpClient http)
{
    public async Task AddSubscriberAsync(string imsi, ReadOnlyMemory<byte> k, ReadOnlyMemory<byte> opc, ReadOnlyMemory<byte> amf, CancellationToken ct = default)
    {
        var request = new AddSubscriberRequest(imsi, Convert.ToHexStringLower(k.Span), null, Convert.ToHexStringLower(opc.Span), Convert.ToHexStringLower(amf.Span), null);
        using var response = await http.PostAsJsonAsync("subscribers", request, NetworkFunctionHost.JsonOptions, ct).ConfigureAwait(false);
        await EnsureAsync(response, ct).ConfigureAwait(false);
    }

    /// <summary>Asks for vectors; with <paramref name="resync"/>, the HSS first resynchronises from AUTS.</summary>
    public async Task<AuthVectorsResponse> GetVectorsAsync(string imsi, int count = 1, ResyncInfo? resync = null, string? servingNetworkId = null, CancellationToken ct = default)
    {
        var request = new AuthVectorsRequest(imsi, count, servingNetworkId, resync);
        using var response = await http.PostAsJsonAsync("auth-vectors", request, NetworkFunctionHost.JsonOptions, ct).ConfigureAwait(false);
        await EnsureAsync(response, ct).ConfigureAwait(false);
        return await response.Content.ReadFromJsonAsync<AuthVectorsResponse>(NetworkFunctionHost.JsonOptions, ct).ConfigureAwait(false)
            ?? throw new HttpRequestException("The HSS sent an empty answer.");
    }

    /// <summary>Issue 16: retires a subscriber (its IMSI's MCIM was deleted after a change of subscription); false if the HSS did not have it.</summary>
    public async Task<bool> RetireAsync(string imsi, CancellationToken ct = default)
    {
        using var response = await http.DeleteAsync($"subscribers/{Uri.EscapeDataString(imsi)}", ct).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound)
            return false;
        await EnsureAsync(response, ct).ConfigureAwait(false);
        return true;
    }

    /// <summary>Issue 18, Zh (role bsf): one vector and the GUSS GBA type for an IMPI; with <paramref name="resync"/>, SQN resynchronised first.</summary>
    public async Task<GbaVectorResponse> GetGbaVectorAsync(string impi, ResyncInfo? resync = null, CancellationToken ct = default)
    {
        using var response = await http.PostAsJsonAsync("zh/gba-vectors", new GbaVectorRequest(impi, resync), NetworkFunctionHost.JsonOptions, ct).ConfigureAwait(false);
        await EnsureAsync(response, ct).ConfigureAwait(false);
        return await response.Content.ReadFromJsonAsync<GbaVectorResponse>(NetworkFunctionHost.JsonOptions, ct).ConfigureAwait(false)
            ?? throw new HttpRequestException("The HSS sent an empty answer.");
    }

    /// <summary>Issue 18 (administrator): sets the subscriber's GUSS GBA type, "gba_me" or "gba_u".</summary>
    public async Task SetGbaTypeAsync(string imsi, string gbaType, CancellationToken ct = default)
    {
        using var response = await http.PutAsJsonAsync($"subscribers/{Uri.EscapeDataString(imsi)}/guss", new GussRequest(gbaType), NetworkFunctionHost.JsonOptions, ct)
            .ConfigureAwait(false);
        await EnsureAsync(response, ct).ConfigureAwait(false);
    }

    private static async Task EnsureAsync(HttpResponseMessage response, CancellationToken ct)
    {
        if (response.IsSuccessStatusCode)
            return;
        var body = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
        throw new HssRequestException(response.StatusCode, body);
    }
}

/// <summary>The HSS refused a request; the HTTP status and the problem document say why.</summary>
public sealed class HssRequestException(HttpStatusCode statusCode, string problem)
    : HttpRequestException($"HSS answered {(int)statusCode}: {problem}", null, statusCode)
{
    public string Problem { get; } = problem;
}
