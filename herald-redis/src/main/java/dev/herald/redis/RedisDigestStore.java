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
import java.util.HashSet;
import java.util.LinkedHashMap;
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

  // KEYS: due, seen, out, n, dl, sched, keys, o, first, last. ARGV: tag, rule, quiet ms, maxWait ms
  // (0 none), maxItems (0 none), now ms, sinks joined by newlines, then per script.
  //
  // Each script touches many buckets, so it sends one command per kind of change for all of them
  // (one ZADD of every deadline, one HSET of every opening event...) rather than one per bucket:
  // Lua's per-call cost, not the commands, was most of the Redis time per scan.
  private static final String PRELUDE = """
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
  private static final String ADD_GROUPED = PRELUDE + """
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

  // KEYS: keys, h, layout version, o, first, last. ARGV: tag. Moves the open buckets of earlier
  // layouts into this one, once: the first kept a hash per bucket (T:b:<key>), the second one
  // header text per bucket in the hash T:h ("<opening event> <first> <last> <count> <due>").
  private static final String UPGRADE = """
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

  private final RedisDatabase db;
  private final RedisDigestLayout layout;
  private final RedisDatabase.Script add;
  private final RedisDatabase.Script addGrouped;
  private final RedisDatabase.Script closeDue;
  private final RedisDatabase.Script flush;
  private final RedisDatabase.Script upgrade;
  private final Set<String> upgradedRules = ConcurrentHashMap.newKeySet();
  private final AtomicInteger closeRotation = new AtomicInteger();

  public RedisDigestStore(RedisDatabase db) {
    this.db = Objects.requireNonNull(db, "db");
    this.layout = new RedisDigestLayout(db);
    this.add = db.script(ADD);
    this.addGrouped = db.script(ADD_GROUPED);
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
      keys.add(new String[] {t + ":keys", t + ":h", t + ":layout", t + ":o", t + ":first", t + ":last"});
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
    List<List<Notification>> closed = new ArrayList<>(shards.size());
    for (List<String> records : runAllRaw(script, rule, shards, args)) {
      List<Notification> fromShard = new ArrayList<>(records.size());
      for (String record : records) {
        fromShard.add(RedisNotificationStore.notification(record));
      }
      closed.add(fromShard);
    }
    return closed;
  }

  /** Runs one script per shard, all sent before any answer is awaited; each shard's answer as text. */
  private List<List<String>> runAllRaw(RedisDatabase.Script script, DigestRule rule, List<Integer> shards, List<List<String>> args) {
    upgraded(rule.name());
    List<String[]> keys = new ArrayList<>(shards.size());
    for (int shard : shards) {
      keys.add(layout.keys(rule.name(), shard));
    }
    List<List<Object>> answers = script.runAll(ScriptOutputType.MULTI, keys, args.stream().map(a -> a.toArray(String[]::new)).toList());
    List<List<String>> texts = new ArrayList<>(answers.size());
    for (List<Object> answer : answers) {
      texts.add(answer.stream().map(String::valueOf).toList());
    }
    return texts;
  }

  @Override
  public List<Notification> add(DigestRule rule, List<DigestItem> items, Instant now) {
    if (items.isEmpty()) {
      return List.of();
    }
    if (rule.maxWait().isEmpty() && rule.maxItems().isEmpty()) {
      return addGrouped(rule, items, now);
    }
    return addItemByItem(rule, items, now);
  }

  private List<Notification> addItemByItem(DigestRule rule, List<DigestItem> items, Instant now) {
    Map<Integer, List<String>> byShard = new TreeMap<>();
    for (DigestItem item : items) {
      List<String> args = byShard.computeIfAbsent(RedisDigestLayout.shard(item.key()), shard -> prelude(rule, shard, now));
      args.add(item.eventId());
      args.add(item.key());
      args.add(Long.toString(item.time().toEpochMilli()));
      args.add(Json.write(item.item()));
    }
    return runAll(add, rule, List.copyOf(byShard.keySet()), List.copyOf(byShard.values()));
  }

  /** The items of one key in one call: {@link #ADD_GROUPED} appends them with one command. */
  private static final class KeyItems {
    final String openEvent;
    long first = Long.MAX_VALUE;
    long last = Long.MIN_VALUE;
    final StringBuilder lines = new StringBuilder();

    KeyItems(String openEvent) {
      this.openEvent = openEvent;
    }
  }

  private List<Notification> addGrouped(DigestRule rule, List<DigestItem> items, Instant now) {
    Map<Integer, Map<String, KeyItems>> byShard = new TreeMap<>();
    Map<Integer, List<String>> idsByShard = new TreeMap<>();
    Map<Integer, List<DigestItem>> itemsByShard = new TreeMap<>();
    Set<String> taken = new HashSet<>();
    for (DigestItem item : items) {
      if (!taken.add(item.eventId())) {
        continue; // the same event twice in one batch counts once
      }
      int shard = RedisDigestLayout.shard(item.key());
      KeyItems group = byShard.computeIfAbsent(shard, s -> new LinkedHashMap<>())
          .computeIfAbsent(item.key(), k -> new KeyItems(item.eventId()));
      long t = item.time().toEpochMilli();
      group.first = Math.min(group.first, t);
      group.last = Math.max(group.last, t);
      group.lines.append(t).append(' ').append(Json.write(item.item())).append('\n');
      idsByShard.computeIfAbsent(shard, s -> new ArrayList<>()).add(item.eventId());
      itemsByShard.computeIfAbsent(shard, s -> new ArrayList<>()).add(item);
    }
    List<Integer> shards = List.copyOf(byShard.keySet());
    List<List<String>> args = new ArrayList<>(shards.size());
    long quiet = rule.quietPeriod().toMillis();
    for (int shard : shards) {
      Map<String, KeyItems> groups = byShard.get(shard);
      List<String> ids = idsByShard.get(shard);
      List<String> a = prelude(rule, shard, now);
      a.add(Integer.toString(ids.size()));
      a.add(Integer.toString(groups.size()));
      a.addAll(ids);
      groups.forEach((key, g) -> {
        a.add(Long.toString(g.last + quiet));
        a.add(key);
      });
      groups.forEach((key, g) -> {
        a.add(Long.toString(g.first));
        a.add(key);
      });
      groups.forEach((key, g) -> {
        a.add(Long.toString(g.last));
        a.add(key);
      });
      groups.forEach((key, g) -> {
        a.add(key);
        a.add(g.openEvent);
        a.add(g.lines.toString());
      });
      args.add(a);
    }
    List<List<String>> answers = runAllRaw(addGrouped, rule, shards, args);
    List<Notification> closed = new ArrayList<>();
    for (int i = 0; i < shards.size(); i++) {
      List<String> answer = answers.get(i);
      if (answer.size() == 1 && answer.getFirst().equals("!dup")) {
        // some event of this shard's part was taken before (a redelivery): item by item, which
        // skips exactly those
        closed.addAll(addItemByItem(rule, itemsByShard.get(shards.get(i)), now));
      } else {
        answer.forEach(record -> closed.add(RedisNotificationStore.notification(record)));
      }
    }
    return closed;
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
    String t = layout.tag(rule, RedisDigestLayout.shard(key));
    List<Function<RedisAsyncCommands<String, String>, RedisFuture<Object>>> reads = List.of(
        redis -> cast(redis.hget(t + ":o", key)),
        redis -> cast(redis.zscore(t + ":first", key)),
        redis -> cast(redis.zscore(t + ":last", key)),
        redis -> cast(redis.zscore(t + ":due", key)),
        redis -> cast(redis.get(t + ":i:" + key)));
    List<Object> state = db.pipeline(reads);
    if (state.getFirst() == null) {
      return Optional.empty();
    }
    String items = (String) state.get(4);
    int count = items == null ? 0 : (int) items.chars().filter(c -> c == '\n').count();
    return Optional.of(new Bucket(rule, key, (String) state.get(0), millis(state.get(1)), millis(state.get(2)),
        millis(state.get(3)), count));
  }

  @SuppressWarnings("unchecked")
  private static RedisFuture<Object> cast(RedisFuture<?> future) {
    return (RedisFuture<Object>) future;
  }

  private static Instant millis(Object score) {
    return Instant.ofEpochMilli(((Double) score).longValue());
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
