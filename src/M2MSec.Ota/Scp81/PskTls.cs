using Org.BouncyCastle.Security;
using Org.BouncyCastle.Tls;
using Org.BouncyCastle.Tls.Crypto;
using Org.BouncyCastle.Tls.Crypto.Impl.BC;

namespace M2MSec.Ota.Scp81;

/// <summary>
/// The PSK-TLS profile of SCP81 (ETSI TS 102 226 §10, GlobalPlatform Amendment B; TS 102 225
/// §5.4): TLS 1.2 only, TLS_PSK_WITH_AES_128_CBC_SHA256 mandatory, AES-128-GCM optional. This is
/// separate from the certificate TLS profile of TS 33.310 used between network functions.
/// </summary>
public static class PskTlsProfile
{
    public static int[] DefaultCipherSuites { get; } = [CipherSuite.TLS_PSK_WITH_AES_128_CBC_SHA256, CipherSuite.TLS_PSK_WITH_AES_128_GCM_SHA256];

    internal static TlsCrypto NewCrypto() => new BcTlsCrypto(new SecureRandom());
}

/// <summary>Looks up a card's PSK by its identity; null refuses the identity (alert unknown_psk_identity).</summary>
public delegate byte[]? PskLookup(string identity);

/// <summary>The admin server's side of the handshake.</summary>
internal sealed class AdminPskTlsServer(TlsCrypto crypto, PskLookup lookup, int[] cipherSuites)
    : PskTlsServer(crypto, new IdentityManager(lookup))
{
    public string? Identity => ((IdentityManager)PskIdentityManager).LastIdentity;

    private TlsPskIdentityManager PskIdentityManager => m_pskIdentityManager;

    protected override ProtocolVersion[] GetSupportedVersions() => ProtocolVersion.TLSv12.Only();

    protected override int[] GetSupportedCipherSuites() => cipherSuites;

    private sealed class IdentityManager(PskLookup lookup) : TlsPskIdentityManager
    {
        public string? LastIdentity { get; private set; }

        public byte[]? GetHint() => null;

        public byte[]? GetPsk(byte[] identity)
        {
            var id = System.Text.Encoding.UTF8.GetString(identity);
            var psk = lookup(id);
            if (psk is not null)
                LastIdentity = id;
            return psk;
        }
    }
}

/// <summary>The card's side of the handshake.</summary>
internal sealed class CardPskTlsClient(TlsCrypto crypto, string identity, byte[] psk, int[] cipherSuites)
    : PskTlsClient(crypto, new BasicTlsPskIdentity(identity, psk))
{
    protected override ProtocolVersion[] GetSupportedVersions() => ProtocolVersion.TLSv12.Only();

    protected override int[] GetSupportedCipherSuites() => cipherSuites;
}
