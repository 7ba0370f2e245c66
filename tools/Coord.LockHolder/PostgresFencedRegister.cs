using Npgsql;

namespace Coord.LockHolder;

/// <summary>
/// A downstream resource in PostgreSQL that leaders write to, fenced by term: a row per key keeps the highest term
/// that wrote, and one conditional upsert refuses a write whose term is lower. Used by crash and pause tests.
/// </summary>
public static class PostgresFencedRegister
{
    private const string Table = "coord_test_fenced_register";

    /// <summary>Writes <paramref name="payload"/> with <paramref name="term"/>; false when a higher term wrote before (nothing is changed then).</summary>
    public static async Task<bool> WriteAsync(NpgsqlDataSource db, string key, long term, string payload)
    {
        await using (var create = db.CreateCommand($"CREATE TABLE IF NOT EXISTS {Table} (key text PRIMARY KEY, term bigint NOT NULL, payload text NOT NULL)"))
            await create.ExecuteNonQueryAsync();
        await using var write = db.CreateCommand($"""
            INSERT INTO {Table} (key, term, payload) VALUES ($1, $2, $3)
            ON CONFLICT (key) DO UPDATE SET term = excluded.term, payload = excluded.payload WHERE {Table}.term <= excluded.term
            RETURNING 1
            """);
        write.Parameters.Add(new NpgsqlParameter { Value = key });
        write.Parameters.Add(new NpgsqlParameter { Value = term });
        write.Parameters.Add(new NpgsqlParameter { Value = payload });
        return await write.ExecuteScalarAsync() is not null;
    }

    /// <summary>What the register holds: the highest term that wrote and its payload, or nulls before any write.</summary>
    public static async Task<(long? Term, string? Payload)> ReadAsync(NpgsqlDataSource db, string key)
    {
        await using var read = db.CreateCommand($"SELECT term, payload FROM {Table} WHERE key = $1");
        read.Parameters.Add(new NpgsqlParameter { Value = key });
        await using var reader = await read.ExecuteReaderAsync();
        return await reader.ReadAsync() ? (reader.GetInt64(0), reader.GetString(1)) : (null, null);
    }
}
