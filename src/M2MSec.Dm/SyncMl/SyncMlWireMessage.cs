namespace M2MSec.Dm.SyncMl;

/// <summary>
/// One SyncML message as it travels (OMA-TS-DM_HTTP / OMA-TS-DM_Security-V1_2 §5.1.4.2): the exact bytes and,
/// under auth-MAC, the x-syncml-hmac header computed over them.
/// </summary>
public sealed record SyncMlWireMessage(byte[] Body, string? Hmac = null);
