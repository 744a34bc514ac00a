using System.Collections.Immutable;

namespace M2MSec.Nas;

/// <summary>A NAS configuration value that breaks a rule of TS 24.368; nothing is encoded or applied.</summary>
public sealed class NasConfigurationException(string message) : ArgumentException(message);

/// <summary>
/// The MTC NAS configuration of a device (TS 24.368 §5): a set of parameter values, each within
/// its range. Immutable; every way in (constructor, MO leaves, EF_NASCONFIG) validates, so a value
/// out of range is refused before any encoding.
/// </summary>
public sealed class NasConfiguration : IEquatable<NasConfiguration>
{
    private readonly ImmutableSortedDictionary<byte, int> _values;

    private NasConfiguration(ImmutableSortedDictionary<byte, int> values) => _values = values;

    public static NasConfiguration Empty { get; } = new(ImmutableSortedDictionary<byte, int>.Empty);

    /// <summary>The parameters that are set, with their values, in tag order.</summary>
    public IEnumerable<(NasParameter Parameter, int Value)> Values => _values.Select(v => (NasParameters.ByTag(v.Key)!, v.Value));

    public int? this[NasParameter parameter] => _values.TryGetValue(parameter.Tag, out var v) ? v : null;

    public int Count => _values.Count;

    /// <summary>Returns a configuration with <paramref name="parameter"/> set; throws if out of range.</summary>
    public NasConfiguration With(NasParameter parameter, int value)
    {
        ArgumentNullException.ThrowIfNull(parameter);
        if (!parameter.Allows(value))
            throw new NasConfigurationException($"{parameter.Leaf}: {value} is out of range {parameter.Min}..{parameter.Max} ({parameter.Clause})");
        return Checked(new NasConfiguration(_values.SetItem(parameter.Tag, value)));
    }

    public NasConfiguration With(NasParameter parameter, bool value) => With(parameter, value ? 1 : 0);

    public NasConfiguration Without(NasParameter parameter) => new(_values.Remove(parameter.Tag));

    /// <summary>
    /// TS 24.368 §5.9/§5.10: Override_NAS_SignallingLowPriority and Override_ExtendedAccessBarring
    /// shall be set to the same value.
    /// </summary>
    private static NasConfiguration Checked(NasConfiguration c)
    {
        if (c[NasParameters.OverrideNasSignallingLowPriority] is { } a && c[NasParameters.OverrideExtendedAccessBarring] is { } b && a != b)
            throw new NasConfigurationException("Override_NAS_SignallingLowPriority and Override_ExtendedAccessBarring must have the same value (TS 24.368 §5.9, §5.10)");
        return c;
    }

    public bool Equals(NasConfiguration? other) => other is not null && _values.SequenceEqual(other._values);

    public override bool Equals(object? obj) => Equals(obj as NasConfiguration);

    public override int GetHashCode() => _values.Aggregate(0, (h, v) => HashCode.Combine(h, v.Key, v.Value));

    public override string ToString() => string.Join(", ", Values.Select(v => $"{v.Parameter.Leaf}={v.Value}"));
}
