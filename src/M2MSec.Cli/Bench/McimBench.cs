using M2MSec.Provisioning.Mcim;
using M2MSec.Provisioning.Performance;

namespace M2MSec.Cli.Bench;

/// <summary>
/// `m2msec bench mcim`: MCIM objects sealed/opened per second for EC P-256 and RSA-2048 platform keys against the bare
/// public-key operations (the bound), alternating short rounds and keeping the best of each so a noisy neighbour hits both.
/// </summary>
internal static class McimBench
{
    public static List<KeyValuePair<string, object?>> Run(TimeSpan duration, McimSuite suite, TextWriter err)
    {
        err.WriteLine($"bench mcim: suite {SuiteName(suite)}, {duration.TotalSeconds:F0} s per measurement, one core");
        var fields = new List<KeyValuePair<string, object?>>();
        foreach (var (name, rsa) in new[] { ("ec_p256", false), ("rsa_2048", true) })
        {
            using var t = new McimThroughput(rsa, suite);
            var warm = TimeSpan.FromMilliseconds(200);
            McimThroughput.Rate(() => t.Seal(), warm);
            McimThroughput.Rate(() => t.SealBound(), warm);
            McimThroughput.Rate(() => t.Open(), warm);
            McimThroughput.Rate(() => t.OpenBound(), warm);
            const int Rounds = 5;
            var slice = duration / Rounds;
            double seal = 0, sealBound = 0, open = 0, openBound = 0;
            for (var r = 0; r < Rounds; r++)
            {
                seal = Math.Max(seal, McimThroughput.Rate(() => t.Seal(), slice / 2));
                sealBound = Math.Max(sealBound, McimThroughput.Rate(() => t.SealBound(), slice / 2));
                open = Math.Max(open, McimThroughput.Rate(() => t.Open(), slice / 2));
                openBound = Math.Max(openBound, McimThroughput.Rate(() => t.OpenBound(), slice / 2));
            }
            fields.Add(new(name, new Dictionary<string, object?>
            {
                ["seals_per_s"] = Math.Round(seal),
                ["seal_bound_per_s"] = Math.Round(sealBound),
                ["seal_ratio_to_bound"] = Math.Round(seal / sealBound, 3),
                ["opens_per_s"] = Math.Round(open),
                ["open_bound_per_s"] = Math.Round(openBound),
                ["open_ratio_to_bound"] = Math.Round(open / openBound, 3),
            }));
        }
        fields.Add(new("prepared_vs_on_demand", PreparedVersusOnDemand(duration)));
        fields.Add(new("bulk_preparation", BulkPreparation(duration)));
        fields.Add(new("suite", SuiteName(suite)));
        fields.Add(new("cores", Environment.ProcessorCount));
        return fields;
    }

    /// <summary>
    /// Issue 16: the SHO's work from a valid verdict to a signed M2MSIMMobj, on demand (seal + sign) against a prepared MCIM (unwrap +
    /// sign), alternating rounds, best of each; the ratio is on-demand time over prepared time.
    /// </summary>
    private static Dictionary<string, object?> PreparedVersusOnDemand(TimeSpan duration)
    {
        var result = new Dictionary<string, object?>();
        foreach (var (name, rsa) in new[] { ("ec_p256", false), ("rsa_2048", true) })
        {
            using var t = new McimPreparationThroughput(rsa);
            McimThroughput.Rate(() => t.OnDemand(), TimeSpan.FromMilliseconds(200));
            McimThroughput.Rate(() => t.Prepared(), TimeSpan.FromMilliseconds(200));
            const int Rounds = 4;
            double onDemand = 0, prepared = 0;
            for (var r = 0; r < Rounds; r++)
            {
                onDemand = Math.Max(onDemand, McimThroughput.Rate(() => t.OnDemand(), duration / Rounds / 2));
                prepared = Math.Max(prepared, McimThroughput.Rate(() => t.Prepared(), duration / Rounds / 2));
            }
            result[name] = new Dictionary<string, object?>
            {
                ["on_demand_us"] = Math.Round(1e6 / onDemand, 1),
                ["prepared_us"] = Math.Round(1e6 / prepared, 1),
                ["speedup"] = Math.Round(prepared / onDemand, 2),
            };
        }
        return result;
    }

    /// <summary>Issue 16: bulk sealing (as `sho prepare`: Parallel.For over the MCIMs, EC P-256 PK_D) on one core against all cores.</summary>
    private static Dictionary<string, object?> BulkPreparation(TimeSpan duration)
    {
        using var t = new McimPreparationThroughput(rsa: false);
        var count = Math.Max(64, (int)(McimThroughput.Rate(() => t.Seal(), TimeSpan.FromMilliseconds(200)) * duration.TotalSeconds / 2));
        var cores = Environment.ProcessorCount;
        double one = 0, all = 0;
        for (var r = 0; r < 2; r++)
        {
            one = Math.Max(one, t.BulkSealRate(count / 2, 1));
            all = Math.Max(all, t.BulkSealRate(count / 2, cores));
        }
        return new Dictionary<string, object?>
        {
            ["mcims"] = count / 2,
            ["one_core_seals_per_s"] = Math.Round(one),
            ["all_cores_seals_per_s"] = Math.Round(all),
            ["cores"] = cores,
            ["speedup"] = Math.Round(all / one, 2),
        };
    }

    public static string SuiteName(McimSuite suite) => suite == McimSuite.Aes128Gcm ? "aes-128-gcm" : "aes-cbc-hmac-sha1";
}
