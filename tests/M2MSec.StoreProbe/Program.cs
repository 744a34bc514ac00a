// Usage: M2MSec.StoreProbe (--sqlite DIR | --postgres CONN) --kek FILE MODE ARGS
//   counter ICCID KVN N      take N OTA counter values one by one, print each
//   nonce-issue PURPOSE N    issue N nonces (1 h), print each in hex
//   nonce-consume PURPOSE    read hex nonces from stdin, print "<hex> ok|refused"
//   sqn-block IMSI BLOCK N   take N SQNs one by one from blocks of BLOCK reserved durably (issue 19), print each
// Usage: M2MSec.StoreProbe tre-commit DATA FUSE N
//   boot the device's TRE, commit N values of dm/account (1..N, of varying length), print each once committed (decision 046)
using M2MSec.Storage;
using M2MSec.Storage.PostgreSql;
using M2MSec.Storage.Security;
using M2MSec.Storage.Sqlite;

if (args is ["tre-commit", var data, var fuse, var count])
{
    var device = M2MSec.Device.M2me.M2meDevice.Open(data, fuse);
    for (var i = 1; i <= int.Parse(count, System.Globalization.CultureInfo.InvariantCulture); i++)
    {
        device.Tre.WriteObject(M2MSec.Device.Tre.TreCaller.DeviceManagement, "dm/account", TreCommitValue(i));
        Console.Out.WriteLine(i);
        Console.Out.Flush();
    }
    return 0;
}

var options = new Dictionary<string, string>(StringComparer.Ordinal);
var rest = new List<string>();
for (var i = 0; i < args.Length; i++)
{
    if (args[i].StartsWith("--", StringComparison.Ordinal))
        options[args[i]] = args[++i];
    else
        rest.Add(args[i]);
}
var ring = KeyRing.Open(options["--kek"], createIfMissing: true);
await using IStateStore store = options.TryGetValue("--postgres", out var pg)
    ? await PostgresStateStore.OpenAsync(pg, ring)
    : await SqliteStateStore.OpenAsync(options["--sqlite"], ring);
var output = Console.Out;
switch (rest[0])
{
    case "counter":
        for (var i = 0; i < int.Parse(rest[3], System.Globalization.CultureInfo.InvariantCulture); i++)
        {
            var v = await store.OtaKeySets.NextCounterAsync(rest[1], int.Parse(rest[2], System.Globalization.CultureInfo.InvariantCulture));
            output.WriteLine(v);
            output.Flush();
        }
        break;
    case "nonce-issue":
        for (var i = 0; i < int.Parse(rest[2], System.Globalization.CultureInfo.InvariantCulture); i++)
        {
            output.WriteLine(Convert.ToHexStringLower(await store.Nonces.IssueAsync(rest[1], TimeSpan.FromHours(1))));
            output.Flush();
        }
        break;
    case "nonce-consume":
        while (Console.ReadLine() is { Length: > 0 } line)
        {
            var ok = await store.Nonces.ConsumeAsync(rest[1], Convert.FromHexString(line.Trim()));
            output.WriteLine($"{line.Trim()} {(ok ? "ok" : "refused")}");
            output.Flush();
        }
        break;
    case "sqn-block":
        var subscriber = await store.Subscribers.FindAsync(rest[1]) ?? throw new InvalidOperationException("unknown subscriber");
        var blocks = new M2MSec.Storage.Hss.SqnBlockReservations(int.Parse(rest[2], System.Globalization.CultureInfo.InvariantCulture), M2MSec.Aka.SqnScheme.Default);
        for (var i = 0; i < int.Parse(rest[3], System.Globalization.CultureInfo.InvariantCulture); i++)
        {
            output.WriteLine((await blocks.TakeAsync(store.Subscribers, subscriber, 1))![0]);
            output.Flush();
        }
        break;
    default:
        Console.Error.WriteLine($"unknown mode {rest[0]}");
        return 2;
}
return 0;

// The value of commit i: its number, repeated 1–40 times, so consecutive records differ in length.
static byte[] TreCommitValue(int i) => System.Text.Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat($"{i};", 1 + (i * 7 % 40))));
