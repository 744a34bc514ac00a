using System.Text.Json;
using M2MSec.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace M2MSec.NetworkFunctions.Hosting;

/// <summary>
/// A started network function: a slim Kestrel host bound to loopback on an ephemeral port
/// unless told otherwise. Dispose (or <see cref="StopAsync"/>) to stop it.
/// </summary>
public sealed class NetworkFunctionHost : IAsyncDisposable
{
    /// <summary>JSON on every API: snake_case names, octet strings as lowercase hex.</summary>
    public static JsonSerializerOptions JsonOptions { get; } = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
    };

    private readonly WebApplication _app;
    private readonly IStateStore _store;

    private NetworkFunctionHost(WebApplication app, IStateStore store, string role, Uri address, string dataDirectory)
    {
        _app = app;
        _store = store;
        Role = role;
        Address = address;
        DataDirectory = dataDirectory;
    }

    public string Role { get; }

    /// <summary>The address the function listens on, with the port actually bound.</summary>
    public Uri Address { get; }

    public string DataDirectory { get; }

    public IServiceProvider Services => _app.Services;

    /// <summary>Where the function keeps its state (e.g. "sqlite:/…/m2msec.db").</summary>
    public string StoreDescription => _store.Description;

    /// <summary>
    /// Starts <paramref name="function"/> over <paramref name="store"/>, which the host then owns
    /// and disposes on stop.
    /// </summary>
    public static async Task<NetworkFunctionHost> StartAsync(
        INetworkFunction function, string dataDirectory, IStateStore store, string? urls = null,
        Action<IServiceCollection>? configure = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(function);
        ArgumentNullException.ThrowIfNull(store);
        Directory.CreateDirectory(dataDirectory);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.UseUrls(urls ?? "http://127.0.0.1:0");
        builder.Services.Configure<JsonOptions>(o =>
        {
            o.SerializerOptions.PropertyNamingPolicy = JsonOptions.PropertyNamingPolicy;
        });
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton(store);
        function.ConfigureServices(builder.Services, dataDirectory);
        configure?.Invoke(builder.Services);

        var app = builder.Build();
        app.MapGet("/health", () => Results.Ok(new { role = function.Role, status = "up" }));
        function.MapEndpoints(app);
        await app.StartAsync(cancellationToken).ConfigureAwait(false);

        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses;
        var address = addresses?.FirstOrDefault() ?? throw new InvalidOperationException("Kestrel reported no address.");
        return new NetworkFunctionHost(app, store, function.Role, new Uri(address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal)), dataDirectory);
    }

    /// <summary>Completes when the host shuts down (SIGTERM, Ctrl+C, or <see cref="StopAsync"/>).</summary>
    public Task WaitForShutdownAsync(CancellationToken cancellationToken = default) =>
        _app.WaitForShutdownAsync(cancellationToken);

    public Task StopAsync() => _app.StopAsync();

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        await _store.DisposeAsync().ConfigureAwait(false);
    }
}
