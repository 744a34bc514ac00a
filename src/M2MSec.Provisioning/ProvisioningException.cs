namespace M2MSec.Provisioning;

/// <summary>
/// A provisioning message or object that does not parse, does not verify, or is not for this party. <see cref="Code"/> is
/// a short stable key (e.g. <c>mac-mismatch</c>, <c>bad-signature</c>) for logs, problems and the demo's failure reasons.
/// </summary>
public sealed class ProvisioningException(string code, string message, Exception? inner = null) : Exception(message, inner)
{
    public string Code { get; } = code;
}
