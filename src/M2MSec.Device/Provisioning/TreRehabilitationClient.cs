using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using M2MSec.Device.M2me;
using M2MSec.Device.Tre;

namespace M2MSec.Device.Provisioning;

/// <summary>
/// How a rehabilitation attempt ended: <c>rehabilitated</c> (the TRE accepted the PVA's statement and is unlocked), <c>refused</c>
/// (the PVA judged the platform invalid, or the TRE refused the statement: <see cref="Code"/>), <c>not-rehabilitable</c> (a lockdown
/// reason that cannot be undone: a rolled-back or corrupted store), or <c>not-locked</c> (nothing to do).
/// </summary>
public sealed record RehabilitationOutcome(string Result, string? Code, string Detail)
{
    public const string Rehabilitated = "rehabilitated";
    public const string Refused = "refused";
    public const string NotRehabilitable = "not-rehabilitable";
    public const string NotLocked = "not-locked";

    public bool IsRehabilitated => Result == Rehabilitated;
}

/// <summary>
/// The device side of the rehabilitation of a locked-down TRE over the network (issue 16; docs/decisions/020 "The network path"):
/// a fresh single-use nonce from the TRE, its attestation over it and its PfC go to the DPF's device listener (the server checked
/// against the operator root the TRE still shows while locked); the DPF asks the PVA and hands back the signed statement, which the
/// TRE alone judges (<see cref="TrustedEnvironment.Rehabilitate"/>). A statement replayed or forged on the way is refused by the TRE.
/// </summary>
public static class TreRehabilitationClient
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    /// <summary>A client to the DPF's device listener, its certificate checked against the operator root the (locked) TRE holds.</summary>
    public static HttpClient DpfClient(M2meDevice device, Uri dpfDeviceUrl)
    {
        ArgumentNullException.ThrowIfNull(device);
        var root = device.Tre.TrustAnchor(TreCaller.DeviceManagement, "dm")
            ?? throw new RoProvisioningException("no-dm-root", "the TRE holds no operator root (trust/root/dm) to check the DPF with");
        return RoProvisioningClient.Client(dpfDeviceUrl, root);
    }

    /// <summary>
    /// One attempt. Throws <see cref="HttpRequestException"/> when the DPF cannot be reached or answers a server error (the PVA away:
    /// try again later; the TRE's nonce is simply replaced next time).
    /// </summary>
    public static async Task<RehabilitationOutcome> RehabilitateAsync(M2meDevice device, HttpClient dpf, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(dpf);
        var tre = device.Tre;
        if (!tre.IsLocked)
            return new(RehabilitationOutcome.NotLocked, null, "the TRE is not locked down");
        if (!tre.CanBeRehabilitated)
            return new(RehabilitationOutcome.NotRehabilitable, CliName(tre.LockdownReason), $"a lockdown for {tre.LockdownReason} cannot be rehabilitated: the device must be re-manufactured");
        var nonce = tre.RehabilitationChallenge(TreCaller.Platform);
        var evidence = tre.Attest(TreCaller.Platform, nonce);
        var request = new Request(tre.Pcid, B64(tre.ReadObject(TreCaller.Platform, TreObjects.PfcAttestation)), B64(tre.ReadObject(TreCaller.Platform, TreObjects.PfcEncryption)),
            Convert.ToHexStringLower(nonce), Convert.ToBase64String(evidence));
        using var response = await dpf.PostAsJsonAsync("rehabilitations", request, Json, cancellationToken).ConfigureAwait(false);
        if ((int)response.StatusCode >= 500)
            throw new HttpRequestException($"the DPF answered {(int)response.StatusCode}", null, response.StatusCode);
        if (!response.IsSuccessStatusCode)
            return new(RehabilitationOutcome.Refused, response.StatusCode == HttpStatusCode.NotFound ? "unknown-pcid" : "request-refused",
                $"the DPF answered {(int)response.StatusCode}");
        var answer = await response.Content.ReadFromJsonAsync<Answer>(Json, cancellationToken).ConfigureAwait(false);
        if (answer?.Statement is not { Length: > 0 } statement)
            return new(RehabilitationOutcome.Refused, "bad-rehabilitation", "the DPF sent no statement");
        try
        {
            // The TRE checks everything (signer, chain, age, its own identities, its nonce, this boot's measurements): the answer's
            // result in clear is only for the log.
            tre.Rehabilitate(TreCaller.Platform, statement);
        }
        catch (TreRehabilitationRefusedException e)
        {
            return new(RehabilitationOutcome.Refused, e.Code, e.Message + (answer.Reason is null ? "" : $" (PVA: {answer.Reason})"));
        }
        return new(RehabilitationOutcome.Rehabilitated, null, "the PVA accepted this boot's measurements; the TRE is unlocked");
    }

    private static string? CliName(LockdownReason? reason) => reason switch
    {
        LockdownReason.SealedStoreIntegrity => "sealed-store-integrity",
        LockdownReason.SealedStoreRollback => "sealed-store-rollback",
        LockdownReason.ReplayProtectedStoreIntegrity => "replay-protected-store-integrity",
        LockdownReason.FirmwareMeasurement => "firmware-measurement",
        null => null,
        var r => r.ToString()!.ToLowerInvariant(),
    };

    private static string? B64(byte[]? bytes) => bytes is null ? null : Convert.ToBase64String(bytes);

    private sealed record Request(string? Pcid, string? PfcAttestation, string? PfcEncryption, string? TreNonce, string? Evidence);

    private sealed record Answer(string? Pcid, string? Result, string? Reason, string? Statement);
}
