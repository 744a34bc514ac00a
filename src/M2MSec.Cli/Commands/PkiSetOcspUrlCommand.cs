using System.CommandLine;
using M2MSec.Cli.Internal;
using M2MSec.Pki.Authority;

namespace M2MSec.Cli.Commands;

/// <summary>
/// `m2msec pki set-ocsp-url --data DIR [--name H] --ocsp-url URL`: the OCSP URL (AIA) that certificates
/// issued from now on carry; issued certificates keep theirs (RFC 5280 §4.2.2.1 is in the signed body).
/// </summary>
internal static class PkiSetOcspUrlCommand
{
    public static Command Create()
    {
        var command = new Command("set-ocsp-url", "Change the OCSP URL put in the AIA of certificates issued from now on");
        var store = new StoreArgs();
        var name = CliArgs.OneOf("--name", "the hierarchy", CertificateHierarchy.Names, "operator");
        var ocspUrl = CliArgs.Text("--ocsp-url", "OCSP responder URL, e.g. http://127.0.0.1:8080/ocsp (`serve ocsp` answers at its path)", "an http(s) URL");
        var json = CliArgs.Flag("--json", "one JSON object");
        store.AddTo(command);
        command.Options.Add(name);
        command.Options.Add(ocspUrl);
        command.Options.Add(json);
        CliArgs.Required(command, store.Data, ocspUrl);
        command.Validators.Add(r =>
        {
            if (r.GetValue(ocspUrl) is { } u && !(Uri.TryCreate(u, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"))
                r.AddError($"--ocsp-url: expected an http or https URL, got '{u}'");
        });
        command.SetAction((r, ct) => store.RunAsync(r, async state =>
        {
            var hierarchy = r.GetRequiredValue(name);
            var old = await state.Certificates.FindHierarchyAsync(hierarchy, ct);
            var url = new Uri(r.GetRequiredValue(ocspUrl)).ToString();
            if (old is null || !await state.Certificates.SetHierarchyOcspUrlAsync(hierarchy, url, ct))
            {
                CliOutput.Error(r, $"--name: no '{hierarchy}' hierarchy in {state.Description}; run `m2msec pki init` first");
                return ExitCodes.BadArguments;
            }
            await state.Audit.AppendAsync("cli", "pki.set-ocsp-url", hierarchy, $"{old.OcspUrl ?? "(none)"} -> {url}", ct);
            CliOutput.Write(r, r.GetValue(json), [new("hierarchy", hierarchy), new("ocsp_url", url), new("previous", old.OcspUrl)]);
            return ExitCodes.Success;
        }, ct));
        return command;
    }
}
