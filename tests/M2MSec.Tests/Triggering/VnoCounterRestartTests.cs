using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using M2MSec.Aka;
using M2MSec.Device.Triggering;
using M2MSec.NetworkFunctions.Hosting;
using M2MSec.Tests.Support;

namespace M2MSec.Tests.Triggering;

/// <summary>
/// Issue 17: the VNO's NAS downlink COUNT is durable — a restarted VNO (SQLite store) continues above the last COUNT it used, so a
/// device never sees a COUNT again (it would refuse it as a replay, and a rolled-back counter would reuse a MAC input); concurrent
/// triggers get distinct COUNTs; K_NASint is wrapped at rest.
/// </summary>
public sealed class VnoCounterRestartTests : IDisposable
{
    private readonly string _dir = TestKeyRing.TempDirectory("m2msec-vno-count-");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => Directory.Delete(_dir, true);

    private StoreOptions Store => new(Path.Combine(_dir, "vno"), Path.Combine(_dir, "kek.json"));

    private static async Task<long> TriggerAsync(HttpClient http, string imsi, int reference)
    {
        using var response = await http.PostAsJsonAsync("triggers", new { identity = imsi, reference, action = "dm-session" }, Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == System.Net.HttpStatusCode.Accepted, text);
        return JsonDocument.Parse(text).RootElement.GetProperty("count").GetInt64();
    }

    private static async Task<byte[]> PagedAsync(HttpClient device, string imsi) =>
        Convert.FromHexString((await device.GetFromJsonAsync<JsonElement>($"paging/{imsi}", Ct)).GetProperty("triggers").EnumerateArray().Last()
            .GetProperty("message").GetString()!);

    [Fact]
    public async Task RestartedVno_ContinuesAboveItsLastCount_DeviceAcceptsNoReplay_CounterRollbackThreat()
    {
        const string Imsi = "001010000000321";
        var kasme = RandomNumberGenerator.GetBytes(32);
        var knasInt = NasKeys.KnasInt(kasme);
        await using (var state = await Store.OpenAsync(createKeyRing: true, cancellationToken: Ct))
        {
            await state.Vno.PutContextAsync(Imsi, "00102", knasInt, "ctx-1", "idle", Ct);
            await state.MtcGroups.SetFeaturesAsync(Imsi, ["triggering"], Ct); // clause 4: the subscription holds the feature
        }
        var device = new InMemoryTriggerContext(knasInt, "00102");

        await using (var vno = await NetworkFunctionCatalog.StartAsync("vno", Store, cancellationToken: Ct))
        {
            using var http = new HttpClient { BaseAddress = vno.Address };
            using var deviceHttp = new HttpClient { BaseAddress = vno.DeviceAddress };
            Assert.Equal(0, await TriggerAsync(http, Imsi, 1));
            var first = device.Verify(await PagedAsync(deviceHttp, Imsi));
            Assert.True(first.IsAccepted, first.Detail);
            device.Accept(first.Count);
            // Concurrent triggers: each its own COUNT.
            var counts = await Task.WhenAll(Enumerable.Range(2, 20).Select(r => TriggerAsync(http, Imsi, r)));
            Assert.Equal(Enumerable.Range(1, 20).Select(i => (long)i), counts.Order());
        }

        await using (var vno = await NetworkFunctionCatalog.StartAsync("vno", Store, cancellationToken: Ct))
        {
            using var http = new HttpClient { BaseAddress = vno.Address };
            using var deviceHttp = new HttpClient { BaseAddress = vno.DeviceAddress };
            Assert.Equal(21, await TriggerAsync(http, Imsi, 99));
            var after = device.Verify(await PagedAsync(deviceHttp, Imsi));
            Assert.True(after.IsAccepted, after.Detail);
            Assert.Equal((99u, 21u), (after.Indication!.Reference, after.Count));
        }

        // Wrapped at rest: the database file holds no K_NASint in clear.
        foreach (var file in Directory.GetFiles(Path.Combine(_dir, "vno"), "m2msec.db*"))
            Assert.Equal(-1, (await File.ReadAllBytesAsync(file, Ct)).AsSpan().IndexOf(knasInt));
    }
}
