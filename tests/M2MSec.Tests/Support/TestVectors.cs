using System.Text.Json;

namespace M2MSec.Tests.Support;

/// <summary>Loads known-answer data from tests/vectors (copied next to the test assembly).</summary>
internal static class TestVectors
{
    public static string PathOf(string relative) => Path.Combine(AppContext.BaseDirectory, "vectors", relative);

    public static JsonElement Load(string relative)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(PathOf(relative)));
        return doc.RootElement.Clone();
    }

    public static byte[] Hex(this JsonElement e, string property) => Convert.FromHexString(e.GetProperty(property).GetString()!);
}
