using System.Security.Cryptography;
using M2MSec.Nas.Trigger;
using M2MSec.Storage;
using M2MSec.Storage.Vno;

namespace M2MSec.NetworkFunctions.Vno;

/// <summary>
/// The VNO's side of protected triggering (issue 17, docs/decisions/025): it keeps the EPS NAS security context of each attach
/// (K_NASint from K_ASME, TS 33.401 A.7; the downlink COUNT in its store), protects a trigger with the next COUNT, and picks
/// the delivery by the device's connection state (seed 002 §5.1.1).
/// </summary>
internal sealed class VnoTriggers(IStateStore store, VnoOptions options, TimeProvider time)
{
    public const string Offline = "offline";
    public const string Idle = "idle";
    public const string Connected = "connected";

    /// <summary>The delivery a state calls for: queued for an offline device, paging for an idle one, direct over a data connection.</summary>
    public static string DeliveryFor(string state) => state switch
    {
        Connected => "direct",
        Idle => "paging",
        _ => "queued",
    };

    /// <summary>
    /// After a successful attach: the new context (K_NASint from K_ASME, COUNT from 0), and every trigger still waiting protected
    /// again under it — the device has replaced its stored context too, so the old protection would not verify.
    /// </summary>
    public async Task StoreContextAsync(string identity, ReadOnlyMemory<byte> kasme, CancellationToken ct)
    {
        var knasInt = M2MSec.Aka.NasKeys.KnasInt(kasme.Span);
        try
        {
            await store.Vno.PutContextAsync(identity, options.ServingPlmn, knasInt, Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)), Idle, ct)
                .ConfigureAwait(false);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(knasInt);
        }
        foreach (var waiting in await store.Vno.PendingTriggersAsync(identity, ct).ConfigureAwait(false))
        {
            var indication = new TriggerIndication(options.ServingPlmn, waiting.Reference, (TriggerAction)waiting.Action, waiting.Payload);
            if (await ProtectAsync(identity, indication, ct).ConfigureAwait(false) is { } p)
                await store.Vno.ReprotectTriggerAsync(waiting.Id, p.Count.ContextId, p.Count.Count, p.Message, DeliveryFor(p.Count.State), ct).ConfigureAwait(false);
        }
    }

    /// <summary>Protects and keeps a trigger for delivery; null when the VNO holds no context for <paramref name="identity"/>.</summary>
    public async Task<VnoTriggerAccepted?> AcceptAsync(string identity, uint reference, TriggerAction action, byte[] payload, CancellationToken ct)
    {
        var indication = new TriggerIndication(options.ServingPlmn, reference, action, payload);
        // The NAS COUNT taken and the trigger it protects kept in one commit (docs/decisions/053); the count is never used twice either way.
        return await store.InOneCommitAsync(async () =>
        {
            if (await ProtectAsync(identity, indication, ct).ConfigureAwait(false) is not { } p)
                return null;
            var now = time.GetUtcNow();
            var delivery = DeliveryFor(p.Count.State);
            var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
            await store.Vno.AddTriggerAsync(new VnoTrigger(id, identity, reference, (byte)action, payload, p.Count.ContextId, p.Count.Count, p.Message, delivery, now,
                now + options.TriggerLifetime), ct).ConfigureAwait(false);
            return new VnoTriggerAccepted(id, identity, delivery, p.Count.Count, options.ServingPlmn);
        }, ct).ConfigureAwait(false);
    }

    private async Task<(VnoDownlinkCount Count, byte[] Message)?> ProtectAsync(string identity, TriggerIndication indication, CancellationToken ct)
    {
        if (await store.Vno.TakeDownlinkCountAsync(identity, ct).ConfigureAwait(false) is not { } count)
            return null;
        try
        {
            return (count, ProtectedTrigger.Protect(count.KnasInt, count.Count, indication));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(count.KnasInt);
        }
    }
}
