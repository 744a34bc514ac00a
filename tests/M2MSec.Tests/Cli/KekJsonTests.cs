using System.Text.Json;
using M2MSec.Tests.Support;

namespace M2MSec.Tests.Cli;

/// <summary>Issue 14 item 5: `kek new|rotate|retire --json` print one snake_case JSON object and never a key.</summary>
public sealed class KekJsonTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("m2msec-kekjson-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static JsonElement Json(string stdout)
    {
        using var document = JsonDocument.Parse(stdout);
        var root = document.RootElement.Clone();
        Assert.All(root.EnumerateObject(), p => Assert.Matches("^[a-z][a-z0-9_]*$", p.Name));
        return root;
    }

    [Fact]
    public async Task KekNewRotateRetire_Json_OneSnakeCaseObject_NoKeyMaterial_MachineReadableOutputItem5()
    {
        var ring = Path.Combine(_dir, "kek.json");
        var created = await CliRunner.RunAsync("kek", "new", "--kek-file", ring, "--json");
        Assert.True(created.ExitCode == 0, created.Stderr);
        var first = Json(created.Stdout).GetProperty("active_key_id").GetString()!;
        Assert.Equal(ring, Json(created.Stdout).GetProperty("kek_file").GetString());

        var rotated = await CliRunner.RunAsync("kek", "rotate", "--kek-file", ring, "--json");
        Assert.True(rotated.ExitCode == 0, rotated.Stderr);
        var rotation = Json(rotated.Stdout);
        var second = rotation.GetProperty("active_key_id").GetString()!;
        Assert.NotEqual(first, second);
        Assert.Equal(new[] { first, second }.Order(StringComparer.Ordinal), rotation.GetProperty("key_ids").EnumerateArray().Select(e => e.GetString()!).Order(StringComparer.Ordinal));

        var retired = await CliRunner.RunAsync("kek", "retire", "--kek-file", ring, "--key-id", first, "--json");
        Assert.True(retired.ExitCode == 0, retired.Stderr);
        var retirement = Json(retired.Stdout);
        Assert.Equal(first, retirement.GetProperty("removed_key_id").GetString());
        Assert.Equal([second], retirement.GetProperty("key_ids").EnumerateArray().Select(e => e.GetString()));

        // The output names keys, never their bytes.
        using var ringJson = JsonDocument.Parse(await File.ReadAllTextAsync(ring, TestContext.Current.CancellationToken));
        var material = ringJson.RootElement.GetProperty("keys").EnumerateArray().Select(k => k.GetProperty("key").GetString()!).ToList();
        Assert.NotEmpty(material);
        foreach (var output in new[] { created.Stdout, rotated.Stdout, retired.Stdout })
            Assert.All(material, key => Assert.DoesNotContain(key, output, StringComparison.Ordinal));
    }
}
