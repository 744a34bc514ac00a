using M2MSec.Dm.Auth;
using M2MSec.Dm.Bootstrap;
using M2MSec.Dm.SyncMl;

namespace M2MSec.Tests.Dm.Bootstrap;

/// <summary>The bootstrap package (OMA-TS-DM_Bootstrap-V1_2 §5, DMAcc of OMA-TS-DM_StdObj-V1_2 §5.3): writer, strict reader, MACs.</summary>
public sealed class BootstrapPackageTests
{
    private const string Imsi = "001010123456789";

    internal static BootstrapPackage Sample(string devId = "IMEI:490154203237518", string serverId = "m2msec-dm", byte[]? nonce = null) =>
        new("1A2B", "1", devId, new BootstrapDmAcc(serverId, serverId, "M2MSec DM", new Uri("https://dm.example.invalid:8443/dm"), DmAuthScheme.Md5,
            new BootstrapAppAuth(DmAuthScheme.Md5, serverId, "server-secret"),
            new BootstrapAppAuth(DmAuthScheme.Md5, "dev-user", "client-secret", nonce)));

    [Fact]
    public void Build_then_Read_gives_the_same_package()
    {
        var package = Sample(nonce: [1, 2, 3, 0xFF]);
        var body = BootstrapPackageBuilder.Build(package);
        Assert.True(BootstrapPackageReader.TryRead(body, out var read, out var error), error?.ToString());
        Assert.Equal(package, read);
        // The same package through the XML codec (no binary AAuthData: XML carries Data as text).
        var textOnly = Sample();
        var xml = SyncMlXml.Write(SyncMlWbxml.Parse(BootstrapPackageBuilder.Build(textOnly)));
        Assert.True(BootstrapPackageReader.TryRead(SyncMlXml.Parse(xml), out var fromXml, out _));
        Assert.Equal(textOnly, fromXml);
    }

    [Fact]
    public void Built_message_is_a_dm_message_from_the_server_to_the_device_with_adds_only_and_Final()
    {
        var message = BootstrapPackageBuilder.ToMessage(Sample());
        Assert.Equal("IMEI:490154203237518", message.Header.Target.LocUri);
        Assert.Equal("m2msec-dm", message.Header.Source.LocUri);
        Assert.Equal(("1A2B", "1", "DM/1.2"), (message.Header.SessionId, message.Header.MsgId, message.Header.VerProto));
        Assert.Null(message.Header.Cred);
        Assert.True(message.Final);
        Assert.All(message.Commands, c => Assert.IsType<AddCommand>(c));
        var uris = message.Commands.Cast<AddCommand>().Select(a => a.Items.Single().Target!.LocUri).ToList();
        Assert.Equal("./DMAcc/m2msec-dm", uris[0]);
        Assert.Contains("./DMAcc/m2msec-dm/AppAddr/1/Addr", uris);
        Assert.Contains("./DMAcc/m2msec-dm/AppAuth/CLCRED/AAuthSecret", uris);
        Assert.Equal(uris.Count, uris.Distinct().Count());
    }

    [Fact]
    public void Wbxml_reencodes_byte_for_byte()
    {
        var body = BootstrapPackageBuilder.Build(Sample(nonce: [9, 8, 7]));
        Assert.Equal(body, SyncMlWbxml.Write(SyncMlWbxml.Parse(body)));
    }

    [Fact]
    public void Netwpin_and_userpin_macs_over_a_built_package_use_the_vectors_keys()
    {
        var body = BootstrapPackageBuilder.Build(Sample());
        // NETWPIN vector 3 key: the IMSI in GSM 11.11 semi-octets (BootstrapMacTests).
        var netwpin = BootstrapAuthenticator.ComputeMac(BootstrapSecMethod.NetwPin, Imsi, null, body);
        Assert.Equal(BootstrapMac.ComputeHex(Convert.FromHexString("0910101032547698"), body), netwpin);
        Assert.Equal(BootstrapVerifyResult.Ok, BootstrapAuthenticator.Verify(BootstrapSecMethod.NetwPin, Imsi, null, body, netwpin));
        Assert.Equal(BootstrapVerifyResult.MacMismatch, BootstrapAuthenticator.Verify(BootstrapSecMethod.NetwPin, "001010123456788", null, body, netwpin));

        var userpin = BootstrapAuthenticator.ComputeMac(BootstrapSecMethod.UserPin, null, "1234", body);
        Assert.Equal(BootstrapMac.ComputeHex("1234"u8, body), userpin);
        Assert.Equal(BootstrapVerifyResult.Ok, BootstrapAuthenticator.Verify(BootstrapSecMethod.UserPin, null, "1234", body, userpin));
        Assert.Equal(BootstrapVerifyResult.MacMismatch, BootstrapAuthenticator.Verify(BootstrapSecMethod.UserPin, null, "1234", body[..^1], userpin));
    }

    [Fact]
    public void Keyed_method_takes_the_key_as_a_parameter_and_refuses_short_keys()
    {
        var body = BootstrapPackageBuilder.Build(Sample());
        var key = Enumerable.Range(0, 32).Select(i => (byte)i).ToArray();
        var mac = BootstrapAuthenticator.ComputeMacWithKey(key, body);
        Assert.Equal(BootstrapMac.ComputeHex(key, body), mac);
        Assert.Equal(BootstrapVerifyResult.Ok, BootstrapAuthenticator.VerifyWithKey(key, body, mac));
        Assert.Equal(BootstrapVerifyResult.MacMismatch, BootstrapAuthenticator.VerifyWithKey(Enumerable.Reverse(key).ToArray(), body, mac));
        Assert.Equal(BootstrapVerifyResult.MissingMac, BootstrapAuthenticator.VerifyWithKey(key, body, null));
        Assert.Equal(BootstrapVerifyResult.InvalidKey, BootstrapAuthenticator.VerifyWithKey(key[..15], body, mac));
        Assert.Throws<ArgumentException>(() => BootstrapAuthenticator.ComputeMacWithKey(key[..15], body));
    }

    [Fact]
    public void Truncated_or_garbage_wbxml_is_Malformed_with_the_codec_error()
    {
        var body = BootstrapPackageBuilder.Build(Sample());
        foreach (var bad in new[] { body[..(body.Length / 2)], body[..^1], [], "<SyncML/>"u8.ToArray() })
        {
            Assert.False(BootstrapPackageReader.TryRead(bad, out _, out var error));
            Assert.Equal(BootstrapErrorReason.Malformed, error.Reason);
            Assert.NotNull(error.SyncMl);
        }
    }

    public static TheoryData<string, string, BootstrapErrorReason> Edits => new()
    {
        { "drop", "./DMAcc/m2msec-dm/ServerID", BootstrapErrorReason.MissingNode },
        { "drop", "./DMAcc/m2msec-dm/AppAddr/1/Addr", BootstrapErrorReason.MissingNode },
        { "drop", "./DMAcc/m2msec-dm/AppAuth/SRVCRED/AAuthSecret", BootstrapErrorReason.MissingNode },
        { "drop", "./DMAcc/m2msec-dm/AppAddr/1", BootstrapErrorReason.MissingNode },
        { "format:int", "./DMAcc/m2msec-dm/ServerID", BootstrapErrorReason.WrongFormat },
        { "format:chr", "./DMAcc/m2msec-dm/AppAuth", BootstrapErrorReason.WrongFormat },
        { "format:node", "./DMAcc/m2msec-dm/AppAddr/1/Addr", BootstrapErrorReason.WrongFormat },
        { "format:bogus", "./DMAcc/m2msec-dm/Name", BootstrapErrorReason.WrongFormat },
        { "value:w5", "./DMAcc/m2msec-dm/AppID", BootstrapErrorReason.InvalidValue },
        { "value:IPv4", "./DMAcc/m2msec-dm/AppAddr/1/AddrType", BootstrapErrorReason.InvalidValue },
        { "value:X509", "./DMAcc/m2msec-dm/AppAuth/CLCRED/AAuthType", BootstrapErrorReason.InvalidValue },
        { "value:OBEX", "./DMAcc/m2msec-dm/AppAuth/CLCRED/AAuthLevel", BootstrapErrorReason.InvalidValue },
        { "value:ftp://x/", "./DMAcc/m2msec-dm/AppAddr/1/Addr", BootstrapErrorReason.InvalidValue },
        { "value:other-server", "./DMAcc/m2msec-dm/ServerID", BootstrapErrorReason.InvalidValue },
        { "value:", "./DMAcc/m2msec-dm/AppAuth/SRVCRED/AAuthSecret", BootstrapErrorReason.InvalidValue },
        { "add", "./DMAcc/m2msec-dm/AppAddr/1/Port", BootstrapErrorReason.UnknownNode },
        { "add", "./DMAcc/m2msec-dm/AppAddr/2", BootstrapErrorReason.UnknownNode },
        { "add", "./DMAcc/other/ServerID", BootstrapErrorReason.UnknownNode },
        { "add", "./DevInfo/Ext", BootstrapErrorReason.UnknownNode },
        { "twice", "./DMAcc/m2msec-dm/ServerID", BootstrapErrorReason.DuplicateNode },
        { "replace", "./DMAcc/m2msec-dm/Name", BootstrapErrorReason.UnexpectedCommand },
    };

    [Theory]
    [MemberData(nameof(Edits))]
    public void Malformed_packages_give_a_typed_error(string edit, string uri, BootstrapErrorReason expected)
    {
        var message = Edit(BootstrapPackageBuilder.ToMessage(Sample()), edit, uri);
        Assert.False(BootstrapPackageReader.TryRead(SyncMlWbxml.Write(message), out _, out var error));
        Assert.Equal(expected, error.Reason);
    }

    [Fact]
    public void Source_other_than_ServerID_no_Final_and_no_DMAcc_are_refused()
    {
        var message = BootstrapPackageBuilder.ToMessage(Sample());
        Assert.False(BootstrapPackageReader.TryRead(message with { Header = message.Header with { Source = new SyncMlLocation("evil") } }, out _, out var e1));
        Assert.Equal(BootstrapErrorReason.InvalidValue, e1.Reason);
        Assert.False(BootstrapPackageReader.TryRead(message with { Final = false }, out _, out var e2));
        Assert.Equal(BootstrapErrorReason.Malformed, e2.Reason);
        Assert.False(BootstrapPackageReader.TryRead(message with { Commands = [] }, out _, out var e3));
        Assert.Equal(BootstrapErrorReason.MissingNode, e3.Reason);
    }

    [Fact]
    public void Builder_refuses_unusable_accounts()
    {
        var good = Sample();
        Assert.Throws<ArgumentException>(() => BootstrapPackageBuilder.Build(good with { Account = good.Account with { ServerId = "a/b" } }));
        Assert.Throws<ArgumentException>(() => BootstrapPackageBuilder.Build(good with { Account = good.Account with { Addr = new Uri("ftp://x/") } }));
        Assert.Throws<ArgumentException>(() => BootstrapPackageBuilder.Build(good with { Account = good.Account with { ClientCredential = good.Account.ClientCredential with { Secret = "" } } }));
        Assert.DoesNotContain("client-secret", good.Account.ClientCredential.ToString(), StringComparison.Ordinal);
    }

    private static SyncMlMessage Edit(SyncMlMessage message, string edit, string uri)
    {
        var adds = message.Commands.Cast<AddCommand>().ToList();
        var at = adds.FindIndex(a => a.Items[0].Target!.LocUri == uri);
        var colon = edit.IndexOf(':', StringComparison.Ordinal);
        var (verb, arg) = colon < 0 ? (edit, "") : (edit[..colon], edit[(colon + 1)..]);
        switch (verb)
        {
            case "drop":
                adds.RemoveAt(at);
                break;
            case "format":
                adds[at] = adds[at] with { Items = [adds[at].Items[0] with { Meta = new SyncMlMeta { Format = arg } }] };
                break;
            case "value":
                adds[at] = adds[at] with { Items = [adds[at].Items[0] with { Data = arg }] };
                break;
            case "add":
                adds.Add(new AddCommand { CmdId = "99", Items = [new SyncMlItem { Target = new SyncMlLocation(uri), Meta = new SyncMlMeta { Format = "chr" }, Data = "x" }] });
                break;
            case "twice":
                adds.Add(adds[at] with { CmdId = "99" });
                break;
            case "replace":
                return message with { Commands = [.. adds.Select((a, i) => i == at ? (SyncMlCommand)new ReplaceCommand { CmdId = a.CmdId, Items = a.Items } : a)] };
        }

        return message with { Commands = [.. adds] };
    }
}
