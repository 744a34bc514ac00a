using System.Security.Cryptography;
using System.Text;
using M2MSec.Dm.Bootstrap;
using M2MSec.NetworkFunctions.Hosting;
using M2MSec.Storage;
using M2MSec.Storage.Dm;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace M2MSec.NetworkFunctions.Dm;

/// <summary>POST /accounts: a device's DM account, and the key its bootstrap package's MAC is keyed with.</summary>
public sealed record DmAccountRequest(string? DevId, string? ServerUri, string? BootstrapKey);

/// <summary>The account made, as its bootstrap package (what `m2msec dm bootstrap --key-hex` prints): never stored, sent once.</summary>
public sealed record DmAccountBootstrapResponse(string DevId, string ServerId, string ContentType, string Mac, string BodyHex);

/// <summary>One job of a device as GET /accounts/{devId}/jobs lists it (no command values: they may be configuration secrets).</summary>
public sealed record DmJobSummary(string Id, string State, DateTimeOffset UpdatedAt, string? Reason, int Commands);

public sealed record DmJobList(string DevId, IReadOnlyList<DmJobSummary> Jobs);

/// <summary>
/// Issue 20 (docs/decisions/033): the DM server's administrative API, on its mutual-TLS admin listener only (its main listener faces
/// devices). An operator gives a device its DM account as a real one does: the server makes the account — both passwords random, made
/// here and kept wrapped under the key ring — and answers with the bootstrap package (OMA-TS-DM_Bootstrap-V1_2 §5) whose MAC is keyed
/// with the secret the caller shares with the device (the keyed method); the device checks the MAC before it installs the DMAcc.
/// </summary>
public static class DmAccountEndpoints
{
    /// <summary>The ServerID of the accounts this server makes.</summary>
    public const string ServerId = "m2msec-dm";

    public static void Map(IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapPost("/accounts", AddAsync).RequireAdministrator().WithMetadata(AdminListenerOnly.Instance).WithName("addDmAccount")
            .WithSummary("Make a device's DM account (random passwords, auth-md5 both ways); the answer is its bootstrap package, MAC'd with bootstrap_key")
            .Produces<DmAccountBootstrapResponse>(StatusCodes.Status201Created).ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status409Conflict);
        app.MapDelete("/accounts/{devId}", RemoveAsync).RequireAdministrator().WithMetadata(AdminListenerOnly.Instance).WithName("removeDmAccount")
            .WithSummary("Remove an account no job was ever queued for (a device registration undone)").Produces(StatusCodes.Status204NoContent)
            .ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound, StatusCodes.Status409Conflict);
        app.MapGet("/accounts/{devId}/jobs", JobsAsync).RequireAdministrator().WithMetadata(AdminListenerOnly.Instance).WithName("listDmJobs")
            .WithSummary("A device's DM jobs and their states (queued, running, done, failed)").Produces<DmJobList>()
            .ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound);
    }

    internal static async Task<IResult> AddAsync(DmAccountRequest request, IStateStore store, TimeProvider time, CancellationToken ct)
    {
        if (!IsDevId(request.DevId))
            return ApiProblem.BadRequest("bad-dev-id", "dev_id: expected 1 to 128 printable characters");
        if (!Uri.TryCreate(request.ServerUri, UriKind.Absolute, out var serverUri) || serverUri.Scheme is not ("https" or "http"))
            return ApiProblem.BadRequest("bad-server-uri", "server_uri: expected an absolute http or https URI (where the device reaches this server)");
        var key = request.BootstrapKey is { Length: > 0 and <= 128 } hex && hex.Length % 2 == 0 && hex.All(Uri.IsHexDigit) ? Convert.FromHexString(hex) : null;
        if (key is null || key.Length < BootstrapAuthenticator.MinKeyBytes)
            return ApiProblem.BadRequest("bad-bootstrap-key", $"bootstrap_key: expected {BootstrapAuthenticator.MinKeyBytes} to 64 octets in hex");
        // Text passwords: the bootstrap carries them as AAuthSecret, a chr leaf.
        var account = new DmAccount(request.DevId!, ServerId, request.DevId!, Password(), Password(), "md5", "md5", time.GetUtcNow());
        try
        {
            if (!await store.Dm.AddAccountAsync(account, ct).ConfigureAwait(false))
                return ApiProblem.Conflict("account-exists", $"dev_id: {request.DevId} already has a DM account");
            var body = BootstrapPackageBuilder.Build(DmAccountBootstrap.Package(account, serverUri));
            var mac = BootstrapAuthenticator.ComputeMacWithKey(key, body);
            await store.Audit.AppendAsync("admin", "dm.account.add", account.DevId, $"server {ServerId}, client md5, server md5; bootstrap keyed MAC", ct).ConfigureAwait(false);
            return Results.Created($"/accounts/{Uri.EscapeDataString(account.DevId)}",
                new DmAccountBootstrapResponse(account.DevId, ServerId, BootstrapPackage.ContentType, mac, Convert.ToHexStringLower(body)));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
            CryptographicOperations.ZeroMemory(account.ClientPassword);
            CryptographicOperations.ZeroMemory(account.ServerPassword);
        }
    }

    internal static async Task<IResult> RemoveAsync(string devId, IStateStore store, CancellationToken ct)
    {
        if (!IsDevId(devId))
            return ApiProblem.BadRequest("bad-dev-id", "devId: expected 1 to 128 printable characters");
        if (await store.Dm.RemoveUnusedAccountAsync(devId, ct).ConfigureAwait(false))
        {
            await store.Audit.AppendAsync("admin", "dm.account.remove", devId, "no job was queued for it", ct).ConfigureAwait(false);
            return Results.NoContent();
        }
        return await store.Dm.FindAccountAsync(devId, ct).ConfigureAwait(false) is null
            ? ApiProblem.NotFound("no-account", $"devId: {devId} has no DM account here")
            : ApiProblem.Conflict("account-has-jobs", $"devId: {devId} has DM jobs; its account stays with their history");
    }

    internal static async Task<IResult> JobsAsync(string devId, IStateStore store, CancellationToken ct)
    {
        if (!IsDevId(devId))
            return ApiProblem.BadRequest("bad-dev-id", "devId: expected 1 to 128 printable characters");
        if (await store.Dm.FindAccountAsync(devId, ct).ConfigureAwait(false) is not { } account)
            return ApiProblem.NotFound("no-account", $"devId: {devId} has no DM account here");
        CryptographicOperations.ZeroMemory(account.ClientPassword);
        CryptographicOperations.ZeroMemory(account.ServerPassword);
        var jobs = await store.Dm.ListJobsAsync(devId, ct).ConfigureAwait(false);
        return Results.Ok(new DmJobList(devId, [.. jobs.Select(j => new DmJobSummary(j.Id, j.State, j.UpdatedAt, j.Reason, j.Commands.Count))]));
    }

    private static bool IsDevId(string? devId) => devId is { Length: > 0 and <= 128 } d && !d.Any(char.IsControl);

    /// <summary>32 hex characters from 16 random octets (128 bits), as text.</summary>
    private static byte[] Password() => Encoding.ASCII.GetBytes(Convert.ToHexString(RandomNumberGenerator.GetBytes(16)));
}
