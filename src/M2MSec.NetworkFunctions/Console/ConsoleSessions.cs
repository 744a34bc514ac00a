using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;

namespace M2MSec.NetworkFunctions.Console;

/// <summary>
/// Who may use the console (issue 20, docs/decisions/032): the one-time login token printed at start — kept only as its SHA-256,
/// compared in fixed time, consumed by the first login — and the sessions logins open, kept as the SHA-256 of the cookie value
/// (the cookie itself is never stored or logged), ending after <see cref="IdleTimeout"/> without a request.
/// </summary>
public sealed class ConsoleSessions(TimeProvider time)
{
    /// <summary>A session ends after this long without a request.</summary>
    public static readonly TimeSpan IdleTimeout = TimeSpan.FromMinutes(30);

    private readonly ConcurrentDictionary<string, ConsoleSession> _sessions = new(StringComparer.Ordinal);
    private readonly Lock _tokenLock = new();
    private byte[]? _tokenHash;

    /// <summary>Makes a fresh one-time login token (replacing any unused one) and returns it: the caller prints it, once.</summary>
    public string NewLoginToken()
    {
        var token = Base64Url(RandomNumberGenerator.GetBytes(32));
        lock (_tokenLock)
            _tokenHash = SHA256.HashData(Encoding.UTF8.GetBytes(token));
        return token;
    }

    /// <summary>Accepts <paramref name="token"/> (the operator's own, e.g. `--login-token env:NAME`) as the one-time token; only its hash is kept.</summary>
    public void SetLoginToken(string token)
    {
        ArgumentException.ThrowIfNullOrEmpty(token);
        lock (_tokenLock)
            _tokenHash = SHA256.HashData(Encoding.UTF8.GetBytes(token));
    }

    /// <summary>True once for the right token: it is consumed (a replay, or any later try, fails); a wrong token leaves it unused.</summary>
    public bool TryConsumeLoginToken(string? presented)
    {
        if (presented is null || presented.Length is 0 or > 256)
            return false;
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(presented));
        lock (_tokenLock)
        {
            if (_tokenHash is null || !CryptographicOperations.FixedTimeEquals(hash, _tokenHash))
                return false;
            CryptographicOperations.ZeroMemory(_tokenHash);
            _tokenHash = null;
            return true;
        }
    }

    /// <summary>Opens a session for <paramref name="actor"/> (e.g. "token", "cert:m2msec-admin"); returns the cookie value.</summary>
    public string Open(string actor)
    {
        var value = Base64Url(RandomNumberGenerator.GetBytes(32));
        _sessions[Key(value)] = new ConsoleSession(actor, time.GetUtcNow());
        return value;
    }

    /// <summary>The live session the cookie value names (its idle time restarted), else null.</summary>
    public ConsoleSession? Find(string? cookie)
    {
        if (cookie is null || cookie.Length is 0 or > 128)
            return null;
        var key = Key(cookie);
        if (!_sessions.TryGetValue(key, out var session))
            return null;
        var now = time.GetUtcNow();
        if (now - session.LastSeen > IdleTimeout)
        {
            _sessions.TryRemove(key, out _);
            return null;
        }
        var touched = session with { LastSeen = now };
        _sessions[key] = touched;
        return touched;
    }

    public void Close(string? cookie)
    {
        if (cookie is { Length: > 0 and <= 128 })
            _sessions.TryRemove(Key(cookie), out _);
    }

    // Looked up by hash: the dictionary's own comparisons never run over the secret itself.
    private static string Key(string cookie) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(cookie)));

    private static string Base64Url(byte[] bytes) => System.Buffers.Text.Base64Url.EncodeToString(bytes);
}

/// <summary>A logged-in administrator: how they logged in (the audit actor) and when they were last seen.</summary>
public sealed record ConsoleSession(string Actor, DateTimeOffset LastSeen);
