using System.Buffers.Binary;
using System.Text;

namespace M2MSec.Provisioning.Validation;

/// <summary>One firmware image's measurement: its name and SHA-256.</summary>
public sealed record FirmwareMeasurement(string Name, byte[] Sha256);

/// <summary>
/// The TRE's attestation for the PVA (TR 33.812 §5.1.2.2 "support the PVA to validate the authenticity and integrity of the
/// M2ME … Computation of cryptographic signatures"; seed 004 steps 14–15): TRE id, PCID, the PVA's challenge and the
/// firmware measurements taken at this boot, signed with the platform's attestation key. docs/decisions/015.
/// <code>
/// "M2MA" | version (1) | scheme (1) | len16 | TRE id | len16 | PCID | len8 | challenge (16–64)
///        | count8 (≤ 32) | { len8 | name (1–64) | SHA-256 (32) }* | len16 | signature
/// </code>
/// The signature covers every octet before its own length field. Integers big-endian, strings UTF-8. I/O-free.
/// </summary>
public sealed record AttestationStatement(string TreId, string Pcid, byte[] Challenge, IReadOnlyList<FirmwareMeasurement> Measurements,
    SignatureScheme Scheme, byte[] Signature)
{
    public const byte Version = 1;
    public const int MinChallenge = 16;
    public const int MaxChallenge = 64;
    public const int MaxMeasurements = 32;
    public const int MaxNameLength = 64;
    public const int MaxIdLength = 64;
    public const int MaxSignature = 1024;
    private static ReadOnlySpan<byte> Magic => "M2MA"u8;

    /// <summary>Builds and signs a statement; <paramref name="sign"/> signs the to-be-signed octets with the attestation key.</summary>
    public static AttestationStatement Create(string treId, string pcid, ReadOnlySpan<byte> challenge, IEnumerable<FirmwareMeasurement> measurements,
        SignatureScheme scheme, Func<byte[], byte[]> sign)
    {
        ArgumentNullException.ThrowIfNull(sign);
        var unsigned = new AttestationStatement(treId, pcid, challenge.ToArray(), [.. measurements.OrderBy(m => m.Name, StringComparer.Ordinal)], scheme, []);
        unsigned.CheckFields();
        return unsigned with { Signature = sign(unsigned.ToBeSigned()) };
    }

    /// <summary>The octets the attestation key signs.</summary>
    public byte[] ToBeSigned()
    {
        CheckFields();
        var tbs = new byte[TbsLength()];
        var w = WriteTbs(tbs);
        return w == tbs.Length ? tbs : throw new InvalidOperationException("length mismatch");
    }

    /// <summary>Whether the signature verifies under the attestation key (SubjectPublicKeyInfo DER, from the PfC).</summary>
    public bool Verify(ReadOnlySpan<byte> attestationPublicKey) =>
        PlatformSignature.Verify(attestationPublicKey, Scheme, ToBeSigned(), Signature);

    /// <summary>Whether the signature verifies under the PfC's attestation key, taken from the decoded certificate (no re-import).</summary>
    public bool Verify(System.Security.Cryptography.X509Certificates.X509Certificate2 attestationCertificate) =>
        PlatformSignature.Verify(attestationCertificate, Scheme, ToBeSigned(), Signature);

    public int GetEncodedLength() => TbsLength() + 2 + Signature.Length;

    public bool TryEncode(Span<byte> destination, out int written)
    {
        CheckFields();
        written = 0;
        var length = GetEncodedLength();
        if (destination.Length < length)
            return false;
        var at = WriteTbs(destination);
        BinaryPrimitives.WriteUInt16BigEndian(destination[at..], (ushort)Signature.Length);
        Signature.CopyTo(destination[(at + 2)..]);
        written = length;
        return true;
    }

    public byte[] Encode()
    {
        var bytes = new byte[GetEncodedLength()];
        return TryEncode(bytes, out _) ? bytes : throw new InvalidOperationException("length mismatch");
    }

    /// <summary>Decodes a whole statement; throws <see cref="ProvisioningException"/> (code bad-attestation) naming what is wrong.</summary>
    public static AttestationStatement Decode(ReadOnlySpan<byte> encoded)
    {
        if (!TryDecode(encoded, out var statement, out var consumed, out var error))
            throw new ProvisioningException("bad-attestation", "attestation statement: " + error);
        if (consumed != encoded.Length)
            throw new ProvisioningException("bad-attestation", $"attestation statement: {encoded.Length - consumed} octets after the signature");
        return statement;
    }

    /// <summary>Decodes one statement at the start of <paramref name="encoded"/>; false with the reason for malformed input.</summary>
    public static bool TryDecode(ReadOnlySpan<byte> encoded, out AttestationStatement statement, out int consumed, out string error)
    {
        statement = null!;
        consumed = 0;
        var r = new Reader(encoded);
        if (!r.Take(4, out var magic) || !magic.SequenceEqual(Magic))
            return Fail("not an attestation statement (magic)", out error);
        if (!r.Byte(out var version) || version != Version)
            return Fail("unsupported version", out error);
        if (!r.Byte(out var scheme) || !Enum.IsDefined((SignatureScheme)scheme))
            return Fail("unknown signature scheme", out error);
        if (!r.String16(MaxIdLength, out var treId) || treId.Length == 0)
            return Fail("TRE id: expected 1 to 64 octets of UTF-8", out error);
        if (!r.String16(MaxIdLength, out var pcid) || pcid.Length == 0)
            return Fail("PCID: expected 1 to 64 octets of UTF-8", out error);
        if (!r.Byte(out var challengeLength) || challengeLength is < MinChallenge or > MaxChallenge || !r.Take(challengeLength, out var challenge))
            return Fail($"challenge: expected {MinChallenge} to {MaxChallenge} octets", out error);
        if (!r.Byte(out var count) || count > MaxMeasurements)
            return Fail($"measurements: at most {MaxMeasurements}", out error);
        var measurements = new List<FirmwareMeasurement>(count);
        for (var i = 0; i < count; i++)
        {
            if (!r.Byte(out var nameLength) || nameLength is 0 or > MaxNameLength || !r.Take(nameLength, out var name) || !Utf8(name, out var nameText))
                return Fail($"measurement {i}: name of 1 to {MaxNameLength} octets of UTF-8", out error);
            if (!r.Take(32, out var hash))
                return Fail($"measurement {i}: SHA-256 of 32 octets", out error);
            if (measurements.Count > 0 && string.CompareOrdinal(measurements[^1].Name, nameText) >= 0)
                return Fail("measurements: names must be unique and in order", out error);
            measurements.Add(new FirmwareMeasurement(nameText, hash.ToArray()));
        }
        if (!r.UInt16(out var signatureLength) || signatureLength is 0 or > MaxSignature || !r.Take(signatureLength, out var signature))
            return Fail($"signature: 1 to {MaxSignature} octets", out error);
        statement = new AttestationStatement(treId, pcid, challenge.ToArray(), measurements, (SignatureScheme)scheme, signature.ToArray());
        consumed = r.Position;
        error = "";
        return true;
    }

    private void CheckFields()
    {
        if (Encoding.UTF8.GetByteCount(TreId ?? "") is 0 or > MaxIdLength)
            throw new ArgumentException("TRE id: 1 to 64 octets of UTF-8");
        if (Encoding.UTF8.GetByteCount(Pcid ?? "") is 0 or > MaxIdLength)
            throw new ArgumentException("PCID: 1 to 64 octets of UTF-8");
        if (Challenge is null || Challenge.Length is < MinChallenge or > MaxChallenge)
            throw new ArgumentException($"challenge: {MinChallenge} to {MaxChallenge} octets");
        if (Measurements is null || Measurements.Count > MaxMeasurements)
            throw new ArgumentException($"measurements: at most {MaxMeasurements}");
        foreach (var m in Measurements)
        {
            if (Encoding.UTF8.GetByteCount(m.Name ?? "") is 0 or > MaxNameLength || m.Sha256 is not { Length: 32 })
                throw new ArgumentException("measurement: a name of 1 to 64 octets and a 32-octet SHA-256");
        }
        if (Signature is null || Signature.Length > MaxSignature)
            throw new ArgumentException($"signature: at most {MaxSignature} octets");
    }

    private int TbsLength() => 4 + 1 + 1 + 2 + Encoding.UTF8.GetByteCount(TreId) + 2 + Encoding.UTF8.GetByteCount(Pcid) + 1 + Challenge.Length + 1
        + Measurements.Sum(m => 1 + Encoding.UTF8.GetByteCount(m.Name) + 32);

    private int WriteTbs(Span<byte> d)
    {
        var at = 0;
        Magic.CopyTo(d);
        at += 4;
        d[at++] = Version;
        d[at++] = (byte)Scheme;
        at += WriteString16(d[at..], TreId);
        at += WriteString16(d[at..], Pcid);
        d[at++] = (byte)Challenge.Length;
        Challenge.CopyTo(d[at..]);
        at += Challenge.Length;
        d[at++] = (byte)Measurements.Count;
        foreach (var m in Measurements)
        {
            var n = Encoding.UTF8.GetBytes(m.Name, d[(at + 1)..]);
            d[at] = (byte)n;
            at += 1 + n;
            m.Sha256.CopyTo(d[at..]);
            at += 32;
        }
        return at;
    }

    private static int WriteString16(Span<byte> d, string s)
    {
        var n = Encoding.UTF8.GetBytes(s, d[2..]);
        BinaryPrimitives.WriteUInt16BigEndian(d, (ushort)n);
        return 2 + n;
    }

    private static bool Utf8(ReadOnlySpan<byte> bytes, out string text)
    {
        try
        {
            text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes);
            return !text.Any(char.IsControl);
        }
        catch (DecoderFallbackException)
        {
            text = "";
            return false;
        }
    }

    private static bool Fail(string why, out string error)
    {
        error = why;
        return false;
    }

    private ref struct Reader(ReadOnlySpan<byte> data)
    {
        private readonly ReadOnlySpan<byte> _data = data;

        public int Position { get; private set; }

        public bool Take(int n, out ReadOnlySpan<byte> bytes)
        {
            bytes = default;
            if (n < 0 || _data.Length - Position < n)
                return false;
            bytes = _data.Slice(Position, n);
            Position += n;
            return true;
        }

        public bool Byte(out byte b)
        {
            b = 0;
            if (!Take(1, out var s))
                return false;
            b = s[0];
            return true;
        }

        public bool UInt16(out ushort v)
        {
            v = 0;
            if (!Take(2, out var s))
                return false;
            v = BinaryPrimitives.ReadUInt16BigEndian(s);
            return true;
        }

        public bool String16(int max, out string text)
        {
            text = "";
            return UInt16(out var n) && n <= max && Take(n, out var s) && Utf8(s, out text);
        }
    }
}
