using M2MSec.Device.M2me;
using M2MSec.Storage;
using M2MSec.Storage.Security;

namespace M2MSec.Cli.Internal;

/// <summary>
/// The per-user defaults of the key ring and the fuse directory (XDG Base Directory Specification):
/// <c>$XDG_CONFIG_HOME/m2msec/kek.json</c> (default ~/.config) and <c>$XDG_DATA_HOME/m2msec/fuses/</c>
/// (default ~/.local/share), directories 0700 and files 0600, made on first use with one line on stderr.
/// <c>--kek-file</c>/<c>$M2MSEC_KEK_FILE</c> and <c>--fuse-dir</c>/<c>$M2MSEC_FUSE_DIR</c> override them;
/// a key ring named that way must exist (only <c>kek new</c> creates one).
/// </summary>
internal static class CliDefaults
{
    private static readonly AsyncLocal<IReadOnlyDictionary<string, string?>?> Overrides = new();

    /// <summary>An environment variable, as overridden for this async flow (tests run commands with their own HOME).</summary>
    public static string? Env(string name) =>
        Overrides.Value is { } o && o.TryGetValue(name, out var v) ? v : Environment.GetEnvironmentVariable(name);

    /// <summary>Runs with these variables (null = unset) in place of the process's, for the current async flow.</summary>
    public static IDisposable WithEnvironment(IReadOnlyDictionary<string, string?> variables)
    {
        var before = Overrides.Value;
        Overrides.Value = variables;
        return new Restore(() => Overrides.Value = before);
    }

    public static string ConfigDirectory => Path.Combine(XdgHome("XDG_CONFIG_HOME", ".config"), "m2msec");

    public static string DefaultKekFile => Path.Combine(ConfigDirectory, "kek.json");

    public static string DefaultFuseDirectory => Path.Combine(XdgHome("XDG_DATA_HOME", Path.Combine(".local", "share")), "m2msec", "fuses");

    /// <summary>The key ring a command uses and whether it was named (option or variable) rather than defaulted.</summary>
    public static (string Path, bool Named) KekFile(string? option) =>
        (option ?? Env(KeyRing.EnvironmentVariable)) is { Length: > 0 } named ? (CliPaths.FullPath("--kek-file", named), true) : (DefaultKekFile, false);

    /// <summary>The fuse directory a command uses and whether it was named (option or variable) rather than defaulted.</summary>
    public static (string Path, bool Named) FuseDirectory(string? option) =>
        (option ?? Env(M2meDevice.FuseEnvironmentVariable)) is { Length: > 0 } named ? (CliPaths.FullPath("--fuse-dir", named), true) : (DefaultFuseDirectory, false);

    /// <summary>Creates the default key ring if it does not exist yet (directory 0700, file 0600), saying so in one line.</summary>
    public static void EnsureDefaultKeyRing(TextWriter error)
    {
        var path = DefaultKekFile;
        if (File.Exists(path))
            return;
        var created = CliPaths.Guard("--kek-file", path, () =>
        {
            var directory = Path.GetDirectoryName(path)!;
            CreatePrivateDirectory(directory);
            // Made aside and moved in without overwriting: two first commands at once must not leave two different rings.
            var fresh = Path.Combine(directory, $".kek.{Environment.ProcessId}.{Guid.NewGuid():N}.json");
            KeyRing.Open(fresh, createIfMissing: true);
            try
            {
                File.Move(fresh, path, overwrite: false);
                return true;
            }
            catch (IOException) when (File.Exists(path))
            {
                File.Delete(fresh);
                return false;
            }
        });
        if (!created)
            return;
        error.WriteLine($"m2msec: created the key ring {path} (keys of every store's secrets at rest); back it up: without it those secrets are lost");
    }

    /// <summary>Creates the default fuse directory if it does not exist yet (0700), saying so in one line.</summary>
    public static void EnsureDefaultFuseDirectory(TextWriter error)
    {
        var path = DefaultFuseDirectory;
        if (Directory.Exists(path))
            return;
        CliPaths.Guard("--fuse-dir", path, () => CreatePrivateDirectory(path));
        error.WriteLine($"m2msec: created the fuse directory {path} (the emulated fuses of your simulated devices); back it up: without it those devices cannot open their TRE");
    }

    /// <summary>Creates <paramref name="path"/> and any missing parent, each 0700 (owner only).</summary>
    public static void CreatePrivateDirectory(string path)
    {
        if (Directory.Exists(path))
            return;
        if (Path.GetDirectoryName(path) is { } parent)
            CreatePrivateDirectory(parent);
        if (OperatingSystem.IsWindows())
            Directory.CreateDirectory(path);
        else
            Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    /// <summary>Refuses a named key ring that does not exist, or that is not a readable key ring (exit 2 naming --kek-file).</summary>
    public static KeyRing OpenNamedKeyRing(string path)
    {
        CliPaths.Check("--kek-file", path, PathKind.ExistingFile);
        try
        {
            return CliPaths.Guard("--kek-file", path, () => KeyRing.Open(path));
        }
        catch (StoreException e)
        {
            throw CliExitException.Bad($"--kek-file: {e.Message}");
        }
    }

    private static string XdgHome(string variable, string fallbackUnderHome)
    {
        // XDG Base Directory Specification: a relative value is invalid and is ignored.
        if (Env(variable) is { Length: > 0 } xdg && Path.IsPathRooted(xdg))
            return xdg;
        var home = Env("HOME") is { Length: > 0 } h ? h : Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        return Path.Combine(home, fallbackUnderHome);
    }

    private sealed class Restore(Action restore) : IDisposable
    {
        public void Dispose() => restore();
    }
}
