using M2MSec.Aka.Gba;
using M2MSec.Device.Uicc;

namespace M2MSec.Device.Gba;

/// <summary>
/// GBA_U through the UICC (TS 33.220 §5.3.2, Annex G; TS 31.102 §7.1.2.4; issue 18): the ME sends AUTHENTICATE in the GBA security
/// context — bootstrapping mode with RAND ‖ AUTN*, NAF derivation mode with NAF_Id ‖ IMPI — and gets RES, then Ks_ext_NAF; Ks and
/// Ks_int_NAF stay in the card. The B-TID and lifetime go to the card too (EF_GBABP).
/// </summary>
public sealed class UiccGbaAuthenticator(SimulatedUsim usim, TimeProvider? time = null) : IGbaAuthenticator
{
    public string Impi { get; } = M2MSec.Aka.Gba.Impi.FromImsi(usim.Imsi);

    public GbaAkaAnswer Authenticate(byte[] rand, byte[] autn)
    {
        var (sw, data) = usim.AuthenticateGba(GbaUiccCommands.EncodeBootstrapping(rand, autn));
        if (sw != 0x9000 || !GbaUiccCommands.TryDecodeResponse(data, out var tag, out var value))
            return new(false, null, null);
        return tag == GbaUiccTag.Success ? new(true, value, null) : new(true, null, value);
    }

    public IGbaKeyHolder Bootstrapped(string bTid, DateTimeOffset lifetime)
    {
        usim.StoreGbaBootstrappingParameters(bTid, lifetime);
        return new Holder(usim, Impi, bTid, lifetime, time ?? TimeProvider.System);
    }

    private sealed class Holder(SimulatedUsim usim, string impi, string bTid, DateTimeOffset expires, TimeProvider time) : IGbaKeyHolder
    {
        public string BTid => bTid;

        public DateTimeOffset Expires => expires;

        public string Impi => impi;

        public string GbaType => "gba_u";

        public byte[] NafKey(ReadOnlySpan<byte> nafId)
        {
            if (time.GetUtcNow() >= expires)
                throw new GbaKeyExpiredException(bTid);
            var (sw, data) = usim.AuthenticateGba(GbaUiccCommands.EncodeNafDerivation(nafId, impi));
            if (sw != 0x9000 || !GbaUiccCommands.TryDecodeResponse(data, out var tag, out var key) || tag != GbaUiccTag.Success)
                throw new InvalidOperationException($"the UICC refused the NAF derivation (SW {sw:X4})");
            return key;
        }

        public override string ToString() => $"UiccGbaKeyHolder {{ {bTid} }}";
    }
}
