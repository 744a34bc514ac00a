using M2MSec.NetworkFunctions.MtcIwf;

namespace M2MSec.Cli.Demo;

/// <summary>Issue 17: the demo's MTC server (role mtc-server, CN mtc-server) and the administrator's client to the MTC-IWF.</summary>
internal sealed partial class DemoEnvironment
{
    private readonly SemaphoreSlim _mtcGate = new(1, 1);
    private HttpClient? _mtcServer;
    private HttpClient? _mtcIwfAdmin;

    /// <summary>The administrator's client to the MTC-IWF (grants).</summary>
    public HttpClient MtcIwfAdmin => LazyInitializer.EnsureInitialized(ref _mtcIwfAdmin, () => _fleet.AdminClient(MtcIwfFunction.RoleName, TimeSpan.FromSeconds(30)));

    /// <summary>The MTC server's client to the MTC-IWF: an nf certificate of role mtc-server, made once.</summary>
    public async Task<HttpClient> MtcServerAsync(CancellationToken ct)
    {
        if (Volatile.Read(ref _mtcServer) is { } ready)
            return ready;
        await _mtcGate.WaitAsync(ct);
        try
        {
            return _mtcServer ??= await _fleet.ClientAsAsync("mtc-server", MtcIwfFunction.RoleName, TimeSpan.FromSeconds(30), ct, "mtc-server");
        }
        finally
        {
            _mtcGate.Release();
        }
    }
}
