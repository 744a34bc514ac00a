using System.CommandLine;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using M2MSec.Cli.Internal;
using M2MSec.Device.M2me;
using M2MSec.Device.Tre;
using M2MSec.NetworkFunctions.Ccif;
using M2MSec.Pki;
using M2MSec.Pki.Authority;

namespace M2MSec.Cli.Commands;

/// <summary>
/// `m2msec ccif manufacture`: the factory line (TR 33.812 §5.1.2.2 "pre-provisioned in a secure, out-of-band facility",
/// issue 15): makes the device directory and its TRE (the platform keys generated inside), registers it through the running
/// CCIF (the manufacturer's reference measurements computed from the firmware images it built), and injects the answer —
/// temporary credential, PfC, roots — into the TRE. K and OPc are never printed.
/// </summary>
internal static class CcifCommand
{
    public static Command Create()
    {
        var command = new Command("ccif", "The Connectivity Credential Issuing Function: manufacturing");
        var data = CliArgs.Directory("--data", "the new device's own directory (created)");
        var fuse = CliArgs.Directory("--fuse-dir", $"the emulated hardware fuse, apart from --data (default: ${M2meDevice.FuseEnvironmentVariable}, else $XDG_DATA_HOME/m2msec/fuses)");
        var pcid = CliArgs.Text("--pcid", "Provisional Connectivity ID (IMSI format; its MCC+MNC name the registration operator)", "6 to 15 decimal digits");
        var treId = CliArgs.Text("--tre-id", "TRE identity (default: a random TRE-… id)", "1 to 64 of A-Z a-z 0-9 . _ -");
        var key = CliArgs.OneOf("--platform-key", "the TRE's platform keys (attestation and PK_D)", ["ec-p256", "rsa-2048", "rsa-3072"], "ec-p256");
        var endpoints = CliArgs.ExistingFile("--endpoints", "endpoints.json of a running `m2msec serve all` (administrator credentials beside it)");
        var token = CliSecret.Text("--auth-token", "the device-specific authorisation token shipped with the device (seed 003; kept in the TRE, its SHA-256 at the CCIF)",
            "1 to 64 characters");
        var json = CliArgs.Flag("--json", "print one JSON object (snake_case, never K or OPc)");
        var manufacture = new Command("manufacture", "Make a device and register it at the CCIF: temporary credential, PfC, reference measurements, roots")
        {
            data, fuse, pcid, treId, key, endpoints, token, json,
        };
        CliArgs.Required(manufacture, data, pcid, endpoints);
        manufacture.Validators.Add(r =>
        {
            if (r.GetValue(pcid) is { } p && !M2MSec.Storage.Hss.Imsi.IsValid(p))
                r.AddError($"--pcid: expected 6 to 15 decimal digits, got {p.Length} characters");
            if (r.GetValue(treId) is { } t && !TreIds.IsValid(t))
                r.AddError("--tre-id: expected 1 to 64 of A-Z a-z 0-9 . _ -");
            if (r.GetResult(token) is not null && r.GetValue(token) is { } a && a.Length is 0 or > 64)
                r.AddError("--auth-token: expected 1 to 64 characters");
        });
        manufacture.SetAction(r =>
        {
            var services = RunningServices.Load("--endpoints", r.GetRequiredValue(endpoints));
            using var ccif = services.AdminClient("--endpoints", "ccif");
            KeyAlgorithms.TryParse(r.GetValue(key), out var platformKey);
            var authToken = r.GetResult(token) is null ? null : System.Text.Encoding.UTF8.GetBytes(r.GetValue(token)!);
            return DeviceCommand.Run(r, data, fuse, creates: true, (dataDir, fuseDir) =>
            {
                var id = r.GetValue(treId) ?? "TRE-" + Convert.ToHexString(RandomNumberGenerator.GetBytes(8));
                if (M2meDevice.FuseBurnt(fuseDir, id))
                    throw CliExitException.Bad($"--tre-id: the fuses of TRE {id} are already burnt in {fuseDir}");
                DeviceManufactured? answer = null;
                var device = DeviceCommand.CreateOrUndo(dataDir, fuseDir, () =>
                {
                    var made = M2meDevice.Create(dataDir, fuseDir, r.GetRequiredValue(pcid), M2meKind.Tre, id, platformKey: platformKey);
                    answer = Register(new CcifClient(ccif), made, platformKey, authToken);
                    Inject(made, answer, authToken);
                    return made;
                });
                var pfc = DerCertificates.Load(Convert.FromBase64String(answer!.PfcAttestation));
                CliOutput.Write(r, r.GetValue(json),
                [
                    new("pcid", answer.Pcid), new("tre_id", answer.TreId), new("platform_key", answer.PlatformKey), new("data", device.DataDirectory),
                    new("pfc_attestation_serial", M2MSec.Pki.CertificateSerial.Of(pfc)),
                    new("pfc_encryption_serial", M2MSec.Pki.CertificateSerial.Of(DerCertificates.Load(Convert.FromBase64String(answer.PfcEncryption)))),
                    new("manufacturer_root_sha256", Convert.ToHexStringLower(SHA256.HashData(Convert.FromBase64String(answer.ManufacturerRoot)))),
                    new("dm_root_installed", answer.DmRoot is not null), new("sho_signing_root_installed", answer.ShoSigningRoot is not null),
                    new("temporary_credential", "installed in the TRE (never shown)"), new("auth_token_installed", authToken is not null),
                ]);
                if (answer.ShoSigningRoot is null)
                    r.InvocationConfiguration.Error.WriteLine("warning: the SHO's signing root was not available; the TRE cannot check an M2MSIMMobj until one is installed");
                return ExitCodes.Success;
            });
        });
        command.Subcommands.Add(manufacture);
        command.Subcommands.Add(FirmwareUpdate());
        return command;
    }

    internal static DeviceManufactured Register(CcifClient ccif, M2meDevice device, KeyAlgorithm platformKey, byte[]? authToken)
    {
        try
        {
            return ccif.ManufactureAsync(Request(device, platformKey, authToken)).GetAwaiter().GetResult();
        }
        catch (HttpRequestException e)
        {
            throw RunningServices.Refusal("ccif", e);
        }
    }

    /// <summary>
    /// `ccif firmware-update --pcid IMSI --firmware DIR --endpoints FILE [--json]` (issue 16): the manufacturer registers the reference
    /// measurements of a firmware update it built (SHA-256 of each image in DIR) for a device; the PVA then accepts a TRE that booted
    /// it, and a TRE locked for the mismatch can be rehabilitated (docs/decisions/020). Never read from the device itself.
    /// </summary>
    private static Command FirmwareUpdate()
    {
        var pcid = CliArgs.Text("--pcid", "the device's PCID", "6 to 15 decimal digits");
        var firmware = CliArgs.ExistingDirectory("--firmware", "the firmware images the manufacturer built (one file per image, named as on the device)");
        var endpoints = CliArgs.ExistingFile("--endpoints", "endpoints.json of a running `m2msec serve all` (administrator credentials beside it)");
        var json = CliArgs.Flag("--json", "print one JSON object (snake_case)");
        var update = new Command("firmware-update", "Register a firmware update's reference measurements for a device (CCIF → PVA)") { pcid, firmware, endpoints, json };
        CliArgs.Required(update, pcid, firmware, endpoints);
        update.Validators.Add(r =>
        {
            if (r.GetValue(pcid) is { } p && !M2MSec.Storage.Hss.Imsi.IsValid(p))
                r.AddError($"--pcid: expected 6 to 15 decimal digits, got {p.Length} characters");
        });
        update.SetAction(async (r, ct) =>
        {
            var dir = CliPaths.Check("--firmware", r.GetRequiredValue(firmware), PathKind.ExistingDirectory);
            var measurements = CliPaths.Guard("--firmware", dir, () => Directory.EnumerateFiles(dir).ToDictionary(f => Path.GetFileName(f),
                f => SHA256.HashData(File.ReadAllBytes(f)), StringComparer.Ordinal));
            if (measurements.Count == 0)
                throw CliExitException.Bad($"--firmware: {dir} holds no firmware image");
            var services = RunningServices.Load("--endpoints", r.GetRequiredValue(endpoints));
            using var http = services.AdminClient("--endpoints", "ccif");
            M2MSec.NetworkFunctions.Pva.MeasurementSetRegistered registered;
            try
            {
                registered = await new CcifClient(http).RegisterFirmwareUpdateAsync(r.GetRequiredValue(pcid), measurements, ct);
            }
            catch (HttpRequestException e)
            {
                throw RunningServices.Refusal("ccif", e);
            }
            CliOutput.Write(r, r.GetValue(json),
            [
                new("pcid", registered.Pcid), new("images", measurements.Keys.Order(StringComparer.Ordinal).ToArray()), new("firmware_updates", registered.FirmwareUpdates),
            ]);
            return ExitCodes.Success;
        });
        return update;
    }

    /// <summary>What the factory line tells the CCIF: identities, the TRE's public platform keys, the reference measurements of the firmware it built.</summary>
    internal static DeviceRegistrationRequest Request(M2meDevice device, KeyAlgorithm platformKey, byte[]? authToken = null) =>
        new(device.Info.Pcid, device.Info.TreId, platformKey.Name(), Convert.ToBase64String(device.Tre.IdentityPublicKey()), Convert.ToBase64String(device.Tre.PkD()),
            M2meDevice.BuiltFirmwareMeasurements(device.DataDirectory).ToDictionary(m => m.Key, m => Convert.ToHexStringLower(m.Value), StringComparer.Ordinal),
            authToken is null ? null : Convert.ToHexStringLower(SHA256.HashData(authToken)));

    /// <summary>The factory line injects what the CCIF answered: the PfC, the temporary credential, the roots, the authorisation token.</summary>
    internal static void Inject(M2meDevice device, DeviceManufactured answer, byte[]? authToken = null)
    {
        static X509Certificate2? Load(string? b64) => b64 is null ? null : DerCertificates.Load(Convert.FromBase64String(b64));
        var k = Convert.FromHexString(answer.K);
        var opc = Convert.FromHexString(answer.Opc);
        try
        {
            device.Tre.InstallPlatformCredential(TreCaller.Manufacturer, Load(answer.PfcAttestation)!, Load(answer.PfcEncryption)!, k, opc, Load(answer.DmRoot),
                Load(answer.ShoSigningRoot), authToken);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(k);
            CryptographicOperations.ZeroMemory(opc);
        }
    }
}
