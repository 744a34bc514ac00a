using System.Security.Cryptography.X509Certificates;
using M2MSec.Pki;
using M2MSec.Pki.Authority;
using M2MSec.Pki.Validation;

namespace M2MSec.Device.Tre;

/// <summary>
/// Root certificates the device trusts, held in sealed storage under trust/root/NAME (seed 000:
/// "the MTC device holds a root certificate, provisioned and stored securely, to authenticate the
/// DM server"). Installed once (manufacture or provisioning); replaced only by a root the current
/// one has certified (<see cref="RootRollover"/>). The system trust store is never consulted.
/// </summary>
public sealed partial class TrustedEnvironment
{
    internal const string RootPrefix = "trust/root/";

    /// <summary>Installs the root <paramref name="name"/> (e.g. "dm"); refuses to overwrite one already there.</summary>
    public void ProvisionTrustAnchor(TreCaller caller, string name, X509Certificate2 root)
    {
        ArgumentNullException.ThrowIfNull(root);
        lock (_lock)
        {
            EnsureUnlocked();
            TrePolicy.CheckOperation(caller, TreOperation.ProvisionTrustAnchor);
            RefuseInstalledRootLocked(name);
            SetRootLocked(name, root);
            CommitLocked();
        }
    }

    /// <summary>A root is installed once: replacing it takes a rollover signed under it.</summary>
    private void RefuseInstalledRootLocked(string name)
    {
        if (_objects.ContainsKey(RootPrefix + name))
            throw new InvalidOperationException($"a '{name}' root is already installed; only a rollover signed under it can replace it");
    }

    /// <summary>Puts the root <paramref name="name"/> in the objects; the caller commits.</summary>
    private void SetRootLocked(string name, X509Certificate2 root)
    {
        _objects[RootPrefix + name] = root.RawData;
        Event("root-installed", $"{name}: {root.Subject}");
    }

    /// <summary>The root <paramref name="name"/>, or null if none was provisioned.</summary>
    public X509Certificate2? TrustAnchor(TreCaller caller, string name)
    {
        var der = ReadObject(caller, RootPrefix + name);
        return der is null ? null : DerCertificates.Load(der);
    }

    /// <summary>
    /// Replaces the root <paramref name="name"/> with <paramref name="newRoot"/> if <paramref name="link"/>
    /// proves the current root certified it (checked here, inside the TRE, at the secure clock's time).
    /// </summary>
    public bool RollOverTrustAnchor(TreCaller caller, string name, X509Certificate2 newRoot, X509Certificate2 link, out string detail)
    {
        ArgumentNullException.ThrowIfNull(newRoot);
        ArgumentNullException.ThrowIfNull(link);
        lock (_lock)
        {
            EnsureUnlocked();
            TrePolicy.CheckOperation(caller, TreOperation.RollOverTrustAnchor);
            if (!_objects.TryGetValue(RootPrefix + name, out var currentDer))
            {
                detail = $"no '{name}' root to roll over from";
                return false;
            }
            using var current = DerCertificates.Load(currentDer);
            if (!RootRollover.Verify(current, newRoot, link, NowLocked(), out detail))
            {
                Event("root-refused", $"{name}: {detail}");
                return false;
            }
            _objects[RootPrefix + name] = newRoot.RawData;
            Event("root-rolled-over", $"{name}: {current.Subject} -> {newRoot.Subject}");
            CommitLocked();
            return true;
        }
    }

    /// <summary>The secure clock as the certificate check uses it, for <paramref name="caller"/>.</summary>
    public ITrustedClock TrustedClock(TreCaller caller)
    {
        TrePolicy.CheckOperation(caller, TreOperation.ApplyTrustedTime);
        return new TreClock(this);
    }

    private sealed class TreClock(TrustedEnvironment tre) : ITrustedClock
    {
        public DateTimeOffset Now() => tre.Now();

        public bool Advance(DateTimeOffset trustedTime, string source) =>
            tre.ApplyVerifiedTime(trustedTime, source) == TrustedTimeOutcome.Applied;
    }
}
