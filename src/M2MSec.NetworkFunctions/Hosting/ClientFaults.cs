using M2MSec.Pki.Authority;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace M2MSec.NetworkFunctions.Hosting;

/// <summary>
/// A client's fault is not a server error: a body that ends early or too slowly (BadHttpRequestException),
/// a connection reset or aborted, a body read cancelled because the client went away — each is ONE warning
/// line, without a stack trace, and a 4xx when an answer can still be sent. Anything else propagates, so a
/// genuine bug still logs its exception (Kestrel's "unhandled exception" error with the stack).
/// </summary>
public static class ClientFaults
{
    public static bool IsClientFault(Exception exception, HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(exception);
        ArgumentNullException.ThrowIfNull(context);
        return exception is BadHttpRequestException or ConnectionResetException or ConnectionAbortedException
            || exception is OperationCanceledException or IOException && context.RequestAborted.IsCancellationRequested;
    }

    /// <summary>Adds the middleware that turns client faults into one log line under <paramref name="logger"/>.</summary>
    public static void UseClientFaultLogging(this IApplicationBuilder app, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(logger);
        app.Use(async (context, next) =>
        {
            try
            {
                await next(context).ConfigureAwait(false);
            }
            catch (Exception e) when (IsClientFault(e, context))
            {
                var status = e is BadHttpRequestException bad ? bad.StatusCode : StatusCodes.Status400BadRequest;
                // The path and message come from the client or describe it: sanitised, no exception object (no stack trace).
                // A client that simply went away (its request cancelled) is routine: Information, below the hosts' default level.
                logger.Log(e is OperationCanceledException and not ConnectionAbortedException ? LogLevel.Information : LogLevel.Warning,
                    "client fault on {Method} {Path} from {Remote}: {Kind}: {Detail}", context.Request.Method,
                    CertificateSubject.Sanitise(context.Request.Path.Value), context.Connection.RemoteIpAddress, e.GetType().Name, CertificateSubject.Sanitise(e.Message));
                // A connection that is gone is closed at once: Kestrel would otherwise try to drain its request body and log
                // an error of its own about the body reader's state.
                if (e is ConnectionResetException or ConnectionAbortedException || context.RequestAborted.IsCancellationRequested)
                    context.Abort();
                else if (!context.Response.HasStarted)
                {
                    context.Response.StatusCode = status;
                    if (e is BadHttpRequestException request && status is >= 400 and < 500)
                        await Results.Problem(detail: BindingDetail(request), statusCode: status, type: "urn:m2msec:error:" + (status == 415 ? "bad-content-type" : "bad-json"))
                            .ExecuteAsync(context).ConfigureAwait(false);
                }
            }
        });
    }

    /// <summary>
    /// The field a request failed to bind on, from System.Text.Json's path (<c>$.k</c>) or the parameter's name;
    /// never the value (it may be a secret).
    /// </summary>
    internal static string BindingDetail(BadHttpRequestException e)
    {
        if (e.StatusCode == StatusCodes.Status415UnsupportedMediaType)
            return "content-type: expected application/json";
        if (e.InnerException is System.Text.Json.JsonException json)
        {
            var field = (json.Path ?? "$").TrimStart('$').TrimStart('.');
            return field.Length == 0 ? "body: expected a JSON object of the documented shape" : $"{CertificateSubject.Sanitise(field)}: not of the documented JSON type";
        }
        var named = System.Text.RegularExpressions.Regex.Match(e.Message, "parameter \"(?:[^\"]* )?([A-Za-z_][A-Za-z0-9_]*)\"");
        if (named.Success)
            return $"{named.Groups[1].Value}: " + (e.Message.Contains("body was not provided", StringComparison.Ordinal) ? "a JSON body is required" : "not of the documented type");
        return "request: not of the documented shape";
    }
}
