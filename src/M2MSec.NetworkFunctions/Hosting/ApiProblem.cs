using Microsoft.AspNetCore.Http;

namespace M2MSec.NetworkFunctions.Hosting;

/// <summary>
/// Typed API errors (RFC 9457 problem details): a stable machine-readable <c>type</c> per cause
/// and a one-line detail that never contains a secret.
/// </summary>
public static class ApiProblem
{
    public static IResult BadRequest(string type, string detail) => Problem(StatusCodes.Status400BadRequest, type, detail);

    public static IResult NotFound(string type, string detail) => Problem(StatusCodes.Status404NotFound, type, detail);

    public static IResult Conflict(string type, string detail) => Problem(StatusCodes.Status409Conflict, type, detail);

    /// <summary>A security check refused the request (a MAC, a signature, a counter).</summary>
    public static IResult Forbidden(string type, string detail) => Problem(StatusCodes.Status403Forbidden, type, detail);

    private static IResult Problem(int status, string type, string detail) =>
        Results.Problem(detail: detail, statusCode: status, type: "urn:m2msec:error:" + type);
}
