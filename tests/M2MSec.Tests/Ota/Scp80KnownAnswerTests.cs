using System.Text.Json;
using M2MSec.Ota.Scp80;
using M2MSec.Tests.Support;

namespace M2MSec.Tests.Ota;

/// <summary>SCP80 packets against an independent implementation's vectors (tests/vectors/ts102225).</summary>
public sealed class Scp80KnownAnswerTests
{
    private static IEnumerable<JsonElement> Vectors(string op) =>
        TestVectors.Load("ts102225/scp80-pysim.json").GetProperty("vectors").EnumerateArray().Where(v => v.GetProperty("op").GetString() == op);

    public static TheoryData<string> Commands() => [.. Vectors("encode_cmd").Select(v => v.GetProperty("id").GetString()!)];

    private static JsonElement Vector(string id) =>
        TestVectors.Load("ts102225/scp80-pysim.json").GetProperty("vectors").EnumerateArray().Single(v => v.GetProperty("id").GetString() == id);

    private static Scp80Keys Keys(JsonElement v) => new(v.GetProperty("keyset").Hex("kic"), v.GetProperty("keyset").Hex("kid"));

    private static byte[] ExpectedCommand(JsonElement v)
    {
        var e = v.GetProperty("expected");
        return e.TryGetProperty("encoded_cmd_with_cpl", out _) ? e.Hex("encoded_cmd_with_cpl") : e.Hex("encoded_cmd");
    }

    [Theory]
    [MemberData(nameof(Commands))]
    public void Encode_Command_MatchesTheIndependentImplementation(string id)
    {
        var v = Vector(id);
        var spi = Spi.Decode(v.Hex("spi_hex"));
        var packet = new CommandPacket(spi, v.Hex("kic_byte")[0], v.Hex("kid_byte")[0], v.Hex("tar"),
            (ulong)v.GetProperty("keyset").GetProperty("cntr").GetInt64(), v.GetProperty("input").Hex("apdu"));
        Assert.Equal(Convert.ToHexStringLower(ExpectedCommand(v)), Convert.ToHexStringLower(CommandPacketCodec.Encode(packet, Keys(v))));
    }

    [Theory]
    [MemberData(nameof(Commands))]
    public void Open_Command_RecoversTheApdu(string id)
    {
        var v = Vector(id);
        var opened = CommandPacketCodec.Open(ExpectedCommand(v), Keys(v));
        Assert.True(opened.IsOk, opened.Reason);
        Assert.Equal(v.GetProperty("input").Hex("apdu"), opened.Packet!.SecuredData);
        Assert.Equal(v.Hex("tar"), opened.Packet.Tar);
    }
}

public sealed class Scp80PorKnownAnswerTests
{
    private static JsonElement[] Responses() =>
        [.. TestVectors.Load("ts102225/scp80-pysim.json").GetProperty("vectors").EnumerateArray().Where(v => v.GetProperty("op").GetString() == "decode_resp")];

    public static TheoryData<string> Ids() => [.. Responses().Select(v => v.GetProperty("id").GetString()!)];

    [Theory]
    [MemberData(nameof(Ids))]
    public void Open_Por_AsTheIndependentImplementationDoes(string id)
    {
        var v = Responses().Single(r => r.GetProperty("id").GetString() == id);
        var keyset = v.GetProperty("keyset");
        var keys = new Scp80Keys(keyset.Hex("kic"), keyset.Hex("kid"));
        var spi = Spi.Decode(v.Hex("spi_hex"));
        byte kic = (byte)(keyset.GetProperty("kic_idx").GetInt32() << 4 | (keyset.GetProperty("algo_crypt").GetString() == "aes_cbc" ? 0b0010 : 0b0101));
        byte kid = (byte)(keyset.GetProperty("kid_idx").GetInt32() << 4 | (keyset.GetProperty("algo_auth").GetString() == "aes_cmac" ? 0b0010 : 0b0101));
        var ud = v.GetProperty("input").Hex("resp");
        var udhl = ud[0];
        var result = ResponsePacketCodec.Open(ud.AsSpan(1 + udhl), spi, kic, kid, keys, ud.AsSpan(0, 1 + udhl), v.Hex("tar"));
        var expected = v.GetProperty("expected");
        if (expected.TryGetProperty("error_contains", out var error))
        {
            Assert.False(result.IsOk);
            return;
        }
        Assert.True(result.IsOk, result.Failure);
        Assert.Equal(PorStatus.PorOk, result.Packet!.Status);
        // Expanded remote APDU response (TS 102 226 §5.2.2): number of commands, then the last status word.
        var data = result.Packet.AdditionalData;
        Assert.Equal(expected.GetProperty("number_of_commands").GetInt32(), data[0]);
        Assert.Equal(expected.GetProperty("last_status_word").GetString(), Convert.ToHexStringLower(data[^2..]));
    }
}
