using System.CommandLine;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using M2MSec.Cli.Internal;
using M2MSec.Pki;
using M2MSec.Pki.Authority;
using M2MSec.Storage;

namespace M2MSec.Cli.Commands;

/// <summary>
/// `m2msec pki init|export|issue|revoke|crl|check`: the operator's certificate hierarchies (CA keys in
/// the store under the key ring) and the device-side check of a server certificate.
/// </summary>
internal static class PkiCommand
{
    public static Command Create()
    {
        var command = new Command("pki", "Certificate hierarchies (operator, manufacturer, sho), issuance, revocation, checking");
        command.Subcommands.Add(Init());
        command.Subcommands.Add(Export());
        command.Subcommands.Add(Issue());
        command.Subcommands.Add(Revoke());
        command.Subcommands.Add(Crl());
        command.Subcommands.Add(PkiListCommand.Create());
        command.Subcommands.Add(PkiCheckCommand.Create());
        command.Subcommands.Add(PkiSetOcspUrlCommand.Create());
        return command;
    }

    private static Option<string> NameOption() =>
        CliArgs.OneOf("--name", "the hierarchy", CertificateHierarchy.Names, "operator");

    private static Option<bool> JsonOption() => CliArgs.Flag("--json", "print one JSON object (snake_case fields) and nothing else on standard output");

    private static Option<string> KeyOption(string? defaultValue) =>
        CliArgs.OneOf("--key", "key type", KeyAlgorithms.AllNames, defaultValue);

    private static Command Init()
    {
        var init = new Command("init", "Create a hierarchy: root CA, issuing CA and delegated OCSP signer");
        var store = new StoreArgs(createsStore: true);
        var name = NameOption();
        var key = KeyOption("ec-p256");
        var ocspUrl = CliArgs.Text("--ocsp-url", "OCSP responder URL put in the AIA of issued certificates", "an http(s) URL");
        store.AddTo(init);
        init.Options.Add(name);
        init.Options.Add(key);
        init.Options.Add(ocspUrl);
        var initJson = JsonOption();
        init.Options.Add(initJson);
        CliArgs.Required(init, store.Data);
        init.Validators.Add(r =>
        {
            if (r.GetValue(ocspUrl) is { } u && !(Uri.TryCreate(u, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"))
                r.AddError($"--ocsp-url: expected an http or https URL, got '{u}'");
        });
        init.SetAction((r, ct) => store.RunAsync(r, async state =>
        {
            KeyAlgorithms.TryParse(r.GetValue(key), out var algorithm);
            var url = r.GetValue(ocspUrl) is { } u ? new Uri(u) : null;
            var h = await CertificateHierarchy.InitAsync(state.Certificates, r.GetRequiredValue(name), algorithm, url, TimeProvider.System, ct);
            await state.Audit.AppendAsync("cli", "pki.init", h.Name, $"{algorithm.Name()} root {CertificateSerial.Of(h.Root)}", ct);
            CliOutput.Write(r, r.GetValue(initJson),
            [
                new("hierarchy", h.Name), new("key", algorithm.Name()), new("root", h.Root.Subject), new("root_sha256", h.Root.GetCertHashString(HashAlgorithmName.SHA256).ToLowerInvariant()),
                new("issuing", h.Issuing.Subject), new("ocsp_signer", h.OcspSigner.Subject), new("ocsp_url", url?.ToString() ?? (r.GetValue(initJson) ? null : "(none)")),
            ]);
            return ExitCodes.Success;
        }, ct));
        return init;
    }

    private static Command Export()
    {
        var export = new Command("export", "Write a hierarchy's CA certificates as PEM");
        var store = new StoreArgs();
        var name = NameOption();
        var what = CliArgs.OneOf("--what", "which certificates", ["root", "issuing", "chain", "ocsp"]);
        var output = CliArgs.OutputFileOrStdout("--out", "output file (PEM)");
        store.AddTo(export);
        export.Options.Add(name);
        export.Options.Add(what);
        export.Options.Add(output);
        CliArgs.Required(export, store.Data, what, output);
        export.SetAction((r, ct) => WithHierarchyAsync(r, store, name, async (state, h) =>
        {
            X509Certificate2[] certs = r.GetRequiredValue(what).ToLowerInvariant() switch
            {
                "root" => [h.Root],
                "issuing" => [h.Issuing],
                "ocsp" => [h.OcspSigner],
                _ => [h.Issuing, h.Root],
            };
            var path = await CliPaths.WriteTextAsync(r, "--out", r.GetRequiredValue(output), string.Concat(certs.Select(c => c.ExportCertificatePem() + "\n")), ct);
            if (path != CliPaths.Stdout)
                r.InvocationConfiguration.Output.WriteLine($"wrote {certs.Length} certificate(s) to {path}");
            return ExitCodes.Success;
        }, ct));
        return export;
    }

    private static Command Issue()
    {
        var issue = new Command("issue", "Issue a certificate with a fresh key pair");
        var store = new StoreArgs();
        var name = NameOption();
        var profile = CliArgs.OneOf("--profile", "what the certificate is for", CertificateProfiles.IssuableNames);
        var subject = CliArgs.Text("--subject", "the subject's common name", "a name");
        var san = new Option<string[]>("--san") { Description = "subjectAltName: a DNS name or IP address (repeatable)", AllowMultipleArgumentsPerToken = false };
        var role = CliArgs.OneOf("--role", "nf: the network function's role, carried as its policy OID (docs/decisions/012)", CertificateRoles.Names);
        var days = CliArgs.Int("--days", "validity in days (default: the profile's; dm-server 7)", 1, 36500, null);
        var key = KeyOption(null);
        var outCert = CliArgs.OutputFileOrStdout("--out-cert", "certificate output (PEM)");
        var outKey = CliArgs.OutputFileOrStdout("--out-key", "private key output (PKCS#8 PEM, mode 0600)");
        var issueJson = JsonOption();
        store.AddTo(issue);
        foreach (var o in new Option[] { name, profile, subject, san, role, days, key, outCert, outKey, issueJson })
            issue.Options.Add(o);
        CliArgs.Required(issue, store.Data, profile, subject, outCert, outKey);
        issue.Validators.Add(r =>
        {
            if (!CertificateProfiles.TryParse(r.GetValue(profile), out var p))
                return;
            if (p.NeedsRole() && r.GetResult(role) is null)
                r.AddError($"--role: the nf profile needs one of {string.Join(", ", CertificateRoles.Names)}");
            else if (!p.NeedsRole() && r.GetResult(role) is not null)
                r.AddError("--role: only for --profile nf");
        });
        issue.SetAction((r, ct) => WithHierarchyAsync(r, store, name, async (state, h) =>
        {
            var certPath = StdoutOrFullPath(r.GetRequiredValue(outCert));
            var keyPath = StdoutOrFullPath(r.GetRequiredValue(outKey));
            foreach (var (path, option) in new[] { (certPath, "--out-cert"), (keyPath, "--out-key") })
            {
                if (path != CliPaths.Stdout && File.Exists(path))
                    throw new ArgumentException($"{option}: {path} exists; refusing to overwrite");
            }
            CertificateProfiles.TryParse(r.GetRequiredValue(profile), out var p);
            var subjectName = new CertificateSubject(r.GetRequiredValue(subject), r.GetValue(san));
            KeyAlgorithm? algorithm = KeyAlgorithms.TryParse(r.GetValue(key), out var a) ? a : null;
            TimeSpan? validity = r.GetValue(days) is > 0 and var d ? TimeSpan.FromDays(d) : null;
            var roleName = r.GetValue(role)?.ToLowerInvariant();
            using var cert = await h.IssueAsync(p, subjectName, validity, algorithm, roleName, ct);
            await CliPaths.WriteTextAsync(r, "--out-key", keyPath, keyPath == CliPaths.Stdout ? PrivateKeyPem(cert) : "", ct,
                full => M2MSec.NetworkFunctions.Hosting.PemFiles.WritePrivateKeyAsync(full, cert, ct));
            await CliPaths.WriteTextAsync(r, "--out-cert", certPath, cert.ExportCertificatePem() + "\n", ct);
            var serial = CertificateSerial.Of(cert);
            await state.Audit.AppendAsync("cli", "pki.issue", $"{h.Name}/{serial}", $"{p.Name()} {cert.Subject}", ct);
            // With "-" the PEM is standard output and the summary goes to standard error.
            CliOutput.Write(certPath == CliPaths.Stdout || keyPath == CliPaths.Stdout ? r.InvocationConfiguration.Error : r.InvocationConfiguration.Output, r.GetValue(issueJson),
            [
                new("serial", serial), new("subject", cert.Subject), new("profile", p.Name()), new("role", roleName ?? (r.GetValue(issueJson) ? null : "(none)")),
                new("not_before", cert.NotBefore.ToUniversalTime().ToString("O")), new("not_after", cert.NotAfter.ToUniversalTime().ToString("O")),
                new("certificate", certPath), new("key", keyPath),
            ]);
            return ExitCodes.Success;
        }, ct));
        return issue;
    }

    private static Command Revoke()
    {
        var revoke = new Command("revoke", "Revoke a certificate (OCSP answers 'revoked' from now on; the next CRL lists it)");
        var store = new StoreArgs();
        var name = NameOption();
        var serial = CliArgs.Serial("--serial", "the certificate's serial number");
        var reason = CliArgs.OneOf("--reason", "RFC 5280 reason", RevocationReasons.Names);
        store.AddTo(revoke);
        revoke.Options.Add(name);
        revoke.Options.Add(serial);
        revoke.Options.Add(reason);
        var revokeJson = JsonOption();
        revoke.Options.Add(revokeJson);
        CliArgs.Required(revoke, store.Data, serial, reason);
        revoke.Validators.Add(r =>
        {
            if (r.GetValue(serial) is { } s && !CertificateSerial.TryParse(s, out _))
                r.AddError("--serial: expected the serial in hex (an even number of digits, positive, at most 20 octets)");
        });
        revoke.SetAction((r, ct) => WithHierarchyAsync(r, store, name, async (state, h) =>
        {
            CertificateSerial.TryParse(r.GetRequiredValue(serial), out var s);
            RevocationReasons.TryParse(r.GetRequiredValue(reason), out var code);
            var known = await h.FindAsync(s, ct);
            if (known is null)
            {
                CliOutput.Error(r, $"--serial: {s} was not issued by the '{h.Name}' hierarchy");
                return ExitCodes.BadArguments;
            }
            if (!await h.RevokeAsync(s, code, ct))
            {
                CliOutput.Error(r, $"--serial: {s} is already revoked ({RevocationReasons.Name(known.RevocationReason ?? 0)}); the first revocation stands");
                return ExitCodes.BadArguments;
            }
            await state.Audit.AppendAsync("cli", "pki.revoke", $"{h.Name}/{s}", RevocationReasons.Name(code), ct);
            if (r.GetValue(revokeJson))
                CliOutput.Write(r, true, [new("revoked", s), new("subject", known.Subject), new("reason", RevocationReasons.Name(code)), new("hierarchy", h.Name)]);
            else
                r.InvocationConfiguration.Output.WriteLine($"revoked {s} ({CertificateSubject.Sanitise(known.Subject)}): {RevocationReasons.Name(code)}");
            return ExitCodes.Success;
        }, ct));
        return revoke;
    }

    private static Command Crl()
    {
        var crl = new Command("crl", "Write a fresh CRL of the issuing CA (DER)");
        var store = new StoreArgs();
        var name = NameOption();
        var output = CliArgs.OutputFileOrStdout("--out", "output file (DER; with - PEM on standard output)");
        var days = CliArgs.Int("--days", "nextUpdate, days from now", 1, 365, 1);
        store.AddTo(crl);
        crl.Options.Add(name);
        crl.Options.Add(output);
        crl.Options.Add(days);
        var crlJson = JsonOption();
        crl.Options.Add(crlJson);
        CliArgs.Required(crl, store.Data, output);
        crl.SetAction((r, ct) => WithHierarchyAsync(r, store, name, async (state, h) =>
        {
            var der = await h.BuildCrlAsync(TimeSpan.FromDays(r.GetValue(days)), ct);
            var path = await CliPaths.WriteTextAsync(r, "--out", r.GetRequiredValue(output), PemEncoding.WriteString("X509 CRL", der) + "\n", ct,
                full => File.WriteAllBytesAsync(full, der, ct));
            // With "-" the PEM is standard output and a JSON summary goes to standard error.
            if (r.GetValue(crlJson))
                CliOutput.Write(path == CliPaths.Stdout ? r.InvocationConfiguration.Error : r.InvocationConfiguration.Output, true,
                    [new("hierarchy", h.Name), new("crl", path), new("octets", der.Length), new("next_update_days", r.GetValue(days))]);
            else if (path != CliPaths.Stdout)
                r.InvocationConfiguration.Output.WriteLine($"wrote CRL of '{h.Name}' to {path}");
            return ExitCodes.Success;
        }, ct));
        return crl;
    }

    private static string StdoutOrFullPath(string path) => path == CliPaths.Stdout ? path : Path.GetFullPath(path);

    private static string PrivateKeyPem(X509Certificate2 cert)
    {
        using var key = (AsymmetricAlgorithm?)cert.GetECDsaPrivateKey() ?? cert.GetRSAPrivateKey() ?? throw new ArgumentException("the certificate has no private key");
        return key.ExportPkcs8PrivateKeyPem() + "\n";
    }

    private static Task<int> WithHierarchyAsync(ParseResult r, StoreArgs store, Option<string> name,
        Func<IStateStore, CertificateHierarchy, Task<int>> action, CancellationToken ct) =>
        store.RunAsync(r, async state =>
        {
            var h = await CertificateHierarchy.OpenAsync(state.Certificates, r.GetRequiredValue(name), TimeProvider.System, ct);
            if (h is null)
            {
                CliOutput.Error(r, $"--name: no '{r.GetRequiredValue(name)}' hierarchy in {state.Description}; run `m2msec pki init` first");
                return ExitCodes.BadArguments;
            }
            return await action(state, h);
        }, ct);
}
