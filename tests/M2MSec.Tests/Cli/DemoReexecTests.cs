using System.Collections;
using System.Text;
using M2MSec.Cli.Demo;

namespace M2MSec.Tests.Cli;

/// <summary>
/// Decision 054: `m2msec demo` replaces its process once with tiered PGO off — only for the demo, never twice, never against a setting
/// the user made, with its own command line and environment intact.
/// </summary>
public sealed class DemoReexecTests
{
    [Theory]
    [InlineData(new[] { "demo" }, true)]
    [InlineData(new[] { "demo", "--devices", "10" }, true)]
    [InlineData(new[] { "serve", "all" }, false)]
    [InlineData(new[] { "bench", "ocsp" }, false)]
    [InlineData(new[] { "--version" }, false)]
    [InlineData(new string[0], false)]
    public void ShouldReplace_OnlyTheDemo(string[] args, bool expected) =>
        Assert.Equal(expected, DemoReexec.ShouldReplace(args, new Hashtable { ["PATH"] = "/usr/bin" }));

    [Theory]
    [InlineData(DemoReexec.Marker)]
    [InlineData("DOTNET_TieredPGO")]
    [InlineData("COMPlus_TieredPGO")]
    public void ShouldReplace_NotTwice_NorAgainstTheUsersSetting(string variable) =>
        Assert.False(DemoReexec.ShouldReplace(["demo"], new Hashtable { [variable] = "1" }));

    [Fact]
    public void CommandLine_EachArgumentEndsWithNul_EmptyAndUtf8ArgumentsKept()
    {
        var cmdline = Encoding.UTF8.GetBytes("/usr/bin/dotnet\0m2msec.dll\0demo\0--data\0/tmp/dätä dir\0\0");
        Assert.Equal(["/usr/bin/dotnet", "m2msec.dll", "demo", "--data", "/tmp/dätä dir", ""], DemoReexec.CommandLine(cmdline));
        Assert.Empty(DemoReexec.CommandLine([]));
    }

    [Fact]
    public void Environment_KeepsEveryVariable_AddsPgoOffAndTheMarker()
    {
        var env = DemoReexec.EnvironmentFor(new Hashtable { ["HOME"] = "/home/u", ["M2MSEC_KEK"] = "file:/k" });
        Assert.Contains("HOME=/home/u", env);
        Assert.Contains("M2MSEC_KEK=file:/k", env);
        Assert.Contains("DOTNET_TieredPGO=0", env);
        Assert.Contains(DemoReexec.Marker + "=tiered-pgo-off", env);
        Assert.Equal(4, env.Length);
    }

    [Fact]
    public void Environment_ForStageCosts_IdleWorkersDoNotSpin_UnlessTheUserSaidOtherwise()
    {
        var env = DemoReexec.EnvironmentFor(new Hashtable { ["HOME"] = "/home/u" }, stageCosts: true);
        Assert.Contains("DOTNET_ThreadPool_UnfairSemaphoreSpinLimit=0", env);
        Assert.Equal(4, env.Length);
        var own = DemoReexec.EnvironmentFor(new Hashtable { ["DOTNET_ThreadPool_UnfairSemaphoreSpinLimit"] = "40" }, stageCosts: true);
        Assert.Equal(["DOTNET_ThreadPool_UnfairSemaphoreSpinLimit=40"], own.Where(e => e.StartsWith("DOTNET_ThreadPool", StringComparison.Ordinal)));
        Assert.DoesNotContain(DemoReexec.EnvironmentFor(new Hashtable(), stageCosts: false), e => e.StartsWith("DOTNET_ThreadPool", StringComparison.Ordinal));
    }

    [Fact]
    public void ExecutablePath_TheExecutablesOwnPath_SoTheProcessKeepsItsName_ProcSelfExeWithoutIt()
    {
        var file = Path.GetTempFileName();
        try
        {
            Assert.Equal(file, DemoReexec.ExecutablePath(file));
            Assert.Equal("/proc/self/exe", DemoReexec.ExecutablePath(null));
            Assert.Equal("/proc/self/exe", DemoReexec.ExecutablePath(""));
            Assert.Equal("/proc/self/exe", DemoReexec.ExecutablePath(file + ".gone"));
        }
        finally
        {
            File.Delete(file);
        }
    }
}
