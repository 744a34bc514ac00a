namespace M2MSec.Dm.SyncMl;

/// <summary>
/// One SyncML message as it travels (OMA-TS-DM_HTTP / OMA-TS-DM_Security-V1_2 §5.1.4.2): the exact bytes and,
/// under auth-MAC, the x-syncml-hmac header computed over them. <see cref="Target"/> is where a client sends it when
/// not the account's server URI: the RespURI the server handed out (OMA-TS-DM_Protocol-V1_2 §8.3 SyncHdr RespURI).
/// </summary>
public sealed record SyncMlWireMessage(byte[] Body, string? Hmac = null, string? Target = null);
