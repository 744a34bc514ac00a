using System.Net;
using System.Text;
using System.Text.Json;
using M2MSec.Tests.Support;

namespace M2MSec.Tests.Hosting;

/// <summary>
/// Issue 14 item 11: every network function serves its OpenAPI document at /openapi/v1.json, generated from its
/// endpoints — request bodies, 2xx responses, RFC 9457 problem schemas for 4xx, and the mutual-TLS requirement on
/// administrative operations — and a body of the wrong JSON shape is a 400 problem naming the field, not an empty 400.
/// </summary>
public sealed class OpenApiDocumentTests : IAsyncLifetime
{
    private static readonly HashSet<string> AdminOperations =
    [
        "POST /subscribers", "GET /subscribers/{imsi}", "POST /auth-vectors", "POST /cards", "POST /jobs", "GET /jobs/{id}",
        "POST /admin/revocations", "POST /admin/certificates",
        // ccif (issue 15/16): the factory line's API.
        "POST /devices", "GET /devices/{pcid}", "POST /devices/{pcid}/revocation", "POST /devices/{pcid}/firmware-updates",
        // hss (issue 16): the SHO retires a moved IMSI.
        "DELETE /subscribers/{imsi}",
        // ccif (issue 16, bulk preparation): the registered PfCs, for SHOs and administrators.
        "GET /pfcs",
        // hss (issue 18): Zh for the BSF, the GUSS for administrators; bsf: Zn for NAFs.
        "POST /zh/gba-vectors", "PUT /subscribers/{imsi}/guss", "GET /subscribers/{imsi}/guss", "POST /zn/naf-keys",
        // dm (issue 20): accounts by bootstrap, their removal, a device's jobs.
        "POST /accounts", "DELETE /accounts/{devId}", "GET /accounts/{devId}/jobs",
    ];

    private readonly string _dir = Path.Combine(Path.GetTempPath(), "m2msec-openapi-" + Guid.NewGuid().ToString("N"));
    private readonly CancellationTokenSource _stop = new();
    private readonly SyncWriter _output = new();
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(20) };
    private Task<int>? _run;
    private Dictionary<string, string> _endpoints = [];

    public async ValueTask InitializeAsync()
    {
        TestKeyRing.CreateIn(Path.GetTempPath(), Path.GetFileName(_dir) + ".kek.json");
        _run = M2MSec.Cli.M2MSecCli.RunAsync(["serve", "all", "--no-tls", "--data", _dir, "--kek-file", _dir + ".kek.json"], _output, _output, _stop.Token);
        var endpoints = Path.Combine(_dir, "endpoints.json");
        for (var i = 0; i < 300 && !_run.IsCompleted && !_output.ToString().Contains("listening on", StringComparison.Ordinal); i++)
            await Task.Delay(100);
        Assert.True(File.Exists(endpoints), _output.ToString());
        _endpoints = JsonSerializer.Deserialize<Dictionary<string, string>>(await File.ReadAllTextAsync(endpoints))!;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_run is not null)
            Assert.Equal(0, await _run);
        _http.Dispose();
        _stop.Dispose();
        _output.Dispose();
        Directory.Delete(_dir, recursive: true);
        File.Delete(_dir + ".kek.json");
        File.Delete(_dir + ".kek.stores.json");
    }

    /// <summary>
    /// Issue 16: `serve all` runs a second SHO with its own HSS; endpoints.json lists them by instance name and each answers as its role
    /// (the second SHO's own IMSI pool, 001 02).
    /// </summary>
    [Fact]
    public async Task ServeAll_ListsTheSecondShoAndItsHss_ByInstanceName_EachAnswersAsItsRole()
    {
        var ct = TestContext.Current.CancellationToken;
        foreach (var (instance, role) in new[] { ("sho-b", "sho"), ("hss-b", "hss") })
        {
            Assert.True(_endpoints.ContainsKey(instance), string.Join(", ", _endpoints.Keys));
            Assert.NotEqual(_endpoints[role], _endpoints[instance]);
            var health = JsonDocument.Parse(await _http.GetStringAsync(new Uri(new Uri(_endpoints[instance]), "/health"), ct)).RootElement;
            Assert.Equal(role, health.GetProperty("role").GetString());
        }
        var list = JsonDocument.Parse(await _http.GetStringAsync(new Uri(new Uri(_endpoints["sho-b"]), "/subscriptions"), ct)).RootElement;
        Assert.Equal("sho-b", list.GetProperty("sho_id").GetString());
        Assert.Equal(1000, list.GetProperty("pool").GetProperty("free").GetInt32());
    }

    [Theory]
    [InlineData("hss", 3)]
    [InlineData("smsc", 3)]
    [InlineData("ota", 3)]
    [InlineData("ocsp", 4)]
    [InlineData("dm", 1)]
    [InlineData("ccif", 5)]
    [InlineData("bsf", 2)]
    public async Task EveryOperation_HasItsBody_A2xx_ProblemSchemasFor4xx_AdminOperationsDeclareMutualTls_UndocumentedApiThreat(string role, int minimumOperations)
    {
        var ct = TestContext.Current.CancellationToken;
        var document = JsonDocument.Parse(await _http.GetStringAsync(new Uri(new Uri(_endpoints[role]), "/openapi/v1.json"), ct)).RootElement;
        Assert.StartsWith("3.", document.GetProperty("openapi").GetString(), StringComparison.Ordinal);
        Assert.Equal("mutualTLS", document.GetProperty("components").GetProperty("securitySchemes").GetProperty("mutualTLS").GetProperty("type").GetString());
        var operations = 0;
        foreach (var path in document.GetProperty("paths").EnumerateObject())
        {
            foreach (var op in path.Value.EnumerateObject().Where(o => o.Name is "get" or "post" or "put" or "delete"))
            {
                var name = $"{op.Name.ToUpperInvariant()} {path.Name}";
                if (path.Name is "/health")
                    continue;
                operations++;
                var operation = op.Value;
                if (op.Name == "post")
                    Assert.True(operation.TryGetProperty("requestBody", out var body) && body.GetProperty("content").EnumerateObject().Any(), name + ": no request body");
                var responses = operation.GetProperty("responses").EnumerateObject().ToList();
                Assert.True(responses.Any(r => r.Name.StartsWith('2')), name + ": no 2xx response");
                foreach (var r in responses.Where(r => r.Name.StartsWith('4')))
                {
                    Assert.True(r.Value.TryGetProperty("content", out var content) && content.TryGetProperty("application/problem+json", out var problem)
                        && problem.TryGetProperty("schema", out _), $"{name}: {r.Name} without a problem-details schema");
                }
                var secured = operation.TryGetProperty("security", out var security)
                    && security.EnumerateArray().Any(s => s.TryGetProperty("mutualTLS", out _));
                Assert.True(AdminOperations.Contains(name) == secured, $"{name}: mutualTLS declared {secured}");
                if (secured)
                    Assert.True(responses.Any(r => r.Name == "403"), name + ": no 403");
            }
        }
        Assert.True(operations >= minimumOperations, $"{role}: {operations} operations");
    }

    [Theory]
    [InlineData("hss", "/subscribers", """{"imsi": 1010123456789, "k": "00112233445566778899aabbccddeeff", "opc": "00112233445566778899aabbccddeeff"}""", "imsi")]
    [InlineData("hss", "/subscribers", """{"imsi": "001010123456789", "seq_he": "many"}""", "seq_he")]
    [InlineData("smsc", "/submit", """{"to": ["a"], "from": "b", "user_data": "00"}""", "to")]
    [InlineData("ota", "/jobs", """{"iccid": 8944, "tar": "b00001", "key_version": 1, "apdus": "00a4000c022fe2"}""", "iccid")]
    [InlineData("ota", "/cards", """{"iccid": "89440000000000000001", "kic": 17}""", "kic")]
    public async Task AWrongJsonShape_Is400WithAProblemNamingTheField_NotAnEmpty400(string role, string path, string json, string field)
    {
        var ct = TestContext.Current.CancellationToken;
        using var content = new StringContent(json, Encoding.UTF8, "application/json");
        using var response = await _http.PostAsync(new Uri(new Uri(_endpoints[role]), path), content, ct);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct)).RootElement;
        Assert.StartsWith(field + ":", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(400, problem.GetProperty("status").GetInt32());
    }
}
