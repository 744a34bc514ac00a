using M2MSec.Cli;
using M2MSec.Cli.Internal;

namespace M2MSec.Tests.Support;

/// <summary>Runs the m2msec CLI in-process and captures what it prints.</summary>
internal static class CliRunner
{
    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await M2MSecCli.RunAsync(args, output, error, TestContext.Current.CancellationToken);
        return (code, output.ToString(), error.ToString());
    }

    /// <summary>As <see cref="RunAsync"/>, with <paramref name="stdin"/> as standard input.</summary>
    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunWithInputAsync(string stdin, params string[] args)
    {
        using var input = new StringReader(stdin);
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await M2MSecCli.RunAsync(args, input, output, error, TestContext.Current.CancellationToken);
        return (code, output.ToString(), error.ToString());
    }

    /// <summary>Runs with these environment variables (null = unset) in place of the process's, e.g. <see cref="TestHome.Fresh"/>.</summary>
    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunInHomeAsync(IReadOnlyDictionary<string, string?> environment, params string[] args)
    {
        using (CliDefaults.WithEnvironment(environment))
            return await RunAsync(args);
    }
}
