using M2MSec.Storage.Security;

namespace M2MSec.Tests.Support;

/// <summary>
/// Key rings for tests that name one with --kek-file: a named key ring must exist (issue 14 item 1; only `kek new`
/// creates one), as an operator's would after `m2msec kek new`.
/// </summary>
internal static class TestKeyRing
{
    /// <summary>Creates DIRECTORY/NAME as a key ring (if missing) and returns its path.</summary>
    public static string CreateIn(string directory, string name = "kek.json")
    {
        var path = Path.Combine(directory, name);
        if (!File.Exists(path))
            KeyRing.Open(path, createIfMissing: true);
        return path;
    }

    /// <summary>A new temporary directory holding a key ring kek.json.</summary>
    public static string TempDirectory(string prefix)
    {
        var directory = Directory.CreateTempSubdirectory(prefix).FullName;
        CreateIn(directory);
        return directory;
    }
}
