namespace M2MSec.Aka;

/// <summary>
/// A UMTS authentication vector AV = RAND || XRES || CK || IK || AUTN (TS 33.102 §6.3.2),
/// with the SQN it was made with (never sent to the serving network).
/// </summary>
public sealed record AuthenticationVector(byte[] Rand, byte[] Xres, byte[] Ck, byte[] Ik, byte[] Autn, ulong Sqn)
{
    /// <summary>RAND(16) XRES(8) CK(16) IK(16) AUTN(16): the flat layout used by <see cref="AkaVectors.Compute"/>.</summary>
    public const int EncodedSize = 72;

    public static AuthenticationVector FromEncoded(ReadOnlySpan<byte> encoded, ulong sqn)
    {
        if (encoded.Length != EncodedSize)
            throw new ArgumentException($"An encoded vector has {EncodedSize} octets.", nameof(encoded));
        return new AuthenticationVector(
            encoded[..16].ToArray(), encoded[16..24].ToArray(), encoded[24..40].ToArray(),
            encoded[40..56].ToArray(), encoded[56..72].ToArray(), sqn);
    }

    // Key material: keep it out of logs and exception messages.
    public override string ToString() => $"AuthenticationVector {{ SQN = {Sqn:x12} }}";
}
