using System.Buffers.Binary;
using M2MSec.Aka;
using M2MSec.Nas.Trigger;

namespace M2MSec.Device.Tre;

/// <summary>What the TRE holds of the last EPS NAS security context (issue 17): public facts only, never K_NASint.</summary>
/// <param name="AttachedPlmn">The network the device last attached to (seed 002 §6.1 solution 1).</param>
/// <param name="LastDownlinkCount">The last accepted NAS downlink COUNT; null before the first trigger of this context.</param>
public sealed record TreNasContextStatus(string AttachedPlmn, uint? LastDownlinkCount);

/// <summary>
/// Issue 17 (seed 002 §6.1.2): the TRE keeps the last attached network identity and the last EPS NAS security context — K_NASint
/// derived inside from K_ASME (TS 33.401 A.7), the last accepted downlink COUNT — sealed, so they survive a restart and a rolled-back
/// store is detected like any other. A trigger is checked inside (docs/decisions/025); K_NASint never leaves.
/// </summary>
public sealed partial class TrustedEnvironment
{
    private const string NasPlmnName = "eps/plmn";
    private const string NasKeyName = "eps/knas-int";
    private const string NasCountName = "eps/dl-count";
    private const string NasUplinkName = "eps/ul-count";

    /// <summary>Keeps the context of an attach to <paramref name="plmn"/>: K_NASint from <paramref name="kasme"/>, no COUNT accepted yet.</summary>
    public void StoreNasContext(TreCaller caller, string plmn, ReadOnlySpan<byte> kasme)
    {
        if (!M2MSec.Nas.PlmnIdentity.IsValid(plmn))
            throw new ArgumentException("plmn: MCC (3 digits) + MNC (2 or 3 digits).", nameof(plmn));
        var knasInt = NasKeys.KnasInt(kasme);
        lock (_lock)
        {
            EnsureUnlocked();
            TrePolicy.CheckOperation(caller, TreOperation.StoreNasContext);
            _objects[NasPlmnName] = System.Text.Encoding.ASCII.GetBytes(plmn);
            _objects[NasKeyName] = knasInt;
            _objects.Remove(NasCountName);
            _objects.Remove(NasUplinkName);
            CommitLocked();
        }
    }

    /// <summary>The stored context's public part; null when the device never attached with a subscription.</summary>
    public TreNasContextStatus? NasContext
    {
        get
        {
            lock (_lock)
            {
                return _objects.TryGetValue(NasPlmnName, out var plmn)
                    ? new TreNasContextStatus(System.Text.Encoding.ASCII.GetString(plmn), LastCountLocked())
                    : null;
            }
        }
    }

    /// <summary>Checks a trigger against the stored context (changes nothing); without a context every trigger is refused as from another network.</summary>
    public TriggerVerification VerifyTrigger(TreCaller caller, ReadOnlySpan<byte> message)
    {
        lock (_lock)
        {
            EnsureUnlocked();
            TrePolicy.CheckOperation(caller, TreOperation.VerifyTrigger);
            if (!_objects.TryGetValue(NasKeyName, out var key) || !_objects.TryGetValue(NasPlmnName, out var plmn))
                return ProtectedTrigger.Verify(new byte[16], null, "", message);
            return ProtectedTrigger.Verify(key, LastCountLocked(), System.Text.Encoding.ASCII.GetString(plmn), message);
        }
    }

    /// <summary>Stores <paramref name="count"/> as the last accepted downlink COUNT (sealed); it only moves forward.</summary>
    public void AcceptTriggerCount(TreCaller caller, uint count)
    {
        lock (_lock)
        {
            EnsureUnlocked();
            TrePolicy.CheckOperation(caller, TreOperation.VerifyTrigger);
            if (LastCountLocked() is { } last && count <= last)
                throw new InvalidOperationException("the downlink COUNT only moves forward");
            var b = new byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(b, count);
            _objects[NasCountName] = b;
            CommitLocked();
        }
    }

    /// <summary>
    /// Issue 17: protects a device state report with the stored context — K_NASint and the next NAS uplink COUNT, which is sealed
    /// (moved forward and committed) before the message leaves, so no COUNT is used twice even across a restart or a rollback attempt.
    /// </summary>
    public byte[] ProtectReport(TreCaller caller, DeviceReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        lock (_lock)
        {
            EnsureUnlocked();
            TrePolicy.CheckOperation(caller, TreOperation.VerifyTrigger);
            if (!_objects.TryGetValue(NasKeyName, out var key))
                throw new InvalidOperationException("no EPS NAS security context: attach first");
            var count = _objects.TryGetValue(NasUplinkName, out var c) ? BinaryPrimitives.ReadUInt32BigEndian(c) : 0u;
            if (count > ProtectedTrigger.MaxCount)
                throw new InvalidOperationException("the NAS uplink COUNT is exhausted: attach again");
            var b = new byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(b, count + 1);
            _objects[NasUplinkName] = b;
            CommitLocked();
            return DeviceReportProtection.Protect(key, count, report);
        }
    }

    private uint? LastCountLocked() => _objects.TryGetValue(NasCountName, out var c) ? BinaryPrimitives.ReadUInt32BigEndian(c) : null;
}
