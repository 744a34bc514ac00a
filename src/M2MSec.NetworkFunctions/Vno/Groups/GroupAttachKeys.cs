using System.Security.Cryptography;
using M2MSec.Nas.Group;
using M2MSec.Storage;

namespace M2MSec.NetworkFunctions.Vno.Groups;

/// <summary>At every attach the VNO keeps the device's K_GRP = KDF(K_ASME, FC 0xF1) (docs/decisions/028), replacing the previous one.</summary>
internal static class GroupAttachKeys
{
    public static async Task OnAttachedAsync(IStateStore store, string identity, byte[] kasme, CancellationToken ct)
    {
        var memberKey = GroupKeys.MemberKey(kasme);
        await store.MtcGroups.SetMemberKeyAsync(identity, memberKey, ct).ConfigureAwait(false);
        CryptographicOperations.ZeroMemory(memberKey);
    }
}
