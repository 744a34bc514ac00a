using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using M2MSec.NetworkFunctions.Hosting;
using M2MSec.NetworkFunctions.Icf;
using M2MSec.NetworkFunctions.Ocsp;
using M2MSec.NetworkFunctions.Pva;
using M2MSec.NetworkFunctions.Sho;
using M2MSec.Pki;
using M2MSec.Pki.Authority;
using M2MSec.Provisioning.Validation;
using M2MSec.Storage;
using M2MSec.Storage.Ccif;
using M2MSec.Storage.Hss;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace M2MSec.NetworkFunctions.Ccif;

/// <summary>HTTP API of the CCIF (docs/provisioning.md): manufacture, device facts, PfC revocation, the manufacturer root, OCSP.</summary>
internal static class CcifEndpoints
{
    public const string OcspPath = "/ocsp";
    private const int MaxKey = 2048;

    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapPost("/devices", ManufactureAsync).RequireAdministrator().WithName("manufactureDevice")
            .WithSummary("Manufacture a device: temporary credential, PfC, hand-over to the ICF and the PVA (administrator: the factory line)")
            .Produces<DeviceManufactured>(StatusCodes.Status201Created)
            .ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status409Conflict, StatusCodes.Status502BadGateway);
        app.MapGet("/devices/{pcid}", GetDeviceAsync).RequireAdministrator().WithName("getManufacturedDevice")
            .WithSummary("A manufactured device's public facts (never K or OPc)").Produces<CcifDeviceInfo>().ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound);
        app.MapPost("/devices/{pcid}/revocation", RevokeAsync).RequireAdministrator().WithName("revokePfc")
            .WithSummary("Revoke a device's PfC (both certificates; answered by OCSP at /ocsp)").Produces<PfcRevoked>()
            .ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound, StatusCodes.Status409Conflict);
        CcifFirmwareUpdateEndpoints.Map(app);
        CcifPfcEndpoints.Map(app);
        // Public on the listener (any peer, e.g. the PVA): certificates and OCSP answers are signed.
        app.MapGet("/manufacturer-root", (ManufacturerAuthority a) => Results.Ok(new ManufacturerRootResponse(Convert.ToBase64String(a.Hierarchy.Root.RawData),
            Convert.ToBase64String(a.Hierarchy.Issuing.RawData), a.Hierarchy.OcspUrl?.ToString())))
            .WithName("manufacturerRoot").WithSummary("The manufacturer hierarchy's root and issuing CA (DER base64)").Produces<ManufacturerRootResponse>();
        app.MapOcsp(OcspPath);
    }

    private static async Task<IResult> ManufactureAsync(DeviceRegistrationRequest request, IStateStore store, ManufacturerAuthority authority, PeerClients peers,
        ShoSigningRootCache<byte[]> shoRoots, TimeProvider time, HttpContext context, CancellationToken ct)
    {
        if (!Imsi.IsValid(request.Pcid))
            return ApiProblem.BadRequest("bad-pcid", "pcid: expected 6 to 15 decimal digits (IMSI format)");
        if (!TreIds.IsValid(request.TreId))
            return ApiProblem.BadRequest("bad-tre-id", "tre_id: expected 1 to 64 of A-Z a-z 0-9 . _ -");
        var kindName = request.PlatformKey ?? KeyAlgorithm.EcP256.Name();
        if (!KeyAlgorithms.TryParse(kindName, out var kind) || kind is not (KeyAlgorithm.EcP256 or KeyAlgorithm.Rsa2048 or KeyAlgorithm.Rsa3072))
            return ApiProblem.BadRequest("bad-platform-key", "platform_key: expected ec-p256, rsa-2048 or rsa-3072");
        if (!TryPublicKey(request.AttestationPublicKey, "attestation_public_key", kind, out var attestationKey, out var error)
            || !TryPublicKey(request.EncryptionPublicKey, "encryption_public_key", kind, out var encryptionKey, out error))
            return ApiProblem.BadRequest("bad-public-key", error);
        if (attestationKey.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(encryptionKey.ExportSubjectPublicKeyInfo()))
            return ApiProblem.BadRequest("bad-public-key", "encryption_public_key: must differ from attestation_public_key (two platform keys)");
        if (request.ReferenceMeasurements is null || request.ReferenceMeasurements.Count is 0 or > AttestationStatement.MaxMeasurements)
            return ApiProblem.BadRequest("bad-measurements", $"reference_measurements: expected 1 to {AttestationStatement.MaxMeasurements} firmware images");
        foreach (var (name, hex) in request.ReferenceMeasurements)
        {
            if (string.IsNullOrEmpty(name) || name.Length > AttestationStatement.MaxNameLength || name.Any(char.IsControl)
                || !HexField.TryParse(hex, 32, "reference_measurements", out _, out _))
                return ApiProblem.BadRequest("bad-measurements", "reference_measurements: image names of 1 to 64 characters, each a SHA-256 of 64 hex digits");
        }
        byte[]? tokenHash = null;
        if (request.AuthTokenSha256 is not null && !HexField.TryParse(request.AuthTokenSha256, 32, "auth_token_sha256", out tokenHash, out error))
            return ApiProblem.BadRequest("bad-auth-token", error);
        if (await store.Ccif.FindDeviceAsync(request.Pcid!, ct).ConfigureAwait(false) is not null)
            return ApiProblem.Conflict("pcid-exists", $"pcid: {request.Pcid} is already manufactured; a PCID is used once");

        // The AIA of the PfC names this CCIF's OCSP responder (as the factory line reached it) unless configured.
        await authority.EnsureOcspUrlAsync(new Uri($"{context.Request.Scheme}://{context.Request.Host}{OcspPath}"), ct).ConfigureAwait(false);
        var hierarchy = authority.Hierarchy;
        var subject = new CertificateSubject(request.TreId!);
        using var attestation = await hierarchy.IssueForKeyAsync(CertificateProfile.PlatformAttestation, subject, attestationKey, cancellationToken: ct).ConfigureAwait(false);
        using var encryption = await hierarchy.IssueForKeyAsync(CertificateProfile.PlatformEncryption, subject, encryptionKey, cancellationToken: ct).ConfigureAwait(false);

        // The temporary-access credential (TR 33.812 §5.1.3.6.2 steps 3–5): random K and OPc, for this PCID only.
        var k = RandomNumberGenerator.GetBytes(16);
        var opc = RandomNumberGenerator.GetBytes(16);
        try
        {
            try
            {
                await new IcfClient(peers.For("icf")).AddTemporaryCredentialAsync(request.Pcid!, k, opc, ct).ConfigureAwait(false);
                await new PvaClient(peers.For("pva")).RegisterReferenceAsync(new ReferenceRequest(request.Pcid, request.TreId,
                    request.ReferenceMeasurements.ToDictionary(m => m.Key, m => m.Value.ToLowerInvariant(), StringComparer.Ordinal),
                    Convert.ToBase64String(attestation.RawData), Convert.ToBase64String(encryption.RawData),
                    Convert.ToBase64String(hierarchy.Root.RawData), Convert.ToBase64String(hierarchy.Issuing.RawData)), ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is HttpRequestException or PeerUnavailableException or TaskCanceledException && !ct.IsCancellationRequested)
            {
                // Nothing stays valid for a device the factory will not finish.
                var superseded = RevocationReasons.TryParse("cessationOfOperation", out var r) ? r : 5;
                await hierarchy.RevokeAsync(CertificateSerial.Of(attestation), superseded, ct).ConfigureAwait(false);
                await hierarchy.RevokeAsync(CertificateSerial.Of(encryption), superseded, ct).ConfigureAwait(false);
                await store.Audit.AppendAsync(AdministratorFilter.Actor(context), "ccif.manufacture.failed", request.Pcid!, "hand-over failed; PfC revoked", ct).ConfigureAwait(false);
                var peer = e is PeerUnavailableException p ? p.Role : e.Message.Contains("temporary-credentials", StringComparison.Ordinal) ? "icf" : "icf or pva";
                return Results.Problem(detail: $"the hand-over to the {peer} failed ({Short(e)}); the PfC was revoked, nothing to inject",
                    statusCode: StatusCodes.Status502BadGateway, type: "urn:m2msec:error:peer-failed");
            }
            var device = new CcifDevice(request.Pcid!, request.TreId!, kind.Name(), k, opc, CertificateSerial.Of(attestation), CertificateSerial.Of(encryption),
                attestation.RawData, encryption.RawData, tokenHash, time.GetUtcNow());
            // The device and its entry in one commit (docs/decisions/053).
            var added = await store.InOneCommitAsync(async () =>
            {
                if (!await store.Ccif.AddDeviceAsync(device, ct).ConfigureAwait(false))
                    return false;
                await store.Audit.AppendAsync(AdministratorFilter.Actor(context), "ccif.manufacture", request.Pcid!,
                    $"tre {request.TreId}, {kind.Name()}, pfc {device.AttestationSerial}/{device.EncryptionSerial}", ct).ConfigureAwait(false);
                return true;
            }, ct).ConfigureAwait(false);
            if (!added)
                return ApiProblem.Conflict("pcid-exists", $"pcid/tre_id: {request.Pcid} or its TRE id is already manufactured");
            var tls = context.RequestServices.GetService<NetworkFunctionTls>();
            var shoRoot = await shoRoots.GetAsync("sho", c => ShoSigningRootAsync(peers, c), ct).ConfigureAwait(false);
            return Results.Created($"/devices/{request.Pcid}", new DeviceManufactured(request.Pcid!, request.TreId!, kind.Name(), Convert.ToHexStringLower(k),
                Convert.ToHexStringLower(opc), Convert.ToBase64String(attestation.RawData), Convert.ToBase64String(encryption.RawData),
                Convert.ToBase64String(hierarchy.Root.RawData), Convert.ToBase64String(hierarchy.Issuing.RawData),
                tls?.TrustRoot is { } dm ? Convert.ToBase64String(dm.RawData) : null, shoRoot is null ? null : Convert.ToBase64String(shoRoot)));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(k);
            CryptographicOperations.ZeroMemory(opc);
        }
    }

    private static IResult BadPcid() => ApiProblem.BadRequest("bad-pcid", "pcid: expected 6 to 15 decimal digits (IMSI format)");

    private static async Task<IResult> GetDeviceAsync(string pcid, IStateStore store, CancellationToken ct)
    {
        if (!Imsi.IsValid(pcid))
            return BadPcid();
        var d = await store.Ccif.FindDeviceAsync(pcid, ct).ConfigureAwait(false);
        if (d is null)
            return ApiProblem.NotFound("unknown-device", "pcid: not manufactured here");
        CryptographicOperations.ZeroMemory(d.K);
        CryptographicOperations.ZeroMemory(d.Opc);
        return Results.Ok(new CcifDeviceInfo(d.Pcid, d.TreId, d.PlatformKey, d.AttestationSerial, d.EncryptionSerial, Convert.ToBase64String(d.AttestationCertificate),
            Convert.ToBase64String(d.EncryptionCertificate), d.CreatedAt, d.RevokedAt, d.RevocationReason));
    }

    private static async Task<IResult> RevokeAsync(string pcid, PfcRevocationRequest request, IStateStore store, ManufacturerAuthority authority, TimeProvider time,
        HttpContext context, CancellationToken ct)
    {
        if (!Imsi.IsValid(pcid))
            return BadPcid();
        if (!RevocationReasons.TryParse(request.Reason, out var reason))
            return ApiProblem.BadRequest("bad-reason", $"reason: expected one of {string.Join(", ", RevocationReasons.Names)}");
        var d = await store.Ccif.FindDeviceAsync(pcid, ct).ConfigureAwait(false);
        if (d is null)
            return ApiProblem.NotFound("unknown-device", "pcid: not manufactured here");
        CryptographicOperations.ZeroMemory(d.K);
        CryptographicOperations.ZeroMemory(d.Opc);
        if (!await store.Ccif.MarkRevokedAsync(pcid, RevocationReasons.Name(reason), time.GetUtcNow(), ct).ConfigureAwait(false))
            return ApiProblem.Conflict("already-revoked", $"pcid: {pcid}'s PfC is already revoked; the first revocation stands");
        await authority.Hierarchy.RevokeAsync(d.AttestationSerial, reason, ct).ConfigureAwait(false);
        await authority.Hierarchy.RevokeAsync(d.EncryptionSerial, reason, ct).ConfigureAwait(false);
        await store.Audit.AppendAsync(AdministratorFilter.Actor(context), "ccif.pfc.revoke", pcid, RevocationReasons.Name(reason), ct).ConfigureAwait(false);
        return Results.Ok(new PfcRevoked(pcid, RevocationReasons.Name(reason), [d.AttestationSerial, d.EncryptionSerial]));
    }

    /// <summary>A platform public key (SubjectPublicKeyInfo DER, base64) of exactly the kind chosen.</summary>
    private static bool TryPublicKey(string? base64, string field, KeyAlgorithm kind, out PublicKey key, out string error)
    {
        key = null!;
        error = $"{field}: expected a {kind.Name()} SubjectPublicKeyInfo, DER base64";
        if (string.IsNullOrEmpty(base64) || base64.Length > MaxKey * 2 || !PvaEndpoints.TryBase64(base64, out var der))
            return false;
        try
        {
            key = PublicKey.CreateFromSubjectPublicKeyInfo(der, out var read);
            return read == der.Length && KeyAlgorithms.Of(key) == kind;
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    /// <summary>The SHO's M2MSIMMobj signing root from its GET /signing-root (PEM, or JSON with the certificate in PEM or base64); null when unknown.</summary>
    private static async Task<byte[]?> ShoSigningRootAsync(PeerClients peers, CancellationToken ct)
    {
        if (peers.Peers.Find("sho") is null)
            return null;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(20));
            var text = await peers.For("sho").GetStringAsync("signing-root", timeout.Token).ConfigureAwait(false);
            return CertificateText.TryRead(text);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            return null;
        }
    }

    private static string Short(Exception e) => e.Message.Length > 200 ? e.Message[..200] : e.Message;
}

/// <summary>A certificate found in a PEM text or in a JSON object's string fields (PEM or DER base64); null when none.</summary>
internal static class CertificateText
{
    public static byte[]? TryRead(string text)
    {
        if (text.Contains("-----BEGIN CERTIFICATE-----", StringComparison.Ordinal) && !text.TrimStart().StartsWith('{'))
            return Load(() => X509Certificate2.CreateFromPem(text));
        try
        {
            using var doc = JsonDocument.Parse(text);
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                return null;
            foreach (var p in doc.RootElement.EnumerateObject().Where(p => p.Value.ValueKind == JsonValueKind.String))
            {
                var s = p.Value.GetString()!;
                var der = s.Contains("-----BEGIN CERTIFICATE-----", StringComparison.Ordinal) ? Load(() => X509Certificate2.CreateFromPem(s))
                    : PvaEndpoints.TryBase64(s, out var bytes) ? Load(() => X509CertificateLoader.LoadCertificate(bytes)) : null;
                if (der is not null)
                    return der;
            }
        }
        catch (JsonException)
        {
        }
        return null;
    }

    private static byte[]? Load(Func<X509Certificate2> load)
    {
        try
        {
            using var c = load();
            return c.RawData;
        }
        catch (CryptographicException)
        {
            return null;
        }
    }
}
