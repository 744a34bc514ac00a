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
/// by SCP80 over SMS-PP — AES-128 CBC + CMAC, counter must be higher, ciphered PoR with CC — via the
/// SMSC; the card's RFM application writes EF_NASCONFIG; the server accepts the PoR only if it
/// verifies and answers the command, and compares the EF read back with what it wrote.
/// </summary>
internal sealed class OtaNasConfigurationStage : IDemoStage
{
    public const string OtaEvent = "ota-verified";
    private static readonly byte[] RfmTar = [0xB0, 0x00, 0x01];
    private static readonly Dictionary<string, string> Nas = new()
    {
        ["NAS_SignallingPriority"] = "1",
        ["AttachWithIMSI"] = "1",
        ["MinimumPeriodicSearchTimer"] = "60",
        ["ExtendedAccessBarring"] = "1",
    };

    public string Name => "NAS config by OTA (SCP80)";

    public async Task<bool> RunAsync(DemoDevice device, DemoEnvironment environment, DemoReport report, CancellationToken ct)
    {
        if (device.Kind != M2meKind.Uicc)
            return true; // TRE-based devices are configured by OMA DM (next issue)
        // Personalisation: the card and the OTA server share the key set (KVN 1, AES-128 CBC / CMAC).
        var kic = RandomNumberGenerator.GetBytes(16);
        var kid = RandomNumberGenerator.GetBytes(16);
        device.Uicc!.AddKeySet(RfmTar, 1, kic, kid);
        using (var added = await environment.Ota.PostAsJsonAsync("cards",
            new AddCardRequest(device.Iccid, "12", "12", Convert.ToHexStringLower(kic), Convert.ToHexStringLower(kid)), NetworkFunctionHost.JsonOptions, ct))
            added.EnsureSuccessStatusCode();

        using var submitted = await environment.Ota.PostAsJsonAsync("jobs",
            new OtaJobRequest(device.Iccid, Convert.ToHexStringLower(RfmTar), 1, null, null, Nas, null), NetworkFunctionHost.JsonOptions, ct);
        submitted.EnsureSuccessStatusCode();
        var job = (await submitted.Content.ReadFromJsonAsync<OtaJob>(NetworkFunctionHost.JsonOptions, ct))!;

        // The device: the ME receives the SMS-PP messages and hands each to the UICC in an ENVELOPE
        // (SMS-PP download); the card answers with the PoR, which the ME sends back.
        M2MSec.Device.Uicc.CardOtaOutcome? outcome = null;
        while (outcome is null)
        {
            foreach (var m in await environment.Smsc.DeliverAsync(device.Iccid, 10, ct))
                foreach (var tpdu in m.Tpdus!)
                    outcome = device.Uicc.Card.Envelope(OtaSms.SmsPpDownloadEnvelope(Convert.FromHexString(tpdu))) ?? outcome;
        }
        if (outcome.Por is { } por)
            await environment.Smsc.SubmitAsync(new SmsMessage("ota", device.Iccid, null, Convert.ToHexStringLower([.. M2MSec.Ota.Scp80.ResponsePacketCodec.SmsPorHeader, .. por])), ct);

        for (var i = 0; i < 200; i++)
        {
            var state = await environment.Ota.GetFromJsonAsync<OtaJob>($"jobs/{job.Id}", NetworkFunctionHost.JsonOptions, ct);
            if (state!.State == "verified")
            {
                report.Event(OtaEvent);
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
