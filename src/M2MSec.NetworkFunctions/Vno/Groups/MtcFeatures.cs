using M2MSec.Storage;

namespace M2MSec.NetworkFunctions.Vno.Groups;

/// <summary>
/// Network access control by MTC feature (TR 33.868 clause 4, issue 17): the serving network keeps the MTC features of each
/// subscription (docs/decisions/028: at the VNO, set by the operator's admin API) and refuses a feature the subscription lacks.
/// The triggering side (MTC-IWF → VNO) asks <see cref="IMtcFeatureCheck.IsSubscribedAsync"/> with <see cref="Triggering"/>.
/// </summary>
public static class MtcFeatures
{
    public const string GroupMessaging = "group-messaging";
    public const string Triggering = "triggering";

    /// <summary>The features a subscription may hold.</summary>
    public static IReadOnlyList<string> All { get; } = [GroupMessaging, Triggering];
}

/// <summary>Whether a subscriber's subscription holds an MTC feature (issue 17, clause 4).</summary>
public interface IMtcFeatureCheck
{
    /// <summary>True only if <paramref name="identity"/>'s subscription lists <paramref name="feature"/> (one of <see cref="MtcFeatures.All"/>).</summary>
    ValueTask<bool> IsSubscribedAsync(string identity, string feature, CancellationToken cancellationToken = default);
}

/// <summary>The check over the VNO's store: a subscriber with no features set has none.</summary>
public sealed class StoreMtcFeatureCheck(IStateStore store) : IMtcFeatureCheck
{
    public async ValueTask<bool> IsSubscribedAsync(string identity, string feature, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(identity);
        if (!MtcFeatures.All.Contains(feature))
            throw new ArgumentException($"unknown MTC feature '{feature}'", nameof(feature));
        return (await store.MtcGroups.GetFeaturesAsync(identity, cancellationToken).ConfigureAwait(false)).Contains(feature, StringComparer.Ordinal);
    }
}
