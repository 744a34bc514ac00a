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
