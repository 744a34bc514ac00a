using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using M2MSec.Aka;
using M2MSec.Device.Dm;
using M2MSec.Device.M2me;
using M2MSec.Device.Tre;
using M2MSec.Pki.Tls;

namespace M2MSec.Device.Provisioning;

/// <summary>Where the device stands after steps 1–11: attached (limited to the RO), its DM account for the DPF installed, its SHO kept in the TRE.</summary>
public sealed record RoBootstrapOutcome(string Pcid, string IpAddress, string ShoId, Uri DmUrl, string DmServerId);

/// <summary>An attach (AKA passed, an address given); <see cref="ServingPlmn"/> the network attached to (issue 17).</summary>
public sealed record AttachOutcome(string Identity, string IpAddress, string? RestrictedTo)
{
    public string? ServingPlmn { get; init; }
}

/// <summary>
/// A step of the device's side refused (the network, the TRE, or a server's answer); <see cref="Code"/> names why:
/// attach-refused, network-not-authenticated, aka-failed, bootstrap-refused, bootstrap-not-authenticated.
/// </summary>
public sealed class RoProvisioningException(string code, string message) : Exception(message)
{
    public string Code { get; } = code;

    /// <summary>The HTTP status of the server's refusal, when a server answered one (5xx: a role away for the moment).</summary>
    public int? HttpStatus { get; init; }
}

/// <summary>
/// The device side of TR 33.812 §5.1.3.6.2 steps 1–11 (issue 15), over HTTPS to the VNO's and DRF's device listeners, each
/// server's certificate checked against the operator root (devices have no client certificate). AKA runs in the TRE: with
/// the temporary credential it derives K_RO there, and the Bootstrap message's MAC is checked there.
/// </summary>
public static class RoProvisioningClient
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    /// <summary>
    /// Steps 1–11: attach with the PCID (1), AKA with the temporary credential in the TRE (5; K_RO derived inside), an address
    /// limited to the RO (6); ask the DRF (7) and receive the Bootstrap message (10); the TRE checks its MAC with K_RO, the DM
    /// account for the DPF is installed and the designated SHO kept (11). Throws <see cref="RoProvisioningException"/> on a refusal.
    /// </summary>
    public static async Task<RoBootstrapOutcome> AttachAndBootstrapAsync(M2meDevice device, Uri vnoDeviceUrl, Uri drfDeviceUrl, X509Certificate2 operatorRoot,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(operatorRoot);
        using var vno = Client(vnoDeviceUrl, operatorRoot);
        using var drf = Client(drfDeviceUrl, operatorRoot);
        return await AttachAndBootstrapAsync(device, vno, drf, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Steps 1–11 over the given clients (their BaseAddress the device listeners).</summary>
    public static async Task<RoBootstrapOutcome> AttachAndBootstrapAsync(M2meDevice device, HttpClient vno, HttpClient drf, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(drf);
        var attached = await AttachWithPcidAsync(device, vno, cancellationToken).ConfigureAwait(false);
        return await BootstrapAsync(device, attached, drf, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Steps 1–6: attach with the PCID, AKA with the temporary credential in the TRE (K_RO derived inside), an address limited to the RO.</summary>
    public static async Task<AttachOutcome> AttachWithPcidAsync(M2meDevice device, HttpClient vno, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(device);
        var pcid = device.Info.Pcid;
        var attached = await AttachCoreAsync(vno, pcid, (rand, autn) => device.Tre.RunProvisionalAka(TreCaller.Network, rand, autn), cancellationToken).ConfigureAwait(false);
        if (attached.RestrictedTo != "ro")
            throw new RoProvisioningException("attach-refused", "the VNO did not attach the PCID for provisioning (no connectivity to the RO)");
        return attached;
    }

    /// <summary>Steps 7–11 after <see cref="AttachWithPcidAsync"/>: ask the DRF, receive and check the Bootstrap message, install the DM account.</summary>
    public static async Task<RoBootstrapOutcome> BootstrapAsync(M2meDevice device, AttachOutcome attached, HttpClient drf, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(attached);
        ArgumentNullException.ThrowIfNull(drf);
        var pcid = device.Info.Pcid;
        // Step 7: the M2ME contacts the RO from the address the VNO gave it; steps 9–10 happen behind this call.
        using var response = await drf.PostAsJsonAsync("bootstrap", new BootstrapAsk(pcid, attached.IpAddress, device.Info.TreId), Json, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
            throw new RoProvisioningException("bootstrap-refused", $"the DRF answered {(int)response.StatusCode}") { HttpStatus = (int)response.StatusCode };
        var message = await response.Content.ReadFromJsonAsync<BootstrapMessage>(Json, cancellationToken).ConfigureAwait(false)
            ?? throw new RoProvisioningException("bootstrap-refused", "the DRF sent an empty answer");
        byte[] sealedPackage;
        try
        {
            sealedPackage = Convert.FromBase64String(message.Package ?? "");
        }
        catch (FormatException)
        {
            throw new RoProvisioningException("bootstrap-refused", "package: not base64");
        }
        return ApplyBootstrap(device, pcid, attached.IpAddress, message.Sec, OpenBootstrap(device, message.Enc, sealedPackage), message.Mac);
    }

    /// <summary>
    /// Step 11, first: the package the DRF sealed under K_RO, opened inside the TRE (<see cref="TrustedEnvironment.OpenRoBootstrap"/>);
    /// a package sent in clear, or one that does not open, is refused (its DM account would not be the device's secret).
    /// </summary>
    public static byte[] OpenBootstrap(M2meDevice device, string? enc, ReadOnlySpan<byte> sealedPackage)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (enc != M2MSec.Provisioning.Bootstrap.RoBootstrapSeal.Name)
            throw new RoProvisioningException("bootstrap-refused", $"enc: the Bootstrap message must be sealed under K_RO ({M2MSec.Provisioning.Bootstrap.RoBootstrapSeal.Name})");
        return device.Tre.OpenRoBootstrap(TreCaller.Provisioning, sealedPackage)
            ?? throw new RoProvisioningException("bootstrap-not-authenticated", "the Bootstrap message does not open under this TRE's K_RO");
    }

    /// <summary>
    /// Step 11 on the device: the TRE checks the MAC over the package as received with K_RO before anything is read; the
    /// package must carry the M2M context; the DM account is installed (<see cref="DmBootstrap"/>) and the SHO kept in the TRE,
    /// which drops K_RO. A refusal installs nothing.
    /// </summary>
    public static RoBootstrapOutcome ApplyBootstrap(M2meDevice device, string pcid, string ipAddress, string? sec, ReadOnlySpan<byte> body, string? mac)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (sec != "ro-kro")
            throw new RoProvisioningException("bootstrap-not-authenticated", "sec: only the Registration Operator's keyed method (ro-kro) is accepted");
        // Authenticated first (the TRE checks it), so the package's context is read only from MAC'd bytes.
        if (device.Tre.VerifyRoBootstrapMac(TreCaller.Provisioning, body, mac) is var verdict && verdict != M2MSec.Dm.Bootstrap.BootstrapVerifyResult.Ok)
            throw new RoProvisioningException("bootstrap-not-authenticated", $"the Bootstrap message's MAC does not verify under K_RO ({verdict})");
        if (!M2MSec.Dm.Bootstrap.BootstrapPackageReader.TryRead(body, out var package, out var error))
            throw new RoProvisioningException("bootstrap-refused", $"the Bootstrap message is malformed: {error}");
        if (package.M2MContext is not { } context)
            throw new RoProvisioningException("bootstrap-refused", "the Bootstrap message names no SHO (./M2MContext/SHO)");
        var result = DmBootstrap.ApplyVerified(device, body, mac, (b, m) => device.Tre.VerifyRoBootstrapMac(TreCaller.Provisioning, b, m), allowReplace: true);
        if (!result.Applied)
            throw new RoProvisioningException("bootstrap-refused", result.Detail);
        device.Tre.CompleteRoBootstrap(TreCaller.Provisioning, context.ShoId);
        return new RoBootstrapOutcome(pcid, ipAddress, context.ShoId, result.ServerAddress!, result.ServerId!);
    }

    /// <summary>The attach with an installed subscription (after step 21: the new IMSI), AKA in the TRE against the VNO.</summary>
    public static async Task<AttachOutcome> AttachAsync(M2meDevice device, string identity, Uri vnoDeviceUrl, X509Certificate2 operatorRoot,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(operatorRoot);
        using var vno = Client(vnoDeviceUrl, operatorRoot);
        return await AttachAsync(device, identity, vno, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The attach with an installed subscription over the given client. Issue 17: the TRE then keeps the attach's EPS NAS security
    /// context (K_NASint from K_ASME, derived inside) and the network's identity, against which it checks triggers.
    /// </summary>
    public static Task<AttachOutcome> AttachAsync(M2meDevice device, string identity, HttpClient vno, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(device);
        return AttachCoreAsync(vno, identity, (rand, autn) => device.Tre.RunAka(TreCaller.Network, identity, rand, autn, eUtran: true), cancellationToken,
            new M2MSec.Device.Triggering.TreNasContextHolder(device.Tre), new M2MSec.Device.Groups.GroupMember(identity, new M2MSec.Device.Groups.TreGroupVault(device.Tre)));
    }

    /// <summary>
    /// Steps 1, 5, 6: attach, answer the challenge (once more after a resynchronisation), get an address. With
    /// <paramref name="context"/> (issue 17) the ME derives K_ASME from the CK/IK the USIM/TRE returned (TS 33.401 A.2: the
    /// serving network's identity, SQN ⊕ AK) and stores the new EPS NAS security context there; <paramref name="member"/> (issue 17,
    /// docs/decisions/028) gets the same K_ASME, from which it keeps K_GRP — the member's own key its group keys are delivered under.
    /// </summary>
    internal static async Task<AttachOutcome> AttachCoreAsync(HttpClient vno, string identity, Func<byte[], byte[], UsimAuthenticationResult> aka, CancellationToken ct,
        M2MSec.Device.Triggering.INasContextHolder? context = null, M2MSec.Device.Groups.GroupMember? member = null)
    {
        ArgumentNullException.ThrowIfNull(vno);
        using var first = await vno.PostAsJsonAsync("attach", new AttachAsk(identity), Json, ct).ConfigureAwait(false);
        if (!first.IsSuccessStatusCode)
            throw new RoProvisioningException("attach-refused", $"the VNO answered {(int)first.StatusCode} to the attach") { HttpStatus = (int)first.StatusCode };
        var challenge = await first.Content.ReadFromJsonAsync<Challenge>(Json, ct).ConfigureAwait(false)
            ?? throw new RoProvisioningException("attach-refused", "the VNO sent an empty challenge");
        var (attachId, randHex, autnHex) = (challenge.AttachId, challenge.Rand, challenge.Autn);
        for (var round = 0; round < 2; round++)
        {
            if (attachId is null || randHex is null || autnHex is null || !TryHex(randHex, 16, out var rand) || !TryHex(autnHex, 16, out var autn))
                throw new RoProvisioningException("attach-refused", "the VNO's challenge is malformed");
            var result = aka(rand, autn);
            if (result.Status == UsimAuthenticationStatus.MacFailure || (!result.IsSuccess && result.Auts is null))
                throw new RoProvisioningException("network-not-authenticated", $"AUTN refused by the TRE ({result.Status})");
            var answer = result.IsSuccess ? new Answer(Convert.ToHexStringLower(result.Res!), null) : new Answer(null, Convert.ToHexStringLower(result.Auts!));
            using var response = await vno.PostAsJsonAsync($"attach/{Uri.EscapeDataString(attachId)}", answer, Json, ct).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
                throw new RoProvisioningException(response.StatusCode == HttpStatusCode.Forbidden ? "aka-failed" : "attach-refused",
                    $"the VNO answered {(int)response.StatusCode} to the AKA response")
                { HttpStatus = (int)response.StatusCode };
            var outcome = await response.Content.ReadFromJsonAsync<Outcome>(Json, ct).ConfigureAwait(false)
                ?? throw new RoProvisioningException("attach-refused", "the VNO sent an empty answer");
            if (outcome.State == "attached" && outcome.IpAddress is not null && IPAddress.TryParse(outcome.IpAddress, out _))
            {
                if (context is not null && result.Ck is { } ck && result.Ik is { } ik && outcome.RestrictedTo is null
                    && M2MSec.Nas.PlmnIdentity.IsValid(outcome.ServingPlmn))
                {
                    var kasme = EpsKeys.Kasme(ck, ik, M2MSec.Nas.PlmnIdentity.Encode(outcome.ServingPlmn!), autn.AsSpan(0, 6));
                    context.StoreContext(outcome.ServingPlmn!, kasme);
                    member?.OnAttached(kasme);
                    System.Security.Cryptography.CryptographicOperations.ZeroMemory(kasme);
                }
                return new AttachOutcome(identity, outcome.IpAddress, outcome.RestrictedTo) { ServingPlmn = outcome.ServingPlmn };
            }
            if (outcome.State != "challenge" || result.IsSuccess)
                throw new RoProvisioningException("attach-refused", $"unexpected attach state '{outcome.State}'");
            (attachId, randHex, autnHex) = (outcome.AttachId, outcome.Rand, outcome.Autn);
        }
        throw new RoProvisioningException("aka-failed", "still out of synchronisation after one resynchronisation");
    }

    /// <summary>A device's HTTPS client: the server's chain must lead to the operator root (TS 33.310 Annex E profile), no client certificate.</summary>
    public static HttpClient Client(Uri baseAddress, X509Certificate2 operatorRoot)
    {
        ArgumentNullException.ThrowIfNull(baseAddress);
        var handler = new SocketsHttpHandler();
        if (baseAddress.Scheme == Uri.UriSchemeHttps)
            handler.SslOptions = TlsProfile.CreateClientOptions(baseAddress.Host, ProfileChainValidator.ServerCallback(operatorRoot));
        return new HttpClient(new ConnectionErrorHandler(handler)) { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };
    }

    private static bool TryHex(string text, int octets, out byte[] bytes)
    {
        bytes = [];
        if (text.Length != octets * 2 || !text.All(Uri.IsHexDigit))
            return false;
        bytes = Convert.FromHexString(text);
        return true;
    }

    private sealed record AttachAsk(string Identity);

    private sealed record Challenge(string? AttachId, string? Rand, string? Autn);

    private sealed record Answer(string? Res, string? Auts);

    private sealed record Outcome(string? State, string? IpAddress, string? RestrictedTo, string? AttachId, string? Rand, string? Autn, string? ServingPlmn);

    private sealed record BootstrapAsk(string Pcid, string IpAddress, string DevId);

    private sealed record BootstrapMessage(string? Pcid, string? ShoId, string? DmUrl, string? Sec, string? Package, string? Mac, string? Enc);
}
