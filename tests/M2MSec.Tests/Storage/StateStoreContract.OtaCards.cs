using System.Security.Cryptography;
using M2MSec.Storage.Ota;

namespace M2MSec.Tests.Storage;

/// <summary>The OTA server's card registration (POST /cards): the SCP81 PSK, the key set and the ICCID–IMSI link in one transaction.</summary>
public abstract partial class StateStoreContract
{
    private static OtaCardRegistration Card(string iccid, string? identity, string? imsi) =>
        new(iccid, new OtaKeySet(iccid, 1, 0x02, RandomNumberGenerator.GetBytes(16), 0x02, RandomNumberGenerator.GetBytes(16)), identity,
            identity is null ? null : RandomNumberGenerator.GetBytes(16), imsi);

    [Fact]
    public async Task OtaCard_AddedWithPskAndImsiLink_InOneWrite_AConflictWritesNothing()
    {
        var card = Card("8988211000000007001", "card-8988211000000007001", "001010000007001");
        Assert.Equal(OtaCardAddOutcome.Added, await Store.OtaKeySets.AddCardAsync(card));
        Assert.Equal(card.KeySet!.Kic, (await Store.OtaKeySets.FindAsync("8988211000000007001", 1))!.Kic);
        var psk = await Store.OtaKeySets.FindPskAsync("card-8988211000000007001");
        Assert.Equal("8988211000000007001", psk!.Value.Iccid);
        Assert.Equal(card.Psk, psk.Value.Psk);
        var device = await Store.Devices.FindAsync("8988211000000007001");
        Assert.Equal(("001010000007001", "uicc", "card-registered"), (device!.Pcid, device.Kind, device.State));
        Assert.Single(await Store.Devices.GetHistoryAsync("8988211000000007001"));

        // The same key set again, with a new PSK identity and IMSI: refused, and neither the PSK nor the link was written.
        Assert.Equal(OtaCardAddOutcome.KeySetExists, await Store.OtaKeySets.AddCardAsync(Card("8988211000000007001", "card-other", "001010000007009")));
        Assert.Null(await Store.OtaKeySets.FindPskAsync("card-other"));
        Assert.Equal("001010000007001", (await Store.Devices.FindAsync("8988211000000007001"))!.Pcid);

        // A new card with a PSK identity already taken: refused, no key set and no link for it.
        Assert.Equal(OtaCardAddOutcome.PskIdentityExists, await Store.OtaKeySets.AddCardAsync(Card("8988211000000007002", "card-8988211000000007001", "001010000007002")));
        Assert.Null(await Store.OtaKeySets.FindAsync("8988211000000007002", 1));
        Assert.Null(await Store.Devices.FindAsync("8988211000000007002"));

        // No PSK, no IMSI: the key set alone. A card whose link the registry already keeps: added, the link kept as it was.
        Assert.Equal(OtaCardAddOutcome.Added, await Store.OtaKeySets.AddCardAsync(Card("8988211000000007003", null, null)));
        Assert.Null(await Store.Devices.FindAsync("8988211000000007003"));
        Assert.True(await Store.Devices.RegisterAsync("8988211000000007004", "001010000007004", null, "uicc", "card-registered"));
        Assert.Equal(OtaCardAddOutcome.Added, await Store.OtaKeySets.AddCardAsync(Card("8988211000000007004", null, "001010000007005")));
        Assert.Equal("001010000007004", (await Store.Devices.FindAsync("8988211000000007004"))!.Pcid);
        Assert.NotNull(await Store.OtaKeySets.FindAsync("8988211000000007004", 1));

        // A PSK alone (an SCP81-only card) with its IMSI link.
        Assert.Equal(OtaCardAddOutcome.Added, await Store.OtaKeySets.AddCardAsync(new OtaCardRegistration("8988211000000007006", null, "card-7006",
            RandomNumberGenerator.GetBytes(16), "001010000007006")));
        Assert.Equal("8988211000000007006", (await Store.OtaKeySets.FindPskAsync("card-7006"))!.Value.Iccid);
        Assert.Equal("001010000007006", (await Store.Devices.FindAsync("8988211000000007006"))!.Pcid);
    }
}
