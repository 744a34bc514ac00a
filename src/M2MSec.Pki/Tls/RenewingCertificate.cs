using System.Security.Cryptography.X509Certificates;

namespace M2MSec.Pki.Tls;

/// <summary>
/// A server's certificate that renews itself before it expires (DM server certificates are
/// short-lived): once less than <see cref="RenewBefore"/> of its life is left, the renewal
/// delegate gets a new one. Handshakes read <see cref="Current"/>, so new sessions get the new
/// certificate while established ones carry on undisturbed.
/// </summary>
public sealed class RenewingCertificate : IAsyncDisposable
{
    private readonly Func<CancellationToken, Task<X509Certificate2>>? _renew;
    private readonly TimeProvider _time;
    private readonly ITimer? _timer;
    private readonly SemaphoreSlim _renewing = new(1, 1);
    private volatile X509Certificate2 _current;

    /// <summary>A fixed certificate (no renewal).</summary>
    public RenewingCertificate(X509Certificate2 certificate)
    {
        _current = certificate ?? throw new ArgumentNullException(nameof(certificate));
        _time = TimeProvider.System;
    }

    /// <param name="certificate">The certificate to start with (with its private key).</param>
    /// <param name="renew">Gets a fresh certificate (with key): from the local CA, or from the PKI's admin API.</param>
    /// <param name="time">Clock and timer source.</param>
    /// <param name="checkEvery">How often to look at the remaining lifetime.</param>
    public RenewingCertificate(X509Certificate2 certificate, Func<CancellationToken, Task<X509Certificate2>> renew, TimeProvider time, TimeSpan checkEvery)
    {
        _current = certificate ?? throw new ArgumentNullException(nameof(certificate));
        _renew = renew ?? throw new ArgumentNullException(nameof(renew));
        _time = time ?? throw new ArgumentNullException(nameof(time));
        _timer = time.CreateTimer(_ => _ = RenewIfDueAsync(CancellationToken.None), null, checkEvery, checkEvery);
    }

    public X509Certificate2 Current => _current;

    /// <summary>Renew when less than this fraction of the validity period is left (default one third).</summary>
    public double RenewBefore { get; init; } = 1.0 / 3;

    /// <summary>How many renewals happened, and the last failure (renewal is retried at the next check).</summary>
    public int Renewals { get; private set; }

    public string? LastFailure { get; private set; }

    public event Action<X509Certificate2>? Renewed;

    /// <summary>Renews now if due; true if a new certificate was installed.</summary>
    public async Task<bool> RenewIfDueAsync(CancellationToken cancellationToken)
    {
        if (_renew is null)
            return false;
        await _renewing.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var c = _current;
            var lifetime = c.NotAfter - c.NotBefore;
            var left = c.NotAfter.ToUniversalTime() - _time.GetUtcNow().UtcDateTime;
            if (left.Ticks > lifetime.Ticks * RenewBefore)
                return false;
            try
            {
                _current = await _renew(cancellationToken).ConfigureAwait(false);
                Renewals++;
                LastFailure = null;
                Renewed?.Invoke(_current);
                return true;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LastFailure = e.Message;
                return false;
            }
        }
        finally
        {
            _renewing.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_timer is not null)
            await _timer.DisposeAsync().ConfigureAwait(false);
        _renewing.Dispose();
    }
}
