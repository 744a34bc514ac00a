using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using M2MSec.Dm.Auth;
using M2MSec.Storage.Audit;
using M2MSec.Storage.Dm;

namespace M2MSec.NetworkFunctions.Dm;

/// <summary>
/// The one pending challenge nonce of each account (OMA-TS-DM_Security-V1_2 §5.1.3: the NextNonce the device
/// must use next), kept in the store so every instance answers with, and checks against, the same one. An
/// unauthenticated or failed message never changes it: it is replaced after a successful authentication (or
/// once it has expired). A DevId without an account gets a nonce of the same shape derived from the DevId under
/// this instance's secret and the time bucket — nothing stored, and stable within a bucket like a real one.
/// </summary>
internal sealed class DmChallenge(IDmStore store, TimeProvider time, DmSessionOptions options)
{
    private readonly byte[] _secret = RandomNumberGenerator.GetBytes(32);

    /// <summary>The account's pending nonce, creating it when there is none or it expired (once per lifetime, compare-and-swap).</summary>
    public async Task<(DmAccount Account, DmNonce Nonce)> PendingAsync(DmAccount account, CancellationToken ct)
    {
        for (var attempt = 0; attempt < 3; attempt++)
        {
            if (account.ClientNonce is { } wire && account.ClientNonceExpiresAt > time.GetUtcNow() && DmNonce.TryFromWire(wire, out var current))
                return (account, current);
            var fresh = options.NonceSource();
            var expires = time.GetUtcNow() + options.ChallengeLifetime;
            if (await store.ReplaceClientNonceAsync(account.DevId, account.ClientNonce, fresh.ToWire(), expires, ct).ConfigureAwait(false))
                return (account with { ClientNonce = fresh.ToWire(), ClientNonceExpiresAt = expires }, fresh);
            // Another instance replaced it meanwhile: take theirs.
            account = await store.FindAccountAsync(account.DevId, ct).ConfigureAwait(false) ?? account;
        }
        throw new InvalidOperationException("the pending DM nonce keeps changing");
    }

    /// <summary>
    /// After a successful authentication over <paramref name="used"/>: the next nonce; null if another message already used it (a replay).
    /// <paramref name="entry"/> (a session's start; none when null) commits with the replacement, and only with it (decision 036), and so does
    /// <paramref name="serverNonce"/>, the nonce the authenticated message gave the server (issue 19: one commit for both).
    /// </summary>
    public async Task<DmNonce?> ReplaceAsync(DmAccount account, DmNonce used, AuditRecord? entry, CancellationToken ct, string? serverNonce = null)
    {
        var next = options.NonceSource();
        return await store.ReplaceClientNonceAsync(account.DevId, used.ToWire(), next.ToWire(), time.GetUtcNow() + options.ChallengeLifetime, serverNonce, entry, ct)
            .ConfigureAwait(false)
            ? next
            : null;
    }

    /// <summary>The nonce an unknown DevId is challenged with: HMAC(instance secret, DevId ‖ time bucket), as long as ours.</summary>
    public DmNonce ForUnknown(string devId)
    {
        var bucket = time.GetUtcNow().ToUnixTimeMilliseconds() / (long)options.ChallengeLifetime.TotalMilliseconds;
        var input = new byte[8 + Encoding.UTF8.GetByteCount(devId)];
        BinaryPrimitives.WriteInt64BigEndian(input, bucket);
        Encoding.UTF8.GetBytes(devId, input.AsSpan(8));
        return DmNonce.FromBytes(HMACSHA256.HashData(_secret, input).AsSpan(0, DmNonce.GeneratedLength));
    }
}
