using System.Reflection.PortableExecutable;
using M2MSec.Tests.Support;

namespace M2MSec.Tests.Cli;

/// <summary>
/// Decision 042: the Release build of the CLI (the README's `dotnet run -c Release`) carries ReadyToRun code for its own assembly and
/// the ones it copies to bin/, each keeping its IL; a Debug build is IL only. Decision 051: each image also holds CoreLib's generic code
/// over its own types (the async method builders of its async methods), marked so that the runtime looks there.
/// </summary>
public sealed class ReadyToRunBuildTests
{
#if DEBUG
    private const string Configuration = "Debug";
    private const bool Release = false;
#else
    private const string Configuration = "Release";
    private const bool Release = true;
#endif

    [Theory]
    [InlineData("m2msec.dll")]
    [InlineData("M2MSec.NetworkFunctions.dll")]
    [InlineData("M2MSec.Pki.dll")]
    [InlineData("BouncyCastle.Cryptography.dll")]
    public void CliOutput_HasReadyToRunCodeInRelease_ILKept_Decision042(string file)
    {
        var readyToRun = Release;
        var path = Path.Combine(RepositoryPaths.Root(), "src", "M2MSec.Cli", "bin", Configuration, "net10.0", file);
        using var pe = new PEReader(File.OpenRead(path));

        Assert.NotNull(pe.PEHeaders.CorHeader); // IL and metadata still there: any runtime can JIT it
        Assert.True(pe.HasMetadata);
        Assert.Equal(readyToRun, pe.PEHeaders.CorHeader!.ManagedNativeHeaderDirectory.Size > 0); // the READYTORUN_HEADER
        if (!readyToRun)
            return;
        // READYTORUN_HEADER (docs/design/coreclr/botr/readytorun-format.md): Signature 'RTR', MajorVersion, MinorVersion, Flags.
        var header = pe.GetSectionData(pe.PEHeaders.CorHeader.ManagedNativeHeaderDirectory.RelativeVirtualAddress).GetReader();
        Assert.Equal(0x00525452u, header.ReadUInt32());
        header.ReadUInt16();
        header.ReadUInt16();
        const uint unrelatedR2RCode = 0x80; // READYTORUN_FLAG_UNRELATED_R2R_CODE: generic code whose definition lives in another module
        Assert.True((header.ReadUInt32() & unrelatedR2RCode) != 0, $"{file}: no CoreLib generics compiled in (decision 051)");
    }

    /// <summary>
    /// Decision 064: the tests' own bin/ — the test host, and every `m2msec` process the tests start from it (`dotnet bin/…/m2msec.dll
    /// serve …`) — holds the CLI's ReadyToRun images of the product's assemblies, byte for byte; the test frameworks, which the CLI never
    /// compiles, stay IL. Before it those processes JIT-compiled every M2MSec library and package (≈ 30 % of their CPU).
    /// </summary>
    [Theory]
    [InlineData("M2MSec.NetworkFunctions.dll", true)]
    [InlineData("M2MSec.Device.dll", true)]
    [InlineData("BouncyCastle.Cryptography.dll", true)]
    [InlineData("Npgsql.dll", true)]
    [InlineData("xunit.v3.core.dll", false)]
    public void TestOutput_HoldsTheCliImages_TheTestFrameworksStayIL_Decision064(string file, bool compiledByTheCli)
    {
        var readyToRun = Release && compiledByTheCli;
        var path = Path.Combine(AppContext.BaseDirectory, file);
        using (var pe = new PEReader(File.OpenRead(path)))
        {
            Assert.True(pe.HasMetadata);
            Assert.Equal(readyToRun, pe.PEHeaders.CorHeader!.ManagedNativeHeaderDirectory.Size > 0);
        }
        if (readyToRun)
            Assert.Equal(File.ReadAllBytes(Path.Combine(RepositoryPaths.Root(), "src", "M2MSec.Cli", "bin", Configuration, "net10.0", file)), File.ReadAllBytes(path));
    }
}
