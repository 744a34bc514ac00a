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

    /// <summary>
    /// name length ‖ name ‖ value length ‖ value, by name, into one array of the exact size: no growing buffer (a commit of a
    /// device's ≈ 20 KB of objects re-allocated it 8 times — 6 % of a demo's allocations) and no copy of a secret left unzeroed.
    /// </summary>
    private static byte[] Serialise(IReadOnlyDictionary<string, byte[]> objects)
    {
        var ordered = objects.OrderBy(o => o.Key, StringComparer.Ordinal).ToList();
        var size = 0;
        foreach (var (name, value) in ordered)
            size += 8 + Encoding.UTF8.GetByteCount(name) + value.Length;
        var plain = new byte[size];
        var at = 0;
        foreach (var (name, value) in ordered)
        {
            var nameLength = Encoding.UTF8.GetBytes(name, plain.AsSpan(at + 4));
            BinaryPrimitives.WriteInt32BigEndian(plain.AsSpan(at), nameLength);
            at += 4 + nameLength;
            BinaryPrimitives.WriteInt32BigEndian(plain.AsSpan(at), value.Length);
            value.CopyTo(plain.AsSpan(at + 4));
            at += 4 + value.Length;
        }
        return plain;
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
