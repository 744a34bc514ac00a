using System.Text;
using M2MSec.Tests.Support;

namespace M2MSec.Tests.Dm.SyncMl;

/// <summary>The libdmclient captures in tests/vectors/syncml (see SOURCES.md there).</summary>
internal static class SyncMlVectors
{
    public static byte[] Bytes(string relative) => File.ReadAllBytes(TestVectors.PathOf(Path.Combine("syncml", relative)));

    /// <summary>The body of a capture: *_client_to_server files start with the HTTP head; the body starts at the first '&lt;'.</summary>
    public static byte[] Body(string relative)
    {
        var bytes = Bytes(relative);
        return bytes.AsSpan().StartsWith("POST "u8) ? bytes[bytes.AsSpan().IndexOf((byte)'<')..] : bytes;
    }

    /// <summary>The WBXML body of an .http-wbxml.bin capture (after the blank line ending the HTTP head).</summary>
    public static byte[] WbxmlBody(string relative)
    {
        var bytes = Bytes(relative);
        return bytes[(bytes.AsSpan().IndexOf("\n\n"u8) + 2)..];
    }

    /// <summary>libwbxml's decodings carry a DOCTYPE that our parser refuses by design: drop that line.</summary>
    public static byte[] WithoutDoctype(byte[] xml)
    {
        var lines = Encoding.UTF8.GetString(xml).Split('\n').Where(l => !l.StartsWith("<!DOCTYPE", StringComparison.Ordinal));
        return Encoding.UTF8.GetBytes(string.Join('\n', lines));
    }

    public static TheoryData<string> AllXmlMessages()
    {
        var data = new TheoryData<string>();
        var root = TestVectors.PathOf("syncml");
        foreach (var file in Directory.GetFiles(root, "*_to_*.xml", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            if (!file.EndsWith(".decoded.xml", StringComparison.Ordinal))
                data.Add(Path.GetRelativePath(root, file).Replace('\\', '/'));
        return data;
    }
}
