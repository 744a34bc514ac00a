using System.Security.Cryptography.X509Certificates;
using M2MSec.Crypto.Metering;

namespace M2MSec.Provisioning.Validation;

/// <summary>Chain checks against one pinned root (never the system store), at a time the caller gives. No I/O.</summary>
public static class CertificateChains
{
    /// <summary>
    /// Whether <paramref name="leaf"/> chains through <paramref name="intermediates"/> to exactly <paramref name="root"/> and every
    /// certificate is valid at <paramref name="at"/>. Revocation is the caller's (OCSP), not checked here.
    /// </summary>
    public static bool Verify(X509Certificate2 leaf, X509Certificate2 root, X509Certificate2Collection? intermediates, DateTimeOffset at, out string error)
    {
        ArgumentNullException.ThrowIfNull(leaf);
        ArgumentNullException.ThrowIfNull(root);
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(root);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationTime = at.UtcDateTime;
        chain.ChainPolicy.VerificationTimeIgnored = false;
        chain.ChainPolicy.DisableCertificateDownloads = true;
        if (intermediates is not null)
            chain.ChainPolicy.ExtraStore.AddRange(intermediates);
        OperationMeter.Count(MeteredOperation.ChainBuild);
        if (!chain.Build(leaf))
        {
            error = string.Join("; ", chain.ChainStatus.Select(s => s.Status.ToString()).Distinct());
            return false;
        }
        var top = chain.ChainElements[^1].Certificate;
        if (!top.RawData.AsSpan().SequenceEqual(root.RawData))
        {
            error = "the chain ends at another root";
            return false;
        }
        error = "";
        return true;
    }
}
