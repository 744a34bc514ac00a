using System.Net.Http.Json;
using System.Security.Cryptography;
using M2MSec.Device.M2me;
using M2MSec.NetworkFunctions.Hosting;
using M2MSec.NetworkFunctions.Ota;
using M2MSec.NetworkFunctions.Smsc;
using M2MSec.Ota.SmsPp;

namespace M2MSec.Cli.Demo.Stages;

/// <summary>
/// Seed 000, UICC OTA: the OTA server sets the NAS configuration of every UICC-based device's card
/// by SCP80 over SMS-PP (a third of them by SCP81: an SCP80 push, then a PSK-TLS admin session) — AES-128 CBC + CMAC, counter must be higher, ciphered PoR with CC — via the
/// SMSC; the card's RFM application writes EF_NASCONFIG; the server accepts the PoR only if it
/// verifies and answers the command, and compares the EF read back with what it wrote.
/// </summary>
internal sealed class OtaNasConfigurationStage : IDemoStage
{
    public const string OtaEvent = "ota-verified";
    public const string Scp81Event = "scp81-verified";

    /// <summary>Every third UICC-based device is configured over SCP81 (PSK-TLS, triggered by an SCP80 push).</summary>
    public static bool UsesScp81(DemoDevice device) => device.Index % 6 == 1;
    private static readonly byte[] RfmTar = [0xB0, 0x00, 0x01];
    private static readonly Dictionary<string, string> Nas = new()
    {
        ["NAS_SignallingPriority"] = "1",
        ["AttachWithIMSI"] = "1",
        ["MinimumPeriodicSearchTimer"] = "60",
        ["ExtendedAccessBarring"] = "1",
    };

    public string Name => "NAS config by OTA";

    /// <summary>UICC-based devices (their USIM's files, over the air); TRE-based devices are configured by OMA DM.</summary>
    public bool AppliesTo(DemoDevice device) => device.Kind == M2meKind.Uicc;

    public async Task<bool> RunAsync(DemoDevice device, DemoEnvironment environment, DemoReport report, CancellationToken ct)
    {
        // Personalisation: the card and the OTA server share the key set (KVN 1, AES-128 CBC / CMAC).
        var kic = RandomNumberGenerator.GetBytes(16);
        var kid = RandomNumberGenerator.GetBytes(16);
        var scp81 = UsesScp81(device);
        var psk = RandomNumberGenerator.GetBytes(16);
        device.Uicc!.AddKeySet(RfmTar, 1, kic, kid);
        device.Uicc.AddKeySet(OtaJobs.IsdTar, 1, kic, kid);
        using (var added = await environment.Ota.PostAsJsonAsync("cards",
            new AddCardRequest(device.Iccid, "12", "12", Convert.ToHexStringLower(kic), Convert.ToHexStringLower(kid), scp81 ? device.Iccid : null, scp81 ? Convert.ToHexStringLower(psk) : null),
            NetworkFunctionHost.JsonOptions, ct))
            added.EnsureSuccessStatusCode();

        // The card's SCP81 agent: a verified push opens a PSK-TLS admin session and runs the scripts on the card's files.
        Task<int>? session = null;
        device.Uicc.Card.AdminSessionRequested += trigger =>
        {
            var files = device.Uicc.Card.Files;
            var fs = files.NewSession();
            session = new M2MSec.Ota.Scp81.Scp81CardAgent(trigger.PskIdentity, psk, trigger.AgentId, commands => [.. commands.Select(c => files.Execute(fs, c))])
                .RunSessionAsync(trigger.Server, ct);
        };

        using var submitted = await environment.Ota.PostAsJsonAsync("jobs",
            new OtaJobRequest(device.Iccid, Convert.ToHexStringLower(RfmTar), 1, null, null, Nas, null, scp81 ? "scp81" : null, scp81 ? device.Iccid : null),
            NetworkFunctionHost.JsonOptions, ct);
        submitted.EnsureSuccessStatusCode();
        var job = (await submitted.Content.ReadFromJsonAsync<OtaJob>(NetworkFunctionHost.JsonOptions, ct))!;

        // The device: the ME receives the SMS-PP messages and hands each to the UICC in an ENVELOPE
        // (SMS-PP download); the card answers with the PoR, which the ME sends back.
        M2MSec.Device.Uicc.CardOtaOutcome? outcome = null;
        while (outcome is null)
        {
            foreach (var m in await environment.DeviceSmsc.DeliverAsync(device.Iccid, 10, ct))
                foreach (var tpdu in m.Tpdus!)
                    outcome = device.Uicc.Card.Envelope(OtaSms.SmsPpDownloadEnvelope(Convert.FromHexString(tpdu))) ?? outcome;
        }
        if (outcome.Por is { } por)
            await environment.DeviceSmsc.SubmitAsync(new SmsMessage("ota", device.Iccid, null, Convert.ToHexStringLower([.. M2MSec.Ota.Scp80.ResponsePacketCodec.SmsPorHeader, .. por])), ct);
        if (session is not null)
            await session;

        for (var i = 0; i < 200; i++)
        {
            var state = await environment.Ota.GetFromJsonAsync<OtaJob>($"jobs/{job.Id}", NetworkFunctionHost.JsonOptions, ct);
            if (state!.State == "verified")
            {
                report.Event(scp81 ? Scp81Event : OtaEvent);
                return true;
            }
            if (state.State == "failed")
            {
                device.FailureReason = state.Failure;
                return false;
            }
            await Task.Delay(20, ct);
        }
        device.FailureReason = "no verified PoR";
        return false;
    }
}
