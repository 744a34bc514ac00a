using M2MSec.NetworkFunctions.Hss;
using M2MSec.NetworkFunctions.Ocsp;
using M2MSec.NetworkFunctions.Ota;
using M2MSec.NetworkFunctions.Smsc;
using M2MSec.Pki.Authority;
using M2MSec.Pki.Tls;

namespace M2MSec.NetworkFunctions.Hosting;

/// <summary>The roles this build can host, by name; later roles register here.</summary>
public static class NetworkFunctionCatalog
{
    /// <summary>Each role's factory, given the addresses of the roles it talks to (its peers).</summary>
    private static readonly Dictionary<string, Func<IReadOnlyDictionary<string, Uri>, INetworkFunction>> Factories = new(StringComparer.Ordinal)
    {
        [NetworkFunctionRole.Hss] = _ => new HssFunction(),
        [NetworkFunctionRole.Smsc] = _ => new SmscFunction(),
        [NetworkFunctionRole.Ota] = peers => new OtaServerFunction(new OtaServerOptions(
            peers.TryGetValue(NetworkFunctionRole.Smsc, out var smsc) ? smsc : throw new ArgumentException("the OTA server needs the SMSC's address (--smsc URL)"))),
        [NetworkFunctionRole.Ocsp] = _ => new OcspFunction(new OcspFunctionOptions()),
        ["ccif"] = _ => new Ccif.CcifFunction(),
        ["pva"] = _ => new Pva.PvaFunction(),
        [Vno.VnoFunction.RoleName] = _ => new Vno.VnoFunction(),
        [Icf.IcfFunction.RoleName] = _ => new Icf.IcfFunction(),
        [Drf.DrfFunction.RoleName] = _ => new Drf.DrfFunction(),
        ["dpf"] = _ => new Dpf.DpfFunction(),
        ["sho"] = _ => new Sho.ShoFunction(),
        [MtcIwf.MtcIwfFunction.RoleName] = _ => new MtcIwf.MtcIwfFunction(),
        [Bsf.BsfFunction.RoleName] = _ => new Bsf.BsfFunction(),
        [Naf.NafFunction.RoleName] = _ => new Naf.NafFunction(),
    };

    /// <summary>Available role names, in <see cref="NetworkFunctionRole.All"/> order.</summary>
    public static IReadOnlyList<string> Available { get; } = [.. NetworkFunctionRole.All.Where(Factories.ContainsKey)];

    public static bool TryCreate(string role, out INetworkFunction function, IReadOnlyDictionary<string, Uri>? peers = null)
    {
        if (Factories.TryGetValue(role, out var factory))
        {
            function = factory(peers ?? new Dictionary<string, Uri>());
            return true;
        }
        function = null!;
        return false;
    }

    /// <summary>
    /// Starts <paramref name="role"/> on the store <paramref name="store"/> names; with
    /// <paramref name="tls"/>, over mutual TLS (and, with <paramref name="adminUrls"/>, with the
    /// administrative API on its own mutual-TLS listener beside a public HTTP one). <paramref name="function"/>: an instance
    /// configured by the caller (e.g. `serve sho --sho-id sho-b`) instead of the role's default; <paramref name="name"/> its instance name.
    /// </summary>
    public static Task<NetworkFunctionHost> StartAsync(string role, StoreOptions store, string? urls = null, bool createKeyRing = false,
        IReadOnlyDictionary<string, Uri>? peers = null, NetworkFunctionTls? tls = null, string? adminUrls = null, CancellationToken cancellationToken = default,
        NetworkFunctionPeers? directory = null, string? deviceUrls = null, INetworkFunction? function = null, string? name = null) =>
        StartAsync(role, store, urls, createKeyRing, peers, tls, adminUrls, cancellationToken, directory, deviceUrls, function, name, opening: null);

    /// <summary>The same, on a store whose opening the caller started already (<paramref name="opening"/>; null: opened here).</summary>
    private static async Task<NetworkFunctionHost> StartAsync(string role, StoreOptions store, string? urls, bool createKeyRing,
        IReadOnlyDictionary<string, Uri>? peers, NetworkFunctionTls? tls, string? adminUrls, CancellationToken cancellationToken,
        NetworkFunctionPeers? directory, string? deviceUrls, INetworkFunction? function, string? name, Task<M2MSec.Storage.IStateStore>? opening)
    {
        ArgumentNullException.ThrowIfNull(store);
        directory ??= new NetworkFunctionPeers(peers);
        if (function is null && !TryCreate(role, out function, peers ?? directory.Snapshot()))
            throw new ArgumentException($"Unknown role '{role}'.", nameof(role));
        var state = await (opening ?? store.OpenAsync(createKeyRing: createKeyRing, cancellationToken: cancellationToken)).ConfigureAwait(false);
        try
        {
            var host = await NetworkFunctionHost.StartAsync(function, store.DataDirectory, state, urls, tls: tls, adminUrls: adminUrls, cancellationToken: cancellationToken,
                peers: directory, deviceUrls: deviceUrls, instance: name).ConfigureAwait(false);
            host.Name = name ?? function.Role;
            return host;
        }
        catch
        {
            await state.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Second instances `serve all` starts right after a role's first (issue 16, docs/decisions/021): a second SHO with its own
    /// HSS, so a device can change its subscription between two running SHOs. Name (SHO id, peer name, data subdirectory), role, function.
    /// </summary>
    public static IReadOnlyList<(string Name, string Role, Func<INetworkFunction> Create)> SecondInstances { get; } =
    [
        ("hss-b", NetworkFunctionRole.Hss, () => new HssFunction()),
        (Sho.ShoOptions.SecondShoId, "sho", () => new Sho.ShoFunction(Sho.ShoOptions.ForInstance(Sho.ShoOptions.SecondShoId))),
    ];

    /// <summary>
    /// Starts every available role in this process, each on its own loopback port and in its own
    /// subdirectory, under mutual TLS by default: the OCSP function's store holds the operator
    /// hierarchy, which issues each function's certificate (renewed while running) and the
    /// administrator's (written to DIR/admin.crt, DIR/admin.key, beside DIR/root.pem).
    /// </summary>
    public static async Task<NetworkFunctionFleet> StartAllAsync(StoreOptions store, bool createKeyRing = false, bool mutualTls = true,
        TimeProvider? time = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        time ??= TimeProvider.System;
        var hosts = new List<NetworkFunctionHost>();
        IAsyncDisposable? issuerStore = null;
        try
        {
            CertificateHierarchy? hierarchy = null;
            if (mutualTls)
            {
                // The hierarchy lives in the OCSP function's store: it answers for what it issues.
                await using var pki = await (store with { DataDirectory = Path.Combine(store.DataDirectory, NetworkFunctionRole.Ocsp) })
                    .OpenAsync(createKeyRing: createKeyRing, cancellationToken: cancellationToken).ConfigureAwait(false);
                hierarchy = await CertificateHierarchy.OpenAsync(pki.Certificates, "operator", time, cancellationToken).ConfigureAwait(false)
                    ?? await CertificateHierarchy.InitAsync(pki.Certificates, "operator", KeyAlgorithm.EcP256, null, time, cancellationToken).ConfigureAwait(false);
                var admin = await hierarchy.IssueAsync(CertificateProfile.Admin, new CertificateSubject(NetworkFunctionTls.DefaultAdminSubject),
                    TimeSpan.FromDays(30), cancellationToken: cancellationToken).ConfigureAwait(false);
                await AdminCredentials.WriteAsync(store.DataDirectory, admin, hierarchy, cancellationToken).ConfigureAwait(false);
                // Issue 17: an MTC server's identity (role mtc-server, CN mtc-server) for `trigger send` against the MTC-IWF.
                var mtcServer = await hierarchy.IssueAsync(CertificateProfile.NetworkFunction,
                    new CertificateSubject(AdminCredentials.MtcServerFile), TimeSpan.FromDays(30), role: AdminCredentials.MtcServerFile, cancellationToken: cancellationToken)
                    .ConfigureAwait(false);
                await AdminCredentials.WriteMtcServerAsync(store.DataDirectory, mtcServer, cancellationToken).ConfigureAwait(false);
                // Issue 20: the scrape credential for every function's /metrics (role metrics, CN metrics).
                var scraper = await hierarchy.IssueAsync(CertificateProfile.NetworkFunction, new CertificateSubject(NetworkFunctionHost.MetricsScraperRole),
                    TimeSpan.FromDays(30), role: NetworkFunctionHost.MetricsScraperRole, cancellationToken: cancellationToken).ConfigureAwait(false);
                await AdminCredentials.WriteMetricsScraperAsync(store.DataDirectory, scraper, cancellationToken).ConfigureAwait(false);
                (hierarchy, issuerStore) = await ReopenAsync(store, createKeyRing, time, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                // Without TLS too the OCSP function needs its hierarchy: made on first start, no `pki init` needed.
                await using var pki = await (store with { DataDirectory = Path.Combine(store.DataDirectory, NetworkFunctionRole.Ocsp) })
                    .OpenAsync(createKeyRing: createKeyRing, cancellationToken: cancellationToken).ConfigureAwait(false);
                if (await CertificateHierarchy.OpenAsync(pki.Certificates, "operator", time, cancellationToken).ConfigureAwait(false) is null)
                    await CertificateHierarchy.InitAsync(pki.Certificates, "operator", KeyAlgorithm.EcP256, null, time, cancellationToken).ConfigureAwait(false);
            }
            // The functions find each other here, the OCSP function's plain-HTTP responder too (its name is its role).
            var directory = new NetworkFunctionPeers();
            Uri? Responder() => directory.Find(NetworkFunctionRole.Ocsp);
            // The second instances keep their state apart by data directory: one shared PostgreSQL database would merge the two SHOs'
            // subscriptions and IMSI pools (and the two HSSs), so with --postgres `serve all` runs the one SHO only.
            IReadOnlyList<(string Name, string Role, Func<INetworkFunction> Create)> second = store.PostgresConnectionString is { Length: > 0 } ? [] : SecondInstances;
            var instances = Available.OrderBy(r => mutualTls && r == NetworkFunctionRole.Ocsp ? 0 : 1)
                .SelectMany(r => second.Where(i => i.Role == r).Select(i => (i.Name, i.Role, (Func<INetworkFunction>?)i.Create)).Prepend((r, r, null))).ToList();
            // Issue 19 (docs/decisions/034, 047): the functions start at once, each on its own store, opened and migrated on a pool thread of its
            // own. Under mutual TLS the OCSP function starts first: every other checks its peers' certificates against it.
            var starts = new Dictionary<string, Task<NetworkFunctionHost>>(StringComparer.Ordinal);
            foreach (var (name, role, create) in instances)
            {
                var own = store with { DataDirectory = Path.Combine(store.DataDirectory, name) };
                // SQLite's asynchronous calls complete synchronously: without Task.Run the openings ran one after another.
                var opening = Task.Run(() => own.OpenAsync(createKeyRing: createKeyRing, cancellationToken: cancellationToken), cancellationToken);
                var after = starts.Where(s => (mutualTls && s.Key == NetworkFunctionRole.Ocsp) || StartsAfter(role, s.Key)).Select(s => s.Value).ToArray();
                starts[name] = StartInFleetAsync(name, role, create, own, opening, after);
            }
            try
            {
                await Task.WhenAll(starts.Values).ConfigureAwait(false);
            }
            finally
            {
                // In the order above (the fleet stops in reverse: the OCSP function last); on a failure, those that did start are stopped below.
                hosts.AddRange(instances.Select(i => starts[i.Name]).Where(t => t.IsCompletedSuccessfully).Select(t => t.Result));
            }

            async Task<NetworkFunctionHost> StartInFleetAsync(string name, string role, Func<INetworkFunction>? create, StoreOptions own,
                Task<M2MSec.Storage.IStateStore> opening, Task[] after)
            {
                NetworkFunctionTls? tls;
                try
                {
                    await Task.WhenAll(after).ConfigureAwait(false);
                    tls = hierarchy is null ? null : await TlsForAsync(role, hierarchy, RevocationFor(hierarchy, Responder, time), time, cancellationToken, name)
                        .ConfigureAwait(false);
                }
                catch
                {
                    // A peer it needs did not start, or no certificate: its store is closed again.
                    await CloseAsync(opening).ConfigureAwait(false);
                    throw;
                }
                var host = await StartAsync(role, own, null, createKeyRing, directory.Snapshot(), tls, tls is not null && role == NetworkFunctionRole.Ocsp ? "https://127.0.0.1:0" : null,
                    cancellationToken, directory, null, create?.Invoke(), name, opening).ConfigureAwait(false);
                directory.Set(name, host.AdminAddress is { } a && role != NetworkFunctionRole.Ocsp ? a : host.Address);
                return host;
            }

            var adminTls = mutualTls ? AdminCredentials.Load(store.DataDirectory, RevocationFor(hierarchy!, Responder, time)) : null;
            if (adminTls is not null)
            {
                // Each function (and the administrator) learns its peers' status now, not in its first handshakes.
                var certificates = hosts.Select(h => h.Services.GetService(typeof(NetworkFunctionTls)) as NetworkFunctionTls).OfType<NetworkFunctionTls>()
                    .Select(t => t.Certificate).ToList();
                // Issue 19: all of them at once (each checker asks the responder about every certificate; they share nothing).
                await Task.WhenAll(hosts.Select(h => h.Services.GetService(typeof(NetworkFunctionTls)) as NetworkFunctionTls).Append(adminTls)
                    .Select(t => t?.Revocation).OfType<PeerRevocationChecker>().Select(r => r.WarmUpAsync(certificates))).ConfigureAwait(false);
            }
            return new NetworkFunctionFleet(hosts, adminTls, store.DataDirectory)
            {
                IssuerStore = issuerStore,
                Hierarchy = hierarchy,
                Time = time,
                OcspResponder = Responder(),
                Peers = directory,
            };
        }
        catch
        {
            // Those that started stop, in the fleet's order (reverse), and the issuing side's store closes: nothing stays open.
            foreach (var h in Enumerable.Reverse(hosts))
                await h.DisposeAsync().ConfigureAwait(false);
            if (issuerStore is not null)
                await issuerStore.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>A role made with a peer's address (the OTA server: the SMSC's, see the factories) starts after that peer.</summary>
    private static bool StartsAfter(string role, string peer) => role == NetworkFunctionRole.Ota && peer == NetworkFunctionRole.Smsc;

    /// <summary>Closes a store whose function did not start.</summary>
    private static async Task CloseAsync(Task<M2MSec.Storage.IStateStore> opening)
    {
        try
        {
            await (await opening.ConfigureAwait(false)).DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is M2MSec.Storage.StoreException or IOException or System.Data.Common.DbException or OperationCanceledException or InvalidOperationException or UnauthorizedAccessException)
        {
            // It did not open either: nothing to close.
        }
    }

    /// <summary>Peer revocation against the fleet's OCSP function (its plain-HTTP responder), issuer: the operator's issuing CA.</summary>
    internal static PeerRevocationChecker RevocationFor(CertificateHierarchy hierarchy, Func<Uri?> responder, TimeProvider time) =>
        PeerRevocationChecker.ForResponder(responder, [hierarchy.Issuing], time);

    /// <summary>The issuing side stays open in its own store handle for renewals while the fleet runs.</summary>
    private static async Task<(CertificateHierarchy, IAsyncDisposable)> ReopenAsync(StoreOptions store, bool createKeyRing, TimeProvider time, CancellationToken ct)
    {
        var pki = await (store with { DataDirectory = Path.Combine(store.DataDirectory, NetworkFunctionRole.Ocsp) })
            .OpenAsync(createKeyRing: createKeyRing, cancellationToken: ct).ConfigureAwait(false);
        var hierarchy = await CertificateHierarchy.OpenAsync(pki.Certificates, "operator", time, ct).ConfigureAwait(false)
            ?? throw new InvalidOperationException("the operator hierarchy vanished");
        return (hierarchy, pki);
    }

    /// <summary>The certificate role of a NAF (issue 18): its nf certificate's dNSName SAN is its FQDN, the FQDN part of its NAF_Id.</summary>
    public const string NafRole = "naf";

    /// <summary>The FQDN of the NAF (the MTC server) `serve all` and the demo run (issue 18, docs/decisions/029).</summary>
    public const string DefaultNafFqdn = "naf.m2msec.test";

    /// <summary>A network function's identity: an nf certificate carrying <paramref name="role"/> as its policy OID (CN <paramref name="name"/>, default the role), renewed while running.</summary>
    internal static async Task<NetworkFunctionTls> TlsForAsync(string role, CertificateHierarchy hierarchy, PeerRevocationChecker? revocation, TimeProvider time,
        CancellationToken ct, string? name = null, IEnumerable<string>? alternativeNames = null)
    {
        // CN: the instance's name ("sho-b" for a second SHO: the DRF matches a change request's SHO id against it).
        // Issue 18: a NAF's identity names its FQDN as a dNSName (the BSF checks NAF_Id against it on Zn); default DefaultNafFqdn.
        var extra = alternativeNames?.ToList() ?? (role == NafRole ? [DefaultNafFqdn] : []);
        var subject = new CertificateSubject(name ?? role, ["127.0.0.1", "localhost", .. extra]);
        var cert = await hierarchy.IssueAsync(CertificateProfile.NetworkFunction, subject, role: role, cancellationToken: ct).ConfigureAwait(false);
        var renewing = new RenewingCertificate(cert, c => hierarchy.IssueAsync(CertificateProfile.NetworkFunction, subject, role: role, cancellationToken: c), time,
            TimeSpan.FromHours(1));
        return new NetworkFunctionTls(renewing, hierarchy.Root, [hierarchy.Issuing], [NetworkFunctionTls.DefaultAdminSubject], time) { Revocation = revocation };
    }
}
