package dev.herald.redis;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.digest.Bucket;
import dev.herald.digest.DigestItem;
import dev.herald.digest.DigestRule;
import dev.herald.digest.DigestStore;
import dev.herald.digest.InlineItems;
import dev.herald.json.Json;
import dev.herald.notify.Notification;
import dev.herald.notify.Sink;
import io.lettuce.core.Limit;
import io.lettuce.core.Range;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.ScoredValue;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.async.RedisAsyncCommands;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * {@link DigestStore} on Redis, laid out as {@link RedisDigestLayout} says. Adding items and
 * moving deadlines, and closing a bucket with its notification and pending deliveries, are each
 * one Lua script per shard, so several Herald processes can share the state: a bucket is closed
 * by exactly one of them, and an event added twice (by two consumers after a claim) counts once.
 *
 * <p>Atomicity is per shard: a batch spanning shards is applied shard by shard, each atomically;
 * since every item is idempotent, retrying a batch after a failure completes it.
 *
 * <p>Thread-safety: safe for concurrent use, by any number of processes.
 */
public final class RedisDigestStore implements DigestStore {

  private static final Duration SEEN_RETENTION = Duration.ofDays(7);

  // KEYS: due, seen, out, n, dl, sched, keys, h. ARGV: tag, rule, quiet ms, maxWait ms (0 none),
  // maxItems (0 none), now ms, sinks joined by newlines, then per script.
  //
  // Each script touches many buckets, so it sends one command per kind of change for all of them
  // (HMGET of every header, one ZADD of every deadline...) rather than one per bucket: Lua's
  // per-call cost, not the commands, was most of the Redis time per scan.
  private static final String PRELUDE = """
      local P, rule = ARGV[1], ARGV[2]
      local quiet, maxwait, maxitems, now = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
      local nowtext = ARGV[6]
      local sinks = {}
      for s in string.gmatch(ARGV[7], '[^\\n]+') do sinks[#sinks + 1] = s end
      local H = KEYS[8]
      -- unpack() is bounded by Lua's C stack: long argument lists go in chunks
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
      -- Numbers handed to redis.call are formatted as floats ('%.14g') on the way: a measurable
      -- part of the script's time per item. The deadline goes out as the text made here.
      local function header(o, f, l, c)
        local d = l + quiet
        if maxwait > 0 and f + maxwait < d then d = f + maxwait end
        local dtext = string.format('%d', d)
        return o .. ' ' .. string.format('%d %d %d ', f, l, c) .. dtext, dtext
      end
      local outms -- read and advanced once per script, by its first close
      local closed = {}
      -- Closes the open buckets of these keys (a key without one is skipped): the notification
      -- record, its outbox entry and one pending delivery per sink, all in this script.
      local function close(keys)
        if #keys == 0 then return end
        local heads = fetch('HMGET', H, keys)
        local itemkeys = {}
        for i, key in ipairs(keys) do itemkeys[i] = P .. ':i:' .. key end
        local texts = fetch('MGET', nil, itemkeys)
        chunks(keys, function(...)
          redis.call('HDEL', H, ...)
          redis.call('ZREM', KEYS[1], ...)
          redis.call('ZREM', KEYS[7], ...)
        end)
        chunks(itemkeys, function(...) redis.call('DEL', ...) end)
        if not outms then
          outms = math.max(now, tonumber(redis.call('GET', P .. ':outms') or '0'))
          redis.call('SET', P .. ':outms', string.format('%d', outms))
        end
        local outid = string.format('%d', outms) .. '-*'
        local records, states, schedule = {}, {}, {}
        for i, key in ipairs(keys) do
          if heads[i] then
            local o, f, l, c, d = string.match(heads[i], '^(%S+) (%S+) (%S+) (%S+) (%S+)$')
            local id = 'n-' .. string.sub(redis.sha1hex(rule .. '\\0' .. key .. '\\0' .. o .. '\\0'), 1, 32)
            local record = id .. ' ' .. f .. ' ' .. l .. ' ' .. d .. ' ' .. nowtext .. '\\n' .. cjson.encode(rule) .. '\\n'
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

  // ARGV 8.. : event id, key, time ms, item JSON, repeated.
  private static final String ADD = PRELUDE + """
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
      local heads = fetch('HMGET', H, order)
      local headers, due, opened = {}, {}, {}
      for k, key in ipairs(order) do
        local o, f, l, c
        if heads[k] then
          local so, sf, sl, sc = string.match(heads[k], '^(%S+) (%S+) (%S+) (%S+)')
          o, f, l, c = so, tonumber(sf), tonumber(sl), tonumber(sc)
        end
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
            redis.call('HSET', H, key, (header(o, f, l, c)))
            close({key})
            o, lines = nil, {}
          end
        end
        if o then
          redis.call('APPEND', P .. ':i:' .. key, table.concat(lines))
          local h, d = header(o, f, l, c)
          headers[#headers + 1] = key
          headers[#headers + 1] = h
          due[#due + 1] = d
          due[#due + 1] = key
          if fresh then
            opened[#opened + 1] = '0'
            opened[#opened + 1] = key
          end
        end
      end
      chunks(headers, function(...) redis.call('HSET', H, ...) end)
      chunks(due, function(...) redis.call('ZADD', KEYS[1], ...) end)
      chunks(opened, function(...) redis.call('ZADD', KEYS[7], ...) end)
      return closed
      """;

  // ARGV 8: limit, 9: seen retention ms.
  private static final String CLOSE_DUE = PRELUDE + """
      close(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[8])))
      redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - tonumber(ARGV[9]))
      return closed
      """;

  // ARGV 8: key.
  private static final String FLUSH = PRELUDE + """
      close({ARGV[8]})
      return closed
      """;

  // KEYS: keys, h, layout version. ARGV: tag. Moves the open buckets of the first layout (a hash
  // per bucket, T:b:<key>) into the shard's header hash, once.
  private static final String UPGRADE = """
      if redis.call('GET', KEYS[3]) == '2' then return 0 end
      local moved = 0
      for _, key in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
        local b = ARGV[1] .. ':b:' .. key
        local o, f, l, c, d = unpack(redis.call('HMGET', b, 'o', 'f', 'l', 'c', 'd'))
        if o then
          redis.call('HSET', KEYS[2], key, o .. ' ' .. f .. ' ' .. l .. ' ' .. c .. ' ' .. d)
          redis.call('DEL', b)
          moved = moved + 1
        end
      end
      redis.call('SET', KEYS[3], '2')
      return moved
      """;

  private final RedisDatabase db;
  private final RedisDigestLayout layout;
  private final RedisDatabase.Script add;
  private final RedisDatabase.Script closeDue;
  private final RedisDatabase.Script flush;
  private final RedisDatabase.Script upgrade;
  private final Set<String> upgradedRules = ConcurrentHashMap.newKeySet();
  private final AtomicInteger closeRotation = new AtomicInteger();

  public RedisDigestStore(RedisDatabase db) {
    this.db = Objects.requireNonNull(db, "db");
    this.layout = new RedisDigestLayout(db);
    this.add = db.script(ADD);
    this.closeDue = db.script(CLOSE_DUE);
    this.flush = db.script(FLUSH);
    this.upgrade = db.script(UPGRADE);
  }

  /** Brings a rule's state written by an earlier layout up to date, once per process. */
  private void upgraded(String rule) {
    if (upgradedRules.contains(rule)) {
      return;
    }
    List<String[]> keys = new ArrayList<>();
    List<String[]> args = new ArrayList<>();
    for (int shard = 0; shard < RedisDigestLayout.SHARDS; shard++) {
      String t = layout.tag(rule, shard);
      keys.add(new String[] {t + ":keys", t + ":h", t + ":layout"});
      args.add(new String[] {t});
    }
    upgrade.runAll(ScriptOutputType.INTEGER, keys, args);
    upgradedRules.add(rule);
  }

  private List<String> prelude(DigestRule rule, int shard, Instant now) {
    List<String> args = new ArrayList<>();
    args.add(layout.tag(rule.name(), shard));
    args.add(rule.name());
    args.add(Long.toString(rule.quietPeriod().toMillis()));
    args.add(Long.toString(rule.maxWait().map(Duration::toMillis).orElse(0L)));
    args.add(Integer.toString(rule.maxItems().orElse(0)));
    args.add(Long.toString(now.toEpochMilli()));
    args.add(rule.deliver().stream().map(Sink::name).collect(Collectors.joining("\n")));
    return args;
  }

  /** Runs one script per shard, all sent before any answer is awaited. */
  private List<Notification> runAll(RedisDatabase.Script script, DigestRule rule, List<Integer> shards, List<List<String>> args) {
    List<Notification> closed = new ArrayList<>();
    runAllByShard(script, rule, shards, args).forEach(closed::addAll);
    return closed;
  }

  /** {@link #runAll}, with the notifications of each shard apart. */
  private List<List<Notification>> runAllByShard(RedisDatabase.Script script, DigestRule rule, List<Integer> shards, List<List<String>> args) {
    upgraded(rule.name());
    List<String[]> keys = new ArrayList<>(shards.size());
    for (int shard : shards) {
      keys.add(layout.keys(rule.name(), shard));
    }
    List<List<Object>> answers = script.runAll(ScriptOutputType.MULTI, keys, args.stream().map(a -> a.toArray(String[]::new)).toList());
    List<List<Notification>> closed = new ArrayList<>(answers.size());
    for (List<Object> records : answers) {
      List<Notification> fromShard = new ArrayList<>(records.size());
      for (Object record : records) {
        fromShard.add(RedisNotificationStore.notification(String.valueOf(record)));
      }
      closed.add(fromShard);
    }
    return closed;
  }

  @Override
  public List<Notification> add(DigestRule rule, List<DigestItem> items, Instant now) {
    Map<Integer, List<String>> byShard = new TreeMap<>();
    for (DigestItem item : items) {
      List<String> args = byShard.computeIfAbsent(RedisDigestLayout.shard(item.key()), shard -> prelude(rule, shard, now));
      args.add(item.eventId());
      args.add(item.key());
      args.add(Long.toString(item.time().toEpochMilli()));
      args.add(Json.write(item.item()));
    }
    if (byShard.isEmpty()) {
      return List.of();
    }
    return runAll(add, rule, List.copyOf(byShard.keySet()), List.copyOf(byShard.values()));
  }

  @Override
  public List<Notification> closeDue(DigestRule rule, Instant now, int limit) {
    // First every shard closes up to its share of the limit, all in one round trip; then the
    // shards that may have more (they used their whole share, or had none) close what the limit
    // leaves, one after another. The shards given the remainder of the division rotate.
    int base = limit / RedisDigestLayout.SHARDS;
    int extra = limit % RedisDigestLayout.SHARDS;
    int first = Math.floorMod(closeRotation.getAndAdd(Math.max(1, extra)), RedisDigestLayout.SHARDS);
    List<Integer> shards = new ArrayList<>();
    List<Integer> shares = new ArrayList<>();
    List<List<String>> args = new ArrayList<>();
    List<Integer> mayHaveMore = new ArrayList<>();
    for (int i = 0; i < RedisDigestLayout.SHARDS; i++) {
      int shard = (first + i) % RedisDigestLayout.SHARDS;
      int share = base + (i < extra ? 1 : 0);
      if (share == 0) {
        mayHaveMore.add(shard);
        continue;
      }
      shards.add(shard);
      shares.add(share);
      args.add(closeArgs(rule, shard, now, share));
    }
    List<Notification> closed = new ArrayList<>();
    List<List<Notification>> byShard = runAllByShard(closeDue, rule, shards, args);
    for (int i = 0; i < shards.size(); i++) {
      closed.addAll(byShard.get(i));
      if (byShard.get(i).size() == shares.get(i)) {
        mayHaveMore.add(shards.get(i));
      }
    }
    for (int shard : mayHaveMore) {
      if (closed.size() >= limit) {
        break;
      }
      closed.addAll(runAll(closeDue, rule, List.of(shard), List.of(closeArgs(rule, shard, now, limit - closed.size()))));
    }
    closed.sort(Comparator.comparing(Notification::dueAt));
    return closed;
  }

  private List<String> closeArgs(DigestRule rule, int shard, Instant now, int limit) {
    List<String> args = prelude(rule, shard, now);
    args.add(Integer.toString(limit));
    args.add(Long.toString(SEEN_RETENTION.toMillis()));
    return args;
  }

  @Override
  public Optional<Notification> flush(DigestRule rule, String key, Instant now) {
    int shard = RedisDigestLayout.shard(key);
    List<String> args = prelude(rule, shard, now);
    args.add(key);
    return runAll(flush, rule, List.of(shard), List.of(args)).stream().findFirst();
  }

  @Override
  public Optional<Instant> nextDue(String rule) {
    List<Function<RedisAsyncCommands<String, String>, RedisFuture<List<ScoredValue<String>>>>> firsts = new ArrayList<>();
    for (int shard = 0; shard < RedisDigestLayout.SHARDS; shard++) {
      String due = layout.tag(rule, shard) + ":due";
      firsts.add(redis -> redis.zrangeWithScores(due, 0, 0));
    }
    return db.pipeline(firsts).stream()
        .filter(first -> !first.isEmpty())
        .map(first -> first.getFirst().getScore())
        .min(Double::compare)
        .map(ms -> Instant.ofEpochMilli(ms.longValue()));
  }

  @Override
  public List<Bucket> openBuckets(String rule, String afterKey, int limit) {
    List<String> keys = new ArrayList<>();
    Range<String> range = afterKey.isEmpty() ? Range.unbounded() : Range.from(Range.Boundary.excluding(afterKey), Range.Boundary.unbounded());
    for (int shard = 0; shard < RedisDigestLayout.SHARDS; shard++) {
      String index = layout.tag(rule, shard) + ":keys";
      keys.addAll(db.call(redis -> redis.zrangebylex(index, range, Limit.from(limit))));
    }
    keys.sort(Comparator.naturalOrder());
    List<Bucket> buckets = new ArrayList<>();
    for (String key : keys.subList(0, Math.min(limit, keys.size()))) {
      openBucket(rule, key).ifPresent(buckets::add);
    }
    return buckets;
  }

  @Override
  public Optional<Bucket> openBucket(String rule, String key) {
    upgraded(rule);
    String h = layout.tag(rule, RedisDigestLayout.shard(key)) + ":h";
    String header = db.call(redis -> redis.hget(h, key));
    if (header == null) {
      return Optional.empty();
    }
    String[] f = header.split(" ");
    return Optional.of(new Bucket(rule, key, f[0], Instant.ofEpochMilli(Long.parseLong(f[1])), Instant.ofEpochMilli(Long.parseLong(f[2])),
        Instant.ofEpochMilli(Long.parseLong(f[4])), Integer.parseInt(f[3])));
  }

  @Override
  public List<JsonNode> openItems(String rule, String key) {
    upgraded(rule);
    String items = layout.tag(rule, RedisDigestLayout.shard(key)) + ":i:" + key;
    String text = db.call(redis -> redis.get(items));
    if (text == null) {
      return List.of();
    }
    return InlineItems.ordered(text).stream().map(Json::parseTrusted).toList();
  }

  @Override
  public long openBucketCount(String rule) {
    List<Function<RedisAsyncCommands<String, String>, RedisFuture<Long>>> counts = new ArrayList<>();
    for (int shard = 0; shard < RedisDigestLayout.SHARDS; shard++) {
      String due = layout.tag(rule, shard) + ":due";
      counts.add(redis -> redis.zcard(due));
    }
    return db.pipeline(counts).stream().mapToLong(Long::longValue).sum();
  }

  /** The store does not own the connection; close the {@link RedisDatabase} itself. */
  @Override
  public void close() {}
}
