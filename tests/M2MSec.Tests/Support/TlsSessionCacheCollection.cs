namespace M2MSec.Tests.Support;

/// <summary>
/// Tests that count resumed TLS handshakes to "localhost": .NET's client session cache is
/// process-wide and keyed by host name only, so two such tests running at once would hand each
/// other's tickets to their servers. They run one after the other.
/// </summary>
[CollectionDefinition(Name)]
public sealed class TlsSessionCacheCollection
{
    public const string Name = "TLS client session cache";
}
