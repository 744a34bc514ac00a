using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using M2MSec.Pki;
using M2MSec.Provisioning;
using M2MSec.Provisioning.Objects;

namespace M2MSec.Device.Tre;

/// <summary>
/// The MCIM life cycle inside the TRE (issue 16; TR 33.812: several MCIMs, one active): enable, disable and delete, each only
/// by a signed instruction of the SHO that owns that MCIM (the signer of its M2MSIMMobj, kept in its sealed record), for this
/// PCID and TRE, with a sequence higher than the last one applied to that MCIM. Each applied instruction is one sealed write;
/// a refused one changes nothing. docs/decisions/019-mcim-life-cycle.md.
/// </summary>
public sealed partial class TrustedEnvironment
{
    /// <summary>The last instruction sequence of a deleted MCIM (8 octets, big-endian; no key material), kept for a re-install.</summary>
    internal const string DeletedMcimPrefix = "mcim-deleted/";

    /// <summary>
    /// Applies a signed life-cycle instruction (<see cref="McimInstruction"/>). Never throws for a refused instruction: the
    /// result says why (nothing changed then); throws only for a locked TRE or a caller the policy refuses.
    /// </summary>
    public McimInstructionResult ApplyMcimInstruction(TreCaller caller, ReadOnlySpan<byte> signedInstruction)
    {
        lock (_lock)
        {
            EnsureUnlocked();
            TrePolicy.CheckOperation(caller, TreOperation.ApplyMcimInstruction);
            var result = ApplyMcimInstructionLocked(signedInstruction);
            Event(result.IsApplied ? "mcim-instruction-applied" : result.IsAlreadyApplied ? "mcim-instruction-repeated" : "mcim-instruction-refused",
                $"{result.Code}: {result.Detail}");
            return result;
        }
    }

    private McimInstructionResult ApplyMcimInstructionLocked(ReadOnlySpan<byte> document)
    {
        McimInstructionContent instruction;
        X509Certificate2 signer;
        X509Certificate2? root = null;
        // Issue 16 (decision 021): the document's digest tells a repeat of the very instruction applied last (its answer lost with a DM
        // session) from a replay of an older one; only documents the TRE verified and applied are ever recorded.
        var digest = Convert.ToBase64String(SHA256.HashData(document));
        string? named = null;
        try
        {
            // The owner's signer must chain to the root its MCIM was installed under (decision 021): a root the RO added later
            // for the same SHO id cannot sign for it.
            instruction = McimInstruction.Verify(document, imsi =>
            {
                named = imsi;
                var installed = McimRecordLocked(imsi) ?? throw new ProvisioningException("not-installed", $"no MCIM {imsi} in this TRE");
                if (!_objects.TryGetValue(installed.RootName ?? TreObjects.ShoSigningRoot, out var rootDer))
                    throw new ProvisioningException("no-sho-root", "no SHO signing root is provisioned");
                return root = DerCertificates.Load(rootDer);
            }, NowLocked(), out signer);
        }
        catch (ProvisioningException e)
        {
            // A deleted MCIM: the very delete that removed it is already applied; any other instruction for it stays not-installed.
            if (e.Code == "not-installed" && named is not null && DeletedDigestLocked(named) == digest)
                return new McimInstructionResult(McimInstructionResult.AlreadyApplied, named, McimOperation.Delete, $"MCIM {named} was deleted by this instruction");
            return Refusal(e.Code, e.Message);
        }
        finally
        {
            root?.Dispose();
        }
        using (signer)
        {
            if (instruction.Pcid != Pcid || instruction.TreId != TreId)
                return Refusal("wrong-device", "the instruction names another PCID or TRE", instruction);
            var record = McimRecordLocked(instruction.Imsi)!;
            // Verify checked that the instruction's SHO is the signer; the owner is the SHO whose M2MSIMMobj installed it.
            if (!string.Equals(record.ShoId, instruction.ShoId, StringComparison.Ordinal))
                return Refusal("not-owner", $"MCIM {instruction.Imsi} belongs to another SHO", instruction);
            if (record.LastApplied == digest)
            {
                return new McimInstructionResult(McimInstructionResult.AlreadyApplied, instruction.Imsi, instruction.Operation,
                    $"sequence {instruction.Sequence} is the instruction applied last: nothing to do");
            }
            if (instruction.Sequence <= record.LastSequence)
                return Refusal("replayed", $"sequence {instruction.Sequence} is not above the last applied ({record.LastSequence})", instruction);

            var imsi = instruction.Imsi;
            var active = _objects.TryGetValue(ActiveMcimName, out var a) ? Encoding.UTF8.GetString(a) : null;
            switch (instruction.Operation)
            {
                case McimOperation.Enable:
                    // Exactly one active: the previously active MCIM (another one) is disabled by the same write.
                    if (active is not null && active != imsi && McimRecordLocked(active) is { } previous)
                        PutRecordLocked(previous with { State = McimStates.Disabled });
                    PutRecordLocked(record with { State = McimStates.Enabled, LastSequence = instruction.Sequence, LastApplied = digest });
                    _objects[ActiveMcimName] = Encoding.UTF8.GetBytes(imsi);
                    break;
                case McimOperation.Disable:
                    // Disabling the active MCIM leaves none active until an owner enables one.
                    PutRecordLocked(record with { State = McimStates.Disabled, LastSequence = instruction.Sequence, LastApplied = digest });
                    if (active == imsi)
                        _objects.Remove(ActiveMcimName);
                    break;
                case McimOperation.Delete:
                    // The key material, the GBA keys and the record go; only the last sequence stays (no key material).
                    foreach (var name in _objects.Keys.Where(n => n.StartsWith($"{SubscriptionPrefix}{imsi}/", StringComparison.Ordinal)
                        || n.StartsWith($"gba/{imsi}/", StringComparison.Ordinal)).ToList())
                    {
                        CryptographicOperations.ZeroMemory(_objects[name]);
                        _objects.Remove(name);
                    }
                    _objects.Remove(McimPrefix + imsi);
                    // The tombstone: the last sequence (8 octets, big-endian), then the delete's document digest (32 octets).
                    var tombstone = new byte[8 + 32];
                    System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(tombstone, instruction.Sequence);
                    Convert.FromBase64String(digest).CopyTo(tombstone, 8);
                    _objects[DeletedMcimPrefix + imsi] = tombstone;
                    if (active == imsi)
                        _objects.Remove(ActiveMcimName);
                    break;
            }
            CommitLocked();
            return new McimInstructionResult(McimInstructionResult.Applied, imsi, instruction.Operation,
                $"{McimInstruction.OperationName(instruction.Operation)} of MCIM {imsi} by {instruction.ShoId} applied (sequence {instruction.Sequence})");
        }
    }

    /// <summary>Refuses AKA (and GBA key release) with an MCIM its SHO disabled; a subscription without an MCIM record is not concerned.</summary>
    private void RefuseDisabledMcimLocked(string imsi)
    {
        if (McimRecordLocked(imsi) is { Enabled: false })
            throw new TreMcimDisabledException(imsi);
    }

    private McimRecord? McimRecordLocked(string imsi) =>
        _objects.TryGetValue(McimPrefix + imsi, out var value) && JsonSerializer.Deserialize<McimRecord>(value) is { } r && r.TreId == TreId ? r : null;

    private void PutRecordLocked(McimRecord record) => _objects[McimPrefix + record.Imsi] = JsonSerializer.SerializeToUtf8Bytes(record);

    private ulong DeletedSequenceLocked(string imsi) =>
        _objects.TryGetValue(DeletedMcimPrefix + imsi, out var v) && v.Length >= 8 ? System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(v) : 0;

    /// <summary>The digest (base64) of the delete that removed an MCIM (null for a tombstone sealed before issue 16's repeat rule).</summary>
    private string? DeletedDigestLocked(string imsi) =>
        _objects.TryGetValue(DeletedMcimPrefix + imsi, out var v) && v.Length == 8 + 32 ? Convert.ToBase64String(v, 8, 32) : null;

    private static McimInstructionResult Refusal(string code, string detail, McimInstructionContent? instruction = null) =>
        new(code, instruction?.Imsi, instruction?.Operation, detail);
}

/// <summary>
/// What the TRE did with a life-cycle instruction: <see cref="Code"/> is "applied", "already-applied" (this very signed document was
/// applied last to the MCIM, or is the delete that removed it — nothing changed now) or a refusal key
/// (bad-signature, not-owner, replayed — an older instruction —, wrong-device, not-installed, …).
/// </summary>
public sealed record McimInstructionResult(string Code, string? Imsi, McimOperation? Operation, string Detail)
{
    public const string Applied = "applied";

    /// <summary>Issue 16 (docs/decisions/021): the same document again, after its answer was lost; not a change, not a refusal.</summary>
    public const string AlreadyApplied = "already-applied";

    public bool IsApplied => Code == Applied;

    public bool IsAlreadyApplied => Code == AlreadyApplied;
}
