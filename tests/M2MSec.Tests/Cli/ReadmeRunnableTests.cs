using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using M2MSec.Cli.Internal;
using M2MSec.Tests.Support;

namespace M2MSec.Tests.Cli;

/// <summary>The documentation's runnable blocks run as written, so they never again show a line that fails.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class CurrentDirectoryCollection
{
    /// <summary>Tests that set the process's current directory run alone.</summary>
    public const string Name = "Current directory";
}

/// <summary>
/// Issue 14 ("Done when"): every fenced block of README.md and docs/cli.md tagged <c>```sh runnable</c>
/// runs line by line, as written, in one fresh directory with a fresh HOME, and each line's exit code
/// is checked (0, or the <c># exit N</c> it states). <c>export NAME=VALUE</c> sets a variable for the
/// following lines; <c>serve …</c> is started, probed on its port and stopped; <c>bench …</c> runs
/// with <c>--seconds 1</c>; the port 8701 is replaced by a free one. Pipes, redirections and other
/// shell syntax are refused, so a block never relies on what the test does not run.
/// </summary>
[Collection(CurrentDirectoryCollection.Name)]
public sealed class ReadmeRunnableTests
{
    private const string ExamplePort = "8701";
    private const int MinimumLines = 20;
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task Every_runnable_line_of_README_and_cli_md_succeeds_as_written_StaleDocumentationThreat()
    {
        var lines = new List<(string Source, int Line, string Text)>();
        foreach (var document in new[] { "README.md", Path.Combine("docs", "cli.md") })
        {
            var found = RunnableLines(Path.Combine(RepositoryPaths.Root(), document)).Select(l => (document, l.Line, l.Text)).ToList();
            Assert.True(found.Count > 0, $"{document} has no `sh runnable` block");
            lines.AddRange(found);
        }
        Assert.True(lines.Count >= MinimumLines, $"only {lines.Count} runnable lines; expected at least {MinimumLines} (was a `sh runnable` tag removed?)");

        var work = Directory.CreateTempSubdirectory("m2msec-readme-");
        var environment = TestHome.Fresh(Path.Combine(work.FullName, "home"));
        var before = Environment.CurrentDirectory;
        var clock = Stopwatch.StartNew();
        try
        {
            Environment.CurrentDirectory = Directory.CreateDirectory(Path.Combine(work.FullName, "cwd")).FullName;
            var port = LoopbackPort.Free().ToString(System.Globalization.CultureInfo.InvariantCulture);
            foreach (var (source, number, text) in lines)
            {
                var where = $"{source}:{number}: {text}";
                var (command, expected) = Split(text);
                var words = Words(command.Replace(ExamplePort, port, StringComparison.Ordinal), where);
                if (words is ["export", var assignment] && assignment.IndexOf('=', StringComparison.Ordinal) is > 0 and var eq)
                {
                    environment[assignment[..eq]] = assignment[(eq + 1)..];
                    continue;
                }
                Assert.True(words.Count > 1 && words[0] == "m2msec", $"{where}: a runnable line is `m2msec …`, `export NAME=VALUE` or a comment");
                var args = words.Skip(1).ToList();
                if (args[0] == "bench" && !args.Contains("--seconds"))
                    args.AddRange(["--seconds", "1"]);
                if (args[0] == "serve")
                    await ServeAndProbeAsync(environment, args, where);
                else
                {
                    var (code, stdout, stderr) = await CliRunner.RunInHomeAsync(environment, [.. args]);
                    Assert.True(code == expected, $"{where}: exit {code}, expected {expected}\n{stdout}\n{stderr}");
                }
            }
        }
        finally
        {
            Environment.CurrentDirectory = before;
            try
            {
                work.Delete(recursive: true);
            }
            catch (IOException)
            {
                // Best effort: a temporary directory.
            }
        }
        Assert.True(clock.Elapsed < Budget, $"the runnable blocks took {clock.Elapsed.TotalSeconds:F0} s (budget {Budget.TotalSeconds} s)");
    }

    [Fact]
    public void Runnable_lines_refuse_shell_syntax_the_test_does_not_run_StaleDocumentationThreat()
    {
        foreach (var bad in new[] { "m2msec kek list | head", "m2msec kek list > out", "m2msec a && m2msec b", "m2msec x $HOME", "m2msec 'open" })
            Assert.ThrowsAny<Exception>(() => Words(bad, bad));
        Assert.Equal(["m2msec", "a b", "c\"d", "e"], Words("m2msec 'a b' \"c\\\"d\" e", "ok"));
        Assert.Equal(("m2msec x", 2), Split("m2msec x   # exit 2"));
        Assert.Equal(("m2msec x", 0), Split("m2msec x  # a comment"));
    }

    /// <summary>Starts a <c>serve</c> line, waits until its port accepts a connection, then stops it.</summary>
    private static async Task ServeAndProbeAsync(Dictionary<string, string?> environment, List<string> args, string where)
    {
        var urls = args.IndexOf("--urls") is >= 0 and var i && i + 1 < args.Count ? args[i + 1] : null;
        Assert.True(urls is not null, $"{where}: a runnable `serve` line names its --urls (so the test can probe it)");
        var uri = new Uri(urls!.Split([';', ','])[0]);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        using var output = new StringWriter();
        using var error = new StringWriter();
        Task<int> served;
        using (CliDefaults.WithEnvironment(environment))
            served = Task.Run(() => M2MSec.Cli.M2MSecCli.RunAsync([.. args], output, error, stop.Token), stop.Token);
        var deadline = Stopwatch.StartNew();
        var up = false;
        while (!up && !served.IsCompleted && deadline.Elapsed < TimeSpan.FromSeconds(30))
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(uri.Host, uri.Port, TestContext.Current.CancellationToken);
                up = true;
            }
            catch (SocketException)
            {
                await Task.Delay(100, TestContext.Current.CancellationToken);
            }
        }
        await stop.CancelAsync();
        var code = await served.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        Assert.True(up, $"{where}: nothing answered on {uri.Host}:{uri.Port} (exit {code})\n{output}\n{error}");
        Assert.True(code == 0, $"{where}: exit {code} after stop\n{output}\n{error}");
    }

    /// <summary>The lines (not blank, not a whole-line comment) of every <c>```sh runnable</c> (or <c>```sh {runnable}</c>) block.</summary>
    private static IEnumerable<(int Line, string Text)> RunnableLines(string path)
    {
        var inBlock = false;
        var number = 0;
        foreach (var raw in File.ReadLines(path))
        {
            number++;
            var line = raw.Trim();
            if (line.StartsWith("```", StringComparison.Ordinal))
            {
                var info = line[3..].Trim();
                inBlock = !inBlock && info is "sh runnable" or "sh {runnable}";
                continue;
            }
            if (inBlock && line.Length > 0 && !line.StartsWith('#'))
                yield return (number, line);
        }
    }

    /// <summary>A line's command and its expected exit code (<c># exit N</c>; any other comment means 0).</summary>
    private static (string Command, int Expected) Split(string line)
    {
        var hash = line.IndexOf(" #", StringComparison.Ordinal);
        if (hash < 0)
            return (line, 0);
        var comment = line[(hash + 2)..].Trim();
        var expected = comment.StartsWith("exit ", StringComparison.Ordinal) ? int.Parse(comment[5..].Trim(), System.Globalization.CultureInfo.InvariantCulture) : 0;
        return (line[..hash].TrimEnd(), expected);
    }

    /// <summary>Splits as a POSIX shell would for plain words and quotes; refuses pipes, redirections, expansions and separators.</summary>
    private static List<string> Words(string command, string where)
    {
        var words = new List<string>();
        var word = new StringBuilder();
        var inWord = false;
        for (var i = 0; i < command.Length; i++)
        {
            var c = command[i];
            switch (c)
            {
                case ' ' or '\t':
                    if (inWord)
                        words.Add(word.ToString());
                    word.Clear();
                    inWord = false;
                    break;
                case '\'':
                    var close = command.IndexOf('\'', i + 1);
                    if (close < 0)
                        throw new FormatException($"{where}: unclosed quote");
                    word.Append(command, i + 1, close - i - 1);
                    i = close;
                    inWord = true;
                    break;
                case '"':
                    for (i++; ; i++)
                    {
                        if (i >= command.Length)
                            throw new FormatException($"{where}: unclosed quote");
                        if (command[i] == '"')
                            break;
                        if (command[i] is '$' or '`')
                            throw new FormatException($"{where}: expansion in a runnable line");
                        if (command[i] == '\\' && i + 1 < command.Length && command[i + 1] is '"' or '\\')
                            i++;
                        word.Append(command[i]);
                    }
                    inWord = true;
                    break;
                case '|' or '>' or '<' or '&' or ';' or '$' or '`' or '(' or ')' or '*' or '?' or '~' or '\\':
                    throw new FormatException($"{where}: `{c}` is shell syntax a runnable line may not use");
                default:
                    word.Append(c);
                    inWord = true;
                    break;
            }
        }
        if (inWord)
            words.Add(word.ToString());
        return words;
    }
}
