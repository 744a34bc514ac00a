using System.Globalization;
using M2MSec.Aka;
using M2MSec.Storage.Hss;
using M2MSec.Storage.Security;

namespace M2MSec.Storage.Sql;

/// <summary>Subscribers in SQL: K and OPc wrapped per row; SQN allocation is one atomic UPDATE … RETURNING.</summary>
internal sealed class SqlHssSubscriberStore(SqlDatabase db) : IEditableHssSubscriberStore
{
    public ValueTask<HssSubscriber?> FindAsync(string imsi, CancellationToken cancellationToken = default) =>
        db.ReadAsync<HssSubscriber?>(async c =>
        {
            await using var command = SqlDatabase.Command(c, null,
                "SELECT kind, algorithm, k_enc, opc_enc, amf FROM subscribers WHERE identity = @id", ("@id", imsi));
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                return null;
            var kind = Enum.Parse<SubscriberIdentityKind>(reader.GetString(0), ignoreCase: true);
            var k = db.Protector.Unprotect((byte[])reader.GetValue(2), SecretProtector.Place("subscribers", imsi, "k"));
            var opc = db.Protector.Unprotect((byte[])reader.GetValue(3), SecretProtector.Place("subscribers", imsi, "opc"));
            return new HssSubscriber(imsi, k, opc, (byte[])reader.GetValue(4), kind, reader.GetString(1));
        }, cancellationToken);

    public ValueTask<HssSqnState?> GetSqnStateAsync(string imsi, CancellationToken cancellationToken = default) =>
        db.ReadAsync<HssSqnState?>(async c =>
        {
            await using var command = SqlDatabase.Command(c, null, "SELECT seq_he, ind_he FROM subscribers WHERE identity = @id", ("@id", imsi));
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            return await reader.ReadAsync(cancellationToken).ConfigureAwait(false)
                ? new HssSqnState((ulong)reader.GetInt64(0), reader.GetInt32(1))
                : null;
        }, cancellationToken);

    public ValueTask<IReadOnlyList<string>> FindWithVectorsAsync(IReadOnlyCollection<string> identities, CancellationToken cancellationToken = default) =>
        db.QueryByIdsAsync("SELECT identity FROM subscribers WHERE identity IN ({ids}) AND seq_he > 0", identities, r => r.GetString(0), cancellationToken);

    public ValueTask<bool> AddAsync(HssSubscriber subscriber, ulong initialSeqHe = 0, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(subscriber);
        var id = subscriber.ImsiValue;
        var k = db.Protector.Protect(subscriber.K, SecretProtector.Place("subscribers", id, "k"));
        var opc = db.Protector.Protect(subscriber.Opc, SecretProtector.Place("subscribers", id, "opc"));
        return db.TryInsertAsync(
            "INSERT INTO subscribers (identity, kind, algorithm, k_enc, opc_enc, amf, seq_he, ind_he, created_at) VALUES (@id, @kind, @alg, @k, @opc, @amf, @seq, 0, @t)",
            cancellationToken, ("@id", id), ("@kind", subscriber.Kind.ToString().ToLowerInvariant()), ("@alg", subscriber.Algorithm),
            ("@k", k), ("@opc", opc), ("@amf", subscriber.Amf), ("@seq", checked((long)initialSeqHe)), ("@t", db.NowMs));
    }

    public ValueTask<ulong[]?> AllocateSqnsAsync(string imsi, int count, SqnScheme scheme, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        ArgumentNullException.ThrowIfNull(scheme);
        return db.RunAsync<ulong[]?>(async c =>
        {
            // One statement: atomic in SQLite (database write lock) and PostgreSQL (row lock).
            await using var command = SqlDatabase.Command(c, null,
                "UPDATE subscribers SET seq_he = seq_he + @n, ind_he = (ind_he + @n) % @inds WHERE identity = @id AND seq_he + @n <= @max RETURNING seq_he, ind_he",
                ("@n", (long)count), ("@inds", scheme.IndCount), ("@id", imsi), ("@max", (long)scheme.MaxSeq));
            long seqNew;
            int indNew;
            await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
            {
                if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    await reader.DisposeAsync().ConfigureAwait(false);
                    if (await GetSqnStateAsync(imsi, cancellationToken).ConfigureAwait(false) is null)
                        return null;
                    throw new InvalidOperationException("SEQ_HE is exhausted; the subscription needs a new key.");
                }
                seqNew = reader.GetInt64(0);
                indNew = Convert.ToInt32(reader.GetValue(1), CultureInfo.InvariantCulture);
            }
            var seqOld = (ulong)seqNew - (ulong)count;
            var indOld = ((indNew - count) % scheme.IndCount + scheme.IndCount) % scheme.IndCount;
            var sqns = new ulong[count];
            for (var i = 0; i < count; i++)
                sqns[i] = scheme.Compose(seqOld + 1 + (ulong)i, (indOld + i) % scheme.IndCount);
            return sqns;
        }, cancellationToken);
    }

    public ValueTask<bool> ResynchroniseAsync(string imsi, ulong sqnMs, SqnScheme scheme, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(scheme);
        var seqMs = (long)scheme.Seq(sqnMs);
        return db.RunAsync(async c =>
            await SqlDatabase.ExecuteAsync(c, null, "UPDATE subscribers SET seq_he = @s WHERE identity = @id AND seq_he < @s",
                cancellationToken, ("@s", seqMs), ("@id", imsi)).ConfigureAwait(false) == 1, cancellationToken);
    }

    public ValueTask<bool> RemoveAsync(string imsi, CancellationToken cancellationToken = default) =>
        db.RunAsync(async c => await SqlDatabase.ExecuteAsync(c, null, "DELETE FROM subscribers WHERE identity = @id", cancellationToken, ("@id", imsi))
            .ConfigureAwait(false) == 1, cancellationToken);
}
