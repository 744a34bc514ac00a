using System.Runtime.CompilerServices;

namespace M2MSec.Tests.Support;

/// <summary>
/// The per-user locations of the CLI's defaults (key ring, fuses) for the whole test run: XDG_CONFIG_HOME and
/// XDG_DATA_HOME point into a temporary directory, and M2MSEC_KEK_FILE / M2MSEC_FUSE_DIR are unset, so that no test —
/// nor a child process it starts — ever reads or writes the real user's ~/.config or ~/.local/share.
/// A test that needs a fresh HOME of its own uses <see cref="CliRunner.RunInHomeAsync"/>. Loopback is reached directly, whatever
/// proxy the environment names.
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
        // The tests' servers listen on loopback, which a proxy from the environment must not carry (a machine behind a proxy): in
        // this process as the CLI does, and in the tools it starts (the OpenSSL CLI honours http_proxy and no_proxy).
        M2MSec.Cli.Internal.LoopbackDirect.Install();
        foreach (var name in new[] { "no_proxy", "NO_PROXY" })
            Environment.SetEnvironmentVariable(name, Environment.GetEnvironmentVariable(name) is { Length: > 0 } list ? list + ",127.0.0.1,localhost" : "127.0.0.1,localhost");
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

    /// <summary>A child process's environment set to <see cref="Fresh"/>: its key ring and fuses made under <paramref name="home"/>.</summary>
    public static void UseFresh(System.Diagnostics.ProcessStartInfo child, string home)
    {
        foreach (var (name, value) in Fresh(home))
        {
            if (value is null)
                child.Environment.Remove(name);
            else
                child.Environment[name] = value;
        }
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
