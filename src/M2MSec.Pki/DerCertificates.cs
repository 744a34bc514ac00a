using System.Security.Cryptography.X509Certificates;

namespace M2MSec.Pki;

/// <summary>
/// Certificates loaded from DER, each distinct encoding decoded once per process. OpenSSL 3's decoder takes ≈ 180 µs for a
/// P-256 certificate here, a duplicate of one already decoded ≈ 0.6 µs (issue 19, docs/decisions/048): the same few signers
/// (a SHO's, the PVA's, a manufacturer's root and issuing CA) arrive in every device's messages, and a device's PfC is
/// decoded at each of its validation's checks. Only the decoding is shared — every check (signature, chain, validity,
/// revocation, profile) still runs on each use. The caller owns and disposes the certificate it gets, as with
/// <see cref="X509CertificateLoader.LoadCertificate(ReadOnlySpan{byte})"/>; it holds no private key.
/// </summary>
public static class DerCertificates
{
    /// <summary>Distinct encodings kept; the least recently used goes first. Bounded, so no peer can grow it.</summary>
    public const int Capacity = 512;

    /// <summary>Longer encodings are decoded every time (none of the project's certificates comes near it).</summary>
    public const int MaxCachedLength = 16 * 1024;

    private static readonly Dictionary<byte[], Entry> Entries = new(Capacity, DerComparer.Instance);
    private static readonly Dictionary<byte[], Entry>.AlternateLookup<ReadOnlySpan<byte>> BySpan = Entries.GetAlternateLookup<ReadOnlySpan<byte>>();
    private static readonly Lock Gate = new();
    private static long _clock;

    /// <summary>
    /// The certificate encoded by <paramref name="der"/>, a new object the caller disposes. Throws
    /// <see cref="System.Security.Cryptography.CryptographicException"/> for what does not decode, as the loader does.
    /// </summary>
    public static X509Certificate2 Load(ReadOnlySpan<byte> der)
    {
        if (der.Length > MaxCachedLength)
            return X509CertificateLoader.LoadCertificate(der);
        lock (Gate)
        {
            if (BySpan.TryGetValue(der, out var hit))
            {
                hit.LastUse = ++_clock;
                // Duplicated under the lock: an eviction cannot dispose the original in between.
                return new X509Certificate2(hit.Certificate);
            }
        }
        var decoded = X509CertificateLoader.LoadCertificate(der);
        lock (Gate)
        {
            if (BySpan.TryGetValue(der, out var raced))
            {
                raced.LastUse = ++_clock;
                return decoded;
            }
            if (Entries.Count >= Capacity)
                EvictOldest();
            var kept = new X509Certificate2(decoded);
            Entries.Add(der.ToArray(), new Entry(kept) { LastUse = ++_clock });
        }
        return decoded;
    }

    /// <summary>Encodings held now (tests).</summary>
    internal static int Count
    {
        get
        {
            lock (Gate)
                return Entries.Count;
        }
    }

    /// <summary>Drops the least recently used eighth: one scan per <see cref="Capacity"/>/8 misses.</summary>
    private static void EvictOldest()
    {
        var drop = Entries.OrderBy(e => e.Value.LastUse).Take(Capacity / 8).ToList();
        foreach (var (der, entry) in drop)
        {
            Entries.Remove(der);
            entry.Certificate.Dispose();
        }
    }

    private sealed class Entry(X509Certificate2 certificate)
    {
        public X509Certificate2 Certificate { get; } = certificate;

        public long LastUse { get; set; }
    }

    /// <summary>Byte-wise equality; the hash is the runtime's per-process randomised one (no chosen-collision flooding).</summary>
    private sealed class DerComparer : IEqualityComparer<byte[]>, IAlternateEqualityComparer<ReadOnlySpan<byte>, byte[]>
    {
        public static readonly DerComparer Instance = new();

        public bool Equals(byte[]? x, byte[]? y) => x.AsSpan().SequenceEqual(y);

        public int GetHashCode(byte[] obj) => GetHashCode(obj.AsSpan());

        public bool Equals(ReadOnlySpan<byte> alternate, byte[] other) => alternate.SequenceEqual(other);

        public int GetHashCode(ReadOnlySpan<byte> alternate)
        {
            var hash = new HashCode();
            hash.AddBytes(alternate);
            return hash.ToHashCode();
        }

        public byte[] Create(ReadOnlySpan<byte> alternate) => alternate.ToArray();
    }
}
