using System.Security.Cryptography;

namespace M2MSec.Aka;

/// <summary>
/// The USIM side of UMTS AKA (TS 33.102 §6.3.3): recover SQN from AUTN, verify MAC-A in fixed
/// time, check SQN freshness against the SEQ_MS array (Annex C.2), then return RES, CK, IK —
/// or AUTS on a synchronisation failure. The same logic runs in a UICC and in a TRE.
/// </summary>
public sealed class UsimAka
{
    private readonly Milenage _milenage;
    private readonly byte[] _k;
    private readonly byte[] _opc;

    public UsimAka(Milenage milenage, ReadOnlySpan<byte> k, ReadOnlySpan<byte> opc, UsimSqnState sqnState)
    {
        _milenage = milenage ?? throw new ArgumentNullException(nameof(milenage));
        if (k.Length != Milenage.KeySize || opc.Length != Milenage.OpSize)
            throw new ArgumentException("K and OPc are 16 octets each.");
        _k = k.ToArray();
        _opc = opc.ToArray();
        SqnState = sqnState ?? throw new ArgumentNullException(nameof(sqnState));
    }

    public UsimSqnState SqnState { get; }

    /// <summary>
    /// GBA_U bootstrapping mode (TS 33.220 §5.3.2, TS 31.102 §7.1.2.4): IK = f4_K(RAND) first (it does not depend on SQN), then
    /// AUTN = AUTN* with MAC = MAC* ⊕ Trunc(SHA-1(IK)), then AUTHENTICATE as usual. A plain AUTN fails here as a MAC failure.
    /// </summary>
    public UsimAuthenticationResult AuthenticateGbaU(ReadOnlySpan<byte> rand, ReadOnlySpan<byte> autnStar)
    {
        if (rand.Length != Milenage.RandSize || autnStar.Length != AkaVectors.AutnSize)
            throw new ArgumentException("RAND and AUTN* are 16 octets each.");
        Span<byte> zeroSqn = stackalloc byte[6];
        zeroSqn.Clear();
        _milenage.Compute(_k, _opc, rand, zeroSqn, autnStar.Slice(6, 2), out var o);
        try
        {
            return Authenticate(rand, Gba.GbaUAutn.Transform(autnStar, o.Ik));
        }
        finally
        {
            o.Clear();
        }
    }

    public UsimAuthenticationResult Authenticate(ReadOnlySpan<byte> rand, ReadOnlySpan<byte> autn, bool requireSeparationBit = false)
    {
        if (rand.Length != Milenage.RandSize)
            throw new ArgumentException($"RAND must be 16 octets, got {rand.Length}.", nameof(rand));
        if (autn.Length != AkaVectors.AutnSize)
            throw new ArgumentException($"AUTN must be 16 octets, got {autn.Length}.", nameof(autn));

        var amf = autn.Slice(6, 2);
        Span<byte> zeroSqn = stackalloc byte[6];
        zeroSqn.Clear();
        // AK = f5_K(RAND) does not depend on SQN: the first pass yields AK, RES, CK, IK.
        _milenage.Compute(_k, _opc, rand, zeroSqn, amf, out var o);
        Span<byte> sqn = stackalloc byte[6];
        for (var i = 0; i < 6; i++)
            sqn[i] = (byte)(autn[i] ^ o.Ak[i]);

        _milenage.Compute(_k, _opc, rand, sqn, amf, out var withSqn);
        var macOk = CryptographicOperations.FixedTimeEquals(withSqn.MacA, autn[8..]);
        try
        {
            if (!macOk)
                return new UsimAuthenticationResult(UsimAuthenticationStatus.MacFailure);
            var sqnValue = Sqn.Read(sqn);
            if (!SqnState.IsFresh(sqnValue))
                return new UsimAuthenticationResult(UsimAuthenticationStatus.SynchronisationFailure,
                    Auts: AkaVectors.ComputeAuts(_milenage, _k, _opc, rand, SqnState.SqnMs()));
            if (requireSeparationBit && !Amf.HasSeparationBit(amf))
                return new UsimAuthenticationResult(UsimAuthenticationStatus.AmfSeparationBitInvalid);
            SqnState.Accept(sqnValue);
            return new UsimAuthenticationResult(UsimAuthenticationStatus.Success,
                o.Res.ToArray(), o.Ck.ToArray(), o.Ik.ToArray());
        }
        finally
        {
            o.Clear();
            withSqn.Clear();
        }
    }
}
