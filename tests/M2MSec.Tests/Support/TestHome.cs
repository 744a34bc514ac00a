using System.Runtime.CompilerServices;

namespace M2MSec.Tests.Support;

/// <summary>
/// The per-user locations of the CLI's defaults (key ring, fuses) for the whole test run: XDG_CONFIG_HOME and
/// XDG_DATA_HOME point into a temporary directory, and M2MSEC_KEK_FILE / M2MSEC_FUSE_DIR are unset, so that no test —
/// nor a child process it starts — ever reads or writes the real user's ~/.config or ~/.local/share.
/// A test that needs a fresh HOME of its own uses <see cref="CliRunner.RunInHomeAsync"/>.
/// </summary>
internal static class TestHome
{
    public static string Root { get; } = Path.Combine(Path.GetTempPath(), $"m2msec-test-home-{Environment.ProcessId}-{Guid.NewGuid():N}");

    [ModuleInitializer]
    internal static void Initialise()
    {
        Environment.SetEnvironmentVariable("XDG_CONFIG_HOME", Path.Combine(Root, ".config"));
        Environment.SetEnvironmentVariable("XDG_DATA_HOME", Path.Combine(Root, ".local", "share"));
        Environment.SetEnvironmentVariable("M2MSEC_KEK_FILE", null);
        Environment.SetEnvironmentVariable("M2MSEC_FUSE_DIR", null);
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                Directory.Delete(Root, recursive: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Best effort: a temporary directory.
            }
        };
    }

    /// <summary>The variables of a fresh, empty HOME under <paramref name="home"/> (no XDG or M2MSEC variables set).</summary>
    public static Dictionary<string, string?> Fresh(string home) => new(StringComparer.Ordinal)
    {
        ["HOME"] = home,
        ["XDG_CONFIG_HOME"] = null,
        ["XDG_DATA_HOME"] = null,
        ["M2MSEC_KEK_FILE"] = null,
        ["M2MSEC_FUSE_DIR"] = null,
    };
}
