namespace M2MSec.Storage.MtcIwf;

/// <summary>
/// An MTC server's right to trigger one device (issue 17): the MTC server's id (the CN of its mtc-server certificate), the
/// device's external identifier, and the IMSI it maps to (TS 23.682 §4.5: the MTC-IWF resolves the external id).
/// </summary>
public sealed record MtcIwfGrant(string MtcServer, string ExternalId, string Imsi, string GrantedBy, DateTimeOffset GrantedAt);

/// <summary>The MTC-IWF's authorisation table (issue 17; schema v21).</summary>
public interface IMtcIwfStore
{
    /// <summary>Grants (or re-grants, with a new IMSI) <paramref name="grant"/>.</summary>
    ValueTask GrantAsync(MtcIwfGrant grant, CancellationToken cancellationToken = default);

    ValueTask<MtcIwfGrant?> FindGrantAsync(string mtcServer, string externalId, CancellationToken cancellationToken = default);

    /// <summary>Withdraws a grant; false if there was none.</summary>
    ValueTask<bool> RevokeAsync(string mtcServer, string externalId, CancellationToken cancellationToken = default);

    ValueTask<IReadOnlyList<MtcIwfGrant>> ListGrantsAsync(CancellationToken cancellationToken = default);
}
