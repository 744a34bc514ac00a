using System.Security.Cryptography;

namespace M2MSec.NetworkFunctions.Hss;

/// <summary>
/// A subscription's AuC data: the long-term key K, OPc, and the AMF the operator uses
/// (TS 33.102 §6.3). Holds secrets: never logged, <see cref="ToString"/> shows the IMSI only.
/// </summary>
public sealed class HssSubscriber
{
    public HssSubscriber(string imsi, ReadOnlySpan<byte> k, ReadOnlySpan<byte> opc, ReadOnlySpan<byte> amf)
    {
        if (!Imsi.IsValid(imsi))
            throw new ArgumentException("An IMSI is 6 to 15 decimal digits.", nameof(imsi));
        if (k.Length != 16 || opc.Length != 16 || amf.Length != 2)
            throw new ArgumentException("K and OPc are 16 octets, AMF 2.");
        ImsiValue = imsi;
        K = k.ToArray();
        Opc = opc.ToArray();
        Amf = amf.ToArray();
    }

    public string ImsiValue { get; }

    public byte[] K { get; }

    public byte[] Opc { get; }

    public byte[] Amf { get; }

    public void Wipe()
    {
        CryptographicOperations.ZeroMemory(K);
        CryptographicOperations.ZeroMemory(Opc);
    }

    public override string ToString() => $"HssSubscriber {{ IMSI = {ImsiValue} }}";
}

/// <summary>SEQ_HE and IND_HE of one subscriber (TS 33.102 Annex C.1).</summary>
public readonly record struct HssSqnState(ulong SeqHe, int IndHe);

/// <summary>IMSI syntax (TS 23.003 §2.2): MCC (3) + MNC (2–3) + MSIN, at most 15 digits.</summary>
public static class Imsi
{
    public static bool IsValid(string? imsi) =>
        imsi is { Length: >= 6 and <= 15 } && imsi.All(char.IsAsciiDigit);
}
