using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using M2MSec.Aka.Gba;
using M2MSec.NetworkFunctions.Hosting;

namespace M2MSec.NetworkFunctions.Naf;

/// <summary>
/// The NAF's Zn client (issue 18): asks the BSF (peer <c>bsf</c>, over the NAF's mutual TLS) for the key of a B-TID under this
/// NAF's NAF_Id, and keeps it until its key lifetime — never past it (TS 33.220 §4.5.3: the NAF uses the key only while valid).
/// </summary>
public sealed class ZnClient(PeerClients peers, NafOptions options, TimeProvider time)
{
    public const string BsfRole = "bsf";
    public const string Path = "zn/naf-keys";

    private readonly ConcurrentDictionary<string, NafKey> _cache = new(StringComparer.Ordinal);
    private readonly string _nafIdHex = Convert.ToHexStringLower(UaPskTls.NafId(options.Fqdn));

    /// <summary>NAF_Id of this NAF's Ua (FQDN ‖ 01 00 01 00 A8).</summary>
    public string NafIdHex => _nafIdHex;

    /// <summary>Zn requests made (not answered from the cache).</summary>
    public long Requests => Interlocked.Read(ref _requests);

    private long _requests;

    /// <summary>The key for <paramref name="bTid"/>: from the cache while within its lifetime, else from the BSF.</summary>
    public async Task<ZnResult> GetAsync(string bTid, CancellationToken ct = default)
    {
        if (_cache.TryGetValue(bTid, out var cached))
        {
            if (time.GetUtcNow() < cached.Expires)
                return ZnResult.Of(cached);
            _cache.TryRemove(new KeyValuePair<string, NafKey>(bTid, cached));
        }
        var result = await RequestAsync(bTid, ct).ConfigureAwait(false);
        if (result.Key is { } key)
        {
            if (time.GetUtcNow() >= key.Expires)
                return ZnResult.Refused(ZnRefusal.Expired, "the key's lifetime has passed");
            Prune();
            _cache[bTid] = key;
        }
        return result;
    }

    /// <summary>Asks the BSF, bypassing the cache (also `m2msec gba naf-key`).</summary>
    public async Task<ZnResult> RequestAsync(string bTid, CancellationToken ct = default)
    {
        Interlocked.Increment(ref _requests);
        HttpClient http;
        try
        {
            http = peers.For(BsfRole);
        }
        catch (PeerUnavailableException e)
        {
            return ZnResult.Refused(ZnRefusal.Unavailable, e.Message);
        }
        return await RequestAsync(http, bTid, _nafIdHex, ct).ConfigureAwait(false);
    }

    /// <summary>One Zn request over <paramref name="http"/> (its base address the BSF's listener).</summary>
    public static async Task<ZnResult> RequestAsync(HttpClient http, string bTid, string nafIdHex, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(http);
        ZnKeyAnswer answer;
        try
        {
            answer = await JsonApiClient.PostAsync<ZnKeyRequest, ZnKeyAnswer>(http, Path, new ZnKeyRequest(bTid, nafIdHex), ct).ConfigureAwait(false);
        }
        catch (PeerRequestException e)
        {
            return ZnResult.Refused(e.StatusCode switch
            {
                HttpStatusCode.NotFound => ZnRefusal.UnknownBTid,
                HttpStatusCode.Gone => ZnRefusal.Expired,
                HttpStatusCode.Forbidden => ZnRefusal.NotAuthorised,
                _ => ZnRefusal.Unavailable,
            }, $"{(int?)e.StatusCode} {e.ProblemType}");
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException or NotSupportedException)
        {
            return ZnResult.Refused(ZnRefusal.Unavailable, e.GetType().Name);
        }
        if (!string.Equals(answer.BTid, bTid, StringComparison.Ordinal) || answer.GbaType is not ("gba_me" or "gba_u")
            || !HexField.TryParse(answer.KsNaf, 32, "ks_naf", out var key, out _))
            return ZnResult.Refused(ZnRefusal.Unavailable, "the BSF's answer does not fit the Zn contract");
        return ZnResult.Of(new NafKey(answer.BTid, answer.Impi, answer.GbaType, key, answer.BootstrappingTime, answer.KeyLifetime));
    }

    /// <summary>How many keys are cached now.</summary>
    public int CachedKeys => _cache.Count;

    private void Prune()
    {
        if (_cache.Count < options.MaxCachedKeys)
            return;
        var now = time.GetUtcNow();
        foreach (var (id, k) in _cache)
        {
            if (now >= k.Expires)
                _cache.TryRemove(id, out _);
        }
        foreach (var (id, _) in _cache.OrderBy(p => p.Value.BootstrappingTime).Take(Math.Max(0, _cache.Count - options.MaxCachedKeys + 1)))
            _cache.TryRemove(id, out _);
    }

    public static string Rfc3339(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
