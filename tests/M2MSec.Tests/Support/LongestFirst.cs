using System.Reflection;
using Xunit.Sdk;
using Xunit.v3;

[assembly: TestCollectionOrderer(typeof(M2MSec.Tests.Support.LongestFirstCollectionOrderer))]

namespace M2MSec.Tests.Support;

/// <summary>
/// Marks a test class (or a collection definition) whose tests take long: about <paramref name="seconds"/> in all on the
/// 2-core CI machine. <see cref="LongestFirstCollectionOrderer"/> starts the two longest at once.
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class LongRunningAttribute(int seconds) : Attribute
{
    /// <summary>The collection's approximate duration in seconds.</summary>
    public int Seconds { get; } = seconds;
}

/// <summary>
/// Starts the longest test collections first. xunit's conservative algorithm runs as many collections at once as there are
/// cores, and xunit's default order is random: the kill-and-resume collection (≈ 200 s) began anywhere from the first second
/// to the sixth minute of a 9-minute suite, and when late it ran alone at the end for up to 140 s.
/// </summary>
/// <remarks>
/// xunit 3.2 queues one <c>Task.Run</c> per collection in this order, from a thread-pool thread, and a collection takes a slot
/// when its task reaches xunit's semaphore: the first task is taken at once by an idle worker, the last by the queuing thread
/// itself (its local queue runs newest first), the ones between in either order (seen in trx timelines, 2026-12-07). So the
/// longest collection goes last and the next longest first — both start at once —, the other long ones follow the first.
/// </remarks>
public sealed class LongestFirstCollectionOrderer : ITestCollectionOrderer
{
    /// <inheritdoc/>
    public IReadOnlyCollection<TTestCollection> OrderTestCollections<TTestCollection>(IReadOnlyCollection<TTestCollection> testCollections)
        where TTestCollection : ITestCollection
    {
        var random = DefaultTestCollectionOrderer.Instance.OrderTestCollections(testCollections);
        var order = random.OrderByDescending(c => Seconds(c)).ToList();
        if (order.Count > 1)
        {
            order.Add(order[0]);
            order.RemoveAt(0);
        }
        return order;
    }

    private static int Seconds(ITestCollection collection) =>
        CollectionType(collection)?.GetCustomAttribute<LongRunningAttribute>()?.Seconds ?? 0;

    // A collection per class is named "Test collection for <class> (id: <hash>)"; a defined collection carries its definition's type.
    private static Type? CollectionType(ITestCollection collection)
    {
        if (collection is IXunitTestCollection { CollectionDefinition: { } definition })
            return definition;
        const string Prefix = "Test collection for ";
        var name = collection.TestCollectionDisplayName;
        if (!name.StartsWith(Prefix, StringComparison.Ordinal))
            return null;
        var end = name.IndexOf(" (", Prefix.Length, StringComparison.Ordinal);
        return typeof(LongestFirstCollectionOrderer).Assembly.GetType(end < 0 ? name[Prefix.Length..] : name[Prefix.Length..end]);
    }
}
