using System.Collections.Concurrent;
using M2MSec.Aka;
using M2MSec.NetworkFunctions.Hosting;
using M2MSec.NetworkFunctions.Naf;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace M2MSec.Tests.Gba;

/// <summary>
/// Issue 18: a stand-in for the BSF's Zn server (the exact contract of POST /zn/naf-keys), so the NAF is tested on its own:
/// bootstrapping contexts (CK, IK, RAND, IMPI, lifetime) by B-TID; the key derived for the naf_id the request names, as the BSF does.
/// </summary>
internal sealed class StubBsf : IAsyncDisposable
{
    public sealed record Context(byte[] Ck, byte[] Ik, byte[] Rand, string Impi, string GbaType, DateTimeOffset Expires);

    private readonly WebApplication _app;

    public ConcurrentDictionary<string, Context> Contexts { get; } = new(StringComparer.Ordinal);

    /// <summary>Zn requests answered, by B-TID.</summary>
    public ConcurrentQueue<string> Requests { get; } = new();

    public TimeProvider Time { get; set; } = TimeProvider.System;

    public Uri Address { get; private set; } = null!;

    private StubBsf(WebApplication app) => _app = app;

    public static async Task<StubBsf> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Services.Configure<Microsoft.AspNetCore.Http.Json.JsonOptions>(o => o.SerializerOptions.PropertyNamingPolicy = NetworkFunctionHost.JsonOptions.PropertyNamingPolicy);
        var app = builder.Build();
        var stub = new StubBsf(app);
        app.MapPost("/zn/naf-keys", (ZnKeyRequest request) => stub.Answer(request));
        await app.StartAsync();
        stub.Address = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        return stub;
    }

    /// <summary>A new bootstrapping context: its B-TID (base64(RAND)@domain, TS 33.220 §4.5.2).</summary>
    public (string BTid, Context Context) Bootstrap(string gbaType = "gba_me", TimeSpan? lifetime = null)
    {
        var rand = System.Security.Cryptography.RandomNumberGenerator.GetBytes(16);
        var context = new Context(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16), System.Security.Cryptography.RandomNumberGenerator.GetBytes(16), rand,
            $"00101{Random.Shared.Next(0, 999_999_999):D10}@ims.mnc001.mcc001.3gppnetwork.org", gbaType, Time.GetUtcNow() + (lifetime ?? TimeSpan.FromHours(1)));
        var bTid = Convert.ToBase64String(rand) + "@bsf.m2msec.test";
        Contexts[bTid] = context;
        return (bTid, context);
    }

    /// <summary>The device's key for <paramref name="fqdn"/>: Ks_NAF (= Ks_ext_NAF) over NAF_Id = FQDN ‖ 01 00 01 00 A8.</summary>
    public static byte[] DeviceKey(Context c, string fqdn) => GbaKeys.KsNaf(c.Ck, c.Ik, c.Rand, c.Impi, M2MSec.Aka.Gba.UaPskTls.NafId(fqdn));

    private IResult Answer(ZnKeyRequest request)
    {
        if (request.BTid is null)
            return Results.Problem(statusCode: 400, type: "urn:m2msec:error:bad-b-tid", detail: "b_tid: required");
        Requests.Enqueue(request.BTid);
        if (!Contexts.TryGetValue(request.BTid, out var c))
            return Results.Problem(statusCode: 404, type: "urn:m2msec:error:unknown-b-tid", detail: "b_tid: unknown");
        if (Time.GetUtcNow() >= c.Expires)
            return Results.Problem(statusCode: 410, type: "urn:m2msec:error:b-tid-expired", detail: "b_tid: expired");
        var key = GbaKeys.KsNaf(c.Ck, c.Ik, c.Rand, c.Impi, Convert.FromHexString(request.NafId!));
        return Results.Json(new ZnKeyAnswer(request.BTid, c.Impi, c.GbaType, Convert.ToHexStringLower(key), c.Expires - TimeSpan.FromHours(1), c.Expires),
            NetworkFunctionHost.JsonOptions);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
