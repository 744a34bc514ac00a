using System.Buffers.Binary;
using System.Security.Cryptography;
using M2MSec.Crypto.Metering;

namespace M2MSec.Nas.Group;

/// <summary>What a member's state for one group holds (docs/decisions/028): the current epoch's key, the network's public key, the
/// highest accepted sequence (or the floor the delivery set).</summary>
public sealed record GroupMemberState(string GroupId, uint Epoch, byte[] GroupKey, byte[] NetworkPublicKey, uint LastSequence);

/// <summary>Outcome of <see cref="GroupMessageProtection.Open"/>.</summary>
public enum GroupMessageStatus
{
    Accepted,
    Malformed,
    WrongGroup,

    /// <summary>An epoch before the member's: the message was sent under a key this member no longer uses.</summary>
    OldEpoch,

    /// <summary>An epoch after the member's: it needs its next key delivery first.</summary>
    NewerEpoch,
    Replayed,
    BadSignature,
    DecryptFailed,
}

/// <summary>The result: the payload and the new last sequence when accepted.</summary>
public sealed record GroupMessageResult(GroupMessageStatus Status, string Detail, byte[]? Payload = null, uint Sequence = 0)
{
    public bool IsAccepted => Status == GroupMessageStatus.Accepted;
}

/// <summary>
/// Protects and opens group messages (docs/decisions/028): AES-256-GCM under the group key (nonce = epoch ‖ sequence ‖ 0⁴, unique
/// because the network is the one sender and never reuses a sequence; AAD = the header) and an ECDSA P-256 / SHA-256 signature
/// by the network over the whole message, so a member, who holds the group key, still cannot forge one. A member checks the cheap
/// things first (shape, group, epoch, sequence), then the signature, and only then decrypts. No I/O.
/// </summary>
public static class GroupMessageProtection
{
    public static byte[] Protect(ReadOnlySpan<byte> groupKey, ECDsa networkKey, string groupId, uint epoch, uint sequence, ReadOnlySpan<byte> payload)
    {
        ArgumentNullException.ThrowIfNull(networkKey);
        if (groupKey.Length != GroupKeys.KeySize)
            throw new ArgumentException("the group key is 32 octets", nameof(groupKey));
        if (payload.Length > GroupMessage.MaxPayload)
            throw new ArgumentException($"a group message carries at most {GroupMessage.MaxPayload} octets", nameof(payload));
        var header = GroupMessage.Header(groupId, epoch, sequence);
        var ciphertext = new byte[payload.Length + GroupMessage.TagSize];
        using (var gcm = new AesGcm(groupKey, GroupMessage.TagSize))
            gcm.Encrypt(Nonce(epoch, sequence), payload, ciphertext.AsSpan(0, payload.Length), ciphertext.AsSpan(payload.Length), header);
        var unsigned = new GroupMessage(groupId, epoch, sequence, ciphertext, new byte[GroupKeys.SignatureSize]);
        OperationMeter.Count(MeteredOperation.EcdsaSign);
        var signature = networkKey.SignData(unsigned.SignedPart(), HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        return (unsigned with { Signature = signature }).Encode();
    }

    /// <summary>Checks <paramref name="message"/> against the member's <paramref name="state"/>; never throws for bad input.</summary>
    public static GroupMessageResult Open(GroupMemberState state, ReadOnlySpan<byte> message)
    {
        ArgumentNullException.ThrowIfNull(state);
        GroupMessage m;
        try
        {
            m = GroupMessageCodec.Decode(message);
        }
        catch (GroupMessageFormatException e)
        {
            return new(GroupMessageStatus.Malformed, e.Message);
        }
        if (!string.Equals(m.GroupId, state.GroupId, StringComparison.Ordinal))
            return new(GroupMessageStatus.WrongGroup, $"group_id: {m.GroupId} is not this member's group {state.GroupId}");
        if (m.Epoch < state.Epoch)
            return new(GroupMessageStatus.OldEpoch, $"epoch: {m.Epoch} is before the member's epoch {state.Epoch}");
        if (m.Epoch > state.Epoch)
            return new(GroupMessageStatus.NewerEpoch, $"epoch: {m.Epoch} is after the member's epoch {state.Epoch}; fetch the key delivery");
        if (m.Sequence <= state.LastSequence)
            return new(GroupMessageStatus.Replayed, $"sequence: {m.Sequence} is not above the last accepted {state.LastSequence}");
        using (var network = GroupKeys.ImportPublicKey(state.NetworkPublicKey))
        {
            OperationMeter.Count(MeteredOperation.EcdsaVerify);
            if (network is null || !network.VerifyData(m.SignedPart(), m.Signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation))
                return new(GroupMessageStatus.BadSignature, "signature: not the network's");
        }
        var payload = new byte[m.Ciphertext.Length - GroupMessage.TagSize];
        try
        {
            using var gcm = new AesGcm(state.GroupKey, GroupMessage.TagSize);
            gcm.Decrypt(Nonce(m.Epoch, m.Sequence), m.Ciphertext.AsSpan(0, payload.Length), m.Ciphertext.AsSpan(payload.Length), payload,
                GroupMessage.Header(m.GroupId, m.Epoch, m.Sequence));
        }
        catch (AuthenticationTagMismatchException)
        {
            return new(GroupMessageStatus.DecryptFailed, "ciphertext: the group key does not open it");
        }
        return new(GroupMessageStatus.Accepted, "accepted", payload, m.Sequence);
    }

    private static byte[] Nonce(uint epoch, uint sequence)
    {
        var n = new byte[12];
        BinaryPrimitives.WriteUInt32BigEndian(n, epoch);
        BinaryPrimitives.WriteUInt32BigEndian(n.AsSpan(4), sequence);
        return n;
    }
}
