using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using M2MSec.NetworkFunctions.Dpf;
using M2MSec.NetworkFunctions.Hosting;
using M2MSec.NetworkFunctions.Hss;
using M2MSec.NetworkFunctions.Pva;
using M2MSec.Pki;
using M2MSec.Pki.Authority;
using M2MSec.Provisioning;
using M2MSec.Provisioning.Mcim;
using M2MSec.Storage;
using M2MSec.Storage.Audit;
using M2MSec.Storage.Hss;
using M2MSec.Storage.Sho;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace M2MSec.NetworkFunctions.Sho;

/// <summary>
/// The SHO's API (TR 33.812 §5.1.3.6.2 steps 12–21; docs/provisioning.md): registrations from the DRF, the PVA's verdict and the
/// install status from the DPF, subscriptions, the IMSI pool and the signing root for administrators.
/// </summary>
internal static class ShoEndpoints
{
    private const string Actor = "sho";

    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapPost("/registrations", RegisterAsync).RequireRole(["drf"]).WithName("registerM2me")
            .WithSummary("Step 12: the RO registers the M2ME with its M2MMobj; the SHO asks the PVA (step 13) and has the challenge taken to the TRE")
            .Produces<ShoRegistrationAccepted>(StatusCodes.Status202Accepted)
            .ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status409Conflict, StatusCodes.Status502BadGateway);
        app.MapPost("/registrations/{pcid}/verdict", VerdictAsync).RequireRole(["dpf"]).WithName("submitVerdict")
            .WithSummary("Steps 15–17: the PVA's signed verdict; when valid the SHO seals the MCIM, signs M2MSIMMobj and hands it to the DPF")
            .Produces<ShoSubscriptionState>()
            .ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound, StatusCodes.Status409Conflict, StatusCodes.Status502BadGateway,
                StatusCodes.Status503ServiceUnavailable);
        app.MapPost("/registrations/{pcid}/status", StatusAsync).RequireRole(["dpf"]).WithName("reportStatus")
            .WithSummary("Step 21: the install's outcome; on success the IMSI goes into the SHO's HSS and the subscription is active")
            .Produces<ShoSubscriptionState>()
            .ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound, StatusCodes.Status409Conflict, StatusCodes.Status502BadGateway);
        app.MapGet("/subscriptions", ListAsync).RequireAdministrator().WithName("listSubscriptions")
            .WithSummary("Every subscription (never K or OPc) and the IMSI pool by state").Produces<ShoSubscriptionList>();
        app.MapPost("/imsi-pool", AddPoolAsync).RequireAdministrator().WithName("addImsiRange")
            .WithSummary("Adds COUNT consecutive IMSIs from FIRST to the pool").Produces<ImsiPoolAdded>(StatusCodes.Status201Created)
            .ProducesProblems(StatusCodes.Status400BadRequest);
        app.MapPut("/authorisation-tokens/{pcid}", SetTokenAsync).RequireAdministrator().WithName("setAuthorisationToken")
            .WithSummary("The device-specific authorisation token the M2ME's user hands the SHO (seed 003); it travels inside the sealed MCIM")
            .Produces(StatusCodes.Status204NoContent).ProducesProblems(StatusCodes.Status400BadRequest);
        app.MapGet("/signing-root", SigningRootAsync).RequireAdministratorOrRole(["dpf", "ccif"]).WithName("signingRoot")
            .WithSummary("The root of the SHO's signing hierarchy (the device's trust/root/sho) and the M2MSIMMobj signer").Produces<ShoSigningRoot>();
    }

    private static async Task<IResult> RegisterAsync(ShoRegistrationRequest request, ShoContext sho, CancellationToken ct)
    {
        if (!Imsi.IsValid(request.Pcid))
            return ApiProblem.BadRequest("bad-pcid", "pcid: expected 6 to 15 decimal digits (IMSI format)");
        if (request.M2mmobj is not { } m)
            return ApiProblem.BadRequest("bad-m2mmobj", "m2mmobj: required");
        if (m.Pcid != request.Pcid)
            return ApiProblem.BadRequest("bad-m2mmobj", "m2mmobj.pcid: differs from pcid");
        if (!IsName(m.TreId, 128))
            return ApiProblem.BadRequest("bad-m2mmobj", "m2mmobj.tre_id: required, 1 to 128 printable ASCII characters");
        if (m.ShoId != sho.Options.ShoId)
            return ApiProblem.BadRequest("bad-m2mmobj", $"m2mmobj.sho_id: this SHO is '{sho.Options.ShoId}'");
        if (!TryCertificate(m.PfcAttestation, out var attestation))
            return ApiProblem.BadRequest("bad-m2mmobj", "m2mmobj.pfc_attestation: expected a base64 DER X.509 certificate");
        if (!TryCertificate(m.PfcEncryption, out var encryption) || PkD(encryption) is null)
            return ApiProblem.BadRequest("bad-m2mmobj", "m2mmobj.pfc_encryption: expected a base64 DER X.509 certificate of an EC P-256 or RSA-2048/3072 key (PK_D)");
        if (!HexField.TryParse(m.RegistrationNonce, 16, "m2mmobj.registration_nonce", out var regNonce, out var error))
            return ApiProblem.BadRequest("bad-m2mmobj", error);
        var pcid = request.Pcid!;
        // Issue 16: the same registration again (a retry) answers the current state; a different one for the PCID stays refused.
        var previous = await sho.Store.FindAsync(pcid, ct).ConfigureAwait(false);
        if (previous is { } existing && !ShoResumption.MayRegisterAgain(existing, m.TreId!, attestation.RawData, encryption.RawData, regNonce))
            return ShoResumption.IsSameRegistration(existing, m.TreId!, attestation.RawData, encryption.RawData, regNonce)
                ? await ShoResumption.RepeatRegistrationAsync(existing, sho, ct).ConfigureAwait(false)
                : ApiProblem.Conflict("registration-exists", $"pcid: {pcid} is already registered at this SHO (a PCID is provisioned once)");

        // Step 13: the PfC and PCID to the PVA, with a fresh request nonce the verdict must carry back.
        var shoNonce = RandomNumberGenerator.GetBytes(16);
        ValidationStarted started;
        try
        {
            started = await new PvaClient(sho.Peers.For("pva")).RequestValidationAsync(
                new ValidationRequest(pcid, m.PfcAttestation, m.PfcEncryption, Convert.ToHexStringLower(shoNonce)), ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpRequestException or PeerUnavailableException or TaskCanceledException)
        {
            return Problem(StatusCodes.Status502BadGateway, "pva-unavailable", $"the PVA did not start a validation: {Clip(e.Message)}");
        }
        if (!TryChallenge(started.Challenge, out var challenge) || !IsName(started.ValidationId, 128))
            return Problem(StatusCodes.Status502BadGateway, "pva-unavailable", "the PVA's answer has no usable validation id or challenge");
        var now = sho.Time.GetUtcNow();
        var subscription = new ShoSubscription(pcid, m.TreId!, attestation.RawData, encryption.RawData, regNonce, shoNonce, started.ValidationId,
            ShoSubscription.Validating, null, null, null, null, now, now, Challenge: Convert.ToHexStringLower(challenge));
        // Issue 16: a new attempt after a refused, failed or moved one replaces it (compare-and-swap on its state); anything else is a first registration.
        // The subscription and its entry in one commit (docs/decisions/053).
        var stored = await sho.State.InOneCommitAsync(async () =>
        {
            var added = previous is null
                ? await sho.Store.AddAsync(subscription, ct).ConfigureAwait(false)
                : await sho.Store.UpdateAsync(subscription with { CreatedAt = previous.CreatedAt }, previous.State, ct).ConfigureAwait(false);
            if (added)
                await sho.State.Audit.AppendAsync("sho", "sho.registration", pcid, $"tre {m.TreId}, validation {started.ValidationId}", ct).ConfigureAwait(false);
            return added;
        }, ct).ConfigureAwait(false);
        if (!stored)
            return await sho.Store.FindAsync(pcid, ct).ConfigureAwait(false) is { } raced
                && ShoResumption.IsSameRegistration(raced, m.TreId!, attestation.RawData, encryption.RawData, regNonce)
                ? await ShoResumption.RepeatRegistrationAsync(raced, sho, ct).ConfigureAwait(false)
                : ApiProblem.Conflict("registration-exists", $"pcid: {pcid} is already registered at this SHO (a PCID is provisioned once)");
        sho.Counted("sho.registration", pcid); // issue 20: counted once committed

        // Step 14: the challenge reaches the TRE through the DPF (DM Replace/Get).
        try
        {
            await new DpfClient(sho.Peers.For("dpf")).RequestAttestationAsync(pcid, new AttestationRequest(started.ValidationId, Convert.ToHexStringLower(challenge)), ct)
                .ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpRequestException or PeerUnavailableException or TaskCanceledException)
        {
            // A DPF that was away keeps the registration validating: the DPF's retry of step 12 brings the challenge again (issue 16).
            if (!ShoResumption.IsTransient(e))
                await sho.FailAsync(subscription, ShoSubscription.Validating, "dpf-refused-attestation", ct).ConfigureAwait(false);
            return Problem(StatusCodes.Status502BadGateway, "dpf-unavailable", $"the DPF did not take the attestation request: {Clip(e.Message)}");
        }
        return Results.Accepted($"/registrations/{pcid}", new ShoRegistrationAccepted(pcid, ShoSubscription.Validating));
    }

    private static async Task<IResult> VerdictAsync(string pcid, ShoVerdictRequest request, ShoContext sho, CancellationToken ct)
    {
        if (!Imsi.IsValid(pcid))
            return ApiProblem.BadRequest("bad-pcid", "pcid: expected 6 to 15 decimal digits (IMSI format)");
        if (!IsName(request.ValidationId, 128))
            return ApiProblem.BadRequest("bad-validation-id", "validation_id: required, 1 to 128 printable ASCII characters");
        if (string.IsNullOrEmpty(request.Verdict) || request.Verdict.Length > 16 * 1024)
            return ApiProblem.BadRequest("bad-verdict", "verdict: required, at most 16384 characters");
        var sub = await sho.Store.FindAsync(pcid, ct).ConfigureAwait(false);
        if (sub is null)
            return ApiProblem.NotFound("unknown-registration", $"pcid: {pcid} is not registered at this SHO");
        if (sub.State != ShoSubscription.Validating)
            return await ShoResumption.RepeatVerdictAsync(sub, request, sho, ct).ConfigureAwait(false)
                ?? ApiProblem.Conflict("not-validating", $"pcid: {pcid} is {sub.State}, not awaiting a verdict");
        // Seed 003: the SHO checks the verdict against the root it holds before anything is sealed.
        var verdict = PvaVerdictCheck.Check(sho.Verifier, request.Verdict, sho.Time.GetUtcNow(), pcid, sub.ValidationId, sub.PfcAttestation, sub.PfcEncryption,
            sub.ShoNonce, out var type, out var detail);
        if (verdict is null || request.ValidationId != sub.ValidationId)
        {
            await sho.AuditAsync("sho.verdict.refused", pcid, verdict is null ? $"{type}: {detail}" : "validation_id differs", ct).ConfigureAwait(false);
            return ApiProblem.Forbidden(verdict is null ? type : "verdict-mismatch", verdict is null ? detail : "validation_id: not this registration's validation");
        }
        if (!verdict.IsValid)
        {
            var refused = sub with { State = ShoSubscription.Refused, Reason = "platform-invalid: " + Clip(verdict.Reason ?? "no reason given"), UpdatedAt = sho.Time.GetUtcNow() };
            if (!await sho.UpdateAuditedAsync(refused, ShoSubscription.Validating, "sho.verdict.invalid", refused.Reason, ct).ConfigureAwait(false))
                return ApiProblem.Conflict("not-validating", $"pcid: {pcid} changed state meanwhile");
            await ShoPreparations.DiscardAsync(sho, pcid, "platform-invalid", ct).ConfigureAwait(false); // issue 16: never released without a valid verdict
            return Results.Ok(new ShoSubscriptionState(pcid, refused.State));
        }

        // Step 16 with an MCIM prepared ahead of time for this PCID's PfC (issue 16, docs/decisions/023), else sealed on demand below.
        if (await ShoPreparations.TryReleaseAsync(sho, sub, request.Verdict, ct).ConfigureAwait(false) is { } released)
            return released;

        // Step 16: an IMSI, fresh K and OPc, sealed to PK_D; M2MSIMMobj signed with the registration nonce.
        var imsi = await sho.Store.AllocateImsiAsync(pcid, ct).ConfigureAwait(false);
        if (imsi is null)
            return Problem(StatusCodes.Status503ServiceUnavailable, "imsi-pool-exhausted", "the IMSI pool has no free IMSI (POST /imsi-pool)");
        var k = RandomNumberGenerator.GetBytes(16);
        var opc = RandomNumberGenerator.GetBytes(16);
        byte[] document;
        try
        {
            var signer = await sho.Signing.GetAsync(ct).ConfigureAwait(false);
            using var encryption = DerCertificates.Load(sub.PfcEncryption);
            // The device's authorisation token, when its user handed one: the TRE refuses an MCIM that does not carry it.
            var token = await sho.Store.FindAuthorisationTokenAsync(pcid, ct).ConfigureAwait(false);
            document = sho.Packager.Package(PkD(encryption)!, new McimContent(imsi, k, opc, AuthorisationToken: token), pcid, sub.TreId, sho.Options.ShoId, sub.RegistrationNonce,
                signer.Certificate, signer.Chain);
        }
        catch (Exception e) when (e is ProvisioningException or CryptographicException or ArgumentException)
        {
            await sho.Store.SetImsiStateAsync(imsi, "free", ct).ConfigureAwait(false);
            CryptographicOperations.ZeroMemory(k);
            CryptographicOperations.ZeroMemory(opc);
            await sho.FailAsync(sub, ShoSubscription.Validating, "sealing-failed", ct).ConfigureAwait(false);
            return Problem(StatusCodes.Status500InternalServerError, "sealing-failed", "the MCIM could not be sealed to this PfC");
        }
        // The sealed document and its verdict are kept with the keys in one write: a repeated verdict re-sends this MCIM (issue 16).
        var downloading = sub with
        {
            State = ShoSubscription.Downloading,
            Imsi = imsi,
            K = k,
            Opc = opc,
            Verdict = request.Verdict,
            M2MSimMobj = document,
            UpdatedAt = sho.Time.GetUtcNow(),
        };
        var stored = await sho.UpdateAuditedAsync(downloading, ShoSubscription.Validating, "sho.mcim.sealed", $"imsi {imsi}, validation {sub.ValidationId}", ct)
            .ConfigureAwait(false);
        CryptographicOperations.ZeroMemory(k);
        CryptographicOperations.ZeroMemory(opc);
        if (!stored)
        {
            // Another delivery of this verdict sealed first (its IMSI is this one: allocated once per PCID); this sealing never left.
            return await sho.Store.FindAsync(pcid, ct).ConfigureAwait(false) is { } now && await ShoResumption.RepeatVerdictAsync(now, request, sho, ct).ConfigureAwait(false) is { } repeated
                ? repeated
                : ApiProblem.Conflict("not-validating", $"pcid: {pcid} changed state meanwhile");
        }

        // Step 17: to the DPF, with the verdict that authorises the download.
        try
        {
            await new DpfClient(sho.Peers.For("dpf")).DeliverM2MSimMobjAsync(pcid, new M2MSimMobjDelivery(Convert.ToBase64String(document), request.Verdict), ct)
                .ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpRequestException or PeerUnavailableException or TaskCanceledException)
        {
            // A DPF that was away: the subscription stays downloading and the DPF's retry of the verdict re-sends this document (issue 16).
            if (ShoResumption.IsTransient(e))
                return Problem(StatusCodes.Status502BadGateway, "dpf-unavailable", $"the DPF did not take M2MSIMMobj: {Clip(e.Message)}");
            await sho.FailAsync(downloading, ShoSubscription.Downloading, "dpf-refused-download", ct).ConfigureAwait(false);
            await sho.Store.SetImsiStateAsync(imsi, "retired", ct).ConfigureAwait(false);
            return Problem(StatusCodes.Status502BadGateway, "dpf-unavailable", $"the DPF did not take M2MSIMMobj: {Clip(e.Message)}");
        }
        return Results.Ok(new ShoSubscriptionState(pcid, ShoSubscription.Downloading, imsi));
    }

    private static async Task<IResult> StatusAsync(string pcid, ShoStatusRequest request, ShoContext sho, CancellationToken ct)
    {
        if (!Imsi.IsValid(pcid))
            return ApiProblem.BadRequest("bad-pcid", "pcid: expected 6 to 15 decimal digits (IMSI format)");
        if (request.Result is not ("installed" or "failed"))
            return ApiProblem.BadRequest("bad-result", "result: expected installed or failed");
        if (request.Detail is { Length: > 256 })
            return ApiProblem.BadRequest("bad-detail", "detail: at most 256 characters");
        var sub = await sho.Store.FindAsync(pcid, ct).ConfigureAwait(false);
        if (sub is null)
            return ApiProblem.NotFound("unknown-registration", $"pcid: {pcid} is not registered at this SHO");
        if (sub is { State: ShoSubscription.Active, Imsi: { } activeImsi } && request.Result == "installed")
            return Results.Ok(new ShoSubscriptionState(pcid, ShoSubscription.Active, activeImsi)); // a repeated step-21 report (issue 16)
        if (sub.State != ShoSubscription.Downloading || sub.Imsi is null)
            return ApiProblem.Conflict("not-downloading", $"pcid: {pcid} is {sub.State}, not awaiting an install status");
        if (request.Result == "failed")
        {
            // The IMSI's K/OPc left the SHO sealed in an MCIM that was not installed: the IMSI is retired, the keys dropped.
            await sho.FailAsync(sub with { K = null, Opc = null }, ShoSubscription.Downloading, "install-failed: " + Clip(request.Detail ?? "no detail"), ct).ConfigureAwait(false);
            await sho.Store.SetImsiStateAsync(sub.Imsi, "retired", ct).ConfigureAwait(false);
            return Results.Ok(new ShoSubscriptionState(pcid, ShoSubscription.Failed, sub.Imsi));
        }
        try
        {
            await new HssClient(sho.Peers.For(sho.Options.HssPeer)).AddSubscriberAsync(sub.Imsi, sub.K!, sub.Opc!, new byte[] { 0x80, 0x00 }, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpRequestException or PeerUnavailableException or TaskCanceledException)
        {
            return Problem(StatusCodes.Status502BadGateway, "hss-unavailable", $"the HSS did not take the subscriber: {Clip(e.Message)}");
        }
        finally
        {
            CryptographicOperations.ZeroMemory(sub.K!);
            CryptographicOperations.ZeroMemory(sub.Opc!);
        }
        // The HSS holds K/OPc from here on; the SHO's copy is dropped.
        var active = sub with { State = ShoSubscription.Active, K = null, Opc = null, Reason = null, UpdatedAt = sho.Time.GetUtcNow() };
        // The subscription and its IMSI active in one commit (docs/decisions/053).
        var activated = await sho.State.InOneCommitAsync(async () =>
        {
            if (!await sho.Store.UpdateAsync(active, ShoSubscription.Downloading, new AuditRecord("sho", "sho.subscription.active", pcid, $"imsi {sub.Imsi} in the HSS"), ct)
                .ConfigureAwait(false))
                return false;
            await sho.Store.SetImsiStateAsync(sub.Imsi, "active", ct).ConfigureAwait(false);
            return true;
        }, ct).ConfigureAwait(false);
        if (!activated)
            return ApiProblem.Conflict("not-downloading", $"pcid: {pcid} changed state meanwhile");
        sho.Counted("sho.subscription.active", pcid); // issue 20: counted once committed
        return Results.Ok(new ShoSubscriptionState(pcid, ShoSubscription.Active, sub.Imsi));
    }

    private static async Task<IResult> ListAsync(ShoContext sho, CancellationToken ct)
    {
        var subs = await sho.Store.ListAsync(ct).ConfigureAwait(false);
        return Results.Ok(new ShoSubscriptionList(sho.Options.ShoId,
            [.. subs.Select(s => new ShoSubscriptionDto(s.Pcid, s.TreId, s.State, s.Imsi, s.Reason, s.CreatedAt, s.UpdatedAt)),
                .. await ShoPreparations.RowsAsync(sho, ct).ConfigureAwait(false)],
            await sho.Store.CountPoolAsync(ct).ConfigureAwait(false)));
    }

    private static async Task<IResult> SetTokenAsync(string pcid, AuthorisationTokenRequest request, HttpContext http, ShoContext sho, CancellationToken ct)
    {
        if (!Imsi.IsValid(pcid))
            return ApiProblem.BadRequest("bad-pcid", "pcid: expected a PCID, 6 to 15 decimal digits");
        if (request.Token is not { Length: >= 2 and <= 128 } || request.Token.Length % 2 != 0 || !request.Token.All(char.IsAsciiHexDigit))
            return ApiProblem.BadRequest("bad-token", "token: expected 1 to 64 octets in hex");
        var token = Convert.FromHexString(request.Token);
        await sho.Store.SetAuthorisationTokenAsync(pcid, token, sho.Time.GetUtcNow(), ct).ConfigureAwait(false);
        CryptographicOperations.ZeroMemory(token);
        await sho.AuditAsync("sho.auth-token.set", pcid, null, ct, AdministratorFilter.Actor(http)).ConfigureAwait(false);
        return Results.NoContent();
    }

    private static async Task<IResult> AddPoolAsync(ImsiPoolRangeRequest request, HttpContext http, ShoContext sho, CancellationToken ct)
    {
        if (!Imsi.IsValid(request.First))
            return ApiProblem.BadRequest("bad-first", "first: expected an IMSI, 6 to 15 decimal digits");
        if (request.Count is not (>= 1 and <= 100_000))
            return ApiProblem.BadRequest("bad-count", "count: expected 1 to 100000");
        var imsis = Range(request.First!, request.Count.Value);
        if (imsis is null)
            return ApiProblem.BadRequest("bad-count", "count: the range runs past the IMSI's length");
        var added = await sho.Store.AddPoolAsync(imsis, ct).ConfigureAwait(false);
        await sho.AuditAsync("sho.pool.add", request.First!, $"{request.Count} from {request.First}, {added} new", ct, AdministratorFilter.Actor(http)).ConfigureAwait(false);
        return Results.Created("/subscriptions", new ImsiPoolAdded(added, await sho.Store.CountPoolAsync(ct).ConfigureAwait(false)));
    }

    private static async Task<IResult> SigningRootAsync(ShoContext sho, CancellationToken ct)
    {
        var signer = await sho.Signing.GetAsync(ct).ConfigureAwait(false);
        return Results.Ok(new ShoSigningRoot(sho.Options.ShoId, signer.Root.ExportCertificatePem(), signer.Certificate.ExportCertificatePem()));
    }

    /// <summary><paramref name="count"/> consecutive IMSIs of the same length from <paramref name="first"/>, or null past its length.</summary>
    internal static IReadOnlyList<string>? Range(string first, int count)
    {
        var start = ulong.Parse(first, CultureInfo.InvariantCulture);
        var max = ulong.Parse(new string('9', first.Length), CultureInfo.InvariantCulture);
        if (start + (ulong)count - 1 > max)
            return null;
        return [.. Enumerable.Range(0, count).Select(i => (start + (ulong)i).ToString(CultureInfo.InvariantCulture).PadLeft(first.Length, '0'))];
    }

    /// <summary>PK_D: the encryption certificate's SubjectPublicKeyInfo, if it is EC P-256 or RSA-2048/3072.</summary>
    internal static byte[]? PkD(X509Certificate2 encryption) =>
        KeyAlgorithms.Of(encryption) is KeyAlgorithm.EcP256 or KeyAlgorithm.Rsa2048 or KeyAlgorithm.Rsa3072 ? encryption.PublicKey.ExportSubjectPublicKeyInfo() : null;

    internal static bool TryCertificate(string? base64, out X509Certificate2 certificate)
    {
        certificate = null!;
        if (string.IsNullOrEmpty(base64) || base64.Length > 16 * 1024)
            return false;
        try
        {
            certificate = DerCertificates.Load(Convert.FromBase64String(base64));
            return true;
        }
        catch (Exception e) when (e is FormatException or CryptographicException)
        {
            return false;
        }
    }

    /// <summary>The PVA's challenge: hex (the API's octet strings), or base64; 16 to 64 octets.</summary>
    private static bool TryChallenge(string? text, out byte[] challenge)
    {
        challenge = [];
        if (string.IsNullOrEmpty(text) || text.Length > 128)
            return false;
        try
        {
            challenge = text.Length % 2 == 0 && text.All(Uri.IsHexDigit) ? Convert.FromHexString(text) : Convert.FromBase64String(text);
        }
        catch (FormatException)
        {
            return false;
        }
        return challenge.Length is >= 16 and <= 64;
    }

    internal static bool IsName(string? value, int max) =>
        value is { Length: > 0 } && value.Length <= max && value.All(c => c is >= '!' and <= '~');

    internal static string Clip(string text)
    {
        var clean = new string([.. text.Select(c => c is >= ' ' and <= '~' ? c : '?')]);
        return clean.Length <= 200 ? clean : clean[..200];
    }

    private static IResult Problem(int status, string type, string detail) =>
        Results.Problem(detail: detail, statusCode: status, type: "urn:m2msec:error:" + type);
}

/// <summary>What the SHO's endpoints share (from DI).</summary>
internal sealed class ShoContext(IStateStore state, ShoOptions options, PeerClients peers, IPvaVerdictVerifier verifier, IMcimPackager packager,
    ShoSigningIdentity signing, TimeProvider time, ProvisioningMetrics? steps = null)
{
    public IShoStore Store => state.Sho;

    /// <summary>The SHO's whole state: <see cref="IStateStore.InOneCommitAsync{T}"/> spans its subscriptions, IMSI pool and audit log (decision 053).</summary>
    public IStateStore State => state;

    public ShoOptions Options => options;
    public PeerClients Peers => peers;
    public IPvaVerdictVerifier Verifier => verifier;
    public IMcimPackager Packager => packager;
    public ShoSigningIdentity Signing => signing;
    public TimeProvider Time => time;

    /// <summary>
    /// Audits a change already committed: not cancelled with the caller's request (a caller that timed out after the commit left a
    /// sealed MCIM without its <c>sho.mcim.sealed</c> entry in the 10,000-device kill-and-resume run, issue 16).
    /// </summary>
#pragma warning disable IDE0060 // ct kept for the call sites' shape: the entry is written whatever the caller does
    public async ValueTask AuditAsync(string action, string subject, string? detail, CancellationToken ct, string actor = "sho")
    {
        await state.Audit.AppendAsync(actor, action, subject, detail, CancellationToken.None).ConfigureAwait(false);
        steps?.Audited(action, subject); // issue 20: provisioning steps completed and failed
    }
#pragma warning restore IDE0060

    /// <summary>
    /// Moves <paramref name="next"/> from <paramref name="from"/> and appends its audit entry in one transaction (a SIGKILL between a
    /// separate commit and append lost a <c>sho.mcim.sealed</c> entry in the 10,000-device kill-and-resume run, issue 16).
    /// </summary>
    public async ValueTask<bool> UpdateAuditedAsync(ShoSubscription next, string from, string action, string? detail, CancellationToken ct, string actor = "sho")
    {
        if (!await Store.UpdateAsync(next, from, new AuditRecord(actor, action, next.Pcid, detail), ct).ConfigureAwait(false))
            return false;
        Counted(action, next.Pcid);
        return true;
    }

    /// <summary>Counts a committed step whose audit entry the store wrote in its transaction (issue 20).</summary>
    public void Counted(string action, string pcid) => steps?.Audited(action, pcid);

    public async Task FailAsync(ShoSubscription sub, string from, string reason, CancellationToken ct) =>
        await UpdateAuditedAsync(sub with { State = ShoSubscription.Failed, Reason = reason, UpdatedAt = time.GetUtcNow() }, from, "sho.subscription.failed", reason, ct)
            .ConfigureAwait(false);
}
