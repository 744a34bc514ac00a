using System.Net;
using M2MSec.NetworkFunctions.Dm;
using M2MSec.NetworkFunctions.Hosting;
using M2MSec.Ota.Scp81;
using M2MSec.Pki.Authority;
using M2MSec.Pki.Tls;
using M2MSec.Storage;

namespace M2MSec.Cli.Commands;

/// <summary>
/// The two roles `serve all` starts beside the Kestrel fleet: the OMA DM server (device-facing, so a
/// dm-server certificate from the fleet's operator hierarchy and no client certificate; plain HTTP
/// with --no-tls) and the SCP81 PSK-TLS admin server. Each in its own subdirectory.
/// </summary>
internal sealed class ServeAllExtras : IAsyncDisposable
{
    private readonly IStateStore _scp81State;

    private ServeAllExtras(NetworkFunctionHost dm, Scp81AdminServer scp81, IStateStore scp81State)
    {
        Dm = dm;
        Scp81 = scp81;
        _scp81State = scp81State;
    }

    public NetworkFunctionHost Dm { get; }

    public Scp81AdminServer Scp81 { get; }

    /// <summary>Where devices POST SyncML.</summary>
    public Uri DmUrl => new(Dm.Address, "/dm");

    public Uri Scp81Url => new($"https://{Scp81.EndPoint}{Scp81AdminServer.AdminPath}");

    public static async Task<ServeAllExtras> StartAsync(StoreOptions store, NetworkFunctionFleet fleet, CancellationToken ct)
    {
        var hierarchy = fleet.Hierarchy;
        NetworkFunctionTls? tls = null;
        if (hierarchy is not null)
        {
            var cert = await hierarchy.IssueAsync(CertificateProfile.DmServer, new CertificateSubject("localhost", ["127.0.0.1", "localhost"]),
                cancellationToken: ct).ConfigureAwait(false);
            tls = NetworkFunctionTls.ServerOnly(new RenewingCertificate(cert), [hierarchy.Issuing]);
        }
        var dmStore = store with { DataDirectory = Path.Combine(store.DataDirectory, ServeCommand.DmRole) };
        var dmState = await dmStore.OpenAsync(createKeyRing: true, cancellationToken: ct).ConfigureAwait(false);
        NetworkFunctionHost dm;
        try
        {
            // Issue 20: its /metrics on a mutual-TLS admin listener of its own (a dm nf certificate), never on the devices' listener.
            var admin = await fleet.IdentityForAsync(ServeCommand.DmRole, ct).ConfigureAwait(false);
            dm = await NetworkFunctionHost.StartAsync(new DmFunction(new DmFunctionOptions()), dmStore.DataDirectory, dmState, tls: tls, cancellationToken: ct,
                adminTls: admin).ConfigureAwait(false);
        }
        catch
        {
            await dmState.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        IStateStore? scp81State = null;
        try
        {
            scp81State = await (store with { DataDirectory = Path.Combine(store.DataDirectory, ServeCommand.Scp81Role) })
                .OpenAsync(createKeyRing: true, cancellationToken: ct).ConfigureAwait(false);
            var state = scp81State;
            var scp81 = new Scp81AdminServer(id => state.OtaKeySets.FindPskAsync(id).AsTask().GetAwaiter().GetResult()?.Psk, new IPEndPoint(IPAddress.Loopback, 0));
            return new ServeAllExtras(dm, scp81, scp81State);
        }
        catch
        {
            if (scp81State is not null)
                await scp81State.DisposeAsync().ConfigureAwait(false);
            await dm.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Scp81.DisposeAsync().ConfigureAwait(false);
        await _scp81State.DisposeAsync().ConfigureAwait(false);
        await Dm.DisposeAsync().ConfigureAwait(false);
    }
}
