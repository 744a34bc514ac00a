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

    // Issue 18, GBA_U (TS 33.220 §5.3.2, Annex G; TS 31.102 §7.1.2.4): Ks, its RAND and the Ks_int_NAF derived never leave the card.
    private readonly object _gbaLock = new();
    private byte[]? _gbaKs;
    private byte[]? _gbaRand;
    private readonly Dictionary<string, byte[]> _ksIntNaf = new(StringComparer.Ordinal);

    /// <summary>EF_GBABP (TS 31.102 §4.2.79): the B-TID and key lifetime the ME stored after the bootstrapping; null before.</summary>
    public (string BTid, DateTimeOffset Lifetime)? GbaBootstrappingParameters { get; private set; }

    /// <summary>
    /// AUTHENTICATE in the GBA security context (P2 '84'): bootstrapping mode ('DD': RAND, AUTN*) → 'DB' RES, keeping Ks = CK ‖ IK
    /// (or 'DC' AUTS; SW 98 62 on a MAC failure, e.g. a plain AUTN); NAF derivation mode ('DE': NAF_Id, IMPI) → 'DB' Ks_ext_NAF,
    /// keeping Ks_int_NAF. Returns the status word and the response data.
    /// </summary>
    public (ushort Sw, byte[] Data) AuthenticateGba(ReadOnlySpan<byte> command)
    {
        if (!Aka.Gba.GbaUiccCommands.TryDecodeCommand(command, out var mode, out var first, out var second))
            return (0x6A80, []);
        lock (_gbaLock)
        {
            if (mode == Aka.Gba.GbaUiccCommands.BootstrappingTag)
            {
                if (first.Length != Milenage.RandSize || second.Length != 16)
                    return (0x6A80, []);
                var r = _aka.AuthenticateGbaU(first, second);
                switch (r.Status)
                {
                    case UsimAuthenticationStatus.MacFailure:
                        return (Aka.Gba.GbaUiccCommands.IncorrectMac, []);
                    case UsimAuthenticationStatus.SynchronisationFailure:
                        return (0x9000, Aka.Gba.GbaUiccCommands.EncodeResponse(Aka.Gba.GbaUiccTag.SynchronisationFailure, r.Auts));
                }
                // A new bootstrapping replaces Ks, RAND, B-TID and lifetime of the previous one (TS 33.220 Annex G.1).
                WipeGbaLocked();
                _gbaKs = [.. r.Ck!, .. r.Ik!];
                _gbaRand = first;
                CryptographicOperations.ZeroMemory(r.Ck);
                CryptographicOperations.ZeroMemory(r.Ik);
                return (0x9000, Aka.Gba.GbaUiccCommands.EncodeResponse(Aka.Gba.GbaUiccTag.Success, r.Res));
            }
            if (_gbaKs is null || GbaBootstrappingParameters is null)
                return (0x6985, []); // conditions of use not satisfied: no bootstrapping yet
            string impi;
            try
            {
                impi = new System.Text.UTF8Encoding(false, true).GetString(second);
            }
            catch (System.Text.DecoderFallbackException)
            {
                return (0x6A80, []);
            }
            if (first.Length <= GbaKeys.UaProtocolIdSize || impi.Length == 0)
                return (0x6A80, []);
            var ext = GbaKeys.KsNaf(_gbaKs.AsSpan(0, 16), _gbaKs.AsSpan(16), _gbaRand, impi, first);
            _ksIntNaf[Convert.ToHexString(first)] = GbaKeys.KsIntNaf(_gbaKs.AsSpan(0, 16), _gbaKs.AsSpan(16), _gbaRand, impi, first);
            return (0x9000, Aka.Gba.GbaUiccCommands.EncodeResponse(Aka.Gba.GbaUiccTag.Success, ext));
        }
    }

    /// <summary>The ME stores the B-TID and key lifetime of the bootstrapping (TS 33.220 Annex G.1, EF_GBABP).</summary>
    public void StoreGbaBootstrappingParameters(string bTid, DateTimeOffset lifetime)
    {
        ArgumentException.ThrowIfNullOrEmpty(bTid);
        lock (_gbaLock)
        {
            if (_gbaKs is null)
                throw new InvalidOperationException("no GBA_U bootstrapping in the UICC");
            GbaBootstrappingParameters = (bTid, lifetime);
        }
    }

    /// <summary>Whether the card holds <paramref name="expected"/> as Ks_int_NAF for <paramref name="nafId"/> (fixed-time; the key itself never leaves).</summary>
    public bool HoldsKsIntNaf(ReadOnlySpan<byte> nafId, ReadOnlySpan<byte> expected)
    {
        lock (_gbaLock)
            return _ksIntNaf.TryGetValue(Convert.ToHexString(nafId), out var k) && CryptographicOperations.FixedTimeEquals(k, expected);
    }

    private void WipeGbaLocked()
    {
        if (_gbaKs is not null)
            CryptographicOperations.ZeroMemory(_gbaKs);
        foreach (var k in _ksIntNaf.Values)
            CryptographicOperations.ZeroMemory(k);
        _ksIntNaf.Clear();
        _gbaKs = _gbaRand = null;
        GbaBootstrappingParameters = null;
    }

    public override string ToString() => $"SimulatedUsim {{ IMSI = {Imsi} }}";
}
