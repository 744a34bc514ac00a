using System.Security.Cryptography;
using M2MSec.Device.Uicc;
using M2MSec.Nas;
using M2MSec.Ota.RemoteApdu;
using M2MSec.Ota.Scp80;

namespace M2MSec.Tests.Ota;

/// <summary>The card side: RFM by TAR, minimum security level, the SPI's counter rules and PoR statuses.</summary>
public sealed class UiccOtaCardTests
{
    private static readonly byte[] Tar = [0xB0, 0x00, 0x01];
    private static readonly byte Kic = KeyIdentifier.Encode(CipherAlgorithm.AesCbc, 1);
    private static readonly byte Kid = KeyIdentifier.Encode(ChecksumAlgorithm.AesCmac, 1);
    private readonly Scp80Keys _keys = new(RandomNumberGenerator.GetBytes(16), RandomNumberGenerator.GetBytes(16));
    private readonly UiccOtaCard _card;

    public UiccOtaCardTests()
    {
        _card = new UiccOtaCard(UiccProfile.Create("8988211000000000301", "001010000000301"));
        _card.AddKeySet(Tar, new CardKeySet(1, _keys.KicKey, _keys.KidKey));
    }

    private static Spi SpiFor(CounterMode counter, PorMode por = PorMode.Required, IntegrityMode integrity = IntegrityMode.CryptographicChecksum) =>
        new(integrity, true, counter, por, IntegrityMode.CryptographicChecksum, true, false);

    private byte[] Packet(Spi spi, ulong counter, byte[] script, byte[]? tar = null) =>
        CommandPacketCodec.Encode(new CommandPacket(spi, Kic, Kid, tar ?? Tar, counter, script), _keys);

    private ResponsePacket OpenPor(CardOtaOutcome outcome, Spi spi, ulong counter)
    {
        Assert.NotNull(outcome.Por);
        var r = ResponsePacketCodec.Open(outcome.Por, spi, Kic, Kid, _keys, ResponsePacketCodec.SmsPorHeader, Tar, counter);
        Assert.True(r.IsOk, r.Failure);
        return r.Packet!;
    }

    private static byte[] NasScript(NasConfiguration config, RemoteApduFormat format)
    {
        var ef = EfNasConfigCodec.EncodeFile(config, UiccProfile.NasConfigSize);
        CommandApdu[] script =
        [
            new(0x00, 0xA4, 0x04, 0x0C, UiccProfile.UsimAid, null),
            new(0x00, 0xA4, 0x00, 0x0C, [0x6F, 0xE8], null),
            new(0x00, 0xD6, 0x00, 0x00, ef, null),
            new(0x00, 0xB0, 0x00, 0x00, [], UiccProfile.NasConfigSize),
        ];
        return format == RemoteApduFormat.Compact ? RemoteCommandScript.EncodeCompact(script) : RemoteCommandScript.EncodeExpanded(script);
    }

    [Theory]
    [InlineData(RemoteApduFormat.Compact)]
    [InlineData(RemoteApduFormat.Expanded)]
    public void NasConfiguration_ReachesEfNasConfig_AndThePorCarriesTheReadBack(RemoteApduFormat format)
    {
        var config = NasConfiguration.Empty.With(NasParameters.MinimumPeriodicSearchTimer, 45).With(NasParameters.AttachWithImsi, true);
        var spi = SpiFor(CounterMode.MustBeHigher);
        var outcome = _card.Process(Packet(spi, 1, NasScript(config, format)));
        Assert.Equal(PorStatus.PorOk, outcome.Status);
        Assert.Equal(4, outcome.CommandsExecuted);
        var por = OpenPor(outcome, spi, 1);
        var ef = (TransparentEf)_card.Files.Find(UiccProfile.AdfUsimFid, UiccProfile.EfNasConfig)!;
        Assert.Equal(config, EfNasConfigCodec.Decode(ef.Content));
        if (format == RemoteApduFormat.Compact)
        {
            Assert.Equal(4, por.AdditionalData[0]);
            Assert.Equal(ef.Content, por.AdditionalData[1..^2]);
            Assert.Equal([0x90, 0x00], por.AdditionalData[^2..]);
        }
        else
        {
            Assert.Equal(0xAB, por.AdditionalData[0]);
            Assert.Contains(por.AdditionalData.Skip(2).Take(3), b => b == 4);
        }
        Assert.Equal(1UL, _card.KeySet(Tar, 1)!.Counter);
    }

    [Fact]
    public void Replay_IsRefusedWithCounterLow_AndNotExecuted()
    {
        var spi = SpiFor(CounterMode.MustBeHigher);
        var select = RemoteCommandScript.EncodeCompact([new(0x00, 0xA4, 0x00, 0x0C, [0x2F, 0xE2], null)]);
        var packet = Packet(spi, 5, select);
        Assert.Equal(PorStatus.PorOk, _card.Process(packet).Status);
        var replay = _card.Process(packet);
        Assert.Equal(PorStatus.CounterLow, replay.Status);
        Assert.Equal(0, replay.CommandsExecuted);
        Assert.Equal(PorStatus.CounterLow, OpenPor(replay, spi, 5).Status);
        Assert.Equal(5UL, _card.KeySet(Tar, 1)!.Counter);
    }

    [Fact]
    public void ExactlyOneHigher_RefusesAGapWithCounterHigh()
    {
        var spi = SpiFor(CounterMode.MustBeOneHigher);
        var script = RemoteCommandScript.EncodeCompact([new(0x00, 0xA4, 0x00, 0x0C, [0x2F, 0xE2], null)]);
        Assert.Equal(PorStatus.PorOk, _card.Process(Packet(spi, 1, script)).Status);
        Assert.Equal(PorStatus.CounterHigh, _card.Process(Packet(spi, 3, script)).Status);
        Assert.Equal(PorStatus.PorOk, _card.Process(Packet(spi, 2, script)).Status);
        Assert.Equal(PorStatus.CounterLow, _card.Process(Packet(spi, 2, script)).Status);
    }

    [Fact]
    public void CounterAtItsMaximum_IsBlocked()
    {
        _card.KeySet(Tar, 1)!.Counter = CommandPacket.MaxCounter;
        Assert.Equal(PorStatus.CounterBlocked, _card.Process(Packet(SpiFor(CounterMode.MustBeHigher), 5, [])).Status);
    }

    [Fact]
    public void TamperedPacket_IsIntegrityFailure_UnknownTar_AndLowSecurity_AreRefused()
    {
        var spi = SpiFor(CounterMode.MustBeHigher);
        var packet = Packet(spi, 9, RemoteCommandScript.EncodeCompact([new(0x00, 0xA4, 0x00, 0x0C, [0x2F, 0xE2], null)]));
        packet[^1] ^= 0x80;
        var tampered = _card.Process(packet);
        Assert.Equal(PorStatus.IntegrityCheckFailed, tampered.Status);
        Assert.Equal(0UL, _card.KeySet(Tar, 1)!.Counter);

        var unknown = _card.Process(Packet(spi, 1, [], [0xB0, 0xFF, 0xFF]));
        Assert.Equal(PorStatus.TarUnknown, unknown.Status);
        var clear = ResponsePacketCodec.Open(unknown.Por, spi with { PorIntegrity = IntegrityMode.None, PorCiphered = false }, Kic, Kid, _keys);
        Assert.Equal(PorStatus.TarUnknown, clear.Packet!.Status);

        var weak = new Spi(IntegrityMode.None, false, CounterMode.NoCounter, PorMode.Required, IntegrityMode.None, false, false);
        Assert.Equal(PorStatus.InsufficientSecurityLevel, _card.Process(CommandPacketCodec.Encode(new CommandPacket(weak, Kic, Kid, Tar, 0, [0x00, 0xA4, 0x00, 0x0C, 0x02, 0x2F, 0xE2]), _keys)).Status);
    }

    [Fact]
    public void PorOnErrorOnly_IsSilentOnSuccess()
    {
        var spi = SpiFor(CounterMode.MustBeHigher, PorMode.OnErrorOnly);
        Assert.Null(_card.Process(Packet(spi, 1, RemoteCommandScript.EncodeCompact([new(0x00, 0xA4, 0x00, 0x0C, [0x2F, 0xE2], null)]))).Por);
        Assert.NotNull(_card.Process(Packet(spi, 1, [])).Por);
    }

    [Fact]
    public void Script_StopsAtTheFirstError_AndReportsIt()
    {
        var spi = SpiFor(CounterMode.MustBeHigher);
        var script = RemoteCommandScript.EncodeCompact(
        [
            new(0x00, 0xA4, 0x00, 0x0C, [0x6F, 0x99], null),
            new(0x00, 0xD6, 0x00, 0x00, [1, 2, 3], null),
        ]);
        var outcome = _card.Process(Packet(spi, 1, script));
        Assert.Equal(1, outcome.CommandsExecuted);
        var por = OpenPor(outcome, spi, 1);
        Assert.Equal([0x01, 0x6A, 0x82], por.AdditionalData);
    }

    [Fact]
    public void Envelopes_CarryingAConcatenatedPacket_AreProcessedWhenTheLastSegmentArrives()
    {
        var spi = SpiFor(CounterMode.MustBeHigher);
        var updates = Enumerable.Range(0, 12).Select(i => new CommandApdu(0x00, 0xD6, 0x00, (byte)i, [0x82, 0x01, 0x01], null));
        CommandApdu[] script = [new(0x00, 0xA4, 0x04, 0x0C, UiccProfile.UsimAid, null), new(0x00, 0xA4, 0x00, 0x0C, [0x6F, 0xE8], null), .. updates, .. updates, .. updates];
        var packet = Packet(spi, 3, RemoteCommandScript.EncodeCompact(script));
        var tpdus = M2MSec.Ota.SmsPp.OtaSms.CommandTpdus(packet, new M2MSec.Ota.SmsPp.AddressField("1234", 0, 1), new byte[7], 5);
        Assert.True(tpdus.Count > 1);
        CardOtaOutcome? outcome = null;
        for (var i = 0; i < tpdus.Count; i++)
        {
            outcome = _card.Envelope(M2MSec.Ota.SmsPp.OtaSms.SmsPpDownloadEnvelope(tpdus[i]));
            Assert.Equal(i == tpdus.Count - 1, outcome is not null);
        }
        Assert.Equal(PorStatus.PorOk, outcome!.Status);
        Assert.Equal(script.Length, outcome.CommandsExecuted);
        Assert.Throws<FormatException>(() => _card.Envelope([0xD0, 0x00]));
    }

    [Theory]
    [InlineData("00a4")]
    [InlineData("00d6000005010203")]
    [InlineData("aa05220300a4")]
    [InlineData("ae0522020000")]
    public void MalformedScripts_AreFormatErrors(string hex) =>
        Assert.Throws<FormatException>(() => RemoteCommandScript.Decode(Convert.FromHexString(hex), out _));
}

public sealed class SimulatedUiccTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("m2msec-uicc-").FullName;

    public void Dispose() => Directory.Delete(_root, true);

    [Fact]
    public void CountersAndFiles_SurviveReload_SoAReplayAfterRestartIsStillRefused_AndTheImageIsSealed()
    {
        var device = M2MSec.Device.M2me.M2meDevice.Create(Path.Combine(_root, "d"), Path.Combine(_root, "f"), "001990000000401", M2MSec.Device.M2me.M2meKind.Uicc, "TRE-UICC-1");
        var uicc = SimulatedUicc.Issue(device.DataDirectory, Path.Combine(_root, "f"), "TRE-UICC-1", "8988211000000000401", "001010000000401");
        var keys = new Scp80Keys(RandomNumberGenerator.GetBytes(16), RandomNumberGenerator.GetBytes(16));
        byte[] tar = [0xB0, 0x00, 0x01];
        uicc.AddKeySet(tar, 1, keys.KicKey, keys.KidKey);
        var spi = new Spi(IntegrityMode.CryptographicChecksum, true, CounterMode.MustBeHigher, PorMode.Required, IntegrityMode.CryptographicChecksum, true, false);
        var script = RemoteCommandScript.EncodeCompact(
        [
            new(0x00, 0xA4, 0x04, 0x0C, UiccProfile.UsimAid, null),
            new(0x00, 0xA4, 0x00, 0x0C, [0x6F, 0xE8], null),
            new(0x00, 0xD6, 0x00, 0x00, [0x82, 0x01, 0x01], null),
        ]);
        var packet = CommandPacketCodec.Encode(new CommandPacket(spi, 0x12, 0x12, tar, 7, script), keys);
        Assert.Equal(PorStatus.PorOk, uicc.Card.Process(packet).Status);

        var reloaded = SimulatedUicc.Load(device.DataDirectory, Path.Combine(_root, "f"), "TRE-UICC-1");
        Assert.Equal(7UL, reloaded.Card.KeySet(tar, 1)!.Counter);
        Assert.Equal(PorStatus.CounterLow, reloaded.Card.Process(packet).Status);
        var ef = (TransparentEf)reloaded.Card.Files.Find(UiccProfile.AdfUsimFid, UiccProfile.EfNasConfig)!;
        Assert.Equal(1, EfNasConfigCodec.Decode(ef.Content)[NasParameters.AttachWithImsi]);

        var image = File.ReadAllBytes(Path.Combine(device.DataDirectory, "uicc", "card.bin"));
        Assert.True(image.AsSpan().IndexOf(keys.KicKey) < 0);
        Assert.DoesNotContain(Convert.ToHexString(keys.KidKey), System.Text.Encoding.Latin1.GetString(image));
        image[20] ^= 1;
        File.WriteAllBytes(Path.Combine(device.DataDirectory, "uicc", "card.bin"), image);
        Assert.Throws<InvalidDataException>(() => SimulatedUicc.Load(device.DataDirectory, Path.Combine(_root, "f"), "TRE-UICC-1"));
    }
}

public sealed class RamTests
{
    [Fact]
    public void GetStatus_OverScp80ToTheSecurityDomainTar_ListsTheUsim_InBothFormats()
    {
        var keys = new Scp80Keys(RandomNumberGenerator.GetBytes(16), RandomNumberGenerator.GetBytes(16));
        var card = new UiccOtaCard(UiccProfile.Create("8988211000000001101", "001010000001101"));
        byte[] isd = [0, 0, 0];
        card.AddKeySet(isd, new CardKeySet(1, keys.KicKey, keys.KidKey));
        var spi = new Spi(IntegrityMode.CryptographicChecksum, true, CounterMode.MustBeHigher, PorMode.Required, IntegrityMode.CryptographicChecksum, true, false);
        // Expanded format: GET STATUS carries data (search criteria) while the compact format reads
        // P3 of INS 'F2' as Le (the UICC STATUS command) — docs/decisions/009.
        var script = RemoteCommandScript.EncodeExpanded([new(0x80, 0xF2, 0x40, 0x00, [0x4F, 0x00], null)]);
        var outcome = card.Process(CommandPacketCodec.Encode(new CommandPacket(spi, 0x12, 0x12, isd, 1, script), keys));
        var por = ResponsePacketCodec.Open(outcome.Por, spi, 0x12, 0x12, keys, ResponsePacketCodec.SmsPorHeader, isd, 1).Packet!;
        byte[] rApdu = [0x10, .. UiccProfile.UsimAid, 0x07, 0x00, 0x90, 0x00];
        Assert.Equal([0xAB, (byte)(5 + rApdu.Length), 0x80, 0x01, 0x01, 0x23, (byte)rApdu.Length, .. rApdu], por.AdditionalData);

        var tlv = card.Ram.Execute(new CommandApdu(0x80, 0xF2, 0x40, 0x02, [0x4F, 0x00], null));
        Assert.Equal(0x9000, tlv.StatusWord);
        Assert.Equal([0xE3, 0x19, 0x4F, 0x10, .. UiccProfile.UsimAid, 0x9F, 0x70, 0x01, 0x07, 0xC5, 0x01, 0x00], tlv.Data);
        Assert.Equal(StatusWords.WrongParameters, card.Ram.Execute(new CommandApdu(0x80, 0xF2, 0x20, 0x00, [], null)).StatusWord);
        Assert.Equal(StatusWords.InsNotSupported, card.Ram.Execute(new CommandApdu(0x80, 0xE6, 0x0C, 0x00, [], null)).StatusWord);
    }
}
