using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using M2MSec.Device.Tre;
using M2MSec.Dm;
using M2MSec.Dm.Tree;
using M2MSec.Pki;

namespace M2MSec.Device.Provisioning;

/// <summary>
/// The device's two provisioning management objects (seed 003; docs/provisioning.md "Management objects"): ./M2MMobj —
/// "information about the M2ME and its TRE" for the DPF, every leaf read from the TRE at the moment of the Get (the tree keeps
/// no copy) — and ./M2MSIMMobj, whose Object leaf hands the signed document to the TRE to install (DM status 200 when installed,
/// 405 when the TRE refused it, 500 when the TRE could not act), whose Instruction leaf hands a signed MCIM life-cycle instruction
/// (enable, disable, delete; issue 16) to the TRE the same way, whose SHORoot and DesignatedSHO leaves let the RO designate a new
/// SHO for a change of subscription (issue 16, docs/decisions/021), and whose Status leaf keeps the last result code.
/// Only the DM server <c>serverId</c> (the DPF the Bootstrap designated) gets rights on them.
/// </summary>
public sealed class M2MProvisioningObjects(IProvisioningTre tre)
{
    public const string M2MMobj = "./M2MMobj";
    public const string M2MSimMobj = "./M2MSIMMobj";
    private const int MinChallenge = 16;
    private const int MaxChallenge = 64;

    private const int MaxRootLength = 8 * 1024;

    private byte[]? _challenge;
    private X509Certificate2? _pendingShoRoot;

    /// <summary>What the TRE did with the last SHO designation written in a session of this object, or null (issue 16).</summary>
    public ShoDesignationResult? LastDesignation { get; private set; }

    /// <summary>What the TRE did with the last M2MSIMMobj written in a session of this object, or null.</summary>
    public McimInstallResult? LastInstall { get; private set; }

    /// <summary>What the TRE did with the last life-cycle instruction written in a session of this object, or null (issue 16).</summary>
    public McimInstructionResult? LastInstruction { get; private set; }

    /// <summary>Adds the objects to <paramref name="tree"/> if missing, grants <paramref name="serverId"/> its rights, attaches the handlers.</summary>
    public void Attach(DmTree tree, string serverId)
    {
        ArgumentNullException.ThrowIfNull(tree);
        var get = DmAcl.Parse($"Get={serverId}");
        var manage = DmAcl.Parse($"Get={serverId}&Replace={serverId}");
        if (tree.Find(M2MMobj) is null)
        {
            tree.AddInteriorLocal(M2MMobj, get, permanent: true, type: "urn:oma:mo:m2msec-m2mmobj:1.0");
            foreach (var leaf in new[] { "PCID", "TREId", "SHO" })
                tree.AddLeafLocal($"{M2MMobj}/{leaf}", DmFormat.Chr, [], permanent: true);
            tree.AddInteriorLocal($"{M2MMobj}/PfC", permanent: true);
            tree.AddLeafLocal($"{M2MMobj}/PfC/Attestation", DmFormat.B64, [], permanent: true);
            tree.AddLeafLocal($"{M2MMobj}/PfC/Encryption", DmFormat.B64, [], permanent: true);
            tree.AddLeafLocal($"{M2MMobj}/RegNonce", DmFormat.B64, [], permanent: true);
            tree.AddInteriorLocal($"{M2MMobj}/Attestation", permanent: true);
            tree.AddLeafLocal($"{M2MMobj}/Attestation/Nonce", DmFormat.B64, [], permanent: true);
            tree.AddLeafLocal($"{M2MMobj}/Attestation/Evidence", DmFormat.B64, [], permanent: true);
        }
        if (tree.Find(M2MSimMobj) is null)
        {
            tree.AddInteriorLocal(M2MSimMobj, manage, permanent: true, type: "urn:oma:mo:m2msec-m2msimmobj:1.0");
            tree.AddLeafLocal($"{M2MSimMobj}/Object", DmFormat.B64, [], permanent: true);
            tree.AddLeafLocal($"{M2MSimMobj}/Status", DmFormat.Chr, [], DmAcl.Parse($"Get={serverId}"), permanent: true);
        }
        if (tree.Find($"{M2MSimMobj}/Instruction") is null)
            tree.AddLeafLocal($"{M2MSimMobj}/Instruction", DmFormat.B64, [], permanent: true);
        if (tree.Find($"{M2MSimMobj}/SHORoot") is null)
        {
            tree.AddLeafLocal($"{M2MSimMobj}/SHORoot", DmFormat.B64, [], permanent: true);
            tree.AddLeafLocal($"{M2MSimMobj}/DesignatedSHO", DmFormat.Chr, [], permanent: true);
        }
        tree.SetAclLocal(M2MMobj, get);
        tree.SetAclLocal($"{M2MMobj}/Attestation/Nonce", manage);
        tree.SetAclLocal(M2MSimMobj, manage);
        tree.SetAclLocal($"{M2MSimMobj}/Status", get);

        tree.SetReadHandler($"{M2MMobj}/PCID", () => Text(tre.Pcid));
        tree.SetReadHandler($"{M2MMobj}/TREId", () => Text(tre.TreId));
        tree.SetReadHandler($"{M2MMobj}/SHO", () => Text(tre.DesignatedSho));
        tree.SetReadHandler($"{M2MMobj}/PfC/Attestation", () => B64(tre.PfcAttestation));
        tree.SetReadHandler($"{M2MMobj}/PfC/Encryption", () => B64(tre.PfcEncryption));
        tree.SetReadHandler($"{M2MMobj}/RegNonce", () => Guarded(tre.RegistrationNonce));
        tree.SetReadHandler($"{M2MMobj}/Attestation/Nonce", () => B64(_challenge));
        tree.SetReadHandler($"{M2MMobj}/Attestation/Evidence", () => _challenge is { } c ? Guarded(() => tre.Attest(c)) : ReadOnlyMemory<byte>.Empty);
        tree.SetReplaceHandler($"{M2MMobj}/Attestation/Nonce", ReplaceChallenge);
        tree.SetReplaceHandler($"{M2MSimMobj}/Object", value => Install(tree, value));
        tree.SetReplaceHandler($"{M2MSimMobj}/Instruction", value => Apply(tree, value));
        tree.SetReadHandler($"{M2MSimMobj}/SHORoot", () => ReadOnlyMemory<byte>.Empty);
        tree.SetReadHandler($"{M2MSimMobj}/DesignatedSHO", () => Text(tre.DesignatedSho));
        tree.SetReplaceHandler($"{M2MSimMobj}/SHORoot", ReplaceShoRoot);
        tree.SetReplaceHandler($"{M2MSimMobj}/DesignatedSHO", value => Designate(tree, value));
    }

    /// <summary>Issue 16 (decision 021): the new SHO's signing root, kept until the DesignatedSHO Replace that follows it.</summary>
    private int ReplaceShoRoot(ReadOnlyMemory<byte> value)
    {
        if (!TryDecode(value, out var der) || der.Length is 0 or > MaxRootLength)
            return DmStatusCode.CommandNotAllowed;
        try
        {
            _pendingShoRoot = DerCertificates.Load(der);
        }
        catch (CryptographicException)
        {
            return DmStatusCode.CommandNotAllowed;
        }
        return DmStatusCode.Ok;
    }

    /// <summary>Issue 16 (decision 021): the RO designates the new SHO (with the root replaced just before, if any); one TRE write.</summary>
    private int Designate(DmTree tree, ReadOnlyMemory<byte> value)
    {
        var shoId = Encoding.UTF8.GetString(value.Span).Trim();
        var root = _pendingShoRoot;
        _pendingShoRoot = null;
        ShoDesignationResult result;
        try
        {
            result = tre.DesignateSho(shoId, root);
        }
        catch (Exception e) when (e is TreLockedException or TreAccessDeniedException or InvalidOperationException)
        {
            result = new ShoDesignationResult("tre-error", e.Message);
        }
        finally
        {
            root?.Dispose();
        }
        LastDesignation = result;
        tree.SetValueLocal($"{M2MSimMobj}/Status", Encoding.UTF8.GetBytes(result.Code));
        return result.IsDesignated ? DmStatusCode.Ok : result.Code == "tre-error" ? DmStatusCode.CommandFailed : DmStatusCode.CommandNotAllowed;
    }

    /// <summary>The PVA's challenge (seed 004 step 14), kept for the Evidence Get that follows.</summary>
    private int ReplaceChallenge(ReadOnlyMemory<byte> value)
    {
        if (!TryDecode(value, out var challenge) || challenge.Length is < MinChallenge or > MaxChallenge)
            return DmStatusCode.CommandNotAllowed;
        _challenge = challenge;
        return DmStatusCode.Ok;
    }

    /// <summary>Steps 19–20: the TRE opens and installs the MCIM; the DM status reports the outcome, Status keeps its code.</summary>
    private int Install(DmTree tree, ReadOnlyMemory<byte> value)
    {
        if (!TryDecode(value, out var document) || document.Length == 0)
            return DmStatusCode.CommandNotAllowed;
        McimInstallResult result;
        try
        {
            result = tre.InstallMcim(document);
        }
        catch (Exception e) when (e is TreLockedException or TreAccessDeniedException or InvalidOperationException)
        {
            result = new McimInstallResult("tre-error", null, e.Message);
        }
        LastInstall = result;
        tree.SetValueLocal($"{M2MSimMobj}/Status", Encoding.UTF8.GetBytes(result.Code));
        return result.IsInstalled ? DmStatusCode.Ok : result.Code == "tre-error" ? DmStatusCode.CommandFailed : DmStatusCode.CommandNotAllowed;
    }

    /// <summary>Issue 16: the TRE applies the owning SHO's signed life-cycle instruction; the DM status reports the outcome, Status keeps its code.</summary>
    private int Apply(DmTree tree, ReadOnlyMemory<byte> value)
    {
        if (!TryDecode(value, out var document) || document.Length == 0)
            return DmStatusCode.CommandNotAllowed;
        McimInstructionResult result;
        try
        {
            result = tre.ApplyMcimInstruction(document);
        }
        catch (Exception e) when (e is TreLockedException or TreAccessDeniedException or InvalidOperationException)
        {
            result = new McimInstructionResult("tre-error", null, null, e.Message);
        }
        LastInstruction = result;
        tree.SetValueLocal($"{M2MSimMobj}/Status", Encoding.UTF8.GetBytes(result.Code));
        // Issue 16: the same document again (its answer lost with a session) is done, as the first time: 200, Status "already-applied".
        return result.IsApplied || result.IsAlreadyApplied ? DmStatusCode.Ok : result.Code == "tre-error" ? DmStatusCode.CommandFailed : DmStatusCode.CommandNotAllowed;
    }

    /// <summary>A value the TRE makes; empty when it cannot (locked, policy): the DPF then reads nothing usable.</summary>
    private static ReadOnlyMemory<byte> Guarded(Func<byte[]> make)
    {
        try
        {
            return B64(make());
        }
        catch (Exception e) when (e is TreLockedException or TreAccessDeniedException or InvalidOperationException)
        {
            return ReadOnlyMemory<byte>.Empty;
        }
    }

    private static ReadOnlyMemory<byte> Text(string? value) => value is null ? ReadOnlyMemory<byte>.Empty : Encoding.UTF8.GetBytes(value);

    private static ReadOnlyMemory<byte> B64(byte[]? value) => value is null ? ReadOnlyMemory<byte>.Empty : Encoding.ASCII.GetBytes(Convert.ToBase64String(value));

    private static bool TryDecode(ReadOnlyMemory<byte> b64, out byte[] bytes)
    {
        var text = Encoding.ASCII.GetString(b64.Span).Trim();
        bytes = new byte[text.Length / 4 * 3 + 3];
        if (!Convert.TryFromBase64String(text, bytes, out var n))
            return false;
        bytes = bytes[..n];
        return true;
    }
}
