using System.CommandLine;
using M2MSec.Aka;
using M2MSec.Cli.Internal;
using M2MSec.Storage.Hss;

namespace M2MSec.Cli.Commands;

/// <summary>
/// `m2msec hss subscriber add|show`: the HSS's subscribers on its --data store, as `dm account add` works on the DM
/// server's (K and OPc wrapped under the key ring; never printed). Issue 14 item 9.
/// </summary>
internal static class HssCommand
{
    public static Command Create()
    {
        var command = new Command("hss", "The HSS's subscribers (TS 33.102 authentication data)");
        var subscriber = new Command("subscriber", "Subscribers: K, OPc and AMF for Milenage (never shown)");
        subscriber.Subcommands.Add(Add());
        subscriber.Subcommands.Add(Show());
        command.Subcommands.Add(subscriber);
        return command;
    }

    private static Option<string> ImsiOption() => CliArgs.Text("--imsi", "the subscriber's IMSI (or a device's PCID)", "6 to 15 decimal digits");

    private static void CheckImsi(Command c, Option<string> imsi) => c.Validators.Add(r =>
    {
        if (r.GetValue(imsi) is { } i && !Imsi.IsValid(i))
            r.AddError($"--imsi: expected 6 to 15 decimal digits, got {i.Length} characters");
    });

    private static Command Add()
    {
        var add = new Command("add", "Register a subscriber (K and OPc wrapped under the key ring)");
        var store = new StoreArgs(createsStore: true);
        var imsi = ImsiOption();
        var k = CliSecret.Hex("--k", 16, "subscriber key K");
        var op = CliSecret.Hex("--op", 16, "operator variant OP (OPc is derived, TS 35.206 §4.1)");
        var opc = CliSecret.Hex("--opc", 16, "OPc");
        var amf = CliArgs.Hex("--amf", 2, "authentication management field (default 8000)");
        var kind = CliArgs.Choice<SubscriberIdentityKind>("--kind", "imsi: a subscriber; pcid: a device's provisional connectivity identity", SubscriberIdentityKind.Imsi);
        var json = CliArgs.Flag("--json", "print one JSON object (snake_case fields, never K or OPc)");
        store.AddTo(add);
        foreach (var o in new Option[] { imsi, k, op, opc, amf, kind, json })
            add.Options.Add(o);
        CliArgs.Required(add, store.Data, imsi, k);
        CliArgs.ExactlyOne(add, op, opc);
        CheckImsi(add, imsi);
        add.SetAction((r, ct) => store.RunAsync(r, async state =>
        {
            var key = r.GetRequiredValue(k);
            var opcValue = CliArgs.Optional(r, opc) ?? new byte[16];
            if (CliArgs.Optional(r, op) is { } opValue)
                Milenage.Default.ComputeOpc(key, opValue, opcValue);
            var subscriber = new HssSubscriber(r.GetRequiredValue(imsi), key, opcValue, CliArgs.Optional(r, amf) ?? [0x80, 0x00], CliArgs.ChoiceValue(r, kind));
            try
            {
                if (!await state.Subscribers.AddAsync(subscriber, 0, ct))
                {
                    CliOutput.Error(r, $"--imsi: {subscriber.ImsiValue} is already a subscriber");
                    return ExitCodes.BadArguments;
                }
            }
            finally
            {
                subscriber.Wipe();
            }
            await state.Audit.AppendAsync("cli", "hss.subscriber.add", subscriber.ImsiValue, CliOutput.Name(subscriber.Kind), ct);
            CliOutput.Write(r, r.GetValue(json),
                [new("imsi", subscriber.ImsiValue), new("kind", CliOutput.Name(subscriber.Kind)), new("algorithm", subscriber.Algorithm), new("amf", CliOutput.Hex(subscriber.Amf))]);
            return ExitCodes.Success;
        }, ct));
        return add;
    }

    private static Command Show()
    {
        var show = new Command("show", "A subscriber: kind, algorithm, AMF and sequence-number state — never K or OPc");
        var store = new StoreArgs();
        var imsi = ImsiOption();
        var json = CliArgs.Flag("--json", "print one JSON object (snake_case fields)");
        store.AddTo(show);
        show.Options.Add(imsi);
        show.Options.Add(json);
        CliArgs.Required(show, store.Data, imsi);
        CheckImsi(show, imsi);
        show.SetAction((r, ct) => store.RunAsync(r, async state =>
        {
            var s = await state.Subscribers.FindAsync(r.GetRequiredValue(imsi), ct);
            if (s is null)
            {
                CliOutput.Error(r, $"--imsi: no subscriber {r.GetRequiredValue(imsi)} in {state.Description}");
                return ExitCodes.BadArguments;
            }
            try
            {
                var sqn = await state.Subscribers.GetSqnStateAsync(s.ImsiValue, ct);
                CliOutput.Write(r, r.GetValue(json),
                [
                    new("imsi", s.ImsiValue), new("kind", CliOutput.Name(s.Kind)), new("algorithm", s.Algorithm), new("amf", CliOutput.Hex(s.Amf)),
                    new("seq_he", sqn?.SeqHe), new("ind_he", sqn?.IndHe),
                ]);
            }
            finally
            {
                s.Wipe();
            }
            return ExitCodes.Success;
        }, ct));
        return show;
    }
}
