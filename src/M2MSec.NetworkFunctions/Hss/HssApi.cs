namespace M2MSec.NetworkFunctions.Hss;

// The HSS's JSON API (snake_case fields, octet strings in hex). A public contract: scripts use it.

/// <summary>POST /subscribers. Exactly one of <c>op</c> and <c>opc</c>.</summary>
public sealed record AddSubscriberRequest(string? Imsi, string? K, string? Op, string? Opc, string? Amf, ulong? SeqHe);

/// <summary>POST /auth-vectors: like the S6a/SWx authentication information request.</summary>
public sealed record AuthVectorsRequest(string? Imsi, int? Count, string? ServingNetworkId, ResyncInfo? Resync);

/// <summary>Re-synchronisation info: the RAND of the failed challenge and the USIM's AUTS.</summary>
public sealed record ResyncInfo(string? Rand, string? Auts);

public sealed record AuthVectorsResponse(string Imsi, bool Resynchronised, IReadOnlyList<AuthVectorDto> Vectors);

public sealed record AuthVectorDto(string Rand, string Xres, string Autn, string? Ck, string? Ik, string? Kasme);

public sealed record SubscriberStateResponse(string Imsi, ulong SeqHe, int IndHe);

/// <summary>What POST /subscribers answers (201).</summary>
public sealed record SubscriberCreatedResponse(string Imsi);
