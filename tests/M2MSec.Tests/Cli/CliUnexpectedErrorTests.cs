using System.CommandLine;
using M2MSec.Cli;

namespace M2MSec.Tests.Cli;

/// <summary>Issue 14 item 6: an unexpected exception is one line `error: Type: message` (exit 1, 4 for I/O); the trace only with --verbose.</summary>
public sealed class CliUnexpectedErrorTests
{
    private static async Task<(int ExitCode, string Stderr)> RunThrowingAsync(Exception fault, params string[] extra)
    {
        var root = M2MSecCli.Build();
        var boom = new Command("boom", "throws");
        Func<ParseResult, int> action = _ => throw fault;
        boom.SetAction(action);
        root.Subcommands.Add(boom);
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await M2MSecCli.RunAsync(root, ["boom", .. extra], null, output, error, TestContext.Current.CancellationToken);
        Assert.Equal("", output.ToString());
        return (code, error.ToString());
    }

    [Fact]
    public async Task UnexpectedException_IsOneLine_WithoutStackTrace_Exit1()
    {
        var (code, stderr) = await RunThrowingAsync(new InvalidOperationException("kaput\nsecond line"));
        Assert.Equal(1, code);
        Assert.Equal("error: InvalidOperationException: kaput", stderr.TrimEnd());
    }

    [Fact]
    public async Task UnexpectedIoException_Exit4_CouldNotRunHere()
    {
        var (code, stderr) = await RunThrowingAsync(new IOException("disk gone"));
        Assert.Equal(4, code);
        Assert.Equal("error: IOException: disk gone", stderr.TrimEnd());
    }

    [Fact]
    public async Task Verbose_ShowsTheStackTrace()
    {
        var (code, stderr) = await RunThrowingAsync(new InvalidOperationException("kaput"), "--verbose");
        Assert.Equal(1, code);
        Assert.Contains("   at ", stderr, StringComparison.Ordinal);
    }
}
