using System.Security.Cryptography;
using M2MSec.Crypto.Metering;

namespace M2MSec.Device.Tre;

/// <summary>
/// The secure clock (docs/decisions/006-secure-clock.md): it runs from the host's oscillator
/// from an anchor kept in replay-protected memory, so it ticks across restarts; it never shows a
/// value below one it has shown; it moves forward only by itself or by a trusted-time statement.
/// A host clock that goes back is a rollback attempt: refused (the clock holds), counted and reported.
/// </summary>
public sealed partial class TrustedEnvironment
{
    /// <summary>How far the clock may run before the value it has shown is persisted again.</summary>
    private const long PersistEveryMs = 60_000;

    /// <summary>The secure clock's current time.</summary>
    public DateTimeOffset Now()
    {
        lock (_lock)
        {
            EnsureUnlocked();
            return NowLocked();
        }
    }

    private DateTimeOffset NowLocked()
    {
        var host = _time.GetUtcNow().ToUnixTimeMilliseconds();
        var candidate = _state.ClockTrustedMs + (host - _state.ClockHostMs);
        if (candidate < _clockShownMs)
        {
            // The oscillator went backwards (host clock set back): hold, re-anchor, report.
            _state = _state with
            {
                ClockTrustedMs = _clockShownMs,
                ClockHostMs = host,
                ClockLastMs = _clockShownMs,
                ClockRollbackAttempts = _state.ClockRollbackAttempts + 1,
            };
            Event("clock-rollback", $"host time went back by {_clockShownMs - candidate} ms; the secure clock holds");
            PersistState();
            return DateTimeOffset.FromUnixTimeMilliseconds(_clockShownMs);
        }
        _clockShownMs = candidate;
        if (candidate - _state.ClockLastMs >= PersistEveryMs)
        {
            _state = _state with { ClockLastMs = candidate };
            PersistState();
        }
        return DateTimeOffset.FromUnixTimeMilliseconds(candidate);
    }

    /// <summary>
    /// Corrects the clock with a signed time statement from a time authority provisioned at
    /// manufacture. Only forward: an earlier time is refused and reported, like a bad signature.
    /// </summary>
    public TrustedTimeOutcome ApplyTrustedTime(SignedTime statement)
    {
        ArgumentNullException.ThrowIfNull(statement);
        lock (_lock)
        {
            EnsureUnlocked();
            if (!_objects.TryGetValue(TimeAuthorityPrefix + statement.AuthorityId, out var spki) || !Verify(spki, statement))
            {
                Event("time-refused", $"statement from '{statement.AuthorityId}' is not signed by a trusted time authority");
                return TrustedTimeOutcome.RefusedUntrusted;
            }
            return ApplyVerifiedTimeLocked(statement.Time, $"time authority '{statement.AuthorityId}'");
        }
    }

    /// <summary>
    /// Applies a time the caller has already verified as trusted (the producedAt of an OCSP
    /// response whose signature chained to the TRE-held root). Forward only.
    /// </summary>
    internal TrustedTimeOutcome ApplyVerifiedTime(DateTimeOffset time, string source)
    {
        lock (_lock)
        {
            EnsureUnlocked();
            return ApplyVerifiedTimeLocked(time, source);
        }
    }

    private TrustedTimeOutcome ApplyVerifiedTimeLocked(DateTimeOffset time, string source)
    {
        var now = NowLocked().ToUnixTimeMilliseconds();
        var t = time.ToUnixTimeMilliseconds();
        if (t < now)
        {
            Event("time-refused", $"{source} would set the clock back by {now - t} ms");
            return TrustedTimeOutcome.RefusedSetBack;
        }
        var host = _time.GetUtcNow().ToUnixTimeMilliseconds();
        _clockShownMs = t;
        _state = _state with { ClockTrustedMs = t, ClockHostMs = host, ClockLastMs = t };
        PersistState();
        return TrustedTimeOutcome.Applied;
    }

    private static bool Verify(byte[] spki, SignedTime statement)
    {
        try
        {
            using var key = ECDsa.Create();
            key.ImportSubjectPublicKeyInfo(spki, out _);
            OperationMeter.Count(MeteredOperation.EcdsaVerify);
            return key.VerifyData(SignedTime.SignedBytes(statement.AuthorityId, statement.Time), statement.Signature,
                HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    private void PersistState()
    {
        if (_rpmbWritable)
            _rpmb.Write(_state);
    }
}
