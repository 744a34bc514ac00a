using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.OpenApi;

namespace M2MSec.NetworkFunctions.Hosting;

/// <summary>Marks an endpoint that needs a client certificate (mutual TLS): an administrator, or one of <see cref="Roles"/>.</summary>
public sealed record MutualTlsRequirement(IReadOnlyList<string>? Roles);

/// <summary>
/// The request body of an endpoint that reads it itself (strictly, or as DER/SyncML), for the document only:
/// unlike Accepts metadata it takes no part in routing (which would answer a content type it did not list with an empty 415).
/// </summary>
public sealed record DocumentedBody(Type Type, IReadOnlyList<string> ContentTypes);

/// <summary>
/// Each function's OpenAPI 3.1 document at <see cref="DocumentPath"/>, generated from its endpoints
/// (Microsoft.AspNetCore.OpenApi); operations that need an administrator or a role declare the
/// <c>mutualTLS</c> security scheme (OpenAPI 3.1 §4.8.27), and their 403 problem body.
/// </summary>
public static class NetworkFunctionOpenApi
{
    public const string DocumentPath = "/openapi/v1.json";

    public const string MutualTlsScheme = "mutualTLS";

    public const string ProblemMediaType = "application/problem+json";

    public static void AddNetworkFunctionOpenApi(this IServiceCollection services, string role)
    {
        services.AddOpenApi(o =>
        {
            o.AddDocumentTransformer((document, _, _) =>
            {
                document.Info = new OpenApiInfo { Title = $"M2MSec {role}", Version = "v1", Description = "Errors are RFC 9457 problem details naming the field." };
                document.Components ??= new OpenApiComponents();
                document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
                document.Components.SecuritySchemes[MutualTlsScheme] = new OpenApiSecurityScheme
                {
                    Type = SecuritySchemeType.MutualTLS,
                    Description = "A client certificate of the operator hierarchy: the admin profile (naming an --admin-subject), or an nf certificate of an entitled role",
                };
                return Task.CompletedTask;
            });
            o.AddOperationTransformer(async (operation, context, ct) =>
            {
                if (context.Description.ActionDescriptor.EndpointMetadata.OfType<DocumentedBody>().FirstOrDefault() is { } body)
                {
                    var schema = body.Type == typeof(byte[])
                        ? new OpenApiSchema { Type = JsonSchemaType.String, Format = "binary" }
                        : await context.GetOrCreateSchemaAsync(body.Type, cancellationToken: ct).ConfigureAwait(false);
                    operation.RequestBody = new OpenApiRequestBody
                    {
                        Required = true,
                        Content = body.ContentTypes.ToDictionary(c => c, _ => new OpenApiMediaType { Schema = schema }),
                    };
                }
                if (context.Description.ActionDescriptor.EndpointMetadata.OfType<MutualTlsRequirement>().FirstOrDefault() is { } requirement)
                {
                    operation.Security ??= [];
                    operation.Security.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(MutualTlsScheme, context.Document)] = [] });
                    operation.Description = (operation.Description is null ? "" : operation.Description + " ")
                        + (requirement.Roles is { } roles ? $"Needs an nf certificate of role {string.Join(", ", roles)}." : "Needs an administrator's certificate.");
                }
            });
        });
    }

    /// <summary>Serves the document.</summary>
    public static void MapNetworkFunctionOpenApi(this WebApplication app) => app.MapOpenApi(DocumentPath);

    /// <summary>Documents the request body of an endpoint that reads it itself (see <see cref="DocumentedBody"/>).</summary>
    public static RouteHandlerBuilder DocumentsBody<TBody>(this RouteHandlerBuilder builder, params string[] contentTypes) =>
        builder.WithMetadata(new DocumentedBody(typeof(TBody), contentTypes));

    /// <summary>Declares RFC 9457 problem bodies for <paramref name="statusCodes"/>.</summary>
    public static TBuilder ProducesProblems<TBuilder>(this TBuilder builder, params int[] statusCodes)
        where TBuilder : IEndpointConventionBuilder
    {
        ArgumentNullException.ThrowIfNull(statusCodes);
        foreach (var status in statusCodes)
            builder.WithMetadata(new ProducesResponseTypeMetadata(status, typeof(ProblemDetails), [ProblemMediaType]));
        return builder;
    }
}
