using System.Diagnostics;
using System.Security.Cryptography;
using M2MSec.Aka.Integrity;
using M2MSec.Nas.Trigger;

namespace M2MSec.Cli.Bench;

/// <summary>
/// `m2msec bench trigger` (issue 17): protected triggers built (the VNO's side) and verified (the device's: PLMN, COUNT estimate,
/// one 128-EIA2) per second on one core, against the bare 128-EIA2 MAC over the same octets measured in the same run; short
/// alternating rounds, the best of each kept, so a noisy neighbour hits all.
/// </summary>
internal static class TriggerBench
{
    public static List<KeyValuePair<string, object?>> Run(TimeSpan duration, int payloadOctets, TextWriter err)
    {
        err.WriteLine($"bench trigger: payload {payloadOctets} octets, {duration.TotalSeconds:F0} s per measurement, one core");
        var key = RandomNumberGenerator.GetBytes(16);
        var indication = new TriggerIndication("00102", 7, TriggerAction.ApplicationData, RandomNumberGenerator.GetBytes(payloadOctets));
        var signed = ProtectedTrigger.Protect(key, 0, indication)[5..];
        var mac = new byte[Eia2.MacLength];
        uint count = 0;
        double Protect(TimeSpan d) => Rate(() => ProtectedTrigger.Protect(key, count++ & 0xFFFFFF, indication), d);
        uint verifyCount = 1;
        var messages = Enumerable.Range(0, 256).Select(i => ProtectedTrigger.Protect(key, (uint)i + 1, indication)).ToArray();
        double Verify(TimeSpan d) => Rate(() =>
        {
            var c = verifyCount++ % 255 + 1;
            if (!ProtectedTrigger.Verify(key, c - 1, "00102", messages[c - 1]).IsAccepted)
                throw new InvalidOperationException("a genuine trigger did not verify");
        }, d);
        double Bare(TimeSpan d) => Rate(() => Eia2.Compute(key, 1, 0, Eia2.Downlink, signed, mac), d);
        var warm = TimeSpan.FromMilliseconds(200);
        Protect(warm);
        Verify(warm);
        Bare(warm);
        const int Rounds = 5;
        var slice = duration / Rounds;
        double protect = 0, verify = 0, bare = 0;
        for (var r = 0; r < Rounds; r++)
        {
            protect = Math.Max(protect, Protect(slice / 3));
            verify = Math.Max(verify, Verify(slice / 3));
            bare = Math.Max(bare, Bare(slice / 3));
        }
        var both = 1 / (1 / protect + 1 / verify);
        return
        [
            new("payload_octets", payloadOctets),
            new("protected_per_s", Math.Round(protect)),
            new("verified_per_s", Math.Round(verify)),
            new("protect_and_verify_per_s", Math.Round(both)),
            new("bare_mac_per_s", Math.Round(bare)),
            new("verify_ratio_to_bare_mac", Math.Round(verify / bare, 3)),
            new("protect_ratio_to_bare_mac", Math.Round(protect / bare, 3)),
        ];
    }

    private static double Rate(Action op, TimeSpan duration)
    {
        var sw = Stopwatch.StartNew();
        long n = 0;
        while (sw.Elapsed < duration)
        {
            for (var i = 0; i < 64; i++)
                op();
            n += 64;
        }
        return n / sw.Elapsed.TotalSeconds;
    }
}
