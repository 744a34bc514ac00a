using System.Security.Cryptography;
using M2MSec.Aka;

namespace M2MSec.Device.Uicc;

/// <summary>
/// A software USIM: IMSI, K, OPc and the SEQ_MS array; runs AUTHENTICATE (TS 31.102 §7.1.2)
/// through <see cref="UsimAka"/>. The UICC file system and OTA card come with the OTA work.
/// </summary>
public sealed class SimulatedUsim
{
    private readonly UsimAka _aka;

    public SimulatedUsim(string imsi, ReadOnlySpan<byte> k, ReadOnlySpan<byte> opc, UsimSqnState? sqnState = null, Milenage? milenage = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(imsi);
        Imsi = imsi;
        _aka = new UsimAka(milenage ?? Milenage.Default, k, opc, sqnState ?? new UsimSqnState(SqnScheme.Default));
    }

    public string Imsi { get; }

    public UsimSqnState SqnState => _aka.SqnState;

    /// <summary>Manufactures a USIM with a fresh random K and OPc.</summary>
    public static SimulatedUsim Manufacture(string imsi, out byte[] k, out byte[] opc, UsimSqnState? sqnState = null)
    {
        k = RandomNumberGenerator.GetBytes(16);
        opc = RandomNumberGenerator.GetBytes(16);
        return new SimulatedUsim(imsi, k, opc, sqnState);
    }

    public UsimAuthenticationResult Authenticate(ReadOnlySpan<byte> rand, ReadOnlySpan<byte> autn, bool eUtran = false) =>
        _aka.Authenticate(rand, autn, requireSeparationBit: eUtran);

    public override string ToString() => $"SimulatedUsim {{ IMSI = {Imsi} }}";
}
