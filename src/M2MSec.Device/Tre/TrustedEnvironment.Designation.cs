using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using M2MSec.Dm.Bootstrap;

namespace M2MSec.Device.Tre;

/// <summary>
/// A change of subscription's first step inside the TRE (issue 16, docs/decisions/021): the Registration Operator, as the
/// Provisioning caller (the DPF the Bootstrap message designated), designates a new SHO and introduces that SHO's signing root.
/// Per-SHO roots are write-once (<c>trust/root/sho/{id}</c>); the manufacturer's <c>trust/root/sho</c> stays the root of any
/// SHO without its own entry. An installed MCIM is pinned to the root it was verified under, so a root the RO adds can never
/// sign for an MCIM another SHO already owns.
/// </summary>
public sealed partial class TrustedEnvironment
{
    /// <summary>Where a SHO's own signing root is kept: <c>trust/root/sho/{shoId}</c>.</summary>
    internal const string ShoRootPrefix = TreObjects.ShoSigningRoot + "/";

    /// <summary>
    /// Designates <paramref name="shoId"/> as the SHO whose M2MSIMMobj the TRE installs next, keeping <paramref name="root"/> as
    /// its signing root when given (one sealed write). Never throws for a refused designation: the result says why and nothing
    /// changed; throws only for a locked TRE or a caller the policy refuses.
    /// </summary>
    public ShoDesignationResult DesignateSho(TreCaller caller, string shoId, X509Certificate2? root)
    {
        lock (_lock)
        {
            EnsureUnlocked();
            TrePolicy.CheckOperation(caller, TreOperation.DesignateSho);
            TrePolicy.CheckWrite(caller, TreObjects.DesignatedSho);
            var result = DesignateShoLocked(shoId, root);
            Event(result.IsDesignated ? "sho-designated" : "sho-designation-refused", $"{result.Code}: {result.Detail}");
            return result;
        }
    }

    private ShoDesignationResult DesignateShoLocked(string shoId, X509Certificate2? root)
    {
        if (!BootstrapM2MContext.IsValidShoId(shoId))
            return new(ShoDesignationResult.BadShoId, "the SHO id must be 1 to 64 of A-Z a-z 0-9 . _ -");
        var name = ShoRootPrefix + shoId;
        if (root is not null)
        {
            if (!IsSelfSignedCa(root))
                return new(ShoDesignationResult.BadRoot, "the SHO root must be a self-issued CA certificate");
            if (_objects.TryGetValue(name, out var held) && !CryptographicOperations.FixedTimeEquals(held, root.RawData))
                return new(ShoDesignationResult.RootConflict, $"SHO '{shoId}' already has another signing root (write-once)");
        }
        else if (!_objects.ContainsKey(name) && !_objects.ContainsKey(TreObjects.ShoSigningRoot))
        {
            return new(ShoDesignationResult.NoShoRoot, $"no signing root is held for SHO '{shoId}'");
        }
        if (root is not null)
            _objects[name] = root.RawData;
        _objects[TreObjects.DesignatedSho] = Encoding.UTF8.GetBytes(shoId);
        CommitLocked();
        return new(ShoDesignationResult.Designated, $"SHO '{shoId}' designated");
    }

    /// <summary>The name of the root an M2MSIMMobj of <paramref name="shoId"/> must chain to: its own, else the manufacturer's.</summary>
    private string ShoRootNameLocked(string shoId) =>
        _objects.ContainsKey(ShoRootPrefix + shoId) ? ShoRootPrefix + shoId : TreObjects.ShoSigningRoot;

    private static bool IsSelfSignedCa(X509Certificate2 root) =>
        root.SubjectName.RawData.AsSpan().SequenceEqual(root.IssuerName.RawData)
        && root.Extensions.OfType<X509BasicConstraintsExtension>().SingleOrDefault() is { CertificateAuthority: true };
}

/// <summary>What the TRE did with a SHO designation: <see cref="Code"/> is "designated" or a refusal key.</summary>
public sealed record ShoDesignationResult(string Code, string Detail)
{
    public const string Designated = "designated";
    public const string BadShoId = "bad-sho-id";
    public const string BadRoot = "bad-root";
    public const string RootConflict = "root-conflict";
    public const string NoShoRoot = "no-sho-root";

    public bool IsDesignated => Code == Designated;
}
