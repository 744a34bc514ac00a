using System.CommandLine;
using System.CommandLine.Parsing;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace M2MSec.Cli.Internal;

/// <summary>What a path option must name (see the factories in <see cref="CliArgs"/>).</summary>
internal enum PathKind
{
    /// <summary>An existing, readable file.</summary>
    ExistingFile,

    /// <summary>An existing directory.</summary>
    ExistingDirectory,

    /// <summary>A file to write: not a directory, in a directory that exists.</summary>
    OutputFile,

    /// <summary>A directory that exists or can be created: not a file, nor below one.</summary>
    Directory,

    /// <summary>An <see cref="OutputFile"/>, or "-" for standard output (as OpenSSL's -out -).</summary>
    OutputFileOrStdout,
}

/// <summary>
/// Ends a command with one line on stderr naming the option, and an exit code: <see cref="ExitCodes.BadArguments"/>
/// for a missing or wrong-kind path or unusable content, <see cref="ExitCodes.CouldNotRun"/> for an I/O failure on an existing one.
/// </summary>
internal sealed class CliExitException(int exitCode, string line) : Exception(line)
{
    public int ExitCode { get; } = exitCode;

    public static CliExitException Bad(string line) => new(ExitCodes.BadArguments, line);
}

/// <summary>
/// Checks path options and reads and writes the files they name, so that no raw .NET exception message reaches the
/// user: every failure is one line naming the option. <see cref="CheckAll"/> runs for every command before its action
/// (<see cref="M2MSecCli.RunAsync(string[], TextReader?, TextWriter?, TextWriter?, CancellationToken)"/>), so a bad path refuses the command before it creates anything.
/// </summary>
internal static class CliPaths
{
    private static readonly ConditionalWeakTable<Option, StrongBox<PathKind>> Kinds = [];

    public static T Register<T>(T option, PathKind kind)
        where T : Option
    {
        Kinds.AddOrUpdate(option, new StrongBox<PathKind>(kind));
        return option;
    }

    /// <summary>Every path option given to the command (and its parents), in order; the first refusal, or null.</summary>
    public static CliExitException? CheckAll(ParseResult parse)
    {
        for (var command = parse.CommandResult; command is not null; command = command.Parent as CommandResult)
        {
            foreach (var option in command.Children.OfType<OptionResult>())
            {
                if (option.Implicit || !Kinds.TryGetValue(option.Option, out var kind))
                    continue;
                foreach (var token in option.Tokens)
                {
                    try
                    {
                        Check(option.Option.Name, token.Value, kind.Value);
                    }
                    catch (CliExitException e)
                    {
                        return e;
                    }
                }
            }
        }
        return null;
    }

    /// <summary>Checks <paramref name="path"/> for <paramref name="option"/>; returns its full path or throws <see cref="CliExitException"/>.</summary>
    public static string Check(string option, string path, PathKind kind)
    {
        if (path == Stdout && kind is PathKind.OutputFileOrStdout)
            return Stdout;
        if (path == Stdout && kind is PathKind.OutputFile)
            throw CliExitException.Bad($"{option}: '-' (standard output) is not supported here, expected a file path");
        var full = FullPath(option, path);
        switch (kind)
        {
            case PathKind.ExistingFile:
                if (System.IO.Directory.Exists(full))
                    throw CliExitException.Bad($"{option}: {full} is a directory, expected a file");
                if (!File.Exists(full))
                    throw CliExitException.Bad($"{option}: {full} does not exist, expected a file");
                Guard(option, full, () =>
                {
                    using var stream = new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1);
                    stream.ReadByte();
                });
                break;
            case PathKind.ExistingDirectory:
                if (File.Exists(full))
                    throw CliExitException.Bad($"{option}: {full} is a file, expected a directory");
                if (!System.IO.Directory.Exists(full))
                    throw CliExitException.Bad($"{option}: {full} does not exist, expected a directory");
                Guard(option, full, () => System.IO.Directory.EnumerateFileSystemEntries(full).Any());
                break;
            case PathKind.OutputFile or PathKind.OutputFileOrStdout:
                if (System.IO.Directory.Exists(full))
                    throw CliExitException.Bad($"{option}: {full} is a directory, expected a file to write");
                var parent = Path.GetDirectoryName(full);
                if (parent is not null && !System.IO.Directory.Exists(parent))
                    throw CliExitException.Bad(File.Exists(parent)
                        ? $"{option}: {parent} is a file, expected the directory of {Path.GetFileName(full)}"
                        : $"{option}: directory {parent} does not exist");
                break;
            case PathKind.Directory:
                if (File.Exists(full))
                    throw CliExitException.Bad($"{option}: {full} is a file, expected a directory");
                for (var up = Path.GetDirectoryName(full); up is not null && !System.IO.Directory.Exists(up); up = Path.GetDirectoryName(up))
                {
                    if (File.Exists(up))
                        throw CliExitException.Bad($"{option}: {up} is a file, so {full} cannot be a directory");
                }
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(kind));
        }
        return full;
    }

    public static string FullPath(string option, string path)
    {
        try
        {
            return Path.GetFullPath(path);
        }
        catch (Exception e) when (e is ArgumentException or PathTooLongException or NotSupportedException)
        {
            throw CliExitException.Bad($"{option}: expected a valid path");
        }
    }

    /// <summary>Runs an I/O operation on <paramref name="path"/>: a failure is exit 4 naming the option, without the runtime's message.</summary>
    public static T Guard<T>(string option, string path, Func<T> io)
    {
        try
        {
            return io();
        }
        catch (UnauthorizedAccessException)
        {
            throw new CliExitException(ExitCodes.CouldNotRun, $"{option}: {path}: permission denied");
        }
        catch (Exception e) when (e is IOException and not FileNotFoundException and not DirectoryNotFoundException)
        {
            throw new CliExitException(ExitCodes.CouldNotRun, $"{option}: {path}: I/O error");
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw CliExitException.Bad($"{option}: {path} does not exist");
        }
    }

    public static void Guard(string option, string path, Action io) => Guard(option, path, () =>
    {
        io();
        return true;
    });

    public static async Task GuardAsync(string option, string path, Func<Task> io)
    {
        try
        {
            await io();
        }
        catch (UnauthorizedAccessException)
        {
            throw new CliExitException(ExitCodes.CouldNotRun, $"{option}: {path}: permission denied");
        }
        catch (Exception e) when (e is DirectoryNotFoundException or FileNotFoundException)
        {
            throw CliExitException.Bad($"{option}: {path}: its directory does not exist");
        }
        catch (IOException)
        {
            throw new CliExitException(ExitCodes.CouldNotRun, $"{option}: {path}: I/O error");
        }
    }

    /// <summary>The path that means standard output for an <see cref="PathKind.OutputFileOrStdout"/> option.</summary>
    public const string Stdout = "-";

    /// <summary>
    /// Writes <paramref name="text"/> to the file <paramref name="option"/> names (with <paramref name="writeFile"/> if given),
    /// or to standard output for "-"; returns the full path, or "-".
    /// </summary>
    public static async Task<string> WriteTextAsync(ParseResult r, string option, string path, string text, CancellationToken ct,
        Func<string, Task>? writeFile = null)
    {
        if (path == Stdout)
        {
            await r.InvocationConfiguration.Output.WriteAsync(text.AsMemory(), ct);
            return Stdout;
        }
        var full = Path.GetFullPath(path);
        await GuardAsync(option, full, () => writeFile is null ? File.WriteAllTextAsync(full, text, ct) : writeFile(full));
        return full;
    }

    public static byte[] ReadAllBytes(string option, string path)
    {
        var full = Check(option, path, PathKind.ExistingFile);
        return Guard(option, full, () => File.ReadAllBytes(full));
    }

    /// <summary>One certificate, PEM or DER.</summary>
    public static X509Certificate2 LoadCertificate(string option, string path)
    {
        var full = Check(option, path, PathKind.ExistingFile);
        return Guard(option, full, () =>
        {
            try
            {
                return X509CertificateLoader.LoadCertificateFromFile(full);
            }
            catch (CryptographicException)
            {
                throw CliExitException.Bad($"{option}: {full} holds no certificate (expected PEM or DER)");
            }
        });
    }

    /// <summary>One or more PEM certificates.</summary>
    public static X509Certificate2Collection LoadPemCertificates(string option, string path)
    {
        var full = Check(option, path, PathKind.ExistingFile);
        var certificates = new X509Certificate2Collection();
        Guard(option, full, () =>
        {
            try
            {
                certificates.ImportFromPemFile(full);
            }
            catch (CryptographicException)
            {
                throw CliExitException.Bad($"{option}: {full} holds a damaged PEM certificate");
            }
        });
        if (certificates.Count == 0)
            throw CliExitException.Bad($"{option}: {full} holds no PEM certificate");
        return certificates;
    }
}
