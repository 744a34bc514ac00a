using System.CommandLine;
using System.Globalization;
using System.Text.RegularExpressions;
using M2MSec.Cli.Internal;
using M2MSec.NetworkFunctions.Hosting;
using M2MSec.NetworkFunctions.Sho;

namespace M2MSec.Cli.Commands;

/// <summary>
/// `m2msec sho prepare --data DIR --count N [--lifetime 30d] [--json]` (issue 16; seed 003 "prepare the (wrapped) credentials … in
/// advance at the SHO"; docs/decisions/023): the running SHO of `serve all` (DIR its data directory, endpoints.json and the
/// administrator's credentials in it; or `--endpoints FILE`) seals MCIMs ahead of time, on all its cores, for devices whose PfC the
/// manufacturer registered and which the RO hands to it. Exit 0 all N prepared, 3 fewer (not enough devices, or the IMSI pool ran out).
/// </summary>
internal static partial class ShoPrepareCommand
{
    public static Command Create()
    {
        var prepare = new Command("prepare", "Seal MCIMs ahead of time, on all cores, for devices whose PfC was registered in advance (released only after the PVA validated the device)");
        var data = CliArgs.ExistingDirectory("--data", "the data directory of the running `serve all` (its endpoints.json and administrator credentials)");
        var endpoints = CliArgs.ExistingFile("--endpoints", "or: the endpoints.json of the running services (admin credentials beside it)");
        var count = CliArgs.Int("--count", "how many MCIMs to prepare", 1, PreparationLimits.MaxCount, null);
        var lifetime = CliArgs.Text("--lifetime", "how long a prepared MCIM stays usable: 90s, 15m, 1h, 30d, 2w (1m to 365d; default 30d)", "a duration like 30d");
        var json = CliArgs.Flag("--json", "print one JSON object (snake_case fields)");
        foreach (var o in new Option[] { data, endpoints, count, lifetime, json })
            prepare.Options.Add(o);
        CliArgs.Required(prepare, count);
        CliArgs.ExactlyOne(prepare, data, endpoints);
        prepare.Validators.Add(r =>
        {
            if (r.GetValue(lifetime) is { } l && Lifetime(l) is null)
                r.AddError($"--lifetime: expected a duration from 1m to 365d like 30d, got '{(l.Length > 20 ? l[..20] : l)}'");
        });
        prepare.SetAction(async (r, ct) =>
        {
            var (option, file) = r.GetValue(data) is { } dir
                ? ("--data", Path.Combine(dir, "endpoints.json"))
                : ("--endpoints", r.GetRequiredValue(endpoints));
            if (option == "--data" && !File.Exists(file))
                throw CliExitException.Bad($"--data: {r.GetValue(data)} holds no endpoints.json (is it the data directory of `m2msec serve all`?)");
            var services = RunningServices.Load(option, file);
            using var http = services.AdminClient(option, "sho");
            http.Timeout = TimeSpan.FromMinutes(10);
            var seconds = r.GetValue(lifetime) is { } l ? Lifetime(l)!.Value : (int?)null;
            PreparationResult result;
            try
            {
                result = await JsonApiClient.PostAsync<PreparationRequest, PreparationResult>(http, "preparations", new PreparationRequest(r.GetValue(count), seconds), ct);
            }
            catch (HttpRequestException e)
            {
                throw RunningServices.Refusal("sho", e);
            }
            CliOutput.Write(r, r.GetValue(json),
            [
                new("requested", result.Requested), new("prepared", result.Prepared), new("skipped", result.Skipped), new("other_sho", result.OtherSho),
                new("failed", result.Failed), new("pool_exhausted", result.PoolExhausted),
                new("expires_at", result.ExpiresAt.ToString("O", CultureInfo.InvariantCulture)), new("elapsed_ms", result.ElapsedMs),
                new("seal_ms", result.SealMs), new("seals_per_second", result.SealsPerSecond), new("cores", result.Cores),
            ]);
            if (result.Prepared < result.Requested)
            {
                r.InvocationConfiguration.Error.WriteLine(result.PoolExhausted
                    ? $"sho prepare: {result.Prepared} of {result.Requested} prepared: the IMSI pool is exhausted (POST /imsi-pool)"
                    : $"sho prepare: {result.Prepared} of {result.Requested} prepared: no more devices of this SHO with a registered PfC and nothing here yet");
                return ExitCodes.Partial;
            }
            return ExitCodes.Success;
        });
        return prepare;
    }

    /// <summary>A lifetime in seconds (1 minute to 365 days), or null.</summary>
    internal static int? Lifetime(string value)
    {
        if (Duration().Match(value) is not { Success: true } m || !int.TryParse(m.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var n))
            return null;
        var seconds = (long)n * m.Groups[2].Value switch { "s" => 1L, "m" => 60L, "h" => 3600L, "d" => 86400L, _ => 7 * 86400L };
        return seconds >= PreparationLimits.MinLifetime.TotalSeconds && seconds <= PreparationLimits.MaxLifetime.TotalSeconds ? (int)seconds : null;
    }

    [GeneratedRegex("^([0-9]{1,9})([smhdw])$")]
    private static partial Regex Duration();
}
