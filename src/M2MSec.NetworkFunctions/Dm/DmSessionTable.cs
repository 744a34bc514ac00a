using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;

namespace M2MSec.NetworkFunctions.Dm;

/// <summary>
/// The live sessions of this instance, found by the token of the RespURI each got (OMA-TS-DM_Protocol-V1_2 §8.3:
/// the client sends the session's later messages to RespURI). The RespURI is the base URI plus
/// <c>?session=INSTANCE.TOKEN</c>: 256 random bits, base64url; the table is keyed by the token's SHA-256 and the
/// token itself compared in fixed time. Bounded by <see cref="DmSessionOptions.MaxSessions"/>.
/// </summary>
internal sealed class DmSessionTable(TimeProvider time, DmSessionOptions options)
{
    public const string QueryName = "session";

    /// <summary>The longest session query value we look at.</summary>
    private const int MaxTokenText = 128;

    private readonly ConcurrentDictionary<string, DmSessionState> _sessions = new(StringComparer.Ordinal);

    public int Count => _sessions.Count;

    public IEnumerable<DmSessionState> All => _sessions.Values;

    /// <summary>A fresh token (its text, which goes into the RespURI) for a new session.</summary>
    public static string NewToken() => Base64Url(RandomNumberGenerator.GetBytes(32));

    public string RespUri(string baseUri, string token) => $"{baseUri}?{QueryName}={options.InstanceId}.{token}";

    /// <summary>The URI without its query, and the session token it names (null when none).</summary>
    public static (string Base, string? Instance, string? Token) Split(string uri)
    {
        var q = uri.IndexOf('?', StringComparison.Ordinal);
        if (q < 0)
            return (uri, null, null);
        foreach (var pair in uri[(q + 1)..].Split('&'))
        {
            if (!pair.StartsWith(QueryName + "=", StringComparison.Ordinal))
                continue;
            var value = pair[(QueryName.Length + 1)..];
            var dot = value.IndexOf('.', StringComparison.Ordinal);
            return value.Length > MaxTokenText || dot <= 0 ? (uri[..q], null, "") : (uri[..q], value[..dot], value[(dot + 1)..]);
        }
        return (uri[..q], null, null);
    }

    public bool TryAdd(DmSessionState state)
    {
        if (_sessions.Count >= options.MaxSessions)
            return false;
        return _sessions.TryAdd(Key(state.Token), state);
    }

    /// <summary>The session holding <paramref name="token"/> on this instance, if it is live.</summary>
    public DmSessionState? Find(string? instance, string token)
    {
        if (instance != options.InstanceId)
            return null;
        var presented = Encoding.ASCII.GetBytes(token);
        if (!_sessions.TryGetValue(Key(presented), out var state) || !CryptographicOperations.FixedTimeEquals(state.Token, presented))
            return null;
        return time.GetUtcNow() - state.LastActivity < options.IdleTimeout ? state : null;
    }

    public bool Remove(DmSessionState state) => _sessions.TryRemove(new KeyValuePair<string, DmSessionState>(Key(state.Token), state));

    /// <summary>Removes and returns the sessions idle for longer than the idle timeout.</summary>
    public List<DmSessionState> TakeIdle()
    {
        var cutoff = time.GetUtcNow() - options.IdleTimeout;
        var idle = new List<DmSessionState>();
        foreach (var s in _sessions.Values)
        {
            if (s.LastActivity <= cutoff && Remove(s))
                idle.Add(s);
        }
        return idle;
    }

    public bool HoldsJob(string jobId) => _sessions.Values.Any(s => s.Jobs.Contains(jobId));

    private static string Key(byte[] token) => Convert.ToHexString(SHA256.HashData(token));

    private static string Base64Url(byte[] bytes) => System.Buffers.Text.Base64Url.EncodeToString(bytes);
}
