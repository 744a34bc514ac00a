using System.CommandLine;
using System.Text.Json;
using M2MSec.Cli.Internal;
using M2MSec.Dm.Bootstrap;
using M2MSec.Storage.Dm;

namespace M2MSec.Cli.Commands;

/// <summary>
/// `m2msec dm bootstrap`: the bootstrap package (OMA-TS-DM_Bootstrap-V1_2 §5) that creates a device's DMAcc from
/// its DM account on the server, with its MAC. Prints one JSON object
/// <c>{"content_type","sec","mac","body_hex"}</c>; "sec" is NETWPIN, USERPIN or USERNETWPIN, or null for the keyed
/// method (--key-hex: no OMA SEC value). --out also writes the WBXML body to a file. The names are a contract.
/// </summary>
internal static class DmBootstrapCommand
{
    public static Command Create()
    {
        var command = new Command("bootstrap", "The DM bootstrap package (DMAcc) for a device's account, with its MAC");
        var store = new StoreArgs();
        var devId = CliArgs.Text("--dev-id", "the device's DevId (the package's Target)", "a DevId");
        var serverUri = CliArgs.Text("--server-uri", "where the device reaches the DM server (DMAcc AppAddr Addr)", "an http(s) URI");
        var sec = CliArgs.OneOf("--sec", "OMA SEC method keying the MAC", ["NETWPIN", "USERPIN", "USERNETWPIN"]);
        var imsi = CliArgs.Text("--imsi", "the device's IMSI (NETWPIN, USERNETWPIN)", "up to 15 digits");
        var pin = CliSecret.Text("--pin", "the user PIN (USERPIN, USERNETWPIN)", "a PIN");
        var key = CliSecret.HexRange("--key-hex", BootstrapAuthenticator.MinKeyBytes, 64, "the keyed method: a secret the device and the Registration Operator share");
        var output = CliArgs.OutputFile("--out", "also write the WBXML body to this file");
        store.AddTo(command);
        foreach (var o in new Option[] { devId, serverUri, sec, imsi, pin, key, output })
            command.Options.Add(o);
        CliArgs.Required(command, store.Data, devId, serverUri);
        CliArgs.ExactlyOne(command, sec, key);
        command.Validators.Add(r =>
        {
            if (r.GetValue(serverUri) is { } u && !(Uri.TryCreate(u, UriKind.Absolute, out var parsed) && (parsed.Scheme == Uri.UriSchemeHttp || parsed.Scheme == Uri.UriSchemeHttps)))
                r.AddError("--server-uri: expected an absolute http or https URI");
            var method = r.GetValue(sec)?.ToUpperInvariant();
            var needsImsi = method is "NETWPIN" or "USERNETWPIN";
            var needsPin = method is "USERPIN" or "USERNETWPIN";
            if (needsImsi != (r.GetResult(imsi) is not null))
                r.AddError(needsImsi ? "--imsi: required with --sec NETWPIN or USERNETWPIN" : "--imsi: only with --sec NETWPIN or USERNETWPIN");
            else if (needsImsi && !BootstrapKeys.TryImsiKey(r.GetValue(imsi), out _))
                r.AddError("--imsi: expected 1 to 15 decimal digits");
            if (needsPin != (r.GetResult(pin) is not null))
                r.AddError(needsPin ? "--pin: required with --sec USERPIN or USERNETWPIN" : "--pin: only with --sec USERPIN or USERNETWPIN");
            else if (needsPin && !BootstrapKeys.IsValidPin(r.GetValue(pin)))
                r.AddError($"--pin: expected 1 to {BootstrapKeys.MaxPinLength} printable ASCII characters");
        });
        command.SetAction((r, ct) => store.RunAsync(r, async state =>
        {
            var dev = r.GetRequiredValue(devId);
            if (await state.Dm.FindAccountAsync(dev, ct) is not { } account)
            {
                CliOutput.Error(r, $"--dev-id: {dev} has no DM account; run `m2msec dm account add` first");
                return ExitCodes.BadArguments;
            }
            var body = BootstrapPackageBuilder.Build(Package(account, new Uri(r.GetRequiredValue(serverUri))));
            var method = r.GetValue(sec)?.ToUpperInvariant();
            var mac = method switch
            {
                "NETWPIN" => BootstrapAuthenticator.ComputeMac(BootstrapSecMethod.NetwPin, r.GetValue(imsi), null, body),
                "USERPIN" => BootstrapAuthenticator.ComputeMac(BootstrapSecMethod.UserPin, null, r.GetValue(pin), body),
                "USERNETWPIN" => BootstrapAuthenticator.ComputeMac(BootstrapSecMethod.UserNetwPin, r.GetValue(imsi), r.GetValue(pin), body),
                _ => BootstrapAuthenticator.ComputeMacWithKey(r.GetRequiredValue(key), body),
            };
            if (r.GetValue(output) is { } path)
                await CliPaths.GuardAsync("--out", path, () => File.WriteAllBytesAsync(path, body, ct));
            await state.Audit.AppendAsync("cli", "dm.bootstrap", dev, $"server {account.ServerId}, {method ?? "keyed"} MAC", ct);
            r.InvocationConfiguration.Output.WriteLine(JsonSerializer.Serialize(new
            {
                content_type = BootstrapPackage.ContentType,
                sec = method,
                mac,
                body_hex = CliOutput.Hex(body),
            }));
            return ExitCodes.Success;
        }, ct));
        return command;
    }

    /// <summary>The server's DM account as the device's DMAcc (<see cref="M2MSec.NetworkFunctions.Dm.DmAccountBootstrap"/>).</summary>
    internal static BootstrapPackage Package(DmAccount account, Uri serverUri) => M2MSec.NetworkFunctions.Dm.DmAccountBootstrap.Package(account, serverUri);
}
