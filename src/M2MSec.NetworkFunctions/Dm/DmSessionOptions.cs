using System.Security.Cryptography;
using M2MSec.Dm.Auth;

namespace M2MSec.NetworkFunctions.Dm;

/// <summary>How the DM server binds, times out and bounds sessions (docs/decisions/013).</summary>
public sealed record DmSessionOptions
{
    /// <summary>A session with no message for this long ends; its running jobs fail with "session-expired".</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>At most this many live (authenticated) sessions per instance; beyond it, new sessions get 503.</summary>
    public int MaxSessions { get; init; } = 4096;

    /// <summary>Lets basic and md5 accounts hold sessions over plain HTTP (labs, old clients): their session token travels in clear.</summary>
    public bool AllowPlainHttpSessions { get; init; }

    /// <summary>Names this instance in the RespURI (a load balancer routes a session's later messages by it).</summary>
    public string InstanceId { get; init; } = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));

    /// <summary>How long an account's pending challenge nonce stays the one every answer carries.</summary>
    public TimeSpan ChallengeLifetime { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Where fresh challenge nonces come from (tests replaying recorded sessions give the recorded ones).</summary>
    public Func<DmNonce> NonceSource { get; init; } = DmNonce.New;

    /// <summary>Failed authentications from one source address before its failing answers are slowed down.</summary>
    public int BackOffThreshold { get; init; } = 5;

    /// <summary>The first back-off delay; it doubles with each further failure up to <see cref="MaxBackOff"/>.</summary>
    public TimeSpan BackOffUnit { get; init; } = TimeSpan.FromSeconds(1);

    public TimeSpan MaxBackOff { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Decision 038: how long a session whose jobs are answered waits for the next job of a function that announces one
    /// (<see cref="DmSessionEngine.NextWork"/>) before it ends; zero ends it at once.
    /// </summary>
    public TimeSpan NextJobWait { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>A source's failures are forgotten this long after its last one.</summary>
    public TimeSpan BackOffWindow { get; init; } = TimeSpan.FromMinutes(10);
}
