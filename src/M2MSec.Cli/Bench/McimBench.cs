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
        fields.Add(new("suite", SuiteName(suite)));
        fields.Add(new("cores", Environment.ProcessorCount));
        return fields;
    }

    public static string SuiteName(McimSuite suite) => suite == McimSuite.Aes128Gcm ? "aes-128-gcm" : "aes-cbc-hmac-sha1";
}
