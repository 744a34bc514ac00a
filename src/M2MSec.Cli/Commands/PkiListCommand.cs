using System.CommandLine;
using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using M2MSec.Cli.Internal;
using M2MSec.Pki.Authority;
using M2MSec.Storage.Certificates;

namespace M2MSec.Cli.Commands;

/// <summary>
/// `m2msec pki list`: what a hierarchy has issued — serial, subject, profile, notAfter and status
/// (good, revoked or expired), as an OCSP responder would answer for it (RFC 6960 §2.2). Issue 14 item 9.
/// </summary>
internal static class PkiListCommand
{
    public static Command Create()
    {
        var list = new Command("list", "The certificates a hierarchy issued: serial, subject, profile, not-after, status (good, revoked, expired)");
        var store = new StoreArgs();
        var name = CliArgs.OneOf("--name", "the hierarchy", CertificateHierarchy.Names, "operator");
        var json = CliArgs.Flag("--json", "print one JSON object (snake_case fields)");
        store.AddTo(list);
        list.Options.Add(name);
        list.Options.Add(json);
        CliArgs.Required(list, store.Data);
        list.SetAction((r, ct) => store.RunAsync(r, async state =>
        {
            var hierarchy = r.GetRequiredValue(name).ToLowerInvariant();
            if (await state.Certificates.FindHierarchyAsync(hierarchy, ct) is null)
            {
                CliOutput.Error(r, $"--name: no '{hierarchy}' hierarchy in {state.Description}; run `m2msec pki init` first");
                return ExitCodes.BadArguments;
            }
            var now = DateTimeOffset.UtcNow;
            var rows = (await state.Certificates.ListAsync(hierarchy, ct))
                .OrderBy(c => c.NotBefore).ThenBy(c => c.SerialHex, StringComparer.Ordinal)
                .Select(c => new Row(c.SerialHex, CertificateSubject.Sanitise(c.Subject), ProfileOf(c), c.NotAfter.ToUniversalTime(), Status(c, now)))
                .ToList();
            var output = r.InvocationConfiguration.Output;
            if (r.GetValue(json))
            {
                CliOutput.Write(r, true,
                [
                    new("hierarchy", hierarchy),
                    new("certificates", rows.Select(x => new Dictionary<string, object?>
                    {
                        ["serial"] = x.Serial, ["subject"] = x.Subject, ["profile"] = x.Profile,
                        ["not_after"] = x.NotAfter.UtcDateTime.ToString("O", CultureInfo.InvariantCulture), ["status"] = x.Status,
                    }).ToArray()),
                ]);
                return ExitCodes.Success;
            }
            if (rows.Count == 0)
            {
                output.WriteLine($"{hierarchy}: no certificates issued");
                return ExitCodes.Success;
            }
            var serialWidth = Math.Max("serial".Length, rows.Max(x => x.Serial.Length));
            var profileWidth = Math.Max("profile".Length, rows.Max(x => x.Profile.Length));
            output.WriteLine($"{"serial".PadRight(serialWidth)}  {"status",-7}  {"not-after",-20}  {"profile".PadRight(profileWidth)}  subject");
            foreach (var x in rows)
                output.WriteLine($"{x.Serial.PadRight(serialWidth)}  {x.Status,-7}  {x.NotAfter.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),-20}  {x.Profile.PadRight(profileWidth)}  {x.Subject}");
            return ExitCodes.Success;
        }, ct));
        return list;
    }

    private sealed record Row(string Serial, string Subject, string Profile, DateTimeOffset NotAfter, string Status);

    private static string Status(IssuedCertificate c, DateTimeOffset now) =>
        c.IsRevoked ? "revoked" : c.NotAfter <= now ? "expired" : "good";

    /// <summary>The profile a certificate was issued under, read back from its extensions (the store keeps the certificate, not the profile name).</summary>
    internal static string ProfileOf(IssuedCertificate record)
    {
        try
        {
            using var cert = X509CertificateLoader.LoadCertificate(record.Der);
            if (CertificateRoles.IsAdministrator(cert))
                return CertificateProfile.Admin.Name();
            var eku = cert.Extensions.OfType<X509EnhancedKeyUsageExtension>().SelectMany(e => e.EnhancedKeyUsages.Cast<System.Security.Cryptography.Oid>()).Select(o => o.Value).ToHashSet();
            var server = eku.Contains(CertificateProfiles.ServerAuthOid);
            var client = eku.Contains(CertificateProfiles.ClientAuthOid);
            var profile = eku.Contains(CertificateProfiles.OcspSigningOid) ? CertificateProfile.OcspSigner
                : server && client ? CertificateProfile.NetworkFunction
                : server ? CertificateProfile.DmServer
                : client ? CertificateProfile.Device
                : CertificateProfile.Sho;
            return profile.Name();
        }
        catch (System.Security.Cryptography.CryptographicException)
        {
            return "unknown";
        }
    }
}
