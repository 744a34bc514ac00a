using System.Security.Cryptography;
using M2MSec.Aka;
using M2MSec.Storage.Audit;
using M2MSec.Storage.Hss;

namespace M2MSec.NetworkFunctions.Hss;

/// <summary>What the AuC answers to a vector request.</summary>
public enum VectorRequestStatus
{
    Ok,
    UnknownSubscriber,

    /// <summary>The AUTS of a resynchronisation request failed MAC-S: nothing changed.</summary>
    ResyncMacFailure,
}

/// <summary>
/// A vector for the serving network. For a UMTS request it carries CK and IK; for an EPS
/// request (a serving network id given) the AMF separation bit is set and it carries only
/// K_ASME, derived from CK/IK, which never leave the HSS (TS 33.401 §6.1.2).
/// </summary>
public sealed record ServingNetworkVector(byte[] Rand, byte[] Xres, byte[] Autn, byte[]? Ck, byte[]? Ik, byte[]? Kasme)
{
    /// <summary>A key the home network derived from CK/IK for itself (<see cref="HomeKeyDerivation"/>); never sent to a serving network.</summary>
    public byte[]? HomeKey { get; init; }

    public override string ToString() => "ServingNetworkVector";
}

/// <summary>
/// A key the home network derives from a vector's CK and IK before they are wiped (the ICF's K_RO, issue 15): called once per
/// vector with CK, IK and RAND; the result travels in <see cref="ServingNetworkVector.HomeKey"/>.
/// </summary>
public delegate byte[] HomeKeyDerivation(ReadOnlySpan<byte> ck, ReadOnlySpan<byte> ik, ReadOnlySpan<byte> rand);

public sealed record VectorRequestResult(VectorRequestStatus Status, IReadOnlyList<ServingNetworkVector> Vectors, bool Resynchronised);

/// <summary>
/// The AuC of the HSS (TS 33.102 §6.3.2, §6.3.5): fresh RAND from the CSPRNG, SQN from the
/// store's atomic counter reserved in durable blocks (<see cref="SqnBlockReservations"/>), MILENAGE;
/// resynchronisation from AUTS before new vectors are made.
/// Role logic only: no bytes on the wire, no HTTP.
/// </summary>
public sealed class AuthenticationCentre(IEditableHssSubscriberStore store, HssOptions options, IAuditLog? audit = null)
{
    private readonly SqnBlockReservations _sqns = new(options.SqnBlockSize, options.SqnScheme);

    public HssOptions Options { get; } = options;

    /// <summary>Drops the subscriber's SQN block held in memory (its SQNs are skipped): the subscriber was retired.</summary>
    public void ForgetSqnBlock(string imsi) => _sqns.Forget(imsi);

    /// <summary>SQNs reserved durably for the subscriber and held in memory, not yet handed out.</summary>
    public int SqnsHeld(string imsi) => _sqns.Held(imsi);

    public async ValueTask<VectorRequestResult> RequestVectorsAsync(
        string imsi, int count, byte[]? servingNetworkId = null,
        (byte[] Rand, byte[] Auts)? resync = null, CancellationToken cancellationToken = default, HomeKeyDerivation? homeKey = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, Options.MaxVectorsPerRequest);
        var subscriber = await store.FindAsync(imsi, cancellationToken).ConfigureAwait(false);
        if (subscriber is null)
            return new(VectorRequestStatus.UnknownSubscriber, [], false);

        var resynchronised = false;
        if (resync is { } r)
        {
            if (!AkaVectors.TryVerifyAuts(Options.Milenage, subscriber.K, subscriber.Opc, r.Rand, r.Auts, out var sqnMs))
                return new(VectorRequestStatus.ResyncMacFailure, [], false);
            // The block in memory may lie behind SQN_MS: the next vectors come from a new block past SEQ_HE (decision 035).
            _sqns.Forget(imsi);
            resynchronised = await store.ResynchroniseAsync(imsi, sqnMs, Options.SqnScheme, cancellationToken).ConfigureAwait(false);
            if (resynchronised && audit is not null)
                await audit.AppendAsync("hss", "sqn.resync", imsi, $"SEQ_HE := {Options.SqnScheme.Seq(sqnMs)}", cancellationToken).ConfigureAwait(false);
        }

        var sqns = await _sqns.TakeAsync(store, subscriber, count, cancellationToken).ConfigureAwait(false);
        // Issue 16: a subscriber retired (DELETE /subscribers, after a change of subscription) during the request is unknown, as from now on.
        if (sqns is null)
            return new(VectorRequestStatus.UnknownSubscriber, [], false);
        var eps = servingNetworkId is not null;
        var amf = eps ? Amf.WithSeparationBit(subscriber.Amf, true) : subscriber.Amf;
        var vectors = new ServingNetworkVector[count];
        Span<byte> rand = stackalloc byte[16];
        for (var i = 0; i < count; i++)
        {
            RandomNumberGenerator.Fill(rand);
            var av = AkaVectors.Generate(Options.Milenage, subscriber.K, subscriber.Opc, rand, sqns[i], amf);
            var home = homeKey?.Invoke(av.Ck, av.Ik, av.Rand);
            if (eps)
            {
                var kasme = EpsKeys.Kasme(av.Ck, av.Ik, servingNetworkId!, av.Autn.AsSpan(0, 6));
                CryptographicOperations.ZeroMemory(av.Ck);
                CryptographicOperations.ZeroMemory(av.Ik);
                vectors[i] = new(av.Rand, av.Xres, av.Autn, null, null, kasme) { HomeKey = home };
            }
            else
            {
                vectors[i] = new(av.Rand, av.Xres, av.Autn, av.Ck, av.Ik, null) { HomeKey = home };
            }
        }
        return new(VectorRequestStatus.Ok, vectors, resynchronised);
    }
}
