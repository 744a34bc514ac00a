using System.Net;
using System.Net.Http.Json;
using M2MSec.NetworkFunctions.Hosting;

namespace M2MSec.NetworkFunctions.Bsf;

/// <summary>What the BSF answered on Zn.</summary>
public enum ZnStatus
{
    Ok,

    /// <summary>404 unknown-b-tid: the device must bootstrap.</summary>
    UnknownBTid,

    /// <summary>410 b-tid-expired: the device must bootstrap again.</summary>
    Expired,

    /// <summary>403 naf-not-authorised: this NAF's certificate does not name the NAF_Id.</summary>
    NotAuthorised,
}

/// <summary>The outcome of a Zn request: the key on <see cref="ZnStatus.Ok"/>.</summary>
public sealed record ZnResult(ZnStatus Status, ZnNafKeyResponse? Key)
{
    public override string ToString() => $"ZnResult {{ {Status} }}";
}

/// <summary>A NAF's typed client of the BSF's Zn (issue 18): over mutual TLS with the NAF's certificate (role naf).</summary>
public sealed class BsfZnClient(HttpClient http)
{
    /// <summary>Asks for the NAF key of (<paramref name="bTid"/>, <paramref name="nafId"/>); other refusals throw <see cref="HttpRequestException"/>.</summary>
    public async Task<ZnResult> GetNafKeyAsync(string bTid, ReadOnlyMemory<byte> nafId, CancellationToken ct = default)
    {
        using var response = await http.PostAsJsonAsync("zn/naf-keys", new ZnNafKeyRequest(bTid, Convert.ToHexStringLower(nafId.Span)), NetworkFunctionHost.JsonOptions, ct)
            .ConfigureAwait(false);
        switch (response.StatusCode)
        {
            case HttpStatusCode.OK:
                return new(ZnStatus.Ok, await response.Content.ReadFromJsonAsync<ZnNafKeyResponse>(NetworkFunctionHost.JsonOptions, ct).ConfigureAwait(false)
                    ?? throw new HttpRequestException("the BSF sent an empty answer"));
            case HttpStatusCode.NotFound:
                return new(ZnStatus.UnknownBTid, null);
            case HttpStatusCode.Gone:
                return new(ZnStatus.Expired, null);
            case HttpStatusCode.Forbidden:
                return new(ZnStatus.NotAuthorised, null);
            default:
                var body = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
                throw new HttpRequestException($"BSF answered {(int)response.StatusCode}: {body}", null, response.StatusCode);
        }
    }
}
