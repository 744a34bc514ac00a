using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using M2MSec.Crypto.Metering;
using M2MSec.Pki.Validation;

namespace M2MSec.Pki.Tls;

/// <summary>Outcome of a profile chain check: valid, or the refusal reason with a short detail.</summary>
public sealed record ChainVerdict(bool IsValid, RefusalReason Reason, string Detail)
{
    public static ChainVerdict Valid { get; } = new(true, RefusalReason.None, "");

    public static ChainVerdict Refused(RefusalReason reason, string detail) => new(false, reason, detail);
}

/// <summary>
/// Path validation for TLS peers under the TS 33.310 profile: the chain must end at the one
/// provisioned root (custom root trust — the system store is never consulted, nothing is
/// downloaded), every certificate must be valid at the given time, and the leaf must carry the
/// required extended key usage (id-kp-serverAuth / id-kp-clientAuth, TS 33.310 §6.1.3 TLS certificate profiles).
/// Revocation is not checked here (OCSP is a separate step; the TLS callbacks take a revocation check).
/// </summary>
public static class ProfileChainValidator
{
    public const string ServerAuthOid = "1.3.6.1.5.5.7.3.1";
    public const string ClientAuthOid = "1.3.6.1.5.5.7.3.2";

    /// <summary>Validates <paramref name="leaf"/> up to <paramref name="root"/>, using <paramref name="intermediates"/> (configured or sent by the peer) as untrusted helpers.</summary>
    public static ChainVerdict Validate(X509Certificate2 leaf, X509Certificate2 root, IEnumerable<X509Certificate2>? intermediates, DateTimeOffset verificationTime, string? requiredEku)
    {
        ArgumentNullException.ThrowIfNull(leaf);
        ArgumentNullException.ThrowIfNull(root);

        if (requiredEku is not null && !HasEku(leaf, requiredEku))
            return ChainVerdict.Refused(RefusalReason.WrongUsage, $"leaf lacks extended key usage {requiredEku}");

        using var chain = new X509Chain();
        var policy = chain.ChainPolicy;
        policy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        policy.CustomTrustStore.Add(root);
        if (intermediates is not null)
            foreach (var c in intermediates)
                policy.ExtraStore.Add(c);
        policy.RevocationMode = X509RevocationMode.NoCheck;
        policy.DisableCertificateDownloads = true;
        policy.VerificationTime = verificationTime.UtcDateTime;
        if (requiredEku is not null)
            policy.ApplicationPolicy.Add(new Oid(requiredEku));

        OperationMeter.Count(MeteredOperation.ChainBuild);
        if (chain.Build(leaf))
        {
            var top = chain.ChainElements[^1].Certificate;
            return top.RawDataMemory.Span.SequenceEqual(root.RawDataMemory.Span)
                ? ChainVerdict.Valid
                : ChainVerdict.Refused(RefusalReason.UntrustedRoot, "chain does not end at the provisioned root");
        }
        return Refusal(chain);
    }

    /// <summary>
    /// A client-side <see cref="System.Net.Security.RemoteCertificateValidationCallback"/> for
    /// <see cref="TlsProfile.CreateClientOptions"/>: the server chain must validate to
    /// <paramref name="root"/> with id-kp-serverAuth, and the name must match the target host. With
    /// <paramref name="revocationCheck"/>, a valid chain's leaf is then checked for revocation (synchronously).
    /// </summary>
    public static System.Net.Security.RemoteCertificateValidationCallback ServerCallback(X509Certificate2 root, X509Certificate2Collection? intermediates = null, TimeProvider? time = null, Action<ChainVerdict>? onVerdict = null,
        Func<X509Certificate2, ChainVerdict>? revocationCheck = null)
    {
        ArgumentNullException.ThrowIfNull(root);
        var clock = time ?? TimeProvider.System;
        return (_, certificate, chain, errors) =>
        {
            ChainVerdict verdict;
            if (certificate is null)
                verdict = ChainVerdict.Refused(RefusalReason.UntrustedRoot, "no server certificate");
            else if ((errors & System.Net.Security.SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
                verdict = ChainVerdict.Refused(RefusalReason.WrongUsage, "server name mismatch");
            else
            {
                var helpers = new List<X509Certificate2>();
                if (intermediates is not null)
                    helpers.AddRange(intermediates);
                if (chain is not null)
                    helpers.AddRange(chain.ChainPolicy.ExtraStore);
                var leaf = certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
                verdict = Validate(leaf, root, helpers, clock.GetUtcNow(), ServerAuthOid);
                if (verdict.IsValid && revocationCheck is not null)
                    verdict = revocationCheck(leaf);
            }
            onVerdict?.Invoke(verdict);
            return verdict.IsValid;
        };
    }

    /// <summary>True when the certificate has an EKU extension listing <paramref name="oid"/>; a missing extension does not count.</summary>
    public static bool HasEku(X509Certificate2 certificate, string oid)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        foreach (var ext in certificate.Extensions)
            if (ext is X509EnhancedKeyUsageExtension eku)
                foreach (var o in eku.EnhancedKeyUsages)
                    if (o.Value == oid)
                        return true;
        return false;
    }

    private static ChainVerdict Refusal(X509Chain chain)
    {
        var flags = X509ChainStatusFlags.NoError;
        foreach (var s in chain.ChainStatus)
            flags |= s.Status;
        var detail = string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation.Trim()).Where(s => s.Length > 0));
        if (detail.Length == 0)
            detail = flags.ToString();
        // A chain that does not reach the provisioned root is "untrusted" whatever else is wrong with it.
        var reason =
            (flags & (X509ChainStatusFlags.UntrustedRoot | X509ChainStatusFlags.PartialChain)) != 0 ? RefusalReason.UntrustedRoot
            : (flags & (X509ChainStatusFlags.NotTimeValid | X509ChainStatusFlags.NotTimeNested)) != 0 ? RefusalReason.ExpiredAtTrustedTime
            : (flags & X509ChainStatusFlags.NotValidForUsage) != 0 ? RefusalReason.WrongUsage
            : (flags & X509ChainStatusFlags.Revoked) != 0 ? RefusalReason.Revoked
            : (flags & X509ChainStatusFlags.NotSignatureValid) != 0 ? RefusalReason.BadSignature
            : RefusalReason.UntrustedRoot;
        return ChainVerdict.Refused(reason, detail);
    }
}
