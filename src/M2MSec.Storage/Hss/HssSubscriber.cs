using System.Security.Cryptography;

namespace M2MSec.Storage.Hss;

/// <summary>What kind of identity a subscription row is keyed by.</summary>
public enum SubscriberIdentityKind
{
    /// <summary>An operational subscription (MCIM or USIM): IMSI, K, OPc.</summary>
    Imsi,

    /// <summary>A provisional connectivity id with its temporary credential (TR 33.812 §5.1.3.6.2, loaded by the CCIF).</summary>
    Pcid,
}

/// <summary>
/// A subscription's AuC data (TS 33.102 §6.3): its identity (IMSI, or a PCID in IMSI format
/// for a temporary credential), the long-term key K, OPc, the AMF and the algorithm. Holds
/// secrets: never logged; <see cref="ToString"/> shows the identity only.
/// </summary>
public sealed class HssSubscriber
{
    /// <summary>The only algorithm this build runs (TS 35.206).</summary>
    public const string Milenage = "milenage";

    public HssSubscriber(string imsi, ReadOnlySpan<byte> k, ReadOnlySpan<byte> opc, ReadOnlySpan<byte> amf,
        SubscriberIdentityKind kind = SubscriberIdentityKind.Imsi, string algorithm = Milenage)
    {
        if (!Imsi.IsValid(imsi))
            throw new ArgumentException("An IMSI (or PCID) is 6 to 15 decimal digits.", nameof(imsi));
        if (k.Length != 16 || opc.Length != 16 || amf.Length != 2)
            throw new ArgumentException("K and OPc are 16 octets, AMF 2.");
        if (algorithm != Milenage)
            throw new ArgumentException($"Unknown algorithm '{algorithm}' (supported: {Milenage}).", nameof(algorithm));
        ImsiValue = imsi;
        K = k.ToArray();
        Opc = opc.ToArray();
        Amf = amf.ToArray();
        Kind = kind;
        Algorithm = algorithm;
    }

    /// <summary>The IMSI, or the PCID for <see cref="SubscriberIdentityKind.Pcid"/>.</summary>
    public string ImsiValue { get; }

    public SubscriberIdentityKind Kind { get; }

    public string Algorithm { get; }

    public byte[] K { get; }

    public byte[] Opc { get; }

    public byte[] Amf { get; }

    public void Wipe()
    {
        CryptographicOperations.ZeroMemory(K);
        CryptographicOperations.ZeroMemory(Opc);
    }

    public override string ToString() => $"HssSubscriber {{ {Kind} = {ImsiValue} }}";
}

/// <summary>SEQ_HE and IND_HE of one subscriber (TS 33.102 Annex C.1).</summary>
public readonly record struct HssSqnState(ulong SeqHe, int IndHe);

/// <summary>IMSI syntax (TS 23.003 §2.2): MCC (3) + MNC (2–3) + MSIN, at most 15 digits.</summary>
public static class Imsi
{
    public static bool IsValid(string? imsi) =>
        imsi is { Length: >= 6 and <= 15 } && imsi.All(char.IsAsciiDigit);
}
