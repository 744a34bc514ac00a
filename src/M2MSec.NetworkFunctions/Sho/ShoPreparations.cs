using System.Diagnostics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using M2MSec.NetworkFunctions.Ccif;
using M2MSec.NetworkFunctions.Dpf;
using M2MSec.NetworkFunctions.Drf;
using M2MSec.NetworkFunctions.Hosting;
using M2MSec.Provisioning;
using M2MSec.Provisioning.Mcim;
using M2MSec.Provisioning.Objects;
using M2MSec.Storage.Audit;
using M2MSec.Storage.Sho;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;

namespace M2MSec.NetworkFunctions.Sho;

/// <summary>
/// Bulk preparation's two halves of <see cref="IMcimPackager"/> (issue 16, docs/decisions/023): seal the MCIM to PK_D ahead of time,
/// sign M2MSIMMobj around it with the registration nonce at contact time (step 16). <see cref="McimPreparer"/> is the real one.
/// </summary>
public interface IMcimPreparer
{
    /// <summary>The MCIM object sealed to <paramref name="pkD"/> (SubjectPublicKeyInfo DER).</summary>
    byte[] Seal(byte[] pkD, McimContent mcim);

    /// <summary>The signed M2MSIMMobj document carrying <paramref name="sealedMcim"/>.</summary>
    byte[] Sign(byte[] sealedMcim, string pcid, string treId, string shoId, byte[] registrationNonce, X509Certificate2 signer, X509Certificate2Collection? chain);
}

/// <summary><c>McimObject.Seal</c>, then later <see cref="M2MSimMobj.Sign"/> (seed 003): the same as <see cref="McimPackager"/>, split.</summary>
public sealed class McimPreparer : IMcimPreparer
{
    public byte[] Seal(byte[] pkD, McimContent mcim) => McimObject.Seal(pkD, mcim);

    public byte[] Sign(byte[] sealedMcim, string pcid, string treId, string shoId, byte[] registrationNonce, X509Certificate2 signer, X509Certificate2Collection? chain) =>
        M2MSimMobj.Sign(new M2MSimMobjContent(pcid, treId, shoId, registrationNonce, sealedMcim), signer, chain);
}

/// <summary>What one bulk preparation did.</summary>
internal sealed record PreparationOutcome(int Requested, int Prepared, int Skipped, int OtherSho, int Failed, bool PoolExhausted, DateTimeOffset ExpiresAt,
    long ElapsedMs, long SealMs, double SealsPerSecond, int Cores);

/// <summary>
/// The SHO's bulk preparation (issue 16; seed 003: "have the SHO prepare the (wrapped) credentials as result of the registration of the
/// devices and their respective platform credentials in advance at the SHO"): which devices (the CCIF's PfCs, the DRF's
/// assignments), sealing on all cores, the release at step 16 after a valid verdict, and the expiry of what was never used.
/// </summary>
internal static class ShoPreparations
{
    /// <summary>Devices asked of the CCIF (and looked up at the DRF) per page.</summary>
    public const int PageSize = 500;

    /// <summary>A preparation still sealing after this long was interrupted (a crash): the sweep frees its IMSI.</summary>
    public static readonly TimeSpan SealingTimeout = TimeSpan.FromMinutes(10);

    private static readonly McimPreparer Real = new();

    /// <summary>The seam's preparer: the packager itself when it can split, the real one for the real packager, else none.</summary>
    public static IMcimPreparer? PreparerOf(IMcimPackager packager) => packager as IMcimPreparer ?? (packager is McimPackager ? Real : null);

    /// <summary>Seals up to <paramref name="count"/> MCIMs for devices assigned to this SHO that have no registration or preparation here.</summary>
    public static async Task<PreparationOutcome> PrepareAsync(ShoContext sho, int count, TimeSpan lifetime, CancellationToken ct)
    {
        var preparer = PreparerOf(sho.Packager) ?? throw new InvalidOperationException("this SHO's packager cannot seal ahead of time");
        var total = Stopwatch.StartNew();
        var now = sho.Time.GetUtcNow();
        var expires = now + lifetime;
        var (candidates, skipped, otherSho) = await CandidatesAsync(sho, count, ct).ConfigureAwait(false);

        // The reservations (IMSI free → prepared, preparation `sealing`) in one transaction per page.
        var work = new List<(ShoPreparedMcim Preparation, byte[] PkD, byte[]? Token)>();
        var exhausted = false;
        foreach (var chunk in candidates.Chunk(PageSize))
        {
            var rows = new List<(ShoPreparedMcim, byte[], byte[]?)>();
            foreach (var (pfc, pkD) in chunk)
            {
                var token = await sho.Store.FindAuthorisationTokenAsync(pfc.Pcid, ct).ConfigureAwait(false);
                rows.Add((new ShoPreparedMcim(pfc.Pcid, "", ShoPreparedMcim.Sealing, pfc.TreId, Convert.FromBase64String(pfc.PfcAttestation),
                    Convert.FromBase64String(pfc.PfcEncryption), token is null ? null : SHA256.HashData(token), null, null, null, now, expires), pkD, token));
            }
            var reserved = await sho.Store.ReservePreparationsAsync([.. rows.Select(r => r.Item1)], ct).ConfigureAwait(false);
            for (var i = 0; i < rows.Count; i++)
            {
                if (reserved[i].Imsi is { } imsi)
                    work.Add((rows[i].Item1 with { Imsi = imsi }, rows[i].Item2, rows[i].Item3));
                else if (reserved[i].PoolExhausted)
                    exhausted = true;
                else
                    skipped++;
            }
            if (exhausted)
                break;
        }

        // Sealing: public-key work only, on every core.
        var cores = Environment.ProcessorCount;
        var sealedMcims = new ShoSealedPreparation?[work.Count];
        var sealing = Stopwatch.StartNew();
        Parallel.For(0, work.Count, new ParallelOptions { MaxDegreeOfParallelism = cores, CancellationToken = ct }, i =>
        {
            var (p, pkD, token) = work[i];
            var k = RandomNumberGenerator.GetBytes(16);
            var opc = RandomNumberGenerator.GetBytes(16);
            try
            {
                sealedMcims[i] = new ShoSealedPreparation(p.Pcid, preparer.Seal(pkD, new McimContent(p.Imsi, k, opc, AuthorisationToken: token)), k, opc);
            }
            catch (Exception e) when (e is ProvisioningException or CryptographicException or ArgumentException)
            {
                CryptographicOperations.ZeroMemory(k);
                CryptographicOperations.ZeroMemory(opc);
            }
        });
        sealing.Stop();

        var done = sealedMcims.OfType<ShoSealedPreparation>().ToList();
        var prepared = 0;
        foreach (var chunk in done.Chunk(PageSize))
            prepared += await sho.Store.CompletePreparationsAsync(chunk, ct).ConfigureAwait(false);
        foreach (var m in done)
        {
            CryptographicOperations.ZeroMemory(m.K);
            CryptographicOperations.ZeroMemory(m.Opc);
        }
        foreach (var (_, _, token) in work.Where(w => w.Token is not null))
            CryptographicOperations.ZeroMemory(token!);
        // Nothing left the SHO for one that could not be sealed: its IMSI is free again.
        var failed = 0;
        for (var i = 0; i < work.Count; i++)
        {
            if (sealedMcims[i] is null && await sho.Store.DiscardPreparedAsync(work[i].Preparation.Pcid, null, ct).ConfigureAwait(false))
                failed++;
        }
        total.Stop();
        var rate = sealing.Elapsed.TotalSeconds > 0 ? done.Count / sealing.Elapsed.TotalSeconds : 0;
        await sho.AuditAsync("sho.mcim.prepared", sho.Options.ShoId,
            $"{prepared} of {count} requested, {skipped} already here, {otherSho} another SHO's, {failed} failed{(exhausted ? ", IMSI pool exhausted" : "")}; expire {expires:O}",
            ct).ConfigureAwait(false);
        return new PreparationOutcome(count, prepared, skipped, otherSho, failed, exhausted, expires, total.ElapsedMilliseconds, sealing.ElapsedMilliseconds,
            Math.Round(rate, 1), cores);
    }

    /// <summary>
    /// Devices whose PfC the CCIF registered (not revoked) that step 9 would hand to this SHO (the DRF's assignment, else its default)
    /// and that have no registration or preparation here yet, by PCID, up to <paramref name="count"/>.
    /// </summary>
    private static async Task<(List<(CcifPfc Pfc, byte[] PkD)> Candidates, int Skipped, int OtherSho)> CandidatesAsync(ShoContext sho, int count, CancellationToken ct)
    {
        var candidates = new List<(CcifPfc, byte[])>();
        var (skipped, otherSho) = (0, 0);
        string? after = null;
        while (candidates.Count < count)
        {
            var page = await JsonApiClient.GetAsync<CcifPfcPage>(sho.Peers.For("ccif"),
                $"pfcs?limit={PageSize}{(after is null ? "" : "&after=" + after)}", ct).ConfigureAwait(false);
            var fresh = new List<(CcifPfc, byte[])>();
            foreach (var d in page.Devices)
            {
                if (await sho.Store.FindAsync(d.Pcid, ct).ConfigureAwait(false) is not null
                    || (await sho.Store.FindPreparedAsync(d.Pcid, ct).ConfigureAwait(false)) is { } p && Wipe(p))
                    skipped++;
                else if (ShoEndpoints.TryCertificate(d.PfcEncryption, out var encryption) && ShoEndpoints.PkD(encryption) is { } pkD)
                    fresh.Add((d, pkD));
            }
            if (fresh.Count > 0)
            {
                var mine = (await JsonApiClient.PostAsync<AssignmentLookupRequest, AssignmentLookupResult>(sho.Peers.For("drf"), "assignments/lookup",
                    new AssignmentLookupRequest(sho.Options.ShoId, [.. fresh.Select(f => f.Item1.Pcid)]), ct).ConfigureAwait(false)).Pcids.ToHashSet(StringComparer.Ordinal);
                otherSho += fresh.Count(f => !mine.Contains(f.Item1.Pcid));
                candidates.AddRange(fresh.Where(f => mine.Contains(f.Item1.Pcid)).Take(count - candidates.Count));
            }
            if (page.Next is null)
                break;
            after = page.Next;
        }
        return (candidates, skipped, otherSho);
    }

    /// <summary>
    /// Step 16 with a prepared MCIM (the verdict was checked and is valid): when this registration's PCID has one, sealed to the very
    /// PfC the registration presented (and the PVA validated), with the current authorisation token, not expired, M2MSIMMobj is signed
    /// around it with the registration nonce and the subscription moves to downloading in the same transaction that releases it; then
    /// step 17. Null when the MCIM must be sealed on demand (none, or one that does not fit — destroyed then, its IMSI freed).
    /// </summary>
    public static async Task<IResult?> TryReleaseAsync(ShoContext sho, ShoSubscription sub, string verdict, CancellationToken ct)
    {
        var p = await sho.Store.FindPreparedAsync(sub.Pcid, ct).ConfigureAwait(false);
        if (p is null)
            return null;
        try
        {
            var now = sho.Time.GetUtcNow();
            var preparer = PreparerOf(sho.Packager);
            var token = await sho.Store.FindAuthorisationTokenAsync(sub.Pcid, ct).ConfigureAwait(false);
            var why = p.State != ShoPreparedMcim.Prepared ? null // still sealing: left alone, the MCIM is sealed on demand
                : p.ExpiresAt <= now ? "expired"
                : !Same(p.PfcEncryption, sub.PfcEncryption) || !Same(p.PfcAttestation, sub.PfcAttestation) ? "pfc-differs"
                : p.TreId != sub.TreId ? "tre-differs"
                : !Same(p.TokenSha256, token is null ? null : SHA256.HashData(token)) ? "auth-token-changed"
                : preparer is null ? "no-preparer"
                : "";
            if (token is not null)
                CryptographicOperations.ZeroMemory(token);
            if (why is null)
                return null;
            if (why.Length > 0)
            {
                await DiscardAsync(sho, sub.Pcid, why, ct).ConfigureAwait(false);
                return null;
            }

            // The signed M2MSIMMobj around the prepared object, with this registration's nonce (seed 003), built now.
            var signer = await sho.Signing.GetAsync(ct).ConfigureAwait(false);
            byte[] document;
            try
            {
                document = preparer!.Sign(p.McimObject!, sub.Pcid, sub.TreId, sho.Options.ShoId, sub.RegistrationNonce, signer.Certificate, signer.Chain);
            }
            catch (Exception e) when (e is ProvisioningException or CryptographicException or ArgumentException)
            {
                return Results.Problem(detail: "M2MSIMMobj could not be signed around the prepared MCIM", statusCode: StatusCodes.Status500InternalServerError,
                    type: "urn:m2msec:error:signing-failed");
            }
            // The signed document and its verdict are kept with the keys, as on demand: a repeated verdict re-sends this MCIM (decision 022).
            var downloading = sub with { State = ShoSubscription.Downloading, Imsi = p.Imsi, K = p.K, Opc = p.Opc, Verdict = verdict, M2MSimMobj = document, UpdatedAt = now };
            // The release and its audit entry in one transaction (issue 16: never a released MCIM without its entry after a kill).
            var entry = new AuditRecord("sho", "sho.mcim.prepared-released", sub.Pcid, $"imsi {p.Imsi}, validation {sub.ValidationId}");
            if (!await sho.Store.ReleasePreparedAsync(downloading, ShoSubscription.Validating, now, entry, ct).ConfigureAwait(false))
            {
                // Expired or taken meanwhile: on demand, if the registration still awaits its MCIM.
                return (await sho.Store.FindAsync(sub.Pcid, ct).ConfigureAwait(false))?.State == ShoSubscription.Validating ? null
                    : ApiProblem.Conflict("not-validating", $"pcid: {sub.Pcid} changed state meanwhile");
            }
            sho.Counted(entry.Action, sub.Pcid);

            // Step 17: to the DPF, with the verdict that authorises the download.
            try
            {
                await new DpfClient(sho.Peers.For("dpf")).DeliverM2MSimMobjAsync(sub.Pcid, new M2MSimMobjDelivery(Convert.ToBase64String(document), verdict), ct)
                    .ConfigureAwait(false);
            }
            catch (Exception e) when (e is HttpRequestException or PeerUnavailableException or TaskCanceledException)
            {
                await sho.FailAsync(downloading, ShoSubscription.Downloading, "dpf-refused-download", ct).ConfigureAwait(false);
                await sho.Store.SetImsiStateAsync(p.Imsi, "retired", ct).ConfigureAwait(false);
                return Results.Problem(detail: $"the DPF did not take M2MSIMMobj: {ShoEndpoints.Clip(e.Message)}", statusCode: StatusCodes.Status502BadGateway,
                    type: "urn:m2msec:error:dpf-unavailable");
            }
            return Results.Ok(new ShoSubscriptionState(sub.Pcid, ShoSubscription.Downloading, p.Imsi));
        }
        finally
        {
            Wipe(p);
        }
    }

    /// <summary>
    /// Destroys the PCID's preparation, if any (the sealed object, K and OPc deleted; the IMSI free again: they never left the SHO) —
    /// e.g. when the PVA judged the platform invalid: a prepared MCIM is released only after a valid verdict.
    /// </summary>
    public static async Task DiscardAsync(ShoContext sho, string pcid, string reason, CancellationToken ct)
    {
        if (await sho.Store.DiscardPreparedAsync(pcid, null, ct).ConfigureAwait(false))
            await sho.AuditAsync("sho.mcim.prepared-destroyed", pcid, reason, ct).ConfigureAwait(false);
    }

    /// <summary>Destroys every preparation expired at <paramref name="now"/> (and every one interrupted while sealing); how many.</summary>
    public static async Task<int> SweepAsync(ShoContext sho, DateTimeOffset now, CancellationToken ct)
    {
        var swept = 0;
        while (true)
        {
            var stale = await sho.Store.ListStalePreparationsAsync(now, now - SealingTimeout, PageSize, ct).ConfigureAwait(false);
            var before = swept;
            foreach (var pcid in stale)
            {
                var p = await sho.Store.FindPreparedAsync(pcid, ct).ConfigureAwait(false);
                if (p is null)
                    continue;
                Wipe(p);
                // Only what is still expired (or still sealing) at the delete: a release that won the race keeps its IMSI.
                var gone = p.State == ShoPreparedMcim.Sealing && p.ExpiresAt > now
                    ? await sho.Store.DiscardPreparedAsync(pcid, null, ct).ConfigureAwait(false)
                    : await sho.Store.DiscardPreparedAsync(pcid, now, ct).ConfigureAwait(false);
                if (gone)
                {
                    swept++;
                    await sho.AuditAsync("sho.mcim.prepared-expired", pcid, $"imsi {p.Imsi} free again", ct).ConfigureAwait(false);
                }
            }
            if (stale.Count < PageSize || swept == before)
                return swept;
        }
    }

    /// <summary>The listing's rows for preparations (state sealing or prepared, with the expiry).</summary>
    public static async Task<IEnumerable<ShoSubscriptionDto>> RowsAsync(ShoContext sho, CancellationToken ct) =>
        (await sho.Store.ListPreparedAsync(ct).ConfigureAwait(false)).Select(p => new ShoSubscriptionDto(p.Pcid, p.TreId, p.State, p.Imsi, null, p.CreatedAt,
            p.CreatedAt, p.ExpiresAt));

    private static bool Same(byte[]? a, byte[]? b) => a is null || b is null ? a is null && b is null : CryptographicOperations.FixedTimeEquals(a, b);

    private static bool Wipe(ShoPreparedMcim p)
    {
        foreach (var secret in new[] { p.K, p.Opc, p.McimObject })
        {
            if (secret is not null)
                CryptographicOperations.ZeroMemory(secret);
        }
        return true;
    }
}

/// <summary>Expiry: prepared MCIMs past their lifetime are destroyed and their IMSIs freed, at start and every minute (TimeProvider).</summary>
internal sealed class ShoPreparationSweeper(ShoContext sho) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromMinutes(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await ShoPreparations.SweepAsync(sho, sho.Time.GetUtcNow(), stoppingToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is M2MSec.Storage.StoreException or System.Data.Common.DbException)
            {
                // The store is briefly unavailable: the next round tries again.
            }
            try
            {
                await Task.Delay(Interval, sho.Time, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
