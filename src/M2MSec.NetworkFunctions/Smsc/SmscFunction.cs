using System.Collections.Concurrent;
using System.Threading.Channels;
using M2MSec.NetworkFunctions.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace M2MSec.NetworkFunctions.Smsc;

/// <summary>
/// A short message in the simulated SMSC: to, from, and either SMS-DELIVER TPDUs (MT) or user data
/// (MO). <see cref="SubmitId"/>, when given, makes the submission idempotent: the SMSC keeps it,
/// and a second submit with the same id is answered like the first without delivering again.
/// </summary>
public sealed record SmsMessage(string To, string From, IReadOnlyList<string>? Tpdus, string? UserData, string? SubmitId = null);

/// <summary>The SMSC's answer to a submit that carried a submit id, and to GET /submitted/{id}.</summary>
public sealed record SmsSubmitReceipt(string SubmitId, DateTimeOffset AcceptedAt);

/// <summary>The SMSC's answer to a long poll.</summary>
public sealed record SmsDelivery(IReadOnlyList<SmsMessage> Messages);

/// <summary>
/// The simulated SMSC (`m2msec serve smsc`): store-and-forward mailboxes keyed by address. Senders
/// POST /submit; receivers long-poll GET /deliver?to=ADDR&amp;wait=S. The OTA server sends SMS-PP
/// TPDUs to a card's address and receives PoRs at its own, so separately running processes work.
/// Messages are held in memory (an SMSC restart loses undelivered messages, as their validity would).
/// </summary>
public sealed class SmscFunction : IDeviceFacingFunction
{
    public const int MaxWaitSeconds = 30;

    public string Role => "smsc";

    /// <summary>Submit ids the SMSC remembers (oldest forgotten first): far more than jobs in flight.</summary>
    public const int MaxRememberedSubmitIds = 1_000_000;

    public void ConfigureServices(IServiceCollection services, string dataDirectory)
    {
        services.AddSingleton<Mailboxes>();
        services.AddSingleton<SubmitIds>();
    }

    public void MapEndpoints(WebApplication app)
    {
        app.MapPost("/submit", Submit).WithName("submit").WithSummary("Submit a short message (idempotent on submit_id)").Produces<SmsSubmitReceipt>(StatusCodes.Status202Accepted)
            .ProducesProblems(StatusCodes.Status400BadRequest);
        app.MapGet("/submitted/{id}", (string id, SubmitIds ids) =>
            ids.Find(id) is { } receipt ? Results.Ok(receipt) : ApiProblem.NotFound("unknown-submit-id", "the SMSC holds no message with this submit_id"))
            .WithName("submitted").WithSummary("The receipt of a submitted message").Produces<SmsSubmitReceipt>().ProducesProblems(StatusCodes.Status404NotFound);
        app.MapGet("/deliver", DeliverAsync).WithName("deliver").WithSummary("Messages for an address (long poll up to wait seconds)").Produces<SmsDelivery>()
            .ProducesProblems(StatusCodes.Status400BadRequest);
    }

    /// <summary>
    /// The radio side (issue 15: devices have no role certificate): a device takes its mobile-terminated messages and sends
    /// mobile-originated ones (e.g. a PoR) over server-authenticated TLS. What travels is protected end to end — SCP80 secured
    /// packets, the DM notification's digest — as it is over a real air interface, so the listener needs no client identity.
    /// </summary>
    public void MapDeviceEndpoints(Microsoft.AspNetCore.Routing.IEndpointRouteBuilder devices)
    {
        devices.MapPost("/sms/submit", Submit).WithName("deviceSubmit").WithSummary("A mobile-originated short message")
            .Produces<SmsSubmitReceipt>(StatusCodes.Status202Accepted).ProducesProblems(StatusCodes.Status400BadRequest);
        devices.MapGet("/sms/deliver", DeliverAsync).WithName("deviceDeliver").WithSummary("The device's mobile-terminated messages (long poll up to wait seconds)")
            .Produces<SmsDelivery>().ProducesProblems(StatusCodes.Status400BadRequest);
    }

    private static IResult Submit(SmsMessage message, Mailboxes boxes, SubmitIds ids, TimeProvider time)
    {
        if (string.IsNullOrWhiteSpace(message.To) || string.IsNullOrWhiteSpace(message.From))
            return ApiProblem.BadRequest("bad-address", "to/from: required");
        if ((message.Tpdus is null) == (message.UserData is null))
            return ApiProblem.BadRequest("bad-message", "tpdus | user_data: expected exactly one of them");
        if ((message.Tpdus ?? [message.UserData!]).Any(h => h.Length % 2 != 0 || !h.All(Uri.IsHexDigit)))
            return ApiProblem.BadRequest("bad-message", "tpdus/user_data: expected hex octet strings");
        if (message.SubmitId is null)
        {
            boxes.For(message.To).Writer.TryWrite(message);
            return Results.Accepted();
        }
        if (!SubmitIds.IsWellFormed(message.SubmitId))
            return ApiProblem.BadRequest("bad-submit-id", "submit_id: expected 1 to 64 letters, digits, '.', '_' or '-'");
        // Idempotent on the submit id: the first submit delivers, a repeat is answered alike.
        var receipt = ids.Accept(message.SubmitId, time.GetUtcNow(), () => boxes.For(message.To).Writer.TryWrite(message));
        return Results.Accepted($"/submitted/{receipt.SubmitId}", receipt);
    }

    private static async Task<IResult> DeliverAsync(string to, int? wait, Mailboxes boxes, Microsoft.Extensions.Hosting.IHostApplicationLifetime lifetime,
        CancellationToken requestAborted)
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
    }

    /// <summary>One unbounded queue per address.</summary>
    internal sealed class Mailboxes
    {
        private readonly ConcurrentDictionary<string, Channel<SmsMessage>> _boxes = new(StringComparer.Ordinal);

        public Channel<SmsMessage> For(string address) => _boxes.GetOrAdd(address, _ => Channel.CreateUnbounded<SmsMessage>());
    }

    /// <summary>The submit ids accepted so far, bounded: accept-and-deliver is atomic per id.</summary>
    internal sealed class SubmitIds
    {
        private readonly Dictionary<string, SmsSubmitReceipt> _held = new(StringComparer.Ordinal);
        private readonly Queue<string> _order = new();

        public static bool IsWellFormed(string id) =>
            id is { Length: >= 1 and <= 64 } && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-');

        public SmsSubmitReceipt Accept(string id, DateTimeOffset now, Action deliver)
        {
            lock (_held)
            {
                if (_held.TryGetValue(id, out var known))
                    return known;
                deliver();
                var receipt = new SmsSubmitReceipt(id, now);
                _held.Add(id, receipt);
                _order.Enqueue(id);
                if (_order.Count > MaxRememberedSubmitIds)
                    _held.Remove(_order.Dequeue());
                return receipt;
            }
        }

        public SmsSubmitReceipt? Find(string id)
        {
            lock (_held)
                return _held.GetValueOrDefault(id);
        }
    }
}

/// <summary>Client of the SMSC API; with <paramref name="prefix"/> "sms/", of its device listener (a device's side).</summary>
public sealed class SmscClient(HttpClient http, string prefix = "")
{
    /// <summary>Submits; with a submit id, returns the SMSC's receipt (the same one for a repeat).</summary>
    /// <exception cref="HttpRequestException">The SMSC could not be reached or refused the message (StatusCode set).</exception>
    public async Task<SmsSubmitReceipt?> SubmitAsync(SmsMessage message, CancellationToken ct = default)
    {
        using var r = await System.Net.Http.Json.HttpClientJsonExtensions.PostAsJsonAsync(http, prefix + "submit", message, NetworkFunctionHost.JsonOptions, ct).ConfigureAwait(false);
        r.EnsureSuccessStatusCode();
        return message.SubmitId is null ? null
            : await System.Net.Http.Json.HttpContentJsonExtensions.ReadFromJsonAsync<SmsSubmitReceipt>(r.Content, NetworkFunctionHost.JsonOptions, ct).ConfigureAwait(false);
    }

    /// <summary>Whether the SMSC holds (accepted) a message with <paramref name="submitId"/>.</summary>
    /// <exception cref="HttpRequestException">The SMSC could not be reached or answered neither 200 nor 404.</exception>
    public async Task<bool> HoldsAsync(string submitId, CancellationToken ct = default)
    {
        using var r = await http.GetAsync($"submitted/{Uri.EscapeDataString(submitId)}", ct).ConfigureAwait(false);
        if (r.StatusCode == System.Net.HttpStatusCode.NotFound)
            return false;
        r.EnsureSuccessStatusCode();
        return true;
    }

    public async Task<IReadOnlyList<SmsMessage>> DeliverAsync(string to, int waitSeconds, CancellationToken ct = default)
    {
        var d = await System.Net.Http.Json.HttpClientJsonExtensions.GetFromJsonAsync<SmsDelivery>(http, $"{prefix}deliver?to={Uri.EscapeDataString(to)}&wait={waitSeconds}", NetworkFunctionHost.JsonOptions, ct).ConfigureAwait(false);
        return d?.Messages ?? [];
    }
}
