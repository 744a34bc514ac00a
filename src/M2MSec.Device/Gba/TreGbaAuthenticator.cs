using M2MSec.Device.Tre;

namespace M2MSec.Device.Gba;

/// <summary>
/// GBA_ME in the TRE (TS 33.220 §4.5.2, issue 18): AKA with the installed MCIM keeping Ks = CK ‖ IK inside the TRE
/// (<see cref="TrustedEnvironment.RunAka"/> keepForGba), NAF keys released one NAF at a time (<see cref="TrustedEnvironment.ReleaseNafKey"/>).
/// </summary>
public sealed class TreGbaAuthenticator(TrustedEnvironment tre, string imsi, TimeProvider? time = null) : IGbaAuthenticator
{
    public string Impi { get; } = M2MSec.Aka.Gba.Impi.FromImsi(imsi);

    public GbaAkaAnswer Authenticate(byte[] rand, byte[] autn)
    {
        var r = tre.RunAka(TreCaller.Network, imsi, rand, autn, keepForGba: true);
        return new(r.Status != M2MSec.Aka.UsimAuthenticationStatus.MacFailure, r.Res, r.Auts);
    }

    public IGbaKeyHolder Bootstrapped(string bTid, DateTimeOffset lifetime) => new Holder(tre, imsi, Impi, bTid, lifetime, time ?? TimeProvider.System);

    private sealed class Holder(TrustedEnvironment tre, string imsi, string impi, string bTid, DateTimeOffset expires, TimeProvider time) : IGbaKeyHolder
    {
        public string BTid => bTid;

        public DateTimeOffset Expires => expires;

        public string Impi => impi;

        public string GbaType => "gba_me";

        public byte[] NafKey(ReadOnlySpan<byte> nafId)
        {
            if (time.GetUtcNow() >= expires)
                throw new GbaKeyExpiredException(bTid);
            return tre.ReleaseNafKey(TreCaller.Gba, imsi, impi, nafId);
        }

        public override string ToString() => $"TreGbaKeyHolder {{ {bTid} }}";
    }
}
