using System.Text.Json;
using M2MSec.Device.M2me;
using M2MSec.Device.Tre;
using M2MSec.Dm.Auth;
using M2MSec.Dm.Tree;

namespace M2MSec.Device.Dm;

/// <summary>
/// The device's DM accounts with their secrets, one TRE object per server: dm/accounts/&lt;ServerID&gt;, written by
/// <see cref="DmBootstrap"/>. The DM tree holds the account's public leaves only (no AAuthSecret), so no DM Get can
/// read a password. Object: UTF-8 JSON <c>{"format":"m2msec-dmacc","version":1,"server_id","node_name","server_uri",
/// "client_user","client_password":B64,"server_password":B64,"client_auth":"basic|md5|hmac","server_auth":...}</c>.
/// </summary>
public static class DmClientAccounts
{
    public const string ObjectPrefix = "dm/accounts/";
    private const string FormatTag = "m2msec-dmacc";
    private const int Version = 1;

    private static readonly string[] Members =
        ["format", "version", "server_id", "node_name", "server_uri", "client_user", "client_password", "server_password", "client_auth", "server_auth"];

    /// <summary>The account the device holds for <paramref name="serverId"/>, or null if it was never bootstrapped.</summary>
    /// <exception cref="InvalidDataException">The sealed object is not an account (never expected: only the TRE writes it).</exception>
    public static DmClientAccount? Load(M2meDevice device, string serverId)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (!IsValidServerId(serverId))
            return null;
        var bytes = device.Tre.ReadObject(TreCaller.DeviceManagement, ObjectName(serverId));
        return bytes is null ? null : Parse(bytes, serverId).Account;
    }

    /// <summary>The DMAcc node name the account was bootstrapped under (./DMAcc/&lt;name&gt;), or null.</summary>
    internal static string? NodeName(M2meDevice device, string serverId) =>
        IsValidServerId(serverId) && device.Tre.ReadObject(TreCaller.DeviceManagement, ObjectName(serverId)) is { } bytes
            ? Parse(bytes, serverId).NodeName
            : null;

    internal static string ObjectName(string serverId) => ObjectPrefix + serverId;

    /// <summary>ServerIDs that are also DM node names are usable in an object name (no '/').</summary>
    internal static bool IsValidServerId(string? serverId) => DmAcl.IsValidServerId(serverId) && DmUri.IsValidNodeName(serverId);

    internal static byte[] Serialize(DmClientAccount account, string nodeName)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms))
        {
            w.WriteStartObject();
            w.WriteString("format", FormatTag);
            w.WriteNumber("version", Version);
            w.WriteString("server_id", account.ServerId);
            w.WriteString("node_name", nodeName);
            w.WriteString("server_uri", account.ServerUri.AbsoluteUri);
            w.WriteString("client_user", account.ClientUser);
            w.WriteBase64String("client_password", account.ClientPassword);
            w.WriteBase64String("server_password", account.ServerPassword);
            w.WriteString("client_auth", account.ClientAuth.ToAccountName());
            w.WriteString("server_auth", account.ServerAuth.ToAccountName());
            w.WriteEndObject();
        }

        return ms.ToArray();
    }

    private static (DmClientAccount Account, string NodeName) Parse(byte[] bytes, string serverId)
    {
        try
        {
            using var doc = JsonDocument.Parse(bytes);
            var o = doc.RootElement;
            if (o.ValueKind != JsonValueKind.Object || o.EnumerateObject().Any(p => !Members.Contains(p.Name)) || o.EnumerateObject().Count() != Members.Length
                || o.GetProperty("format").GetString() != FormatTag || o.GetProperty("version").GetInt32() != Version
                || o.GetProperty("server_id").GetString() != serverId
                || !Uri.TryCreate(o.GetProperty("server_uri").GetString(), UriKind.Absolute, out var uri)
                || !DmAuthSchemeNames.TryParseAccountName(o.GetProperty("client_auth").GetString(), out var clientAuth)
                || !DmAuthSchemeNames.TryParseAccountName(o.GetProperty("server_auth").GetString(), out var serverAuth) || serverAuth == DmAuthScheme.Basic)
            {
                throw new InvalidDataException($"{ObjectName(serverId)}: not a DM account");
            }

            var account = new DmClientAccount(serverId, uri, o.GetProperty("client_user").GetString()!,
                o.GetProperty("client_password").GetBytesFromBase64(), o.GetProperty("server_password").GetBytesFromBase64(), clientAuth, serverAuth);
            return (account, o.GetProperty("node_name").GetString()!);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException or KeyNotFoundException)
        {
            throw new InvalidDataException($"{ObjectName(serverId)}: not a DM account", e);
        }
    }
}
