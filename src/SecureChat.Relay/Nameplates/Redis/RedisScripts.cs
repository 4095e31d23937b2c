namespace SecureChat.Relay.Nameplates.Redis;

/// <summary>
/// The Lua scripts of the Redis registry (docs/RELAY.md, "Several relay nodes"). Each runs
/// atomically on the Redis server; StackExchange.Redis sends them by SHA and loads them again
/// when Redis answers NOSCRIPT (after a restart). Keys: <c>sc:np:&lt;n&gt;</c> holds
/// <c>node_id|advertise|seq</c> while a node's waiter waits there, or <c>used</c> for 60 s after;
/// <c>sc:np:small</c> is a bitmap with bit n set while nameplate n (1–999) may be taken. The
/// scripts build <c>sc:np:&lt;n&gt;</c> names themselves, so they need a single Redis, not a cluster.
/// </summary>
internal static class RedisScripts
{
    /// <summary>The prefix of a nameplate's key.</summary>
    public const string KeyPrefix = "sc:np:";

    /// <summary>The small-nameplate bitmap.</summary>
    public const string SmallBitmap = "sc:np:small";

    /// <summary>The tombstone value.</summary>
    public const string Used = "used";

    /// <summary>
    /// The smallest free small nameplate: BITPOS for a clear bit, set it, SET NX its key; a key
    /// that exists with its bit clear (a sweep raced it) just keeps its bit and the search goes
    /// on. KEYS[1] bitmap; ARGV: prefix, value, lease ms, largest small nameplate. Returns n or -1.
    /// </summary>
    public const string AllocateSmall = """
        redis.call('SETBIT', KEYS[1], 0, 1)
        local max = tonumber(ARGV[4])
        while true do
          local n = redis.call('BITPOS', KEYS[1], 0)
          if n < 0 or n > max then return -1 end
          redis.call('SETBIT', KEYS[1], n, 1)
          if redis.call('SET', ARGV[1] .. n, ARGV[2], 'PX', ARGV[3], 'NX') then return n end
        end
        """;

    /// <summary>
    /// One batched lease refresh: for each KEYS[i] with ARGV[2+i] the value this node wrote,
    /// PEXPIRE it if it still holds that value (1), write it again if the key is gone, as after a
    /// Redis restart (2, and its bitmap bit is set again), or report it lost to another value (0).
    /// ARGV[1] lease ms, ARGV[2] largest small nameplate.
    /// </summary>
    public const string Refresh = """
        local out = {}
        local max = tonumber(ARGV[2])
        for i, key in ipairs(KEYS) do
          local want = ARGV[2 + i]
          local v = redis.call('GET', key)
          if v == want then
            redis.call('PEXPIRE', key, ARGV[1])
            out[i] = 1
          elseif not v then
            redis.call('SET', key, want, 'PX', ARGV[1])
            local n = tonumber(string.sub(key, 7))
            if n and n <= max then redis.call('SETBIT', 'sc:np:small', n, 1) end
            out[i] = 2
          else
            out[i] = 0
          end
        end
        return out
        """;

    /// <summary>KEYS[1] becomes <c>used</c> for ARGV[2] ms if it still holds ARGV[1]; returns 1, or 0 if not.</summary>
    public const string MarkUsed = """
        if redis.call('GET', KEYS[1]) == ARGV[1] then
          redis.call('SET', KEYS[1], 'used', 'PX', ARGV[2])
          return 1
        end
        return 0
        """;

    /// <summary>
    /// A claim for a nameplate this node holds no waiter under. KEYS[1]; ARGV: this node's id, its
    /// advertised address, "1" if a key with this node's id may be deleted ("0" while this node has
    /// an allocation in flight, whose key exists a moment before the node holds its waiter).
    /// Missing or used: {"unknown"}; this node's id or address (a predecessor at the same address,
    /// or a key this node failed to release): delete it, {"stale"}; anything else: {"redirect", address}.
    /// </summary>
    public const string Claim = """
        local v = redis.call('GET', KEYS[1])
        if not v or v == 'used' then return {'unknown'} end
        local node, address = string.match(v, '^([^|]*)|(.*)|[^|]*$')
        if not node then return {'unknown'} end
        if node == ARGV[1] or address == ARGV[2] then
          if node ~= ARGV[1] or ARGV[3] == '1' then redis.call('DEL', KEYS[1]) end
          return {'stale'}
        end
        return {'redirect', address}
        """;

    /// <summary>Clears the bitmap bits 1..ARGV[2] whose key (prefix ARGV[1]) is gone. KEYS[1] bitmap. Returns how many.</summary>
    public const string Sweep = """
        local cleared = 0
        for n = 1, tonumber(ARGV[2]) do
          if redis.call('GETBIT', KEYS[1], n) == 1 and redis.call('EXISTS', ARGV[1] .. n) == 0 then
            redis.call('SETBIT', KEYS[1], n, 0)
            cleared = cleared + 1
          end
        end
        return cleared
        """;
}
