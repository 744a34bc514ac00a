using System.Collections.Concurrent;
using System.Threading.Channels;
using M2MSec.NetworkFunctions.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace M2MSec.NetworkFunctions.Smsc;

/// <summary>A short message in the simulated SMSC: to, from, and either SMS-DELIVER TPDUs (MT) or user data (MO).</summary>
public sealed record SmsMessage(string To, string From, IReadOnlyList<string>? Tpdus, string? UserData);

/// <summary>The SMSC's answer to a long poll.</summary>
public sealed record SmsDelivery(IReadOnlyList<SmsMessage> Messages);

/// <summary>
/// The simulated SMSC (`m2msec serve smsc`): store-and-forward mailboxes keyed by address. Senders
/// POST /submit; receivers long-poll GET /deliver?to=ADDR&amp;wait=S. The OTA server sends SMS-PP
/// TPDUs to a card's address and receives PoRs at its own, so separately running processes work.
/// Messages are held in memory (an SMSC restart loses undelivered messages, as their validity would).
/// </summary>
public sealed class SmscFunction : INetworkFunction
{
    public const int MaxWaitSeconds = 30;

    public string Role => "smsc";

    public void ConfigureServices(IServiceCollection services, string dataDirectory) => services.AddSingleton<Mailboxes>();

    public void MapEndpoints(WebApplication app)
    {
        app.MapPost("/submit", (SmsMessage message, Mailboxes boxes) =>
        {
            if (string.IsNullOrWhiteSpace(message.To) || string.IsNullOrWhiteSpace(message.From))
                return ApiProblem.BadRequest("bad-address", "to/from: required");
            if ((message.Tpdus is null) == (message.UserData is null))
                return ApiProblem.BadRequest("bad-message", "tpdus | user_data: expected exactly one of them");
            if ((message.Tpdus ?? [message.UserData!]).Any(h => h.Length % 2 != 0 || !h.All(Uri.IsHexDigit)))
                return ApiProblem.BadRequest("bad-message", "tpdus/user_data: expected hex octet strings");
            boxes.For(message.To).Writer.TryWrite(message);
            return Results.Accepted();
        });
        app.MapGet("/deliver", async (string to, int? wait, Mailboxes boxes, Microsoft.Extensions.Hosting.IHostApplicationLifetime lifetime, CancellationToken requestAborted) =>
        {
            // A long poll ends when the client goes away or the SMSC shuts down.
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(requestAborted, lifetime.ApplicationStopping);
            var ct = linked.Token;
            var box = boxes.For(to);
            var messages = new List<SmsMessage>();
            while (box.Reader.TryRead(out var m))
                messages.Add(m);
            if (messages.Count == 0 && wait is > 0)
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
                timeout.CancelAfter(TimeSpan.FromSeconds(Math.Min(wait.Value, MaxWaitSeconds)));
                try
                {
                    messages.Add(await box.Reader.ReadAsync(timeout.Token));
                    while (box.Reader.TryRead(out var m))
                        messages.Add(m);
                }
                catch (OperationCanceledException) when (!requestAborted.IsCancellationRequested)
                {
                }
            }
            return Results.Ok(new SmsDelivery(messages));
        });
    }

    /// <summary>One unbounded queue per address.</summary>
    internal sealed class Mailboxes
    {
        private readonly ConcurrentDictionary<string, Channel<SmsMessage>> _boxes = new(StringComparer.Ordinal);

        public Channel<SmsMessage> For(string address) => _boxes.GetOrAdd(address, _ => Channel.CreateUnbounded<SmsMessage>());
    }
}

/// <summary>Client of the SMSC API.</summary>
public sealed class SmscClient(HttpClient http)
{
    public async Task SubmitAsync(SmsMessage message, CancellationToken ct = default)
    {
        using var r = await System.Net.Http.Json.HttpClientJsonExtensions.PostAsJsonAsync(http, "submit", message, NetworkFunctionHost.JsonOptions, ct).ConfigureAwait(false);
        r.EnsureSuccessStatusCode();
    }

    public async Task<IReadOnlyList<SmsMessage>> DeliverAsync(string to, int waitSeconds, CancellationToken ct = default)
    {
        var d = await System.Net.Http.Json.HttpClientJsonExtensions.GetFromJsonAsync<SmsDelivery>(http, $"deliver?to={Uri.EscapeDataString(to)}&wait={waitSeconds}", NetworkFunctionHost.JsonOptions, ct).ConfigureAwait(false);
        return d?.Messages ?? [];
    }
}
