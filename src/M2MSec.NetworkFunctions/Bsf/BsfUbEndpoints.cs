using System.Security.Cryptography;
using M2MSec.Aka;
using M2MSec.Aka.Gba;
using M2MSec.NetworkFunctions.Hosting;
using M2MSec.NetworkFunctions.Hss;
using M2MSec.Storage;
using M2MSec.Storage.Audit;
using M2MSec.Storage.Bsf;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace M2MSec.NetworkFunctions.Bsf;

/// <summary>
/// Ub (TS 33.220 §4.5.2, TS 24.109 §4.5.2; issue 18): GET / with Authorization Digest username=IMPI → 401 with the Digest AKA
/// challenge (nonce = base64(RAND ‖ AUTN ‖ server data), AUTN* for gba_u); the answer with response from RES → 200 with the B-TID and
/// the key lifetime (application/vnd.3gpp.bsf+xml) and Authentication-Info rspauth over that body. An answer with auts → the HSS
/// resynchronises and a new 401. Each challenge is answered at most once (docs/decisions/029): a replayed response is refused.
/// </summary>
internal static class BsfUbEndpoints
{
    /// <summary>The request-URI of Ub (TS 24.109 §4.5.2: "GET / HTTP/1.1").</summary>
    public const string Uri = "/";

    public static void Map(IEndpointRouteBuilder devices) =>
        devices.MapGet(Uri, BootstrapAsync).WithName("ubBootstrap")
            .WithSummary("Ub: HTTP Digest AKA bootstrapping (TS 24.109 §4.5.2): 401 challenge, then 200 with B-TID and lifetime, Authentication-Info rspauth")
            .Produces(StatusCodes.Status200OK, contentType: BootstrappingInfo.MediaType)
            .ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status401Unauthorized, StatusCodes.Status403Forbidden, StatusCodes.Status404NotFound, StatusCodes.Status502BadGateway);

    private static async Task<IResult> BootstrapAsync(HttpContext http, IStateStore store, BsfOptions options, PeerClients peers, TimeProvider time, CancellationToken ct)
    {
        if (!DigestHeaders.TryParseCredentials(http.Request.Headers.Authorization.ToString(), out var credentials, out var error))
            return ApiProblem.BadRequest("bad-authorization", "Authorization: " + error + " (TS 24.109 §4.5.2: Digest username=IMPI)");
        if (!Impi.TryGetImsi(credentials.Username, out _))
            return ApiProblem.BadRequest("bad-impi", "Authorization username: expected the IMPI, IMSI@ims.mncMNC.mccMCC.3gppnetwork.org");
        // The first request's realm is the device's guess (TS 24.109 §4.5.2 step 1); the answer must carry the challenge's.
        if (credentials.Nonce.Length == 0)
            return await ChallengeAsync(http, credentials.Username, null, store, options, peers, time, ct).ConfigureAwait(false);
        if (!string.Equals(credentials.Realm, options.Domain, StringComparison.OrdinalIgnoreCase))
            return ApiProblem.BadRequest("bad-realm", $"Authorization realm: expected {options.Domain}");

        if (!AkaNonce.TryDecode(credentials.Nonce, out _, out _, out var serverData, out error) || serverData.Length != AkaNonce.ServerDataSize)
            return ApiProblem.BadRequest("bad-nonce", "Authorization nonce: " + (error.Length > 0 ? error : "not a nonce of this BSF"));
        if (credentials.Algorithm != DigestAka.Algorithm || credentials.Qop != DigestAka.QopAuthInt || credentials.Uri != Uri)
            return ApiProblem.BadRequest("bad-authorization", $"Authorization: expected algorithm={DigestAka.Algorithm}, qop=auth-int, uri=\"{Uri}\"");
        // Single use: the challenge is gone once taken, whatever follows (a replayed or a wrong response never gets a second try).
        var challenge = await store.Bsf.TakeChallengeAsync(Convert.ToHexStringLower(serverData), ct).ConfigureAwait(false);
        if (challenge is null || !string.Equals(challenge.Impi, credentials.Username, StringComparison.Ordinal))
            return ApiProblem.Forbidden("nonce-not-valid", "Authorization nonce: unknown, already answered or expired — start again without a nonce");
        try
        {
            if (credentials.Auts is not null)
                return await ResynchroniseAsync(http, credentials, challenge, store, options, peers, time, ct).ConfigureAwait(false);
            var expected = DigestAka.Response(credentials, challenge.Xres, http.Request.Method, []);
            if (!DigestAka.DigestEquals(expected, credentials.Response))
            {
                await store.Audit.AppendAsync("bsf", "bsf.ub.refused", credentials.Username, "Digest AKA response does not verify", ct).ConfigureAwait(false);
                return ApiProblem.Forbidden("response-mismatch", "Authorization response: does not verify (RES ≠ XRES)");
            }
            return await BootstrappedAsync(http, credentials, challenge, store, options, time, ct).ConfigureAwait(false);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(challenge.Xres);
            CryptographicOperations.ZeroMemory(challenge.Ks);
        }
    }

    /// <summary>Step 2–3: a vector and the GUSS from the HSS (Zh), the challenge kept once, 401 with the nonce.</summary>
    private static async Task<IResult> ChallengeAsync(HttpContext http, string impi, ResyncInfo? resync, IStateStore store, BsfOptions options, PeerClients peers,
        TimeProvider time, CancellationToken ct)
    {
        GbaVectorResponse vector;
        Impi.TryGetImsi(impi, out var imsi);
        try
        {
            vector = await new HssClient(peers.For(options.HssFor(imsi))).GetGbaVectorAsync(impi, resync, ct).ConfigureAwait(false);
        }
        catch (HssRequestException e) when (e.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return ApiProblem.NotFound("unknown-impi", "Authorization username: no subscriber of that IMPI");
        }
        catch (HssRequestException e) when (e.StatusCode == System.Net.HttpStatusCode.Forbidden && resync is not null)
        {
            return ApiProblem.Forbidden("auts-mac-failure", "Authorization auts: MAC-S does not verify; nothing changed");
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or PeerUnavailableException)
        {
            return Results.Problem(detail: "the HSS did not answer (Zh)", statusCode: StatusCodes.Status502BadGateway, type: "urn:m2msec:error:hss-unavailable");
        }
        var rand = Convert.FromHexString(vector.Rand);
        var autn = Convert.FromHexString(vector.Autn);
        var ck = Convert.FromHexString(vector.Ck);
        var ik = Convert.FromHexString(vector.Ik);
        var xres = Convert.FromHexString(vector.Xres);
        // GBA_U (TS 33.220 §5.3.2): AUTN* with MAC* = MAC ⊕ Trunc(SHA-1(IK)); the UICC undoes it and keeps Ks.
        if (vector.GbaType == GbaTypes.GbaU)
            autn = GbaUAutn.Transform(autn, ik);
        var serverData = RandomNumberGenerator.GetBytes(AkaNonce.ServerDataSize);
        byte[] ks = [.. ck, .. ik];
        try
        {
            await store.Bsf.PutChallengeAsync(new BsfChallenge(Convert.ToHexStringLower(serverData), impi, rand, xres, ks, vector.GbaType,
                time.GetUtcNow() + options.ChallengeLifetime), ct).ConfigureAwait(false);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(ck);
            CryptographicOperations.ZeroMemory(ik);
            CryptographicOperations.ZeroMemory(ks);
            CryptographicOperations.ZeroMemory(xres);
        }
        var challenge = new DigestChallenge(options.Domain, AkaNonce.Encode(rand, autn, serverData));
        http.Response.Headers.WWWAuthenticate = DigestHeaders.Format(challenge);
        return Results.Problem(detail: "Digest AKA: answer the challenge with RES (RFC 3310)", statusCode: StatusCodes.Status401Unauthorized,
            type: "urn:m2msec:error:digest-aka-challenge");
    }

    /// <summary>RFC 3310 §3.4: the response is computed with an empty password; the HSS checks AUTS (MAC-S) and resynchronises.</summary>
    private static async Task<IResult> ResynchroniseAsync(HttpContext http, DigestCredentials credentials, BsfChallenge challenge, IStateStore store, BsfOptions options,
        PeerClients peers, TimeProvider time, CancellationToken ct)
    {
        var auts = new byte[AkaVectors.AutsSize + 2];
        if (!Convert.TryFromBase64String(credentials.Auts!, auts, out var n) || n != AkaVectors.AutsSize)
            return ApiProblem.BadRequest("bad-auts", $"Authorization auts: expected base64 of {AkaVectors.AutsSize} octets");
        if (!DigestAka.DigestEquals(DigestAka.Response(credentials, [], http.Request.Method, []), credentials.Response))
            return ApiProblem.Forbidden("response-mismatch", "Authorization response: does not verify (empty password with auts, RFC 3310 §3.4)");
        var resync = new ResyncInfo(Convert.ToHexStringLower(challenge.Rand), Convert.ToHexStringLower(auts.AsSpan(0, n)));
        return await ChallengeAsync(http, challenge.Impi, resync, store, options, peers, time, ct).ConfigureAwait(false);
    }

    /// <summary>Step 6–7: B-TID = base64(RAND)@domain, the context stored, 200 with the XML body and rspauth over it.</summary>
    private static async Task<IResult> BootstrappedAsync(HttpContext http, DigestCredentials credentials, BsfChallenge challenge, IStateStore store, BsfOptions options,
        TimeProvider time, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var at = DateTimeOffset.FromUnixTimeSeconds(now.ToUnixTimeSeconds());
        var bTid = BTid.Create(challenge.Rand, options.Domain);
        var context = new BsfBootstrappingContext(bTid, challenge.Impi, challenge.Rand, challenge.Ks, challenge.GbaType, at, at + options.KeyLifetime);
        // The context and its entry in one transaction (decision 036).
        await store.Bsf.PutContextAsync(context, new AuditRecord("bsf", "bsf.bootstrapped", challenge.Impi, $"{bTid} {challenge.GbaType} until {context.ExpiresAt:O}"), ct)
            .ConfigureAwait(false);
        var body = new BootstrappingInfo(bTid, context.ExpiresAt).Encode();
        var rspauth = DigestAka.RspAuth(credentials, challenge.Xres, body);
        http.Response.Headers["Authentication-Info"] = DigestHeaders.Format(new DigestAuthenticationInfo(rspauth, credentials.Qop, credentials.Nc, credentials.Cnonce));
        return Results.Bytes(body, BootstrappingInfo.MediaType);
    }
}
