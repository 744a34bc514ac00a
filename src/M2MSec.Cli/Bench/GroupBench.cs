using System.Diagnostics;
using System.Security.Cryptography;
using M2MSec.Nas.Group;

namespace M2MSec.Cli.Bench;

/// <summary>
/// `m2msec bench group` (issue 17, docs/decisions/028): on one core, the cost of one membership change in a group of N members
/// with the project's scheme — a new group key wrapped under each member's own K_GRP (N AES-256-GCM wraps) — and group messages
/// protected (encrypt + ECDSA sign) and opened by a member (verify + decrypt) per second. CPU only: no store, no network.
/// </summary>
internal static class GroupBench
{
    public static IReadOnlyList<KeyValuePair<string, object?>> Run(int members, int payload, TimeSpan duration, TextWriter progress)
    {
        progress.WriteLine($"bench group: {members:N0} members, each with its own K_GRP; {payload}-octet payloads; {duration.TotalSeconds:F0} s per rate; one core");
        var memberKeys = Enumerable.Range(0, members).Select(_ => RandomNumberGenerator.GetBytes(GroupKeys.KeySize)).ToArray();
        var identities = Enumerable.Range(0, members).Select(i => $"00101{i:D10}").ToArray();
        using var network = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var publicKey = GroupKeys.PublicKeyOf(network);
        const string group = "bench@example.com";

        Rekey(memberKeys, identities, publicKey, group, 1); // warm-up
        var rekeys = new List<double>();
        var epoch = 2u;
        var stopwatch = Stopwatch.StartNew();
        while (rekeys.Count < 3 || stopwatch.Elapsed < duration)
            rekeys.Add(Rekey(memberKeys, identities, publicKey, group, epoch++));
        rekeys.Sort();

        var groupKey = GroupKeys.NewGroupKey();
        var data = RandomNumberGenerator.GetBytes(payload);
        var protect = Rate(duration, n => GroupMessageProtection.Protect(groupKey, network, group, 1, (uint)n + 1, data));
        var messages = Enumerable.Range(1, 256).Select(n => GroupMessageProtection.Protect(groupKey, network, group, 1, (uint)n, data)).ToArray();
        var state = new GroupMemberState(group, 1, groupKey, publicKey, 0);
        var open = Rate(duration, n =>
        {
            if (!GroupMessageProtection.Open(state, messages[n % messages.Length]).IsAccepted)
                throw new InvalidOperationException("bench: a message did not open");
        });
        return
        [
            new("members", members),
            new("rekey_ms_median", Math.Round(rekeys[rekeys.Count / 2], 2)),
            new("rekey_ms_max", Math.Round(rekeys[^1], 2)),
            new("rekeys_measured", rekeys.Count),
            new("wraps_per_rekey", members),
            new("payload_octets", payload),
            new("protect_per_s", Math.Round(protect)),
            new("open_per_s", Math.Round(open)),
        ];
    }

    private static double Rekey(byte[][] memberKeys, string[] identities, byte[] publicKey, string group, uint epoch)
    {
        var stopwatch = Stopwatch.StartNew();
        var key = GroupKeys.NewGroupKey();
        for (var i = 0; i < memberKeys.Length; i++)
            GroupKeyDelivery.Wrap(memberKeys[i], new GroupKeyGrant(group, identities[i], epoch, 0, key, publicKey));
        return stopwatch.Elapsed.TotalMilliseconds;
    }

    private static double Rate(TimeSpan duration, Action<int> operation)
    {
        var stopwatch = Stopwatch.StartNew();
        var n = 0;
        while (stopwatch.Elapsed < duration)
        {
            for (var i = 0; i < 16; i++)
                operation(n++);
        }
        return n / stopwatch.Elapsed.TotalSeconds;
    }
}
