using System.Data.Common;
using M2MSec.Storage.Audit;
using M2MSec.Storage.Groups;
using M2MSec.Storage.Security;

namespace M2MSec.Storage.Sql;

/// <summary>MTC groups in SQL (schema v23, issue 17): a membership change and its rekey are one transaction; the next sequence is one
/// UPDATE … RETURNING, so two instances never send under the same (epoch, sequence) — the GCM nonce.</summary>
internal sealed class SqlMtcGroupStore(SqlDatabase db) : IMtcGroupStore
{
    private static string GroupPlace(string id) => SecretProtector.Place("mtc_groups", id, "key");

    private static string MemberPlace(string identity) => SecretProtector.Place("mtc_member_keys", identity, "key");

    private static readonly string SigningPlace = SecretProtector.Place("mtc_signing_key", "1", "key");

    private const string GroupColumns =
        "g.id, g.epoch, g.sequence, g.floor, (SELECT COUNT(*) FROM mtc_group_members m WHERE m.group_id = g.id), g.created_at";

    public ValueTask<bool> CreateGroupAsync(string groupId, ReadOnlyMemory<byte> groupKey, CancellationToken cancellationToken = default) =>
        db.TryInsertAsync("INSERT INTO mtc_groups (id, epoch, sequence, floor, key_enc, created_at) VALUES (@i, 1, 0, 0, @k, @t)", cancellationToken,
            ("@i", groupId), ("@k", db.Protector.Protect(groupKey.Span, GroupPlace(groupId))), ("@t", db.NowMs));

    public async ValueTask<MtcGroup?> FindGroupAsync(string groupId, CancellationToken cancellationToken = default) =>
        (await db.QueryAsync($"SELECT {GroupColumns} FROM mtc_groups g WHERE g.id = @i", ReadGroup, cancellationToken, ("@i", groupId)).ConfigureAwait(false))
        .FirstOrDefault();

    public ValueTask<IReadOnlyList<MtcGroup>> ListGroupsAsync(CancellationToken cancellationToken = default) =>
        db.QueryAsync($"SELECT {GroupColumns} FROM mtc_groups g ORDER BY g.id", ReadGroup, cancellationToken);

    public ValueTask<IReadOnlyList<MtcGroupMember>> ListMembersAsync(string groupId, CancellationToken cancellationToken = default) =>
        db.QueryAsync("SELECT identity, acked_epoch, added_at FROM mtc_group_members WHERE group_id = @g ORDER BY identity",
            r => new MtcGroupMember(groupId, r.GetString(0), r.IsDBNull(1) ? null : (uint)r.GetInt64(1), SqlDatabase.FromMs(r.GetInt64(2))), cancellationToken, ("@g", groupId));

    public ValueTask<IReadOnlyList<string>> GroupsOfAsync(string identity, CancellationToken cancellationToken = default) =>
        db.QueryAsync("SELECT group_id FROM mtc_group_members WHERE identity = @i ORDER BY group_id", r => r.GetString(0), cancellationToken, ("@i", identity));

    public ValueTask<uint?> ChangeMemberAsync(string groupId, string identity, bool add, ReadOnlyMemory<byte> newGroupKey, CancellationToken cancellationToken = default)
    {
        var wrapped = db.Protector.Protect(newGroupKey.Span, GroupPlace(groupId));
        return db.WriteAsync<uint?>(async (c, tx) =>
        {
            await using (var find = SqlDatabase.Command(c, tx, "SELECT 1 FROM mtc_groups WHERE id = @g", ("@g", groupId)))
            {
                if (await find.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is null)
                    return null;
            }
            await using (var exists = SqlDatabase.Command(c, tx, "SELECT 1 FROM mtc_group_members WHERE group_id = @g AND identity = @i", ("@g", groupId), ("@i", identity)))
            {
                var member = await exists.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is not null;
                if (member == add)
                    return null;
            }
            var change = add
                ? "INSERT INTO mtc_group_members (group_id, identity, acked_epoch, added_at) VALUES (@g, @i, NULL, @t)"
                : "DELETE FROM mtc_group_members WHERE group_id = @g AND identity = @i";
            await SqlDatabase.ExecuteAsync(c, tx, change, cancellationToken, ("@g", groupId), ("@i", identity), ("@t", db.NowMs)).ConfigureAwait(false);
            await using var rekey = SqlDatabase.Command(c, tx, "UPDATE mtc_groups SET epoch = epoch + 1, floor = sequence, key_enc = @k WHERE id = @g RETURNING epoch",
                ("@g", groupId), ("@k", wrapped));
            return (uint)Convert.ToInt64(await rekey.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture);
        }, cancellationToken);
    }

    public async ValueTask<MtcGroupKey?> GetGroupKeyAsync(string groupId, CancellationToken cancellationToken = default) =>
        (await db.QueryAsync("SELECT epoch, floor, key_enc FROM mtc_groups WHERE id = @g",
            r => new MtcGroupKey(groupId, (uint)r.GetInt64(0), (uint)r.GetInt64(1), db.Protector.Unprotect((byte[])r.GetValue(2), GroupPlace(groupId))),
            cancellationToken, ("@g", groupId)).ConfigureAwait(false)).FirstOrDefault();

    public ValueTask<(MtcGroupKey Key, uint Sequence)?> NextSequenceAsync(string groupId, CancellationToken cancellationToken = default) =>
        db.RunAsync<(MtcGroupKey, uint)?>(async c =>
        {
            await using var command = SqlDatabase.Command(c, null,
                "UPDATE mtc_groups SET sequence = sequence + 1 WHERE id = @g AND sequence < 4294967295 RETURNING epoch, floor, key_enc, sequence", ("@g", groupId));
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                return null;
            var key = new MtcGroupKey(groupId, (uint)reader.GetInt64(0), (uint)reader.GetInt64(1), db.Protector.Unprotect((byte[])reader.GetValue(2), GroupPlace(groupId)));
            return (key, (uint)reader.GetInt64(3));
        }, cancellationToken);

    public ValueTask AppendMessageAsync(string groupId, uint sequence, ReadOnlyMemory<byte> message, CancellationToken cancellationToken = default) =>
        new(db.RunAsync(c => SqlDatabase.ExecuteAsync(c, null, "INSERT INTO mtc_group_messages (group_id, sequence, message, at) VALUES (@g, @s, @m, @t)", cancellationToken,
            ("@g", groupId), ("@s", (long)sequence), ("@m", message.ToArray()), ("@t", db.NowMs)), cancellationToken).AsTask());

    public ValueTask<IReadOnlyList<MtcGroupMessage>> ListMessagesAsync(string groupId, uint afterSequence, int limit, CancellationToken cancellationToken = default) =>
        db.QueryAsync("SELECT sequence, message, at FROM mtc_group_messages WHERE group_id = @g AND sequence > @s ORDER BY sequence LIMIT @l",
            r => new MtcGroupMessage(groupId, (uint)r.GetInt64(0), (byte[])r.GetValue(1), SqlDatabase.FromMs(r.GetInt64(2))), cancellationToken,
            ("@g", groupId), ("@s", (long)afterSequence), ("@l", limit));

    public ValueTask<bool> RecordAckAsync(string groupId, string identity, uint epoch, CancellationToken cancellationToken = default) =>
        db.RunAsync(async c => await SqlDatabase.ExecuteAsync(c, null, "UPDATE mtc_group_members SET acked_epoch = @e WHERE group_id = @g AND identity = @i", cancellationToken,
            ("@e", (long)epoch), ("@g", groupId), ("@i", identity)).ConfigureAwait(false) == 1, cancellationToken);

    public ValueTask SetMemberKeyAsync(string identity, ReadOnlyMemory<byte> memberKey, CancellationToken cancellationToken = default)
    {
        var wrapped = db.Protector.Protect(memberKey.Span, MemberPlace(identity));
        return new(db.WriteAsync(async (c, tx) =>
        {
            await SqlDatabase.ExecuteAsync(c, tx, "DELETE FROM mtc_member_keys WHERE identity = @i", cancellationToken, ("@i", identity)).ConfigureAwait(false);
            return await SqlDatabase.ExecuteAsync(c, tx, "INSERT INTO mtc_member_keys (identity, key_enc, updated_at) VALUES (@i, @k, @t)", cancellationToken,
                ("@i", identity), ("@k", wrapped), ("@t", db.NowMs)).ConfigureAwait(false);
        }, cancellationToken).AsTask());
    }

    public async ValueTask<byte[]?> GetMemberKeyAsync(string identity, CancellationToken cancellationToken = default) =>
        (await db.QueryAsync("SELECT key_enc FROM mtc_member_keys WHERE identity = @i", r => (byte[])r.GetValue(0), cancellationToken, ("@i", identity)).ConfigureAwait(false))
        .FirstOrDefault() is { } blob ? db.Protector.Unprotect(blob, MemberPlace(identity)) : null;

    public ValueTask SetFeaturesAsync(string identity, IReadOnlyCollection<string> features, CancellationToken cancellationToken = default) =>
        ReplaceFeaturesAsync(identity, features, null, cancellationToken);

    public ValueTask SetFeaturesAsync(string identity, IReadOnlyCollection<string> features, AuditRecord audit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(audit);
        return ReplaceFeaturesAsync(identity, features, audit, cancellationToken);
    }

    /// <summary>The features replaced and their entry (if any): one transaction (decision 036).</summary>
    private ValueTask ReplaceFeaturesAsync(string identity, IReadOnlyCollection<string> features, AuditRecord? audit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(features);
        var list = string.Join(',', features.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal));
        return new(db.WriteAsync(async (c, tx) =>
        {
            await SqlDatabase.ExecuteAsync(c, tx, "DELETE FROM mtc_features WHERE identity = @i", cancellationToken, ("@i", identity)).ConfigureAwait(false);
            if (audit is not null)
                await SqlAuditLog.AppendAsync(db, c, tx, audit, cancellationToken).ConfigureAwait(false);
            return await SqlDatabase.ExecuteAsync(c, tx, "INSERT INTO mtc_features (identity, features, updated_at) VALUES (@i, @f, @t)", cancellationToken,
                ("@i", identity), ("@f", list), ("@t", db.NowMs)).ConfigureAwait(false);
        }, cancellationToken).AsTask());
    }

    public async ValueTask<IReadOnlyList<string>> GetFeaturesAsync(string identity, CancellationToken cancellationToken = default) =>
        (await db.QueryAsync("SELECT features FROM mtc_features WHERE identity = @i", r => r.GetString(0), cancellationToken, ("@i", identity)).ConfigureAwait(false))
        .FirstOrDefault() is { Length: > 0 } f ? f.Split(',') : [];

    public async ValueTask<byte[]> GetOrCreateSigningKeyAsync(Func<byte[]> create, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(create);
        var existing = (await db.QueryAsync("SELECT key_enc FROM mtc_signing_key WHERE id = 1", r => (byte[])r.GetValue(0), cancellationToken).ConfigureAwait(false)).FirstOrDefault();
        if (existing is null)
        {
            // Two instances may race: the first INSERT wins and both read it back.
            await db.TryInsertAsync("INSERT INTO mtc_signing_key (id, key_enc) VALUES (1, @k)", cancellationToken, ("@k", db.Protector.Protect(create(), SigningPlace)))
                .ConfigureAwait(false);
            existing = (await db.QueryAsync("SELECT key_enc FROM mtc_signing_key WHERE id = 1", r => (byte[])r.GetValue(0), cancellationToken).ConfigureAwait(false)).First();
        }
        return db.Protector.Unprotect(existing, SigningPlace);
    }

    private static MtcGroup ReadGroup(DbDataReader r) =>
        new(r.GetString(0), (uint)r.GetInt64(1), (uint)r.GetInt64(2), (uint)r.GetInt64(3), (int)r.GetInt64(4), SqlDatabase.FromMs(r.GetInt64(5)));
}
