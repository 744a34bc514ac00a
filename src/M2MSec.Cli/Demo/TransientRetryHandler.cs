using M2MSec.Pki.Tls;

namespace M2MSec.Cli.Demo;

/// <summary>
/// How a device's HTTP stack retries: at most <see cref="MaxAttempts"/> attempts, each given
/// <see cref="AttemptTimeout"/>, the n-th retry after a jittered exponential back-off.
/// </summary>
internal sealed record RetryPolicy(int MaxAttempts, TimeSpan BaseDelay, TimeSpan MaxDelay, TimeSpan AttemptTimeout)
{
    /// <summary>The demo's devices: four attempts, waits of about ¼, ½, 1 s (capped at 4 s).</summary>
    public static RetryPolicy Device(TimeSpan attemptTimeout) => new(4, TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(4), attemptTimeout);

    /// <summary>
    /// The wait before retry <paramref name="retry"/> (1, 2, …): d = min(MaxDelay, BaseDelay·2^(retry−1)), drawn
    /// uniformly from [d/2, d] so that a fleet failing at once does not come back at once.
    /// </summary>
    public TimeSpan DelayBefore(int retry, Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        var d = Math.Min(MaxDelay.TotalMilliseconds, BaseDelay.TotalMilliseconds * Math.Pow(2, Math.Clamp(retry - 1, 0, 30)));
        return TimeSpan.FromMilliseconds(d / 2 + random.NextDouble() * d / 2);
    }
}

/// <summary>
/// Retries a request on transient failures only (<see cref="TransientFailure"/>): a timeout of one attempt, a
/// refused or reset connection, an overload status. A security refusal (TLS handshake, 401/403) is returned or
/// thrown at once. The client's own <see cref="HttpClient.Timeout"/> should be infinite: each attempt has its own.
/// Requests must have buffered content (JSON, bytes), as all of the demo's do.
/// </summary>
internal sealed class TransientRetryHandler(RetryPolicy policy, HttpMessageHandler inner, TimeProvider? time = null) : DelegatingHandler(inner)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            using var timeout = new CancellationTokenSource(policy.AttemptTimeout, _time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
            try
            {
                var response = await base.SendAsync(request, linked.Token).ConfigureAwait(false);
                if (attempt >= policy.MaxAttempts || !TransientFailure.IsTransient(response.StatusCode))
                    return response;
                response.Dispose();
            }
            catch (Exception e) when (TransientFailure.TransientKey(e, cancellationToken) is not null)
            {
                if (attempt >= policy.MaxAttempts)
                {
                    if (e is OperationCanceledException)
                        throw TimedOut(e);
                    throw;
                }
            }
            await Task.Delay(policy.DelayBefore(attempt, Random.Shared), _time, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The same for synchronous callers (an OCSP query inside a TLS certificate callback).</summary>
    protected override HttpResponseMessage Send(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            using var timeout = new CancellationTokenSource(policy.AttemptTimeout, _time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
            try
            {
                var response = base.Send(request, linked.Token);
                if (attempt >= policy.MaxAttempts || !TransientFailure.IsTransient(response.StatusCode))
                    return response;
                response.Dispose();
            }
            catch (Exception e) when (TransientFailure.TransientKey(e, cancellationToken) is not null)
            {
                if (attempt >= policy.MaxAttempts)
                {
                    if (e is OperationCanceledException)
                        throw TimedOut(e);
                    throw;
                }
            }
            Task.Delay(policy.DelayBefore(attempt, Random.Shared), _time, cancellationToken).GetAwaiter().GetResult();
        }
    }

    /// <summary>The last attempt timed out: say so rather than "canceled".</summary>
    private TimeoutException TimedOut(Exception e) =>
        new($"no answer within {policy.AttemptTimeout.TotalSeconds:0.#} s, {policy.MaxAttempts} attempts", e);
}

/// <summary>The demo's HTTP clients: every one retries transient failures as a device would.</summary>
internal static class DemoHttp
{
    /// <summary>Wraps a transport in the device retry policy, <paramref name="attemptTimeout"/> per attempt.</summary>
    public static Func<HttpMessageHandler, HttpMessageHandler> Retrying(TimeSpan attemptTimeout) =>
        inner => new TransientRetryHandler(RetryPolicy.Device(attemptTimeout), inner);

    /// <summary>An administrator's client to <paramref name="role"/> in the fleet, retrying.</summary>
    public static HttpClient AdminClient(M2MSec.NetworkFunctions.Hosting.NetworkFunctionFleet fleet, string role, TimeSpan attemptTimeout) =>
        fleet.AdminClient(role, System.Threading.Timeout.InfiniteTimeSpan, Retrying(attemptTimeout));

    /// <summary>A plain client (e.g. to the public OCSP responder), retrying.</summary>
    public static HttpClient Client(TimeSpan attemptTimeout) =>
        new(Retrying(attemptTimeout)(new ConnectionErrorHandler(new SocketsHttpHandler()))) { Timeout = System.Threading.Timeout.InfiniteTimeSpan };
}
