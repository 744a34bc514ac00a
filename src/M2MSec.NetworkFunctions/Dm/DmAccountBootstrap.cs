using System.Security.Cryptography;
using System.Text;
using M2MSec.Dm.Auth;
using M2MSec.Dm.Bootstrap;
using M2MSec.Storage.Dm;

namespace M2MSec.NetworkFunctions.Dm;

/// <summary>
/// The DM bootstrap package (OMA-TS-DM_Bootstrap-V1_2 §5) that gives a device the DMAcc of its account at the DM server:
/// CLCRED = the device's user and password, SRVCRED = the server's. Used by `m2msec dm bootstrap` and the DM server's admin API.
/// </summary>
public static class DmAccountBootstrap
{
    private static readonly UTF8Encoding StrictUtf8 = new(false, true);

    /// <summary>The account as a bootstrap package for <paramref name="serverUri"/> (DMAcc AppAddr Addr).</summary>
    /// <exception cref="ArgumentException">A password that is not text (AAuthSecret is chr) or an auth scheme without AAuthType.</exception>
    public static BootstrapPackage Package(DmAccount account, Uri serverUri)
    {
        ArgumentNullException.ThrowIfNull(account);
        var sessionId = Convert.ToHexString(RandomNumberGenerator.GetBytes(2));
        return new BootstrapPackage(sessionId, "1", account.DevId, new BootstrapDmAcc(
            account.ServerId, account.ServerId, account.ServerId, serverUri, Scheme(account.ClientAuth),
            new BootstrapAppAuth(Scheme(account.ServerAuth), account.ServerId, Text(account.ServerPassword)),
            new BootstrapAppAuth(Scheme(account.ClientAuth), account.ClientUser, Text(account.ClientPassword))));
    }

    private static DmAuthScheme Scheme(string name) =>
        DmAuthSchemeNames.TryParseAccountName(name, out var scheme) ? scheme : throw new ArgumentException($"the account's auth scheme '{name}' has no AAuthType");

    /// <summary>AAuthSecret is chr (OMA-TS-DM_StdObj-V1_2 §5.3): a password that is not UTF-8 cannot be bootstrapped.</summary>
    private static string Text(byte[] password)
    {
        try
        {
            return StrictUtf8.GetString(password);
        }
        catch (DecoderFallbackException)
        {
            throw new ArgumentException("the account's password is not text (AAuthSecret is chr); re-create the account");
        }
    }
}
