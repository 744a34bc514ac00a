using System.Collections;
using System.Runtime.CompilerServices;

namespace M2MSec.Dm.SyncMl;

/// <summary>An immutable list with value equality, so that the SyncML records compare by content.</summary>
[CollectionBuilder(typeof(EquatableList), nameof(EquatableList.Create))]
public sealed class EquatableList<T> : IReadOnlyList<T>, IEquatable<EquatableList<T>>
{
    private readonly T[] _items;

    public static EquatableList<T> Empty { get; } = new([]);

    internal EquatableList(T[] items) => _items = items;

    public int Count => _items.Length;

    public T this[int index] => _items[index];

    public IEnumerator<T> GetEnumerator() => ((IEnumerable<T>)_items).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => _items.GetEnumerator();

    public bool Equals(EquatableList<T>? other) =>
        other is not null && _items.AsSpan().SequenceEqual(other._items, EqualityComparer<T>.Default);

    public override bool Equals(object? obj) => Equals(obj as EquatableList<T>);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (var item in _items)
            hash.Add(item);
        return hash.ToHashCode();
    }

    public override string ToString() => $"[{string.Join(", ", _items)}]";
}

/// <summary>Builders for <see cref="EquatableList{T}"/> (collection expressions use <see cref="Create{T}"/>).</summary>
public static class EquatableList
{
    public static EquatableList<T> Create<T>(ReadOnlySpan<T> items) =>
        items.IsEmpty ? EquatableList<T>.Empty : new EquatableList<T>(items.ToArray());

    public static EquatableList<T> ToEquatableList<T>(this IEnumerable<T> items) => Create<T>([.. items]);

    /// <summary>From a list: one copy of its items (the enumerable form copies twice).</summary>
    public static EquatableList<T> ToEquatableList<T>(this List<T> items) =>
        items is null ? throw new ArgumentNullException(nameof(items)) : items.Count == 0 ? EquatableList<T>.Empty : new EquatableList<T>([.. items]);
}
