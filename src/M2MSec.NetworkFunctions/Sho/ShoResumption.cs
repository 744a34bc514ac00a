using System.Security.Cryptography;
using M2MSec.NetworkFunctions.Dpf;
using M2MSec.NetworkFunctions.Hosting;
using M2MSec.NetworkFunctions.Pva;
using M2MSec.Storage;
using M2MSec.Storage.Sho;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;

namespace M2MSec.NetworkFunctions.Sho;

/// <summary>
/// Issue 16, resumable exactly-once provisioning (docs/decisions/022): what the SHO does with a repeated step (the DPF or the DRF
/// retrying after a peer, or the SHO itself, was killed) — the same registration answers the current state and re-sends the
/// stored challenge, the same verdict re-sends the M2MSIMMobj sealed the first time (never a second MCIM, never a second IMSI).
/// </summary>
internal static class ShoResumption
{
    /// <summary>The same registration: same TRE, same PfC (both certificates) and the same pending registration nonce.</summary>
    public static bool IsSameRegistration(ShoSubscription sub, string treId, byte[] attestation, byte[] encryption, byte[] registrationNonce) =>
        sub.TreId == treId && sub.PfcAttestation.AsSpan().SequenceEqual(attestation) && sub.PfcEncryption.AsSpan().SequenceEqual(encryption)
        && CryptographicOperations.FixedTimeEquals(sub.RegistrationNonce, registrationNonce);

    /// <summary>
    /// Issue 16 (docs/decisions/021): a subscription that ended without holding the device — refused (the PVA's verdict invalid), failed
    /// (download or install) or moved (the device left this SHO) — gives way to a new attempt for the same device (same TRE, same PfC) with a
    /// fresh registration nonce; the same registration again is a repeat (its state answered), another device's is refused.
    /// A refused or failed one gives way once a new change was asked for it (<see cref="ShoSubscription.Superseded"/>) or to a fresh nonce;
    /// until then the same registration again (a DRF resuming) is a repeat.
    /// </summary>
    public static bool MayRegisterAgain(ShoSubscription sub, string treId, byte[] attestation, byte[] encryption, byte[] registrationNonce) =>
        ShoSubscription.MayBeAskedAgain(sub.State)
        && sub.TreId == treId && sub.PfcAttestation.AsSpan().SequenceEqual(attestation) && sub.PfcEncryption.AsSpan().SequenceEqual(encryption)
        && (sub.State == ShoSubscription.Superseded || !CryptographicOperations.FixedTimeEquals(sub.RegistrationNonce, registrationNonce));

    /// <summary>
    /// A repeated registration: the current state; while the verdict is awaited the stored challenge goes to the DPF again (its
    /// attestation request is idempotent), so a registration whose step 14 was lost resumes without a second validation.
    /// </summary>
    public static async Task<IResult> RepeatRegistrationAsync(ShoSubscription sub, ShoContext sho, CancellationToken ct)
    {
        if (sub.State == ShoSubscription.Validating && sub.Challenge is { } challenge && sub.ValidationId is { } validationId)
        {
            try
            {
                await new DpfClient(sho.Peers.For("dpf")).RequestAttestationAsync(sub.Pcid, new AttestationRequest(validationId, challenge), ct).ConfigureAwait(false);
            }
            catch (Exception e) when (IsTransient(e))
            {
                return Problem(StatusCodes.Status502BadGateway, "dpf-unavailable", $"the DPF did not take the attestation request: {ShoEndpoints.Clip(e.Message)}");
            }
            catch (PeerRequestException e) when (e.ProblemType == "validation-settled")
            {
                return await RevalidateAsync(sub, sho, ct).ConfigureAwait(false);
            }
            catch (PeerRequestException)
            {
                // The DPF is past the attestation (or refuses it): the registration's state is what the DRF needs to know.
            }
        }
        await sho.AuditAsync("sho.registration.repeated", sub.Pcid, sub.State, ct).ConfigureAwait(false);
        return Results.Accepted($"/registrations/{sub.Pcid}", new ShoRegistrationAccepted(sub.Pcid, sub.State));
    }

    /// <summary>
    /// The PVA settled the validation but its verdict was lost on the way (the challenge is single-use): step 13 again with a fresh
    /// request nonce; the subscription (still validating, nothing sealed) takes the new validation by compare-and-swap.
    /// </summary>
    private static async Task<IResult> RevalidateAsync(ShoSubscription sub, ShoContext sho, CancellationToken ct)
    {
        var shoNonce = RandomNumberGenerator.GetBytes(16);
        ValidationStarted started;
        try
        {
            started = await new PvaClient(sho.Peers.For("pva")).RequestValidationAsync(new ValidationRequest(sub.Pcid, Convert.ToBase64String(sub.PfcAttestation),
                Convert.ToBase64String(sub.PfcEncryption), Convert.ToHexStringLower(shoNonce)), ct).ConfigureAwait(false);
        }
        catch (Exception e) when (IsTransient(e))
        {
            return Problem(StatusCodes.Status502BadGateway, "pva-unavailable", $"the PVA did not start a validation: {ShoEndpoints.Clip(e.Message)}");
        }
        if (!ShoEndpoints.IsName(started.ValidationId, 128) || started.Challenge is not { Length: >= 32 and <= 128 } challenge || !challenge.All(Uri.IsHexDigit))
            return Problem(StatusCodes.Status502BadGateway, "pva-unavailable", "the PVA's answer has no usable validation id or challenge");
        var renewed = sub with { ValidationId = started.ValidationId, ShoNonce = shoNonce, Challenge = challenge, UpdatedAt = sho.Time.GetUtcNow() };
        if (!await sho.UpdateAuditedAsync(renewed, ShoSubscription.Validating, "sho.validation.restarted",
            $"{sub.ValidationId} settled without its verdict; now {started.ValidationId}", ct).ConfigureAwait(false))
            return Results.Accepted($"/registrations/{sub.Pcid}", new ShoRegistrationAccepted(sub.Pcid, ShoSubscription.Validating));
        return await RepeatRegistrationAsync(renewed, sho, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// A repeated verdict for a subscription already sealed: when it is the verdict that authorised the sealing, the stored
    /// M2MSIMMobj goes to the DPF again (the DPF takes the same document twice as once); nothing is sealed, no IMSI taken.
    /// </summary>
    public static async Task<IResult?> RepeatVerdictAsync(ShoSubscription sub, ShoVerdictRequest request, ShoContext sho, CancellationToken ct)
    {
        if (sub.State is not (ShoSubscription.Downloading or ShoSubscription.Active) || sub.Verdict is null || sub.M2MSimMobj is null
            || request.ValidationId != sub.ValidationId || !string.Equals(request.Verdict, sub.Verdict, StringComparison.Ordinal))
            return null;
        if (sub.State == ShoSubscription.Downloading)
        {
            try
            {
                await new DpfClient(sho.Peers.For("dpf")).DeliverM2MSimMobjAsync(sub.Pcid, new M2MSimMobjDelivery(Convert.ToBase64String(sub.M2MSimMobj), sub.Verdict), ct)
                    .ConfigureAwait(false);
            }
            catch (Exception e) when (IsTransient(e))
            {
                return Problem(StatusCodes.Status502BadGateway, "dpf-unavailable", $"the DPF did not take M2MSIMMobj: {ShoEndpoints.Clip(e.Message)}");
            }
            catch (PeerRequestException)
            {
                // The DPF is already downloading (or past it): the subscription's state stands.
            }
        }
        await sho.AuditAsync("sho.verdict.repeated", sub.Pcid, $"{sub.State}, imsi {sub.Imsi}", ct).ConfigureAwait(false);
        return Results.Ok(new ShoSubscriptionState(sub.Pcid, sub.State, sub.Imsi));
    }

    /// <summary>A peer that was away (connection refused, timeout, 5xx): the step may be tried again; a 4xx answer is a refusal.</summary>
    public static bool IsTransient(Exception e) => e switch
    {
        PeerRequestException p => (int?)p.StatusCode is null or >= 500,
        HttpRequestException or PeerUnavailableException or TaskCanceledException => true,
        _ => false,
    };

    /// <summary>
    /// At start-up: IMSIs a crash left <c>assigned</c> between two writes are put right — to <c>active</c> when their subscription
    /// is active with them (killed between the subscription's update and the pool's), <c>retired</c> when it failed after its MCIM
    /// left the SHO, <c>free</c> when no subscription carries them and none awaits its verdict (the MCIM was never sealed and
    /// stored: its keys never left the SHO). An IMSI of a subscription still validating or downloading stays assigned (it resumes).
    /// </summary>
    public static async Task<int> ReconcileAsync(IStateStore state, CancellationToken ct)
    {
        var fixedUp = 0;
        foreach (var assigned in await state.Sho.ListAssignedImsisAsync(ct).ConfigureAwait(false))
        {
            var sub = assigned.Pcid is null ? null : await state.Sho.FindAsync(assigned.Pcid, ct).ConfigureAwait(false);
            var mine = sub?.Imsi == assigned.Imsi;
            var target = sub switch
            {
                { State: ShoSubscription.Active } when mine => "active",
                { State: ShoSubscription.Failed } when mine => "retired",
                { State: ShoSubscription.Validating } => null,
                { State: ShoSubscription.Downloading } when mine => null,
                _ when mine => null,
                _ => "free",
            };
            if (target is not null && await state.Sho.SetImsiStateAsync(assigned.Imsi, target, ct).ConfigureAwait(false))
            {
                fixedUp++;
                await state.Audit.AppendAsync("sho", "sho.pool.reconciled", assigned.Imsi, $"assigned to {assigned.Pcid ?? "none"} ({sub?.State ?? "no subscription"}) → {target}", ct)
                    .ConfigureAwait(false);
            }
        }
        return fixedUp;
    }

    private static IResult Problem(int status, string type, string detail) =>
        Results.Problem(detail: detail, statusCode: status, type: "urn:m2msec:error:" + type);
}

/// <summary>Issue 16: the SHO's start-up reconciliation of half states (<see cref="ShoResumption.ReconcileAsync"/>).</summary>
internal sealed class ShoReconciliation(IStateStore state) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => ShoResumption.ReconcileAsync(state, cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
