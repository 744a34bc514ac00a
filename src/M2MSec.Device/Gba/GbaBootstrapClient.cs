using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using M2MSec.Aka.Gba;

namespace M2MSec.Device.Gba;

/// <summary>Why the device refused a bootstrapping (issue 18).</summary>
public enum GbaBootstrapFailure
{
    /// <summary>The BSF's AUTN (AUTN*) failed MAC: not our network.</summary>
    NetworkAuthenticationFailed,

    /// <summary>The 200's Authentication-Info is missing or its rspauth does not verify (RFC 2617 §3.2.3): the BSF is refused.</summary>
    ForgedRspAuth,

    /// <summary>The BSF answered something else than TS 24.109 allows (a malformed challenge or body, a refusal).</summary>
    ProtocolError,
}

/// <summary>The bootstrapping did not complete; nothing of it is used.</summary>
public sealed class GbaBootstrapException(GbaBootstrapFailure failure, string message) : Exception(message)
{
    public GbaBootstrapFailure Failure { get; } = failure;
}

/// <summary>
/// The device's Ub client (TS 24.109 §4.5.2, TS 33.220 §4.5.2; issue 18): GET / with username=IMPI, the 401's Digest AKA challenge
/// run through the TRE or the UICC (<see cref="IGbaAuthenticator"/>), the response from RES (RFC 3310; after a synchronisation
/// failure an empty password and auts, then the new challenge), and the 200 accepted only when its rspauth — over the body with the
/// B-TID and lifetime — verifies with RES: a forged BSF is refused.
/// </summary>
public static class GbaBootstrapClient
{
    /// <summary>How many challenges one bootstrapping answers (one resynchronisation).</summary>
    public const int MaxRounds = 2;

    public static async Task<IGbaKeyHolder> BootstrapAsync(HttpClient bsf, IGbaAuthenticator device, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(bsf);
        ArgumentNullException.ThrowIfNull(device);
        // Step 1: the first request's realm is the BSF's host as the device knows it; the challenge gives the real one.
        var first = new DigestCredentials(device.Impi, bsf.BaseAddress?.Host ?? "bsf", "", "/", "", "", "", "", DigestAka.Algorithm);
        using var response = await SendAsync(bsf, FormatInitial(first), cancellationToken).ConfigureAwait(false);
        var challengeResponse = response;
        for (var round = 0; round < MaxRounds; round++)
        {
            var challenge = ReadChallenge(challengeResponse);
            if (!AkaNonce.TryDecode(challenge.Nonce, out var rand, out var autn, out _, out var error))
                throw new GbaBootstrapException(GbaBootstrapFailure.ProtocolError, "the BSF's challenge: " + error);
            var answer = device.Authenticate(rand, autn);
            if (!answer.MacOk)
                throw new GbaBootstrapException(GbaBootstrapFailure.NetworkAuthenticationFailed, "the BSF's AUTN does not verify: the network is refused");
            var cnonce = Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));
            var credentials = new DigestCredentials(device.Impi, challenge.Realm, challenge.Nonce, "/", DigestAka.QopAuthInt, "00000001", cnonce, "",
                DigestAka.Algorithm, answer.Auts is null ? null : Convert.ToBase64String(answer.Auts));
            var password = answer.Res ?? [];
            credentials = credentials with { Response = DigestAka.Response(credentials, password, "GET", []) };
            var next = await SendAsync(bsf, DigestHeaders.Format(credentials), cancellationToken).ConfigureAwait(false);
            if (answer.Auts is not null)
            {
                // RFC 3310 §3.4: the BSF resynchronised through the HSS and challenges again.
                challengeResponse.Dispose();
                challengeResponse = next;
                continue;
            }
            using (next)
            {
                try
                {
                    return await AcceptAsync(next, credentials, password, device, cancellationToken).ConfigureAwait(false);
                }
                finally
                {
                    CryptographicOperations.ZeroMemory(password);
                }
            }
        }
        throw new GbaBootstrapException(GbaBootstrapFailure.ProtocolError, "the BSF kept challenging after a resynchronisation");
    }

    private static async Task<IGbaKeyHolder> AcceptAsync(HttpResponseMessage response, DigestCredentials credentials, byte[] res, IGbaAuthenticator device,
        CancellationToken ct)
    {
        if (response.StatusCode != HttpStatusCode.OK)
            throw new GbaBootstrapException(GbaBootstrapFailure.ProtocolError, $"the BSF refused the response: {(int)response.StatusCode}");
        var body = await response.Content.ReadAsByteArrayAsync(ct).ConfigureAwait(false);
        var info = response.Headers.TryGetValues("Authentication-Info", out var values) ? string.Join(", ", values) : null;
        if (!DigestHeaders.TryParseAuthenticationInfo(info, out var authInfo, out _)
            || !DigestAka.DigestEquals(DigestAka.RspAuth(credentials, res, body), authInfo.RspAuth))
            throw new GbaBootstrapException(GbaBootstrapFailure.ForgedRspAuth, "the BSF's rspauth does not verify: the BSF is refused");
        if (!BootstrappingInfo.TryParse(body, out var bootstrapping, out var error))
            throw new GbaBootstrapException(GbaBootstrapFailure.ProtocolError, error);
        return device.Bootstrapped(bootstrapping.BTid, bootstrapping.Lifetime);
    }

    private static DigestChallenge ReadChallenge(HttpResponseMessage response)
    {
        if (response.StatusCode != HttpStatusCode.Unauthorized)
            throw new GbaBootstrapException(GbaBootstrapFailure.ProtocolError, $"the BSF answered {(int)response.StatusCode}, not a Digest AKA challenge");
        var header = response.Headers.WwwAuthenticate.FirstOrDefault(h => h.Scheme.Equals("Digest", StringComparison.OrdinalIgnoreCase));
        if (header is null || !DigestHeaders.TryParseChallenge("Digest " + header.Parameter, out var challenge, out var error))
            throw new GbaBootstrapException(GbaBootstrapFailure.ProtocolError, "the BSF's WWW-Authenticate is not a Digest challenge");
        if (challenge.Algorithm != DigestAka.Algorithm || !challenge.Qop.Split(',').Select(q => q.Trim()).Contains(DigestAka.QopAuthInt))
            throw new GbaBootstrapException(GbaBootstrapFailure.ProtocolError, "the BSF's challenge is not AKAv1-MD5 with qop auth-int");
        return challenge;
    }

    /// <summary>TS 24.109 §4.5.2 step 1: username, realm, empty nonce, uri and response.</summary>
    private static string FormatInitial(DigestCredentials c) =>
        $"Digest username=\"{c.Username}\", realm=\"{c.Realm}\", nonce=\"\", uri=\"/\", response=\"\"";

    private static async Task<HttpResponseMessage> SendAsync(HttpClient bsf, string authorization, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/");
        request.Headers.TryAddWithoutValidation("Authorization", authorization);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(BootstrappingInfo.MediaType));
        return await bsf.SendAsync(request, ct).ConfigureAwait(false);
    }
}
