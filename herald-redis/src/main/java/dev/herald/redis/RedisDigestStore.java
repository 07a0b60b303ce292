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
import io.lettuce.core.ScoredValue;
import io.lettuce.core.ScriptOutputType;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
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

  // KEYS: due, seen, out, n, dl, sched, keys. ARGV: tag, rule, quiet ms, maxWait ms (0 none),
  // maxItems (0 none), now ms, sinks joined by newlines, then per script.
  private static final String PRELUDE = """
      local P, rule = ARGV[1], ARGV[2]
      local quiet, maxwait, maxitems, now = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
      local sinks = {}
      local outms -- read and advanced once per script, by its first close
      for s in string.gmatch(ARGV[7], '[^\\n]+') do sinks[#sinks + 1] = s end
      local function close(key)
        local b, ik = P .. ':b:' .. key, P .. ':i:' .. key
        local o, f, l, d = unpack(redis.call('HMGET', b, 'o', 'f', 'l', 'd'))
        if not o then return nil end
        local text = redis.call('GET', ik) or ''
        redis.call('DEL', b, ik)
        redis.call('ZREM', KEYS[1], key)
        redis.call('ZREM', KEYS[7], key)
        local lines, n = {}, 0
        for line in string.gmatch(text, '[^\\n]+') do
          n = n + 1
          local sp = string.find(line, ' ', 1, true)
          lines[n] = {tonumber(string.sub(line, 1, sp - 1)), n, string.sub(line, sp + 1)}
        end
        table.sort(lines, function(a, c) if a[1] ~= c[1] then return a[1] < c[1] end return a[2] < c[2] end)
        local items = {}
        for i = 1, n do items[i] = lines[i][3] end
        local id = 'n-' .. string.sub(redis.sha1hex(rule .. '\\0' .. key .. '\\0' .. o .. '\\0'), 1, 32)
        local record = cjson.encode({id = id, rule = rule, r = key, f = tonumber(f), l = tonumber(l), d = tonumber(d), c = now,
          i = '[' .. table.concat(items, ',') .. ']'})
        redis.call('HSET', KEYS[4], id, record)
        -- outbox ids follow the closing time (kept increasing), so shards merge in creation order
        if not outms then
          outms = math.max(now, tonumber(redis.call('GET', P .. ':outms') or '0'))
          redis.call('SET', P .. ':outms', string.format('%d', outms))
        end
        redis.call('XADD', KEYS[3], string.format('%d', outms) .. '-*', 'n', id)
        for _, s in ipairs(sinks) do
          redis.call('HSET', KEYS[5], id .. '|' .. s, 'PENDING|0')
          redis.call('ZADD', KEYS[6], now, id .. '|' .. s)
        end
        return record
      end
      local closed = {}
      """;

  // ARGV 8.. : event id, key, time ms, item JSON, repeated.
  private static final String ADD = PRELUDE + """
      for i = 8, #ARGV, 4 do
        local id, key, t, json = ARGV[i], ARGV[i + 1], tonumber(ARGV[i + 2]), ARGV[i + 3]
        if redis.call('ZADD', KEYS[2], 'NX', now, id) == 1 then
          local b = P .. ':b:' .. key
          local f, l, c, o = unpack(redis.call('HMGET', b, 'f', 'l', 'c', 'o'))
          if not o then
            o, f, l, c = id, t, t, 0
            redis.call('ZADD', KEYS[7], 0, key)
          else
            f, l, c = math.min(tonumber(f), t), math.max(tonumber(l), t), tonumber(c)
          end
          c = c + 1
          local due = l + quiet
          if maxwait > 0 and f + maxwait < due then due = f + maxwait end
          redis.call('HSET', b, 'o', o, 'f', f, 'l', l, 'c', c, 'd', due)
          redis.call('APPEND', P .. ':i:' .. key, string.format('%d', t) .. ' ' .. json .. '\\n')
          redis.call('ZADD', KEYS[1], due, key)
          if maxitems > 0 and c >= maxitems then closed[#closed + 1] = close(key) end
        end
      end
      return closed
      """;

  // ARGV 8: limit, 9: seen retention ms.
  private static final String CLOSE_DUE = PRELUDE + """
      for _, key in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[8]))) do
        closed[#closed + 1] = close(key)
      end
      redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - tonumber(ARGV[9]))
      return closed
      """;

  // ARGV 8: key.
  private static final String FLUSH = PRELUDE + """
      local record = close(ARGV[8])
      if record then closed[1] = record end
      return closed
      """;

  private final RedisDatabase db;
  private final RedisDigestLayout layout;
  private final RedisDatabase.Script add;
  private final RedisDatabase.Script closeDue;
  private final RedisDatabase.Script flush;

  public RedisDigestStore(RedisDatabase db) {
    this.db = Objects.requireNonNull(db, "db");
    this.layout = new RedisDigestLayout(db);
    this.add = db.script(ADD);
    this.closeDue = db.script(CLOSE_DUE);
    this.flush = db.script(FLUSH);
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

  private List<Notification> run(RedisDatabase.Script script, DigestRule rule, int shard, List<String> args) {
    List<Object> records = script.run(ScriptOutputType.MULTI, layout.keys(rule.name(), shard), args.toArray(String[]::new));
    List<Notification> closed = new ArrayList<>(records.size());
    for (Object record : records) {
      closed.add(RedisNotificationStore.notification(String.valueOf(record)));
    }
    return closed;
  }

  @Override
  public List<Notification> add(DigestRule rule, List<DigestItem> items, Instant now) {
    Map<Integer, List<DigestItem>> byShard = items.stream().collect(Collectors.groupingBy(i -> RedisDigestLayout.shard(i.key())));
    List<Notification> closed = new ArrayList<>();
    for (Map.Entry<Integer, List<DigestItem>> shard : byShard.entrySet()) {
      List<String> args = prelude(rule, shard.getKey(), now);
      for (DigestItem item : shard.getValue()) {
        args.add(item.eventId());
        args.add(item.key());
        args.add(Long.toString(item.time().toEpochMilli()));
        args.add(Json.write(item.item()));
      }
      closed.addAll(run(add, rule, shard.getKey(), args));
    }
    return closed;
  }

  @Override
  public List<Notification> closeDue(DigestRule rule, Instant now, int limit) {
    List<Notification> closed = new ArrayList<>();
    for (int shard = 0; shard < RedisDigestLayout.SHARDS && closed.size() < limit; shard++) {
      List<String> args = prelude(rule, shard, now);
      args.add(Integer.toString(limit - closed.size()));
      args.add(Long.toString(SEEN_RETENTION.toMillis()));
      closed.addAll(run(closeDue, rule, shard, args));
    }
    closed.sort(Comparator.comparing(Notification::dueAt));
    return closed;
  }

  @Override
  public Optional<Notification> flush(DigestRule rule, String key, Instant now) {
    int shard = RedisDigestLayout.shard(key);
    List<String> args = prelude(rule, shard, now);
    args.add(key);
    return run(flush, rule, shard, args).stream().findFirst();
  }

  @Override
  public Optional<Instant> nextDue(String rule) {
    Optional<Double> min = Optional.empty();
    for (int shard = 0; shard < RedisDigestLayout.SHARDS; shard++) {
      String due = layout.tag(rule, shard) + ":due";
      List<ScoredValue<String>> first = db.call(redis -> redis.zrangeWithScores(due, 0, 0));
      if (!first.isEmpty() && (min.isEmpty() || first.getFirst().getScore() < min.get())) {
        min = Optional.of(first.getFirst().getScore());
      }
    }
    return min.map(ms -> Instant.ofEpochMilli(ms.longValue()));
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
    String b = layout.tag(rule, RedisDigestLayout.shard(key)) + ":b:" + key;
    Map<String, String> h = db.call(redis -> redis.hgetall(b));
    if (h.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(new Bucket(rule, key, h.get("o"), Instant.ofEpochMilli(Long.parseLong(h.get("f"))),
        Instant.ofEpochMilli(Long.parseLong(h.get("l"))), Instant.ofEpochMilli(Long.parseLong(h.get("d"))), Integer.parseInt(h.get("c"))));
  }

  @Override
  public List<JsonNode> openItems(String rule, String key) {
    String items = layout.tag(rule, RedisDigestLayout.shard(key)) + ":i:" + key;
    String text = db.call(redis -> redis.get(items));
    if (text == null) {
      return List.of();
    }
    return InlineItems.ordered(text).stream().map(Json::parseTrusted).toList();
  }

  @Override
  public long openBucketCount(String rule) {
    long count = 0;
    for (int shard = 0; shard < RedisDigestLayout.SHARDS; shard++) {
      String due = layout.tag(rule, shard) + ":due";
      count += db.call(redis -> redis.zcard(due));
    }
    return count;
  }

  /** The store does not own the connection; close the {@link RedisDatabase} itself. */
  @Override
  public void close() {}
}
