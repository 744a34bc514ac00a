using M2MSec.NetworkFunctions.Hosting;
using M2MSec.NetworkFunctions.Smsc;
using M2MSec.Ota.Scp80;
using M2MSec.Storage;
using M2MSec.Storage.Ota;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace M2MSec.NetworkFunctions.Ota;

/// <summary>
/// POST /cards: a card's key set (KIc/KID octets give algorithm and key version). Issue 20: the IMSI of the card's USIM, when the caller
/// knows it (`device run --kind uicc`), is kept in the OTA server's device registry beside the ICCID — the link the console's fleet
/// page joins a UICC-based device's card, subscriber and battery figure by.
/// </summary>
public sealed record AddCardRequest(string? Iccid, string? Kic, string? Kid, string? KicKey, string? KidKey, string? PskIdentity = null, string? Psk = null,
    string? Imsi = null);

/// <summary>POST /jobs: raw APDUs or NAS configuration values for one card (read strictly by <see cref="OtaJobRequestReader"/>).</summary>
public sealed record OtaJobRequest(string? Iccid, string? Tar, int? KeyVersion, string? Spi, string? Apdus, Dictionary<string, string>? Nas, int? NasFileSize,
    string? Transport = null, string? PskIdentity = null);

/// <summary>The OTA server network function (`m2msec serve ota`).</summary>
public sealed class OtaServerFunction(OtaServerOptions options) : INetworkFunction
{
    /// <summary>The device registry's kind of a card registered with its IMSI (POST /cards with imsi): a UICC-based device.</summary>
    public const string UiccDeviceKind = "uicc";

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
        services.AddSingleton(sp => new OtaJobs(sp.GetRequiredService<IStateStore>(), sp.GetRequiredService<SmscClient>(), options,
            sp.GetRequiredService<M2MSec.Ota.Scp81.Scp81AdminServer>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<OtaMetrics>()));
        services.AddSingleton<OtaMetrics>();
        services.AddHostedService<PorReceiver>();
        services.AddHostedService<Reconciler>();
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
            // TS 23.003 §2.2: MCC (3 digits), MNC (2 or 3), MSIN — at most 15 digits.
            if (r.Imsi is { } imsi && (imsi.Length is < 6 or > 15 || !imsi.All(char.IsAsciiDigit)))
                return ApiProblem.BadRequest("bad-imsi", "imsi: expected 6 to 15 digits (TS 23.003 §2.2)");
            byte[]? psk = null;
            if (r.PskIdentity is { Length: > 0 } && (!HexField.TryParse(r.Psk, (r.Psk?.Length ?? 0) / 2, "psk", out psk, out e) || psk.Length is < 16 or > 32))
                return ApiProblem.BadRequest("bad-psk", "psk: expected 16 to 32 octets in hex");
            // The PSK, the key set and the ICCID–IMSI link in one transaction: a conflict or a crash leaves none of them.
            var outcome = await store.OtaKeySets.AddCardAsync(new OtaCardRegistration(iccid, new OtaKeySet(iccid, kvn, (byte)(kic[0] & 0x0F), kicKey, (byte)(kid[0] & 0x0F), kidKey),
                psk is null ? null : r.PskIdentity, psk, r.Imsi, UiccDeviceKind, "card-registered"), ct);
            return outcome switch
            {
                OtaCardAddOutcome.Added => Results.Created($"/cards/{iccid}/{kvn}", new CardAddedResponse(iccid, kvn)),
                OtaCardAddOutcome.PskIdentityExists => ApiProblem.Conflict("psk-identity-exists", $"psk_identity: {r.PskIdentity} is already registered"),
                _ => ApiProblem.Conflict("key-set-exists", $"card {iccid} already has key set {kvn}"),
            };
        }).RequireAdministrator().WithName("addCard").WithSummary("Register a card's key set (KIc, KID; TS 102 225) and optional SCP81 PSK")
            .Produces<CardAddedResponse>(StatusCodes.Status201Created).ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status409Conflict);
        app.MapPost("/jobs", async (HttpRequest request, OtaJobs jobs, CancellationToken ct) =>
        {
            // Every field is checked before a counter is reserved or anything is stored (issue 13 item 13).
            var body = await RequestBody.ReadAsync(request, OtaJobRequestReader.MaxBodyOctets, ct);
            if (body is null)
                return Results.Problem(detail: $"body: at most {OtaJobRequestReader.MaxBodyOctets} octets", statusCode: StatusCodes.Status413PayloadTooLarge,
                    type: "urn:m2msec:error:body-too-large");
            if (!OtaJobRequestReader.TryRead(body, out var r, out var type, out var detail))
                return ApiProblem.BadRequest(type, detail);
            try
            {
                var job = r.Transport == "scp81"
                    ? await jobs.SubmitScp81Async(r.Iccid, r.PskIdentity!, r.KeyVersion, r.Spi, r.Script, r.ExpectedReadBack, ct)
                    : await jobs.SubmitAsync(r.Iccid, r.Tar, r.KeyVersion, r.Spi, r.Script, r.ExpectedReadBack, ct);
                return Results.Accepted($"/jobs/{job.Id}", job);
            }
            catch (KeyNotFoundException ex)
            {
                return ApiProblem.NotFound("unknown-card", ex.Message);
            }
        }).RequireAdministrator().WithName("submitJob").WithSummary("Submit an OTA job: a hex script or a NAS configuration, over SMS (SCP80) or SCP81")
            .DocumentsBody<OtaJobRequest>("application/json").Produces<OtaJob>(StatusCodes.Status202Accepted)
            .ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound, StatusCodes.Status413PayloadTooLarge);
        app.MapGet("/jobs/{id}", async (string id, OtaJobs jobs, CancellationToken ct) =>
            await jobs.FindAsync(id, ct) is { } job ? Results.Ok(job) : ApiProblem.NotFound("unknown-job", $"no job {id}")).RequireAdministrator()
            .WithName("getJob").WithSummary("An OTA job's state and PoR").Produces<OtaJob>().ProducesProblems(StatusCodes.Status404NotFound);
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

    /// <summary>On start and every <see cref="OtaServerOptions.ReconcileEvery"/>: settles jobs stuck in "submitting".</summary>
    private sealed class Reconciler(OtaJobs jobs, OtaServerOptions options, TimeProvider time, ILogger<OtaJobs> log) : BackgroundService
    {
        protected override async Task ExecuteAsync(CancellationToken stoppingToken)
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                try
                {
                    var outcome = await jobs.ReconcileAsync(stoppingToken);
                    if (outcome.Sent + outcome.Resubmitted + outcome.Failed > 0)
                        log.LogWarning("OTA reconciliation: {Sent} sent (the SMSC held them), {Resubmitted} resubmitted with fresh counters, {Failed} failed",
                            outcome.Sent, outcome.Resubmitted, outcome.Failed);
                }
                catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception e) when (e is HttpRequestException or OperationCanceledException or StoreException or InvalidOperationException)
                {
                    log.LogWarning("OTA reconciliation postponed: {Reason}", e.Message);
                }
                try
                {
                    await Task.Delay(options.ReconcileEvery, time, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
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

/// <summary>What POST /cards answers (201).</summary>
public sealed record CardAddedResponse(string Iccid, int KeyVersion);
