namespace M2MSec.Storage.Certificates;

/// <summary>A named certificate hierarchy's settings: the key algorithm of its CAs and the OCSP URL its certificates carry.</summary>
public sealed record PkiHierarchyRecord(string Name, string KeyAlgorithm, string? OcspUrl, DateTimeOffset CreatedAt);
