using System.Security.Cryptography;
using System.Text;

namespace M2MSec.Storage.Security;

/// <summary>
/// Encrypts secrets at rest with AES-256-GCM under the key ring's active KEK. The associated
/// data binds each ciphertext to its place (table, row, field), so a ciphertext copied to another
/// row or field does not decrypt. Layout: version (1) ‖ key-id length (1) ‖ key id ‖ nonce (12)
/// ‖ ciphertext ‖ tag (16).
/// </summary>
public sealed class SecretProtector(KeyRing ring)
{
    private const byte Version = 1;
    private const int NonceSize = 12;
    private const int TagSize = 16;

    public KeyRing Ring { get; } = ring ?? throw new ArgumentNullException(nameof(ring));

    /// <summary>The associated data for a field of a row.</summary>
    public static string Place(string table, string row, string field) => $"{table}|{row}|{field}";

    public byte[] Protect(ReadOnlySpan<byte> secret, string place)
    {
        ArgumentException.ThrowIfNullOrEmpty(place);
        var key = Ring.ActiveKey(out var id);
        var idBytes = Encoding.ASCII.GetBytes(id);
        var blob = new byte[2 + idBytes.Length + NonceSize + secret.Length + TagSize];
        blob[0] = Version;
        blob[1] = (byte)idBytes.Length;
        idBytes.CopyTo(blob, 2);
        var nonce = blob.AsSpan(2 + idBytes.Length, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using var gcm = new AesGcm(key, TagSize);
        gcm.Encrypt(nonce, secret, blob.AsSpan(2 + idBytes.Length + NonceSize, secret.Length), blob.AsSpan(blob.Length - TagSize), Encoding.UTF8.GetBytes(place));
        return blob;
    }

    /// <summary>Decrypts; throws <see cref="SecretDecryptionException"/> (naming the place, never the value) on any failure.</summary>
    public byte[] Unprotect(ReadOnlySpan<byte> blob, string place)
    {
        var id = KeyIdOf(blob, place);
        if (!Ring.TryGetKey(id, out var key))
            throw new SecretDecryptionException($"secret {place} is wrapped under key {id}, which is not in the key ring");
        var offset = 2 + id.Length;
        var nonce = blob.Slice(offset, NonceSize);
        var cipher = blob[(offset + NonceSize)..^TagSize];
        var plain = new byte[cipher.Length];
        try
        {
            using var gcm = new AesGcm(key, TagSize);
            gcm.Decrypt(nonce, cipher, blob[^TagSize..], plain, Encoding.UTF8.GetBytes(place));
        }
        catch (AuthenticationTagMismatchException)
        {
            throw new SecretDecryptionException($"secret {place} does not decrypt under key {id}: wrong key, or the ciphertext belongs to another row or field");
        }
        return plain;
    }

    /// <summary>The id of the key that wrapped <paramref name="blob"/>.</summary>
    public static string KeyIdOf(ReadOnlySpan<byte> blob, string place = "secret")
    {
        if (blob.Length < 2 || blob[0] != Version || blob.Length < 2 + blob[1] + NonceSize + TagSize)
            throw new SecretDecryptionException($"{place}: not a protected secret (bad header or length)");
        return Encoding.ASCII.GetString(blob.Slice(2, blob[1]));
    }

    public bool NeedsRewrap(ReadOnlySpan<byte> blob) => KeyIdOf(blob) != Ring.ActiveKeyId;
}
