using System.Security.Cryptography;
using M2MSec.Aka;

namespace M2MSec.Device.Tre;

/// <summary>
/// AKA inside the TRE (TR 33.812 §5.1.2.2: "sufficiently secure as to allow the storage and
/// execution of AKA functions that are currently implemented only in UICCs"), several
/// subscriptions, and GBA_ME keys released for one stated use.
/// </summary>
public sealed partial class TrustedEnvironment
{
    /// <summary>Installs a subscription (IMSI, K, OPc) into the TRE; K and OPc never leave it again.</summary>
    public void InstallSubscription(TreCaller caller, string imsi, ReadOnlySpan<byte> k, ReadOnlySpan<byte> opc)
    {
        CheckSubscriptionKeys(k, opc);
        ArgumentException.ThrowIfNullOrEmpty(imsi);
        lock (_lock)
        {
            EnsureUnlocked();
            TrePolicy.CheckOperation(caller, TreOperation.InstallSubscription);
            SetSubscriptionLocked(imsi, k, opc);
            CommitLocked();
        }
    }

    private static void CheckSubscriptionKeys(ReadOnlySpan<byte> k, ReadOnlySpan<byte> opc)
    {
        if (k.Length != 16 || opc.Length != 16)
            throw new ArgumentException("K and OPc are 16 octets each.");
    }

    /// <summary>K, OPc and a fresh SEQ_MS array under <paramref name="imsi"/>; the caller commits.</summary>
    private void SetSubscriptionLocked(string imsi, ReadOnlySpan<byte> k, ReadOnlySpan<byte> opc)
    {
        _objects[$"{SubscriptionPrefix}{imsi}/k"] = k.ToArray();
        _objects[$"{SubscriptionPrefix}{imsi}/opc"] = opc.ToArray();
        _objects[$"{SubscriptionPrefix}{imsi}/sqn"] = Pack(new ulong[SqnScheme.Default.IndCount]);
    }

    /// <summary>
    /// AUTHENTICATE with an installed subscription (TS 33.102 §6.3.3). The SEQ_MS array is
    /// sealed again after every accepted challenge. An MCIM its SHO disabled is refused (<see cref="TreMcimDisabledException"/>, issue 16). With <paramref name="keepForGba"/> the TRE keeps
    /// Ks = CK ‖ IK and RAND for later NAF keys (TS 33.220 GBA_ME) instead of releasing CK/IK.
    /// </summary>
    public UsimAuthenticationResult RunAka(TreCaller caller, string imsi, ReadOnlySpan<byte> rand, ReadOnlySpan<byte> autn, bool eUtran = false, bool keepForGba = false)
    {
        lock (_lock)
        {
            EnsureUnlocked();
            TrePolicy.CheckOperation(caller, TreOperation.RunAka);
            RefuseDisabledMcimLocked(imsi);
            if (!_objects.TryGetValue($"{SubscriptionPrefix}{imsi}/k", out var k))
                throw new InvalidOperationException($"no subscription {imsi} in the TRE");
            var state = new UsimSqnState(SqnScheme.Default, Unpack(_objects[$"{SubscriptionPrefix}{imsi}/sqn"]));
            var result = new UsimAka(Milenage.Default, k, _objects[$"{SubscriptionPrefix}{imsi}/opc"], state).Authenticate(rand, autn, eUtran);
            if (!result.IsSuccess)
                return result;
            _objects[$"{SubscriptionPrefix}{imsi}/sqn"] = Pack(state.Snapshot());
            if (keepForGba)
            {
                _objects[$"gba/{imsi}/ks"] = [.. result.Ck!, .. result.Ik!];
                _objects[$"gba/{imsi}/rand"] = rand.ToArray();
                CryptographicOperations.ZeroMemory(result.Ck);
                CryptographicOperations.ZeroMemory(result.Ik);
                result = result with { Ck = null, Ik = null };
            }
            CommitLocked();
            return result;
        }
    }

    /// <summary>
    /// Releases Ks_NAF = KDF(Ks, "gba-me", RAND, IMPI, NAF_Id) for one NAF (TS 33.220 §4.5.2), the
    /// stated use being a TLS pre-shared key towards that NAF (TS 33.222). Ks itself never leaves.
    /// </summary>
    public byte[] ReleaseNafKey(TreCaller caller, string imsi, string impi, ReadOnlySpan<byte> nafId)
    {
        lock (_lock)
        {
            EnsureUnlocked();
            TrePolicy.CheckOperation(caller, TreOperation.ReleaseGbaKey);
            RefuseDisabledMcimLocked(imsi);
            if (!_objects.TryGetValue($"gba/{imsi}/ks", out var ks))
                throw new InvalidOperationException($"no GBA bootstrapping for {imsi} in the TRE");
            return GbaKeys.KsNaf(ks.AsSpan(0, 16), ks.AsSpan(16), _objects[$"gba/{imsi}/rand"], impi, nafId);
        }
    }

    private static byte[] Pack(ulong[] values)
    {
        var b = new byte[values.Length * 8];
        for (var i = 0; i < values.Length; i++)
            System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(b.AsSpan(i * 8), values[i]);
        return b;
    }

    private static ulong[] Unpack(byte[] b)
    {
        var values = new ulong[b.Length / 8];
        for (var i = 0; i < values.Length; i++)
            values[i] = System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(b.AsSpan(i * 8));
        return values;
    }
}
