using M2MSec.Nas;
using M2MSec.NetworkFunctions.Hosting;
using M2MSec.NetworkFunctions.Smsc;
using M2MSec.Ota.Scp80;
using M2MSec.Storage;
using M2MSec.Storage.Ota;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace M2MSec.NetworkFunctions.Ota;

/// <summary>POST /cards: a card's key set (KIc/KID octets give algorithm and key version).</summary>
public sealed record AddCardRequest(string? Iccid, string? Kic, string? Kid, string? KicKey, string? KidKey, string? PskIdentity = null, string? Psk = null);

/// <summary>POST /jobs: raw APDUs or NAS configuration values for one card.</summary>
public sealed record OtaJobRequest(string? Iccid, string? Tar, int? KeyVersion, string? Spi, string? Apdus, Dictionary<string, string>? Nas, int? NasFileSize,
    string? Transport = null, string? PskIdentity = null);

/// <summary>The OTA server network function (`m2msec serve ota`).</summary>
public sealed class OtaServerFunction(OtaServerOptions options) : INetworkFunction
{
    public string Role => "ota";

    public void ConfigureServices(IServiceCollection services, string dataDirectory)
    {
        services.AddSingleton(options);
        services.AddSingleton(sp =>
        {
            var timeout = TimeSpan.FromSeconds(SmscFunction.MaxWaitSeconds + 10);
            var tls = sp.GetService<NetworkFunctionTls>();
            return new SmscClient(tls is null ? new HttpClient { BaseAddress = options.Smsc, Timeout = timeout } : tls.CreateClient(options.Smsc, timeout));
        });
        services.AddSingleton(sp =>
        {
            var store = sp.GetRequiredService<IStateStore>();
            // BouncyCastle's handshake is synchronous: the PSK lookup blocks its thread briefly.
            return new M2MSec.Ota.Scp81.Scp81AdminServer(id => store.OtaKeySets.FindPskAsync(id).AsTask().GetAwaiter().GetResult()?.Psk, options.Scp81);
        });
        services.AddSingleton(sp => new OtaJobs(sp.GetRequiredService<IStateStore>(), sp.GetRequiredService<SmscClient>(), options, sp.GetRequiredService<M2MSec.Ota.Scp81.Scp81AdminServer>()));
        services.AddHostedService<PorReceiver>();
        services.AddHostedService<Scp81Hosting>();
    }

    public void MapEndpoints(WebApplication app)
    {
        app.MapPost("/cards", async (AddCardRequest r, IStateStore store, CancellationToken ct) =>
        {
            if (r.Iccid is not { Length: >= 10 and <= 20 } iccid || !iccid.All(char.IsAsciiDigit))
                return ApiProblem.BadRequest("bad-iccid", "iccid: expected 10 to 20 digits");
            if (!HexField.TryParse(r.Kic, 1, "kic", out var kic, out var e) || !HexField.TryParse(r.Kid, 1, "kid", out var kid, out e))
                return ApiProblem.BadRequest("bad-key-identifier", e);
            if (r.KicKey is null || r.KidKey is null || !HexField.TryParse(r.KicKey, r.KicKey.Length / 2, "kic_key", out var kicKey, out e)
                || !HexField.TryParse(r.KidKey, r.KidKey.Length / 2, "kid_key", out var kidKey, out e) || kicKey.Length is not (8 or 16 or 24 or 32) || kidKey.Length is not (8 or 16 or 24 or 32))
                return ApiProblem.BadRequest("bad-key", "kic_key/kid_key: expected 8, 16, 24 or 32 octets in hex");
            var kvn = KeyIdentifier.KeyIndex(kic[0]);
            if (kvn == 0 || KeyIdentifier.KeyIndex(kid[0]) != kvn)
                return ApiProblem.BadRequest("bad-key-identifier", "kic/kid: expected the same key version 1..15 in both");
            if (r.PskIdentity is { Length: > 0 } identity)
            {
                if (!HexField.TryParse(r.Psk, (r.Psk?.Length ?? 0) / 2, "psk", out var psk, out e) || psk.Length is < 16 or > 32)
                    return ApiProblem.BadRequest("bad-psk", "psk: expected 16 to 32 octets in hex");
                if (!await store.OtaKeySets.AddPskAsync(identity, iccid, psk, ct))
                    return ApiProblem.Conflict("psk-identity-exists", $"psk_identity: {identity} is already registered");
            }
            var added = await store.OtaKeySets.AddAsync(new OtaKeySet(iccid, kvn, (byte)(kic[0] & 0x0F), kicKey, (byte)(kid[0] & 0x0F), kidKey), 0, ct);
            return added ? Results.Created($"/cards/{iccid}/{kvn}", new { iccid, key_version = kvn }) : ApiProblem.Conflict("key-set-exists", $"card {iccid} already has key set {kvn}");
        }).RequireAdministrator();
        app.MapPost("/jobs", async (OtaJobRequest r, OtaJobs jobs, CancellationToken ct) =>
        {
            if (r.Iccid is not { Length: >= 10 } iccid)
                return ApiProblem.BadRequest("bad-iccid", "iccid: required");
            if (!HexField.TryParse(r.Tar, 3, "tar", out var tar, out var e))
                return ApiProblem.BadRequest("bad-tar", e);
            var spi = OtaJobs.DefaultSpi;
            if (r.Spi is not null && !HexField.TryParse(r.Spi, 2, "spi", out spi, out e))
                return ApiProblem.BadRequest("bad-spi", e);
            byte[] script;
            byte[]? readBack = null;
            if ((r.Apdus is null) == (r.Nas is null))
                return ApiProblem.BadRequest("bad-job", "apdus | nas: expected exactly one of them");
            if (r.Nas is { } nas)
            {
                NasConfiguration config;
                try
                {
                    config = NasConfigMo.FromLeaves(nas);
                }
                catch (NasConfigurationException ex)
                {
                    return ApiProblem.BadRequest("bad-nas-value", ex.Message);
                }
                (script, readBack) = OtaJobs.NasScript(config, r.NasFileSize ?? 48);
            }
            else if (r.Apdus!.Length % 2 != 0 || !r.Apdus.All(Uri.IsHexDigit))
                return ApiProblem.BadRequest("bad-apdus", "apdus: expected a hex script");
            else
                script = Convert.FromHexString(r.Apdus);
            try
            {
                var job = r.Transport switch
                {
                    null or "scp80" => await jobs.SubmitAsync(iccid, tar, r.KeyVersion ?? 1, spi, script, readBack, ct),
                    "scp81" when r.PskIdentity is { Length: > 0 } id => await jobs.SubmitScp81Async(iccid, id, r.KeyVersion ?? 1, spi,
                        r.Nas is { } n ? OtaJobs.NasScript(NasConfigMo.FromLeaves(n), r.NasFileSize ?? 48, M2MSec.Ota.RemoteApdu.RemoteApduFormat.Expanded).Script : script, readBack, ct),
                    _ => null,
                };
                return job is null
                    ? ApiProblem.BadRequest("bad-transport", "transport: expected scp80, or scp81 with psk_identity")
                    : Results.Accepted($"/jobs/{job.Id}", job);
            }
            catch (KeyNotFoundException ex)
            {
                return ApiProblem.NotFound("unknown-card", ex.Message);
            }
        }).RequireAdministrator();
        app.MapGet("/jobs/{id}", async (string id, OtaJobs jobs, CancellationToken ct) =>
            await jobs.FindAsync(id, ct) is { } job ? Results.Ok(job) : ApiProblem.NotFound("unknown-job", $"no job {id}")).RequireAdministrator();
    }

    /// <summary>Starts the SCP81 admin server with the host and hands its exchanges to the jobs; stops it with the host.</summary>
    private sealed class Scp81Hosting(M2MSec.Ota.Scp81.Scp81AdminServer server, OtaJobs jobs) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            server.ExchangeReceived += e => jobs.AcceptScp81ExchangeAsync(e, CancellationToken.None);
            return Task.CompletedTask;
        }

        public async Task StopAsync(CancellationToken cancellationToken) => await server.DisposeAsync();
    }

    /// <summary>Long-polls the SMSC for PoRs addressed to the OTA server.</summary>
    private sealed class PorReceiver(SmscClient smsc, OtaJobs jobs, OtaServerOptions options) : BackgroundService
    {
        protected override async Task ExecuteAsync(CancellationToken stoppingToken)
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                try
                {
                    foreach (var m in await smsc.DeliverAsync(options.Address, 10, stoppingToken))
                        if (m.UserData is { } ud)
                            await jobs.AcceptPorAsync(m.From, Convert.FromHexString(ud), stoppingToken);
                }
                catch (HttpRequestException)
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(500), stoppingToken);
                }
                catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
                {
                    return;
                }
            }
        }
    }
}
