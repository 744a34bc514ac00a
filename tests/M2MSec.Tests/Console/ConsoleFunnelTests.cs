using System.Globalization;
using M2MSec.NetworkFunctions.Console;
using M2MSec.NetworkFunctions.Hosting;
using M2MSec.Storage;
using M2MSec.Storage.Ccif;
using M2MSec.Storage.Dpf;
using M2MSec.Storage.Drf;
using M2MSec.Storage.Hss;
using M2MSec.Storage.Icf;
using M2MSec.Storage.Pva;
using M2MSec.Storage.Sho;
using M2MSec.Tests.Support;

namespace M2MSec.Tests.Console;

/// <summary>
/// Issue 20 (docs/decisions/032): the funnel and the stage filter read each store once per chunk of devices; the device page looks
/// each store up for its one device. On a fleet whose devices have records at mixed steps in every store (ICF, DRF, DPF, both SHOs,
/// PVA) and every kind of failure, both give every device the same step and stage.
/// </summary>
public sealed class ConsoleFunnelTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private const int Devices = 250;

    private static string Pcid(int i) => "00190" + i.ToString("D10", CultureInfo.InvariantCulture);

    [Fact]
    public async Task Funnel_And_StageFilter_ByChunkedQueries_EqualTheDevicePagesLookups_OnMixedStagesAndFailures()
    {
        var dir = TestKeyRing.TempDirectory("m2msec-console-funnel-");
        try
        {
            var fleet = new StoreOptions(Path.Combine(dir, "nf"), Path.Combine(dir, "kek.json"));
            await SeedAsync(fleet);
            await using var stores = new ConsoleStores(fleet);
            var views = new ConsoleViews(stores);

            // The reference: every device's page, one lookup per store.
            var reference = new List<FleetDevice>();
            for (var i = 0; i < Devices; i++)
                reference.Add((await views.DeviceAsync(Pcid(i), Ct))!);
            // The seed reaches every kind of stage (so the comparison below covers them).
            Assert.Contains(reference, d => d.Stage.StartsWith("failed: PfC revoked", StringComparison.Ordinal));
            Assert.Contains(reference, d => d.Stage.StartsWith("failed: platform invalid", StringComparison.Ordinal));
            Assert.Contains(reference, d => d.Stage.StartsWith("failed: change of subscription", StringComparison.Ordinal));
            Assert.Contains(reference, d => d.Stage.StartsWith("refused: ", StringComparison.Ordinal));
            Assert.Contains(reference, d => d.Stage == "failed: pva-unreachable");
            Assert.Contains(reference, d => d.Stage == "provisioned");
            Assert.Contains(reference, d => d.Stage == "manufactured");
            Assert.True(reference.Select(d => d.Step).Distinct().Count() >= 10);

            var (devices, atStep, failures) = await views.FunnelAsync(Ct);
            Assert.Equal(Devices, devices);
            foreach (var (step, count) in atStep)
                Assert.Equal(reference.Count(d => d.Step == step), count);
            Assert.Equal(reference.Where(d => d.Stage.Contains(':', StringComparison.Ordinal)).GroupBy(d => d.Stage).OrderBy(g => g.Key, StringComparer.Ordinal)
                .Select(g => (g.Key, g.Count())), failures.Select(f => (f.Key, f.Value)));

            // The stage filter: every stage shown, and prefixes that match several.
            var prefixes = reference.Select(d => d.Stage).Distinct().Concat(["failed", "re", "failed: p", "v", "provisioned"]);
            foreach (var prefix in prefixes)
            {
                var expected = reference.Where(d => d.Stage.StartsWith(prefix, StringComparison.Ordinal)).ToList();
                for (var page = 1; page <= Math.Max(1, (expected.Count + ConsoleViews.PageSize - 1) / ConsoleViews.PageSize); page++)
                {
                    var got = await views.FleetAsync(new FleetFilter(Kind: "tre", Stage: prefix), page, Ct);
                    Assert.Equal(expected.Count, got.Total);
                    AssertSameRows(expected.Skip((page - 1) * ConsoleViews.PageSize).Take(ConsoleViews.PageSize), got.Rows);
                }
            }

            // Stage and text: the text narrows the CCIF's query, the stage is tested on what it finds.
            var text = reference.Where(d => d.Id.Contains("0000001", StringComparison.Ordinal) || d.DmDevId.Contains("0000001", StringComparison.Ordinal)).ToList();
            foreach (var prefix in new[] { "failed", "provisioned", "manufactured" })
            {
                var got = await views.FleetAsync(new FleetFilter(Kind: "tre", Stage: prefix, Text: "0000001"), 1, Ct);
                AssertSameRows(text.Where(d => d.Stage.StartsWith(prefix, StringComparison.Ordinal)), got.Rows);
            }

            // The unfiltered pages: the same rows as the device pages.
            for (var page = 1; page <= 3; page++)
                AssertSameRows(reference.Skip((page - 1) * ConsoleViews.PageSize).Take(ConsoleViews.PageSize), (await views.FleetAsync(new FleetFilter(Kind: "tre"), page, Ct)).Rows);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    private static void AssertSameRows(IEnumerable<FleetDevice> expected, IReadOnlyList<FleetDevice> got) =>
        Assert.Equal(expected.Select(d => (d.Id, d.Step, d.Stage, d.Imsi, d.Sho, d.Mcim, d.Lockdown, string.Join(",", d.DevIds))),
            got.Select(d => (d.Id, d.Step, d.Stage, d.Imsi, d.Sho, d.Mcim, d.Lockdown, string.Join(",", d.DevIds))));

    /// <summary>Device i has records chosen by different residues of i in each store, so that steps overlap across stores and failures combine.</summary>
    private static async Task SeedAsync(StoreOptions fleet)
    {
        async Task<IStateStore> OpenAsync(string role) => await (fleet with { DataDirectory = Path.Combine(fleet.DataDirectory, role) }).OpenAsync(createKeyRing: true, cancellationToken: Ct);
        await using var ccif = await OpenAsync("ccif");
        await using var icf = await OpenAsync("icf");
        await using var drf = await OpenAsync("drf");
        await using var dpf = await OpenAsync("dpf");
        await using var sho = await OpenAsync("sho");
        await using var shoB = await OpenAsync("sho-b");
        await using var pva = await OpenAsync("pva");
        var now = DateTimeOffset.UtcNow;
        string[] dpfStates = [DpfProvisioning.Reading, DpfProvisioning.Registered, DpfProvisioning.Attesting, DpfProvisioning.Validated, DpfProvisioning.Downloading,
            DpfProvisioning.Installed, DpfProvisioning.Installed, DpfProvisioning.Failed];
        ShoSubscription Sub(int i, string state, string? reason, int second) =>
            new(Pcid(i), "TRE-" + i, [1], [2], [3], [4], null, state, state == ShoSubscription.Active ? "00101" + i.ToString("D10", CultureInfo.InvariantCulture) : null,
                new byte[16], new byte[16], reason, now, now.AddSeconds(second));
        PvaValidation Validation(int i, int n, string state, string? reason) =>
            new($"v-{i}-{n}", Pcid(i), [1], [2], [3], [4], "sho", now.AddSeconds(n), now.AddSeconds(n + 60), state, reason);
        for (var i = 0; i < Devices; i++)
        {
            var pcid = Pcid(i);
            Assert.True(await ccif.Ccif.AddDeviceAsync(new CcifDevice(pcid, "TRE-" + i, "ec-p256", new byte[16], new byte[16], "01", "02", [1], [2], null, now), Ct));
            if (i % 10 == 9)
                continue; // manufactured: no record anywhere else
            if (i % 13 == 0)
                Assert.True(await ccif.Ccif.MarkRevokedAsync(pcid, i % 2 == 0 ? "keyCompromise" : "superseded", now, Ct));
            if (i % 3 > 0) // steps 2–4: vectors for the PCID (SEQ_HE moved); step 8: its use
                Assert.True(await icf.Subscribers.AddAsync(new HssSubscriber(pcid, new byte[16], new byte[16], [0x80, 0], SubscriberIdentityKind.Pcid), 4, Ct));
            if (i % 3 == 2)
                Assert.True(await icf.Icf.TryRecordUseAsync(new IcfPcidUse(pcid, "bootstrapped", "10.0.0.1", now), Ct));
            switch (i / 3 % 3)
            {
                case 1:
                    await drf.Drf.PutRegistrationAsync(new DrfRegistration(pcid, "sho", "https://dpf.example/dm", "TRE-" + i, "bootstrapped", now), Ct);
                    break;
                case 2:
                    await drf.Drf.PutRegistrationAsync(new DrfRegistration(pcid, "sho-b", "https://dpf.example/dm", "TRE-" + i, "registered", now), Ct);
                    break;
            }
            if (i % 11 == 0)
            {
                Assert.True(await drf.Drf.StartChangeAsync(new DrfChange(pcid, "sho", "sho-b", DrfChange.Provisioning, null, now), Ct));
                Assert.True(await drf.Drf.TryMoveChangeAsync(pcid, DrfChange.Provisioning, DrfChange.Failed, "download failed", Ct));
            }
            if ((i * 5 + 1) % 9 is var d and > 0)
            {
                var state = dpfStates[d - 1];
                Assert.True(await dpf.Dpf.AddAsync(new DpfProvisioning(pcid, d % 2 == 0 ? "sho" : "sho-b", state, now, now,
                    Reason: state == DpfProvisioning.Failed ? (i % 2 == 0 ? "pva-unreachable" : "timeout") : null, ReportedToSho: d == 7), Ct));
            }
            switch ((i * 7 + 3) % 8)
            {
                case 1:
                    Assert.True(await sho.Sho.AddAsync(Sub(i, ShoSubscription.Validating, null, 1), Ct));
                    break;
                case 2:
                    Assert.True(await sho.Sho.AddAsync(Sub(i, ShoSubscription.Downloading, null, 1), Ct));
                    break;
                case 3:
                    Assert.True(await shoB.Sho.AddAsync(Sub(i, ShoSubscription.Active, null, 1), Ct));
                    break;
                case 4:
                    Assert.True(await sho.Sho.AddAsync(Sub(i, ShoSubscription.Refused, "platform invalid", 1), Ct));
                    break;
                case 5:
                    Assert.True(await shoB.Sho.AddAsync(Sub(i, ShoSubscription.Failed, "install failed", 1), Ct));
                    break;
                case 6: // moved from sho to sho-b: the active one is shown whatever changed last
                    Assert.True(await sho.Sho.AddAsync(Sub(i, ShoSubscription.Moved, null, 5), Ct));
                    Assert.True(await shoB.Sho.AddAsync(Sub(i, ShoSubscription.Active, null, 2), Ct));
                    break;
                case 7: // refused at sho, then validating at sho-b (changed last)
                    Assert.True(await sho.Sho.AddAsync(Sub(i, ShoSubscription.Refused, "platform invalid", 1), Ct));
                    Assert.True(await shoB.Sho.AddAsync(Sub(i, ShoSubscription.Validating, null, 3), Ct));
                    break;
            }
            switch (i * 5 % 7)
            {
                case 4:
                    await pva.Pva.AddValidationAsync(Validation(i, 1, "invalid", "measurement mismatch"), Ct);
                    break;
                case 5: // invalid, then valid
                    await pva.Pva.AddValidationAsync(Validation(i, 1, "invalid", "measurement mismatch"), Ct);
                    await pva.Pva.AddValidationAsync(Validation(i, 2, "valid", null), Ct);
                    break;
                case 6: // invalid, then pending: still invalid
                    await pva.Pva.AddValidationAsync(Validation(i, 1, "invalid", null), Ct);
                    await pva.Pva.AddValidationAsync(Validation(i, 2, PvaValidation.Pending, null), Ct);
                    break;
            }
        }
        // A PCID that is not the CCIF's has records too: never a row, never counted.
        Assert.True(await dpf.Dpf.AddAsync(new DpfProvisioning("001909999999999", "sho", DpfProvisioning.Failed, now, now, Reason: "stray"), Ct));
    }
}
