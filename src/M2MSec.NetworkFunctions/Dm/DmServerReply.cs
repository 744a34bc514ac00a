using M2MSec.Dm.Auth;
using M2MSec.Dm.SyncMl;

namespace M2MSec.NetworkFunctions.Dm;

/// <summary>
/// The server's answer and, when the device's account asks the server for auth-MAC (OMA-TS-DM_Security-V1_2
/// §5.1.4.2), what keys its x-syncml-hmac header: the transport computes it over the exact bytes it sends.
/// </summary>
public sealed record DmServerReply(SyncMlMessage Message, DmCredentials? MacCredentials = null, DmNonce? MacNonce = null)
{
    /// <summary>The x-syncml-hmac header value for <paramref name="body"/>, or null when the server authenticates by Cred.</summary>
    public string? HmacHeaderFor(ReadOnlySpan<byte> body) =>
        MacCredentials is null ? null : AuthMac.CreateHeader(MacCredentials, MacNonce ?? DmNonce.Empty, body).Format();
}
