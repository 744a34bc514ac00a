using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;

namespace M2MSec.NetworkFunctions.Vno;

/// <summary>One pending AKA challenge: secrets (XRES, K_ASME) never logged.</summary>
internal sealed record PendingAttach(string Identity, string Route, byte[] Rand, byte[] Xres, byte[] Autn, byte[] Kasme, DateTimeOffset ExpiresAt)
{
    public override string ToString() => $"PendingAttach {{ {Identity} via {Route} }}";
}

/// <summary>
/// The VNO's pending attaches (in memory, bounded, expiring) and its address pool: 10.45.0.0/16 handed out in order — the
/// emulation of step 6's IP connectivity (docs/decisions/016).
/// </summary>
internal sealed class VnoAttachSessions(VnoOptions options, TimeProvider time)
{
    private readonly ConcurrentDictionary<string, PendingAttach> _pending = new(StringComparer.Ordinal);
    private int _nextAddress;

    public DateTimeOffset Now => time.GetUtcNow();

    /// <summary>Keeps a challenge; null when too many are pending (expired ones are dropped first).</summary>
    public string? Add(PendingAttach attach)
    {
        if (_pending.Count >= options.MaxPendingAttaches)
        {
            foreach (var (id, p) in _pending)
            {
                if (p.ExpiresAt < Now)
                    _pending.TryRemove(id, out _);
            }
            if (_pending.Count >= options.MaxPendingAttaches)
                return null;
        }
        var attachId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        _pending[attachId] = attach;
        return attachId;
    }

    /// <summary>Takes the challenge (single use); null when unknown or expired.</summary>
    public PendingAttach? Take(string attachId) =>
        _pending.TryRemove(attachId, out var p) && p.ExpiresAt >= Now ? p : null;

    public string NextAddress()
    {
        var n = Interlocked.Increment(ref _nextAddress) % 65_024 + 256;
        return new IPAddress([10, 45, (byte)(n >> 8), (byte)n]).ToString();
    }
}
