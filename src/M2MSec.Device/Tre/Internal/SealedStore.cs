using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace M2MSec.Device.Tre.Internal;

/// <summary>
/// The TRE's sealed storage: every object it keeps (keys, identities, roots, subscriptions),
/// serialised and sealed with AES-256-GCM under a key derived from the fuse. The header
/// (magic, version, TRE id) is authenticated, so a file copied from another device or with its
/// version edited fails. Layout: "M2MT" ‖ version (8) ‖ nonce (12) ‖ ciphertext ‖ tag (16).
/// </summary>
internal static class SealedStore
{
    private static ReadOnlySpan<byte> Magic => "M2MT"u8;
    private const int HeaderSize = 4 + 8;

    public static byte[] Seal(byte[] key, string treId, ulong version, IReadOnlyDictionary<string, byte[]> objects)
    {
        var plain = Serialise(objects);
        var blob = new byte[HeaderSize + 12 + plain.Length + 16];
        Magic.CopyTo(blob);
        BinaryPrimitives.WriteUInt64BigEndian(blob.AsSpan(4), version);
        var nonce = blob.AsSpan(HeaderSize, 12);
        RandomNumberGenerator.Fill(nonce);
        using var gcm = new AesGcm(key, 16);
        gcm.Encrypt(nonce, plain, blob.AsSpan(HeaderSize + 12, plain.Length), blob.AsSpan(blob.Length - 16), Aad(blob, treId));
        CryptographicOperations.ZeroMemory(plain);
        return blob;
    }

    /// <summary>Opens a sealed file; false if it is not intact (any bit changed, or another device's).</summary>
    public static bool TryUnseal(byte[] key, string treId, ReadOnlySpan<byte> blob, out ulong version, out Dictionary<string, byte[]> objects)
    {
        version = 0;
        objects = [];
        if (blob.Length < HeaderSize + 12 + 16 || !blob[..4].SequenceEqual(Magic))
            return false;
        version = BinaryPrimitives.ReadUInt64BigEndian(blob[4..]);
        var cipher = blob[(HeaderSize + 12)..^16];
        var plain = new byte[cipher.Length];
        try
        {
            using var gcm = new AesGcm(key, 16);
            gcm.Decrypt(blob.Slice(HeaderSize, 12), cipher, blob[^16..], plain, Aad(blob, treId));
            objects = Deserialise(plain);
            return true;
        }
        catch (Exception e) when (e is AuthenticationTagMismatchException or InvalidDataException)
        {
            return false;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plain);
        }
    }

    private static byte[] Aad(ReadOnlySpan<byte> blob, string treId) => [.. blob[..HeaderSize], .. Encoding.UTF8.GetBytes(treId)];

    private static byte[] Serialise(IReadOnlyDictionary<string, byte[]> objects)
    {
        using var m = new MemoryStream();
        Span<byte> n = stackalloc byte[4];
        foreach (var (name, value) in objects.OrderBy(o => o.Key, StringComparer.Ordinal))
        {
            var nameBytes = Encoding.UTF8.GetBytes(name);
            BinaryPrimitives.WriteInt32BigEndian(n, nameBytes.Length);
            m.Write(n);
            m.Write(nameBytes);
            BinaryPrimitives.WriteInt32BigEndian(n, value.Length);
            m.Write(n);
            m.Write(value);
        }
        return m.ToArray();
    }

    private static Dictionary<string, byte[]> Deserialise(ReadOnlySpan<byte> plain)
    {
        var objects = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        while (!plain.IsEmpty)
        {
            var name = Encoding.UTF8.GetString(Take(ref plain));
            objects[name] = Take(ref plain).ToArray();
        }
        return objects;
    }

    private static ReadOnlySpan<byte> Take(ref ReadOnlySpan<byte> s)
    {
        if (s.Length < 4)
            throw new InvalidDataException("sealed store: truncated length");
        var length = BinaryPrimitives.ReadInt32BigEndian(s);
        if (length < 0 || length > s.Length - 4)
            throw new InvalidDataException("sealed store: bad length");
        var value = s.Slice(4, length);
        s = s[(4 + length)..];
        return value;
    }
}
