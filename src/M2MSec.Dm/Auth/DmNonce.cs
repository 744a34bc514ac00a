using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;

namespace M2MSec.Dm.Auth;

/// <summary>
/// A challenge nonce (OMA-TS-DM_Security-V1_2 §5.1.3.2 / §5.1.4.2: NextNonce, Meta Format b64).
/// The bytes are what enters the digest: the result of ONE base64 decode of NextNonce. They are opaque:
/// libdmclient sends B64(B64(random)), so its decoded nonce is itself ASCII base64 and must not be decoded again.
/// </summary>
public sealed class DmNonce
{
    /// <summary>Length of the nonces we issue.</summary>
    public const int GeneratedLength = 16;

    /// <summary>Cap on the NextNonce text we accept.</summary>
    public const int MaxWireLength = 512;

    private readonly byte[] _bytes;

    private DmNonce(byte[] bytes) => _bytes = bytes;

    /// <summary>The empty nonce (first contact, no AAuthData stored yet).</summary>
    public static DmNonce Empty { get; } = new([]);

    public ReadOnlySpan<byte> Bytes => _bytes;

    /// <summary>16 fresh random bytes.</summary>
    public static DmNonce New() => new(RandomNumberGenerator.GetBytes(GeneratedLength));

    public static DmNonce FromBytes(ReadOnlySpan<byte> bytes) => new(bytes.ToArray());

    /// <summary>The NextNonce element content: B64(bytes).</summary>
    public string ToWire() => Convert.ToBase64String(_bytes);

    /// <summary>Decodes NextNonce once. False for bad base64 or over-long input.</summary>
    public static bool TryFromWire(string? wire, [NotNullWhen(true)] out DmNonce? nonce)
    {
        nonce = DmBase64.TryDecode(wire, MaxWireLength, out var b) ? new DmNonce(b) : null;
        return nonce is not null;
    }

    public override string ToString() => $"DmNonce({_bytes.Length} bytes)";
}
