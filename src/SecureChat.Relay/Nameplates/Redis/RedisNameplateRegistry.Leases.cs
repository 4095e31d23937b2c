using StackExchange.Redis;

namespace SecureChat.Relay.Nameplates.Redis;

/// <summary>
/// Keeping this node's keys right: the batched lease refresh (every 10 s; keys re-created after a
/// Redis restart, waiters whose key another value took end as <c>lost</c>), the bitmap sweep, the
/// <c>used</c> tombstones with their retry, and the connection-state reports.
/// </summary>
internal sealed partial class RedisNameplateRegistry
{
    /// <summary>Refreshes every lease this node holds, retries failed tombstones; ends waiters whose key another value took.</summary>
    internal async Task RefreshAsync()
    {
        if (Volatile.Read(ref _disposed) != 0 || Interlocked.Exchange(ref _refreshing, 1) != 0)
        {
            return;
        }

        try
        {
            foreach ((int n, string value) in _pendingUsed)
            {
                if (await TryMarkUsedAsync(n, value).ConfigureAwait(false))
                {
                    _pendingUsed.TryRemove(new KeyValuePair<int, string>(n, value));
                }
            }

            KeyValuePair<int, Held>[] all = [.. _held];
            for (int start = 0; start < all.Length; start += RefreshBatch)
            {
                ArraySegment<KeyValuePair<int, Held>> batch = new(all, start, Math.Min(RefreshBatch, all.Length - start));
                RedisKey[] keys = [.. batch.Select(h => Key(h.Key))];
                RedisValue[] values = [LeaseMs, SmallMax, .. batch.Select(h => (RedisValue)h.Value.Value)];
                var results = (RedisResult[])(await Db.ScriptEvaluateAsync(RedisScripts.Refresh, keys, values).ConfigureAwait(false))!;
                for (int i = 0; i < results.Length; i++)
                {
                    if ((long)results[i] == 0 && _held.TryRemove(batch[i]))
                    {
                        // Another node holds the nameplate now (this node was cut off past its lease).
                        batch[i].Value.Waiter.Expire("lost");
                    }
                }
            }
        }
        catch (Exception e) when (IsRedisFailure(e))
        {
            // Redis is away: the leases run on; the next refresh re-creates what expired.
        }
        finally
        {
            Volatile.Write(ref _refreshing, 0);
        }
    }

    /// <summary>Clears bitmap bits whose nameplate key expired.</summary>
    internal async Task SweepAsync()
    {
        if (Volatile.Read(ref _disposed) != 0 || Interlocked.Exchange(ref _sweeping, 1) != 0)
        {
            return;
        }

        try
        {
            await Db.ScriptEvaluateAsync(RedisScripts.Sweep, [RedisScripts.SmallBitmap], [RedisScripts.KeyPrefix, SmallMax]).ConfigureAwait(false);
        }
        catch (Exception e) when (IsRedisFailure(e))
        {
            // The next sweep will do.
        }
        finally
        {
            Volatile.Write(ref _sweeping, 0);
        }
    }

    /// <summary>
    /// Writes the tombstone; until it is written the nameplate stays in the pending set, so a
    /// refresh retries it and a stop (<see cref="Dispose"/>) writes it even while this call is
    /// still in flight.
    /// </summary>
    private async Task MarkUsedAsync(int nameplate, string value)
    {
        _pendingUsed[nameplate] = value;
        if (await TryMarkUsedAsync(nameplate, value).ConfigureAwait(false))
        {
            _pendingUsed.TryRemove(new KeyValuePair<int, string>(nameplate, value));
        }
    }

    /// <summary>True when the tombstone is written, or the key is no longer this waiter's; false when Redis could not be asked.</summary>
    private async Task<bool> TryMarkUsedAsync(int nameplate, string value)
    {
        try
        {
            await Db.ScriptEvaluateAsync(RedisScripts.MarkUsed, [Key(nameplate)], [value, UsedMs]).ConfigureAwait(false);
            return true;
        }
        catch (Exception e) when (IsRedisFailure(e))
        {
            return false;
        }
    }

    /// <summary>Raises <see cref="ConnectionChanged"/> once per change (the client reports each of its connections).</summary>
    private void Report(bool up)
    {
        if (Interlocked.Exchange(ref _reportedUp, up ? 1 : 0) != (up ? 1 : 0) && Volatile.Read(ref _disposed) == 0)
        {
            ConnectionChanged?.Invoke(up);
        }
    }
}
