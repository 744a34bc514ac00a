using System.Net;
using M2MSec.Tests.Support;

namespace M2MSec.Tests.Provisioning;

/// <summary>Issue 15: network functions as separate processes under one operator hierarchy, mutual TLS between them.</summary>
public sealed class ProcessFleetTests
{
    [Fact]
    public async Task SeparateProcesses_ReachEachOther_OverMutualTls_AndTheAdministratorWithTheWrittenCredentials()
    {
        var ct = TestContext.Current.CancellationToken;
        var dir = Directory.CreateTempSubdirectory("m2msec-procfleet-").FullName;
        try
        {
            await using var fleet = await ProcessFleet.StartAsync(dir, ["ocsp", "hss"], ct);
            var endpoints = System.Text.Json.JsonSerializer.Deserialize<Dictionary<string, string>>(await File.ReadAllTextAsync(fleet.EndpointsFile, ct))!;
            var admin = M2MSec.NetworkFunctions.Hosting.AdminCredentials.Load(dir);
            using var http = admin.CreateClient(new Uri(endpoints["hss"]), TimeSpan.FromSeconds(30));
            var added = await http.PostAsync("subscribers", new StringContent("""{"imsi":"001010000000001","k":"000102030405060708090a0b0c0d0e0f","opc":"000102030405060708090a0b0c0d0e0f"}""",
                System.Text.Encoding.UTF8, "application/json"), ct);
            Assert.Equal(HttpStatusCode.Created, added.StatusCode);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
