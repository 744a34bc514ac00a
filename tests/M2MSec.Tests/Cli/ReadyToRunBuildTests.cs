using System.Reflection.PortableExecutable;
using M2MSec.Tests.Support;

namespace M2MSec.Tests.Cli;

/// <summary>
/// Decision 042: the Release build of the CLI (the README's `dotnet run -c Release`) carries ReadyToRun code for its own assembly and
/// the ones it copies to bin/, each keeping its IL; a Debug build is IL only.
/// </summary>
public sealed class ReadyToRunBuildTests
{
    [Theory]
    [InlineData("m2msec.dll")]
    [InlineData("M2MSec.NetworkFunctions.dll")]
    [InlineData("M2MSec.Pki.dll")]
    [InlineData("BouncyCastle.Cryptography.dll")]
    public void CliOutput_HasReadyToRunCodeInRelease_ILKept_Decision042(string file)
    {
#if DEBUG
        const string configuration = "Debug";
        const bool readyToRun = false;
#else
        const string configuration = "Release";
        const bool readyToRun = true;
#endif
        var path = Path.Combine(RepositoryPaths.Root(), "src", "M2MSec.Cli", "bin", configuration, "net10.0", file);
        using var pe = new PEReader(File.OpenRead(path));

        Assert.NotNull(pe.PEHeaders.CorHeader); // IL and metadata still there: any runtime can JIT it
        Assert.True(pe.HasMetadata);
        Assert.Equal(readyToRun, pe.PEHeaders.CorHeader!.ManagedNativeHeaderDirectory.Size > 0); // the READYTORUN_HEADER
    }
}
