using M2MSec.Tests.Provisioning;
using Xunit.Sdk;

namespace M2MSec.Tests.Support;

/// <summary>The suite's collection order (<see cref="LongestFirstCollectionOrderer"/>): the two longest at the ends, every collection once.</summary>
public sealed class LongestFirstCollectionOrdererTests
{
    [Fact]
    public void LongestLast_NextLongestFirst_EveryCollectionOnce_UnknownNamesKeptAnywhere()
    {
        var kill = Named(typeof(KillAndResumeProvisioningTests));
        var deviceRun = Named(typeof(DeviceRun.DeviceRunTests));
        var signals = Named(typeof(Cli.DemoSignalTests));
        var plain = Enumerable.Range(0, 20).Select(i => Named($"M2MSec.Tests.NoSuchClass{i}")).ToList();
        var other = new FakeCollection("some defined collection");
        FakeCollection[] all = [.. plain, signals, kill, other, deviceRun];

        var order = new LongestFirstCollectionOrderer().OrderTestCollections(all).ToList();

        Assert.Same(kill, order[^1]);
        Assert.Same(deviceRun, order[0]);
        Assert.Same(signals, order[1]);
        Assert.Equal(all.Length, order.Count);
        Assert.Equal(all.ToHashSet(), order.ToHashSet());
    }

    private static FakeCollection Named(Type type) => Named(type.FullName!);

    private static FakeCollection Named(string className) => new($"Test collection for {className} (id: {Guid.NewGuid():N})");

    private sealed class FakeCollection(string displayName) : ITestCollection
    {
        public ITestAssembly TestAssembly => throw new NotSupportedException();

        public string? TestCollectionClassName => null;

        public string TestCollectionDisplayName => displayName;

        public IReadOnlyDictionary<string, IReadOnlyCollection<string>> Traits { get; } = new Dictionary<string, IReadOnlyCollection<string>>();

        public string UniqueID => displayName;
    }
}
