package dev.herald.redis;

/**
 * The Lua scripts of {@link RedisDigestStore}, over the keys {@link RedisDigestLayout} describes.
 * Each runs on one shard, so it is atomic there (and on Redis Cluster, since a shard's keys share a
 * hash tag).
 */
final class RedisDigestScripts {

  private RedisDigestScripts() {}

  // KEYS: due, seen, out, n, dl, sched, keys, o, first, last. ARGV: tag, rule, quiet ms, maxWait ms
  // (0 none), maxItems (0 none), now ms, sinks joined by newlines, then per script.
  //
  // Each script touches many buckets, so it sends one command per kind of change for all of them
  // (one ZADD of every deadline, one HSET of every opening event...) rather than one per bucket:
  // Lua's per-call cost, not the commands, was most of the Redis time per scan.
  private static final String PRELUDE =
      """
      local P, rule = ARGV[1], ARGV[2]
      local quiet, maxwait, maxitems, now = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
      local nowtext = ARGV[6]
      local sinks = {}
      for s in string.gmatch(ARGV[7], '[^\\n]+') do sinks[#sinks + 1] = s end
      local O, F, L = KEYS[8], KEYS[9], KEYS[10]
      -- unpack() is bounded by Lua's C stack: long argument lists go in chunks (of an even size,
      -- so that score-member pairs stay together)
      local function chunks(list, fn)
        for s = 1, #list, 1000 do fn(unpack(list, s, math.min(s + 999, #list))) end
      end
      local function fetch(cmd, key, list)
        local out = {}
        chunks(list, function(...)
          local r = key and redis.call(cmd, key, ...) or redis.call(cmd, ...)
          for i = 1, #r do out[#out + 1] = r[i] end
        end)
        return out
      end
      local outms -- read and advanced once per script, by its first close
      local closed = {}
      -- Closes the open buckets of these keys (a key without one is skipped): the notification
      -- record, its outbox entry and one pending delivery per sink, all in this script.
      local function close(keys)
        if #keys == 0 then return end
        local dues = fetch('ZMSCORE', KEYS[1], keys)
        local firsts = fetch('ZMSCORE', F, keys)
        local lasts = fetch('ZMSCORE', L, keys)
        local opens = fetch('HMGET', O, keys)
        local itemkeys = {}
        for i, key in ipairs(keys) do itemkeys[i] = P .. ':i:' .. key end
        local texts = fetch('MGET', nil, itemkeys)
        chunks(keys, function(...)
          redis.call('HDEL', O, ...)
          redis.call('ZREM', KEYS[1], ...)
          redis.call('ZREM', KEYS[7], ...)
          redis.call('ZREM', F, ...)
          redis.call('ZREM', L, ...)
        end)
        chunks(itemkeys, function(...) redis.call('DEL', ...) end)
        if not outms then
          outms = math.max(now, tonumber(redis.call('GET', P .. ':outms') or '0'))
          redis.call('SET', P .. ':outms', string.format('%d', outms))
        end
        local outid = string.format('%d', outms) .. '-*'
        local records, states, schedule = {}, {}, {}
        for i, key in ipairs(keys) do
          if dues[i] then
            local id = 'n-' .. string.sub(redis.sha1hex(rule .. '\\0' .. key .. '\\0' .. opens[i] .. '\\0'), 1, 32)
            local record = id .. ' ' .. firsts[i] .. ' ' .. lasts[i] .. ' ' .. dues[i] .. ' ' .. nowtext .. '\\n' .. cjson.encode(rule) .. '\\n'
              .. cjson.encode(key) .. '\\n' .. (texts[i] or '')
            records[#records + 1] = id
            records[#records + 1] = record
            redis.call('XADD', KEYS[3], outid, 'n', id)
            for _, s in ipairs(sinks) do
              states[#states + 1] = id .. '|' .. s
              states[#states + 1] = 'PENDING|0'
              schedule[#schedule + 1] = nowtext
              schedule[#schedule + 1] = id .. '|' .. s
            end
            closed[#closed + 1] = record
          end
        end
        chunks(records, function(...) redis.call('HSET', KEYS[4], ...) end)
        chunks(states, function(...) redis.call('HSET', KEYS[5], ...) end)
        chunks(schedule, function(...) redis.call('ZADD', KEYS[6], ...) end)
      end
      """;

  // For rules with neither maxWait nor maxItems: the caller has grouped the batch by key, so the
  // script does no work per item beyond the idempotency check; every write is blind (ZADD GT
  // and LT keep the latest deadline and the earliest time, APPEND tells whether the bucket is new).
  // Answers {"!dup"} and changes nothing when an event was taken before, for the caller to send
  // the batch through ADD instead. ARGV 8: events n, 9: keys m, then the n event ids, m (due,
  // key) pairs, m (first, key) pairs, m (last, key) pairs, m (key, opening event, items) triples.
  static final String ADD_GROUPED =
      PRELUDE
          + """
      local n, m = tonumber(ARGV[8]), tonumber(ARGV[9])
      local function ranges(from, count, fn)
        for s = from, from + count - 1, 1000 do fn(unpack(ARGV, s, math.min(s + 999, from + count - 1))) end
      end
      local dup = false
      ranges(10, n, function(...)
        local r = redis.call('ZMSCORE', KEYS[2], ...)
        for i = 1, #r do if r[i] then dup = true end end
      end)
      if dup then return {'!dup'} end
      local seen = {}
      for i = 10, 9 + n do
        seen[#seen + 1] = nowtext
        seen[#seen + 1] = ARGV[i]
      end
      chunks(seen, function(...) redis.call('ZADD', KEYS[2], ...) end)
      local a = 10 + n
      ranges(a, 2 * m, function(...) redis.call('ZADD', KEYS[1], 'GT', ...) end)
      ranges(a + 2 * m, 2 * m, function(...) redis.call('ZADD', F, 'LT', ...) end)
      ranges(a + 4 * m, 2 * m, function(...) redis.call('ZADD', L, 'GT', ...) end)
      local opens, listed = {}, {}
      for t = a + 6 * m, a + 9 * m - 1, 3 do
        local key, items = ARGV[t], ARGV[t + 2]
        if redis.call('APPEND', P .. ':i:' .. key, items) == #items then
          opens[#opens + 1] = key
          opens[#opens + 1] = ARGV[t + 1]
          listed[#listed + 1] = '0'
          listed[#listed + 1] = key
        end
      end
      chunks(opens, function(...) redis.call('HSET', O, ...) end)
      chunks(listed, function(...) redis.call('ZADD', KEYS[7], ...) end)
      return closed
      """;

  // Any rule, item by item. ARGV 8.. : event id, key, time ms, item JSON, repeated.
  static final String ADD =
      PRELUDE
          + """
      local n = (#ARGV - 7) / 4
      local ids = {}
      for i = 1, n do ids[i] = ARGV[4 + 4 * i] end
      local scores = n > 0 and fetch('ZMSCORE', KEYS[2], ids) or {}
      -- the items of events not taken before, grouped by key in arrival order
      local taken, seen, order, groups = {}, {}, {}, {}
      for i = 1, n do
        local id = ids[i]
        if not scores[i] and not taken[id] then
          taken[id] = true
          seen[#seen + 1] = nowtext
          seen[#seen + 1] = id
          local key = ARGV[5 + 4 * i]
          local g = groups[key]
          if not g then
            g = {}
            groups[key] = g
            order[#order + 1] = key
          end
          g[#g + 1] = i
        end
      end
      if #order == 0 then return closed end
      chunks(seen, function(...) redis.call('ZADD', KEYS[2], ...) end)
      local opens = fetch('HMGET', O, order)
      local firsts = fetch('ZMSCORE', F, order)
      local lasts = fetch('ZMSCORE', L, order)
      local counts = {}
      if maxitems > 0 then
        local itemkeys = {}
        for k, key in ipairs(order) do itemkeys[k] = P .. ':i:' .. key end
        local texts = fetch('MGET', nil, itemkeys)
        for k = 1, #order do
          local c = 0
          if texts[k] then for _ in string.gmatch(texts[k], '\\n') do c = c + 1 end end
          counts[k] = c
        end
      end
      -- the state of the buckets written, one command per kind of change
      local due, first, last, opened, listed = {}, {}, {}, {}, {}
      local function write()
        chunks(due, function(...) redis.call('ZADD', KEYS[1], ...) end)
        chunks(first, function(...) redis.call('ZADD', F, ...) end)
        chunks(last, function(...) redis.call('ZADD', L, ...) end)
        chunks(opened, function(...) redis.call('HSET', O, ...) end)
        chunks(listed, function(...) redis.call('ZADD', KEYS[7], ...) end)
        due, first, last, opened, listed = {}, {}, {}, {}, {}
      end
      local function put(key, o, f, l, fresh)
        local d = l + quiet
        if maxwait > 0 and f + maxwait < d then d = f + maxwait end
        due[#due + 1] = string.format('%d', d)
        due[#due + 1] = key
        first[#first + 1] = string.format('%d', f)
        first[#first + 1] = key
        last[#last + 1] = string.format('%d', l)
        last[#last + 1] = key
        if fresh then
          opened[#opened + 1] = key
          opened[#opened + 1] = o
          listed[#listed + 1] = '0'
          listed[#listed + 1] = key
        end
      end
      for k, key in ipairs(order) do
        local o, f, l, c = opens[k], tonumber(firsts[k]), tonumber(lasts[k]), counts[k] or 0
        local fresh = not o
        local lines = {}
        for _, i in ipairs(groups[key]) do
          local t = tonumber(ARGV[6 + 4 * i])
          if not o then
            o, f, l, c, fresh = ARGV[4 + 4 * i], t, t, 0, true
          else
            if t < f then f = t end
            if t > l then l = t end
          end
          c = c + 1
          lines[#lines + 1] = ARGV[6 + 4 * i] .. ' ' .. ARGV[7 + 4 * i] .. '\\n'
          if maxitems > 0 and c >= maxitems then
            -- full: stored as it stands and closed; the key's next item opens a new bucket
            redis.call('APPEND', P .. ':i:' .. key, table.concat(lines))
            put(key, o, f, l, fresh)
            write()
            close({key})
            o, lines = nil, {}
          end
        end
        if o then
          redis.call('APPEND', P .. ':i:' .. key, table.concat(lines))
          put(key, o, f, l, fresh)
        end
      end
      write()
      return closed
      """;

  // ARGV 8: limit, 9: seen retention ms.
  static final String CLOSE_DUE =
      PRELUDE
          + """
      close(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[8])))
      redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - tonumber(ARGV[9]))
      return closed
      """;

  // ARGV 8: key.
  static final String FLUSH =
      PRELUDE
          + """
      close({ARGV[8]})
      return closed
      """;

  // KEYS: keys, h, layout version, o, first, last. ARGV: tag. Moves the open buckets of earlier
  // layouts into this one, once: the first kept a hash per bucket (T:b:<key>), the second one
  // header text per bucket in the hash T:h ("<opening event> <first> <last> <count> <due>").
  static final String UPGRADE =
      """
      if redis.call('GET', KEYS[3]) == '3' then return 0 end
      local moved = 0
      for _, key in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
        local b = ARGV[1] .. ':b:' .. key
        local o, f, l = unpack(redis.call('HMGET', b, 'o', 'f', 'l'))
        if o then
          redis.call('DEL', b)
        else
          local h = redis.call('HGET', KEYS[2], key)
          if h then o, f, l = string.match(h, '^(%S+) (%S+) (%S+)') end
        end
        if o then
          redis.call('HSET', KEYS[4], key, o)
          redis.call('ZADD', KEYS[5], f, key)
          redis.call('ZADD', KEYS[6], l, key)
          moved = moved + 1
        end
      end
      redis.call('DEL', KEYS[2])
      redis.call('SET', KEYS[3], '3')
      return moved
      """;
}
