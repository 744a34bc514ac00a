using System.CommandLine;
using System.Net;
using System.Text;
using System.Text.Json;
using M2MSec.Cli.Internal;
using M2MSec.NetworkFunctions.Hosting;

namespace M2MSec.Cli.Commands;

/// <summary>
/// `m2msec ota job add|show`: the OTA server's jobs API (POST /jobs, GET /jobs/{id}) from the command line, as an
/// administrator: with --cert/--key/--trust-root over mutual TLS, without them over plain HTTP (a `serve ota --no-tls`
/// on loopback). Issue 14 item 9.
/// </summary>
internal static class OtaJobCommand
{
    public static Command Create()
    {
        var job = new Command("job", "OTA jobs on a running OTA server (its administrative API)");
        job.Subcommands.Add(Add());
        job.Subcommands.Add(Show());
        return job;
    }

    private sealed class Peer
    {
        public Option<string> Server { get; } = CliArgs.Text("--server", "the OTA server's base URL, e.g. https://127.0.0.1:8443", "a URL");
        public Option<string> Cert { get; } = CliArgs.ExistingFile("--cert", "administrator certificate for mutual TLS (PEM, profile admin)");
        public Option<string> Key { get; } = CliArgs.ExistingFile("--key", "its private key (PEM)");
        public Option<string> TrustRoot { get; } = CliArgs.ExistingFile("--trust-root", "the root the server's certificate must chain to (PEM)");
        public Option<bool> Json { get; } = CliArgs.Flag("--json", "print the job as one JSON object (snake_case fields)");

        public void AddTo(Command c)
        {
            foreach (var o in new Option[] { Server, Cert, Key, TrustRoot, Json })
                c.Options.Add(o);
            CliArgs.Required(c, Server);
            c.Validators.Add(r =>
            {
                if (r.GetValue(Server) is { } s && !(Uri.TryCreate(s, UriKind.Absolute, out var u) && u.Scheme is "http" or "https"))
                    r.AddError($"--server: expected an http or https URL, got '{s}'");
                var given = new Option[] { Cert, Key, TrustRoot }.Count(o => r.GetResult(o) is not null);
                if (given is not (0 or 3))
                    r.AddError("--cert/--key/--trust-root: expected all three (mutual TLS) or none");
            });
        }

        /// <summary>Sends the request; the job JSON on success, else exit 1 (TLS refused), 2 (the server's 4xx problem detail), 4 (unreachable).</summary>
        public async Task<int> SendAsync(ParseResult r, Func<HttpClient, Task<HttpResponseMessage>> send, CancellationToken ct)
        {
            var server = r.GetRequiredValue(Server);
            var baseUri = new Uri(server.EndsWith('/') ? server : server + "/");
            using var http = r.GetValue(Cert) is { } certFile
                ? NetworkFunctionTls.Load(certFile, r.GetRequiredValue(Key), null, r.GetRequiredValue(TrustRoot)).CreateClient(baseUri, TimeSpan.FromSeconds(10))
                : new HttpClient { BaseAddress = baseUri, Timeout = TimeSpan.FromSeconds(10) };
            HttpResponseMessage response;
            try
            {
                response = await send(http);
            }
            catch (HttpRequestException e) when (e.HttpRequestError == HttpRequestError.SecureConnectionError && e.InnerException is not IOException) // an EOF or reset: unreachable, exit 4
            {
                throw new CliExitException(ExitCodes.SecurityRefused, $"--server: TLS with {baseUri} refused: its certificate is not trusted by {(r.GetValue(TrustRoot) is null ? "the system's trust store (no --trust-root given)" : "--trust-root")}, or the handshake failed");
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
            {
                throw new CliExitException(ExitCodes.CouldNotRun, $"--server: {baseUri} could not be reached");
            }
            using (response)
            {
                var body = await response.Content.ReadAsStringAsync(ct);
                if (!response.IsSuccessStatusCode)
                {
                    var detail = TryDetail(body) ?? $"HTTP {(int)response.StatusCode}";
                    var code = response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden ? ExitCodes.SecurityRefused
                        : (int)response.StatusCode is >= 400 and < 500 ? ExitCodes.BadArguments : ExitCodes.CouldNotRun;
                    throw new CliExitException(code, $"--server: {baseUri} answered {(int)response.StatusCode}: {detail}");
                }
                JsonElement job;
                try
                {
                    job = JsonDocument.Parse(body).RootElement.Clone();
                }
                catch (JsonException)
                {
                    throw new CliExitException(ExitCodes.CouldNotRun, $"--server: {baseUri} answered with no job (not JSON)");
                }
                if (r.GetValue(Json))
                    r.InvocationConfiguration.Output.WriteLine(JsonSerializer.Serialize(job));
                else
                    CliOutput.Write(r, false, [.. job.EnumerateObject().Select(p => new KeyValuePair<string, object?>(p.Name, Text(p.Value)))]);
                return ExitCodes.Success;
            }
        }

        private static string? TryDetail(string body)
        {
            try
            {
                return JsonDocument.Parse(body).RootElement.TryGetProperty("detail", out var d) && d.ValueKind == JsonValueKind.String ? d.GetString() : null;
            }
            catch (JsonException)
            {
                return null;
            }
        }

        private static string? Text(JsonElement e) => e.ValueKind switch
        {
            JsonValueKind.Null => null,
            JsonValueKind.String => e.GetString(),
            _ => e.GetRawText(),
        };
    }

    private static Command Add()
    {
        var add = new Command("add", "Queue an OTA job (POST /jobs): raw APDUs or NAS configuration values for one card");
        var peer = new Peer();
        var iccid = CliArgs.Text("--iccid", "the card's ICCID", "10 to 20 digits");
        var tar = CliArgs.Hex("--tar", 3, "Toolkit Application Reference of the key set");
        var keyVersion = CliArgs.Int("--key-version", "key set version (TS 102 225), default 1", 1, 15, null);
        var spi = CliArgs.Hex("--spi", 2, "Security Parameter Indicator (default: the server's)");
        var apdus = CliArgs.HexRange("--apdus", 1, 65000, "C-APDUs to run on the card");
        var nas = new Option<string[]>("--nas") { Description = "a TS 24.368 NAS configuration value, LEAF=VALUE (repeatable)", AllowMultipleArgumentsPerToken = false };
        var transport = CliArgs.OneOf("--transport", "how the job reaches the card", ["scp80", "scp81"]);
        var pskIdentity = CliArgs.Text("--psk-identity", "scp81: the card's PSK-TLS identity", "a text");
        peer.AddTo(add);
        foreach (var o in new Option[] { iccid, tar, keyVersion, spi, apdus, nas, transport, pskIdentity })
            add.Options.Add(o);
        CliArgs.Required(add, iccid, tar);
        CliArgs.ExactlyOne(add, apdus, nas);
        add.Validators.Add(r =>
        {
            foreach (var n in r.GetValue(nas) ?? [])
            {
                if (n.IndexOf('=', StringComparison.Ordinal) <= 0)
                    r.AddError($"--nas: expected LEAF=VALUE, got '{n}'");
            }
        });
        add.SetAction((r, ct) =>
        {
            var body = new Dictionary<string, object?>
            {
                ["iccid"] = r.GetRequiredValue(iccid),
                ["tar"] = Convert.ToHexStringLower(r.GetRequiredValue(tar)),
            };
            if (r.GetValue(keyVersion) is > 0 and var kv)
                body["key_version"] = kv;
            if (CliArgs.Optional(r, spi) is { } s)
                body["spi"] = Convert.ToHexStringLower(s);
            if (CliArgs.Optional(r, apdus) is { } a)
                body["apdus"] = Convert.ToHexStringLower(a);
            if (r.GetValue(nas) is { Length: > 0 } leaves)
                body["nas"] = leaves.Select(l => l.Split('=', 2)).ToDictionary(p => p[0], p => p[1], StringComparer.Ordinal);
            if (r.GetValue(transport) is { } t)
                body["transport"] = t.ToLowerInvariant();
            if (r.GetValue(pskIdentity) is { } p)
                body["psk_identity"] = p;
            var json = JsonSerializer.Serialize(body);
            return peer.SendAsync(r, http => http.PostAsync("jobs", new StringContent(json, Encoding.UTF8, "application/json"), ct), ct);
        });
        return add;
    }

    private static Command Show()
    {
        var show = new Command("show", "A job's state, PoR status and response data (GET /jobs/{id})");
        var peer = new Peer();
        var id = CliArgs.Text("--id", "the job id `ota job add` printed", "a job id");
        peer.AddTo(show);
        show.Options.Add(id);
        CliArgs.Required(show, id);
        show.SetAction((r, ct) => peer.SendAsync(r, http => http.GetAsync("jobs/" + Uri.EscapeDataString(r.GetRequiredValue(id)), ct), ct));
        return show;
    }
}
