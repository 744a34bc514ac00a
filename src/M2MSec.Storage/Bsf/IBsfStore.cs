using M2MSec.Storage.Audit;

namespace M2MSec.Storage.Bsf;

/// <summary>
/// A Digest AKA challenge the BSF sent (issue 18, TS 33.220 §4.5.2 step 3), named by the nonce's server data: answered at most once,
/// before it expires (docs/decisions/029). XRES and Ks = CK ‖ IK are secrets (wrapped at rest).
/// </summary>
public sealed record BsfChallenge(string Id, string Impi, byte[] Rand, byte[] Xres, byte[] Ks, string GbaType, DateTimeOffset ExpiresAt)
{
    public override string ToString() => $"BsfChallenge {{ {Impi}, {GbaType}, expires {ExpiresAt:O} }}";
}

/// <summary>
/// A bootstrapping context (TS 33.220 §4.5.2 step 6): B-TID, IMPI, RAND, Ks (a secret, wrapped at rest), the GBA type of the GUSS
/// (gba_me, gba_u), when it was made and when the key expires.
/// </summary>
public sealed record BsfBootstrappingContext(string BTid, string Impi, byte[] Rand, byte[] Ks, string GbaType, DateTimeOffset BootstrappedAt, DateTimeOffset ExpiresAt)
{
    public override string ToString() => $"BsfBootstrappingContext {{ {BTid}, {Impi}, {GbaType}, expires {ExpiresAt:O} }}";
}

/// <summary>The BSF's pending challenges and bootstrapping contexts (issue 18; schema v25), shared by every BSF on one database.</summary>
public interface IBsfStore
{
    ValueTask PutChallengeAsync(BsfChallenge challenge, CancellationToken cancellationToken = default);

    /// <summary>Takes the challenge (it is gone afterwards, whatever the answer): null when unknown, already taken or expired.</summary>
    ValueTask<BsfChallenge?> TakeChallengeAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>Stores a context, replacing one of the same B-TID (the same RAND again: never in practice).</summary>
    ValueTask PutContextAsync(BsfBootstrappingContext context, CancellationToken cancellationToken = default);

    /// <summary>As <see cref="PutContextAsync(BsfBootstrappingContext, CancellationToken)"/>, with <paramref name="audit"/> in the same transaction (decision 036).</summary>
    ValueTask PutContextAsync(BsfBootstrappingContext context, AuditRecord audit, CancellationToken cancellationToken = default);

    /// <summary>The context of <paramref name="bTid"/>, expired or not (the caller tells 410 from 200); null when unknown.</summary>
    ValueTask<BsfBootstrappingContext?> FindContextAsync(string bTid, CancellationToken cancellationToken = default);
}

/// <summary>The HSS's GBA User Security Settings (TS 33.220 §4.2.1; issue 18): per IMSI the GBA type the BSF is to run.</summary>
public interface IHssGussStore
{
    ValueTask SetGbaTypeAsync(string imsi, string gbaType, CancellationToken cancellationToken = default);

    /// <summary>The subscriber's GBA type; null when none was set (the HSS then answers gba_me, docs/decisions/029).</summary>
    ValueTask<string?> FindGbaTypeAsync(string imsi, CancellationToken cancellationToken = default);
}
