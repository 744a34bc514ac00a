namespace M2MSec.Provisioning.Mcim;

/// <summary>How Protected_data is protected (seed 003: "e.g. AES-CBC for encryption and HMAC-SHA1"); docs/decisions/014.</summary>
public enum McimSuite : byte
{
    /// <summary>The seed's default: AES-128-CBC, then HMAC-SHA1 over suite ‖ version ‖ IV ‖ ciphertext.</summary>
    AesCbcHmacSha1 = 1,

    /// <summary>A modern AEAD alternative.</summary>
    Aes128Gcm = 2,

    Default = AesCbcHmacSha1,
}

/// <summary>The sizes each <see cref="McimSuite"/> fixes (docs/decisions/014-mcim-object.md).</summary>
public static class McimSuites
{
    /// <summary>PIK for HMAC-SHA1: 20 octets (RFC 2104 §3: not shorter than L).</summary>
    public const int PikLength = 20;

    /// <summary>PCK: AES-128.</summary>
    public const int PckLength = 16;

    public static bool IsKnown(McimSuite suite) => suite is McimSuite.AesCbcHmacSha1 or McimSuite.Aes128Gcm;

    /// <summary>The PIK length: 20 for HMAC-SHA1; 0 for GCM, whose one key both encrypts and authenticates.</summary>
    public static int IntegrityKeyLength(this McimSuite suite) => suite == McimSuite.AesCbcHmacSha1 ? PikLength : 0;

    /// <summary>What PK_D wraps: PIK ‖ PCK.</summary>
    public static int WrappedKeyLength(this McimSuite suite) => suite.IntegrityKeyLength() + PckLength;

    /// <summary>IV (CBC, 16) or nonce (GCM, 12).</summary>
    public static int IvLength(this McimSuite suite) => suite == McimSuite.AesCbcHmacSha1 ? 16 : 12;

    /// <summary>The MAC: full HMAC-SHA1 (20) or the GCM tag (16).</summary>
    public static int MacLength(this McimSuite suite) => suite == McimSuite.AesCbcHmacSha1 ? 20 : 16;
}
