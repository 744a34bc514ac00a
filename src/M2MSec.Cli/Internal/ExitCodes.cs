namespace M2MSec.Cli.Internal;

/// <summary>The exit codes of every m2msec command (a public contract).</summary>
public static class ExitCodes
{
    public const int Success = 0;

    /// <summary>A security check refused something: a MAC, a signature, a certificate, a counter.</summary>
    public const int SecurityRefused = 1;

    /// <summary>Bad arguments; one line on stderr names the argument and what was expected.</summary>
    public const int BadArguments = 2;

    /// <summary>The run completed only in part (e.g. some demo devices did not finish).</summary>
    public const int Partial = 3;

    /// <summary>Could not run here: port, peer, file, lock (e.g. an existing file that cannot be read).</summary>
    public const int CouldNotRun = 4;
}
