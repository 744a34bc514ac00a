using M2MSec.NetworkFunctions.Hosting;
using M2MSec.NetworkFunctions.Hss;

namespace M2MSec.Cli.Demo;

/// <summary>The network functions of the demo, started as real HTTP services on loopback.</summary>
internal sealed class DemoEnvironment : IAsyncDisposable
{
    private readonly List<NetworkFunctionHost> _hosts = [];
    private readonly HttpClient _hssHttp;

    private DemoEnvironment(string dataDirectory, NetworkFunctionHost hss)
    {
        DataDirectory = dataDirectory;
        _hosts.Add(hss);
        _hssHttp = new HttpClient { BaseAddress = hss.Address, Timeout = TimeSpan.FromSeconds(30) };
        Hss = new HssClient(_hssHttp);
    }

    public string DataDirectory { get; }

    public IReadOnlyList<NetworkFunctionHost> Hosts => _hosts;

    public HssClient Hss { get; }

    public static async Task<DemoEnvironment> StartAsync(string dataDirectory, CancellationToken ct)
    {
        var hss = await NetworkFunctionHost.StartAsync(new HssFunction(), Path.Combine(dataDirectory, NetworkFunctionRole.Hss), cancellationToken: ct);
        return new DemoEnvironment(dataDirectory, hss);
    }

    public async ValueTask DisposeAsync()
    {
        _hssHttp.Dispose();
        foreach (var h in _hosts)
            await h.DisposeAsync();
    }
}
