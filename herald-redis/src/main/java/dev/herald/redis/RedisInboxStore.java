package dev.herald.redis;

import dev.herald.inbox.InboxDelivery;
import dev.herald.inbox.InboxItem;
import dev.herald.inbox.InboxPull;
import dev.herald.inbox.InboxRule;
import dev.herald.inbox.InboxStats;
import dev.herald.inbox.InboxStore;
import dev.herald.inbox.InboxSummary;
import dev.herald.json.Json;
import io.lettuce.core.Limit;
import io.lettuce.core.Range;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.ScoredValue;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.async.RedisAsyncCommands;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * {@link InboxStore} on Redis. An inbox set is split into {@link #SHARDS} shards by recipient;
 * every key of a shard carries the hash tag {@code {in:<inbox>:<shard>}}, so one Lua script changes
 * a recipient's items, the shard's indexes and counters atomically, on Redis Cluster too.
 *
 * <pre>
 *   T:it:&lt;recipient&gt;  hash  item key → "&lt;changes&gt;|&lt;first ms&gt;|&lt;last ms&gt;|&lt;json&gt;"
 *   T:old             zset  recipient → arrival ms of its oldest pending item (the stale index)
 *   T:rcp             zset  recipients with an inbox (score 0, listed lexicographically)
 *   T:pulled          hash  recipient → last pull ms
 *   T:seen            zset  dedupe id → ms taken; pruned past the rule's dedupe window
 *   T:cnt             hash  inboxes (with pending items), pending (items), reserved (items)
 *   T:rv:&lt;pull id&gt;    hash  the items a reserving pull took, as in T:it (renamed from it)
 *   T:rvs:&lt;recipient&gt; set   the recipient's reserving pulls not acknowledged yet
 *   T:rvdue           zset  pull id → ms its reservation ends
 *   T:rvr             hash  pull id → recipient
 * </pre>
 *
 * <p>Thread-safety: safe for concurrent use, by any number of processes.
 */
public final class RedisInboxStore implements InboxStore {

  static final int SHARDS = 16;

  // KEYS: old, rcp, seen, cnt. ARGV: tag, now ms, dedupe window ms, then per delivery: dedupe id,
  // recipient, item key, time ms, JSON.
  private static final String ADD =
      """
      -- scores go to redis.call as the caller's text: a Lua number would be formatted as a float
      local T, now, nowtext, window = ARGV[1], tonumber(ARGV[2]), ARGV[2], tonumber(ARGV[3])
      redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', '(' .. string.format('%d', now - window))
      local added, inboxes, pending = 0, 0, 0
      for i = 4, #ARGV, 5 do
        local r, k, t, json = ARGV[i + 1], ARGV[i + 2], tonumber(ARGV[i + 3]), ARGV[i + 4]
        if redis.call('ZADD', KEYS[3], 'NX', nowtext, ARGV[i]) == 1 then
          added = added + 1
          local h = T .. ':it:' .. r
          local old = redis.call('HGET', h, k)
          if old then
            local p1 = string.find(old, '|', 1, true)
            local p2 = string.find(old, '|', p1 + 1, true)
            local p3 = string.find(old, '|', p2 + 1, true)
            local c = tonumber(string.sub(old, 1, p1 - 1))
            local f = tonumber(string.sub(old, p1 + 1, p2 - 1))
            local l = tonumber(string.sub(old, p2 + 1, p3 - 1))
            local data = string.sub(old, p3 + 1)
            if t >= l then data, l = json, t end
            if t < f then f = t end
            redis.call('HSET', h, k, string.format('%d|%d|%d|', c + 1, f, l) .. data)
          else
            if redis.call('EXISTS', h) == 0 then inboxes = inboxes + 1 end
            redis.call('HSET', h, k, string.format('1|%d|%d|', t, t) .. json)
            pending = pending + 1
            redis.call('ZADD', KEYS[1], 'NX', nowtext, r)
            redis.call('ZADD', KEYS[2], '0', r)
          end
        end
      end
      if inboxes ~= 0 then redis.call('HINCRBY', KEYS[4], 'inboxes', inboxes) end
      if pending ~= 0 then redis.call('HINCRBY', KEYS[4], 'pending', pending) end
      return added
      """;

  /**
   * Lua shared by the scripts that take or give back reserved items. {@code release} moves a
   * reservation's items back into the recipient's pending hash, each coalesced with a pending item
   * of the same key as the add script coalesces (the pending one, added later, wins a tie).
   */
  private static final String RESERVATIONS =
      """
      local function split(v)
        local p1 = string.find(v, '|', 1, true)
        local p2 = string.find(v, '|', p1 + 1, true)
        local p3 = string.find(v, '|', p2 + 1, true)
        return tonumber(string.sub(v, 1, p1 - 1)), tonumber(string.sub(v, p1 + 1, p2 - 1)),
            tonumber(string.sub(v, p2 + 1, p3 - 1)), string.sub(v, p3 + 1)
      end
      local function merge(pending, reserved)
        local c1, f1, l1, d1 = split(pending)
        local c2, f2, l2, d2 = split(reserved)
        local data, last = d1, l1
        if l2 > l1 then data, last = d2, l2 end
        return string.format('%d|%d|%d|', c1 + c2, math.min(f1, f2), last) .. data
      end
      local function release(T, pid, nowtext, cnt, old, rcp, rvdue, rvr)
        local r = redis.call('HGET', rvr, pid)
        local rv = T .. ':rv:' .. pid
        if r then
          local items = redis.call('HGETALL', rv)
          if redis.call('ZSCORE', rcp, r) then
            local h = T .. ':it:' .. r
            local empty = redis.call('EXISTS', h) == 0
            local added = 0
            for i = 1, #items, 2 do
              local current = redis.call('HGET', h, items[i])
              if current then
                redis.call('HSET', h, items[i], merge(current, items[i + 1]))
              else
                redis.call('HSET', h, items[i], items[i + 1])
                added = added + 1
              end
            end
            if added > 0 then
              if empty then
                redis.call('HINCRBY', cnt, 'inboxes', 1)
                redis.call('ZADD', old, 'NX', nowtext, r)
              end
              redis.call('HINCRBY', cnt, 'pending', added)
            end
          end
          redis.call('HINCRBY', cnt, 'reserved', -(#items / 2))
          redis.call('SREM', T .. ':rvs:' .. r, pid)
        end
        redis.call('DEL', rv)
        redis.call('ZREM', rvdue, pid)
        redis.call('HDEL', rvr, pid)
      end
      local function releaseEnded(T, r, now, nowtext, cnt, old, rcp, rvdue, rvr)
        for _, pid in ipairs(redis.call('SMEMBERS', T .. ':rvs:' .. r)) do
          local ends = redis.call('ZSCORE', rvdue, pid)
          if ends and tonumber(ends) <= now then release(T, pid, nowtext, cnt, old, rcp, rvdue, rvr) end
        end
      end
      """;

  // KEYS: it:<recipient>, old, rcp, pulled, cnt, rvdue, rvr. ARGV: tag, recipient, now ms.
  private static final String PULL =
      RESERVATIONS
          + """
      if not redis.call('ZSCORE', KEYS[3], ARGV[2]) then return {} end
      releaseEnded(ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[3], KEYS[5], KEYS[2], KEYS[3], KEYS[6], KEYS[7])
      local all = redis.call('HGETALL', KEYS[1])
      redis.call('DEL', KEYS[1])
      redis.call('ZREM', KEYS[2], ARGV[2])
      redis.call('HSET', KEYS[4], ARGV[2], ARGV[3])
      local n = #all / 2
      if n > 0 then
        redis.call('HINCRBY', KEYS[5], 'inboxes', -1)
        redis.call('HINCRBY', KEYS[5], 'pending', -n)
      end
      return all
      """;

  // KEYS: it:<recipient>, old, rcp, pulled, cnt, rvdue, rvr, rvs:<recipient>, rv:<pull id>.
  // ARGV: tag, recipient, now ms, until ms, pull id. The pending hash becomes the reservation's.
  private static final String RESERVE =
      RESERVATIONS
          + """
      if not redis.call('ZSCORE', KEYS[3], ARGV[2]) then return {} end
      releaseEnded(ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[3], KEYS[5], KEYS[2], KEYS[3], KEYS[6], KEYS[7])
      redis.call('HSET', KEYS[4], ARGV[2], ARGV[3])
      local all = redis.call('HGETALL', KEYS[1])
      local n = #all / 2
      if n == 0 then return {} end
      redis.call('RENAME', KEYS[1], KEYS[9])
      redis.call('ZREM', KEYS[2], ARGV[2])
      redis.call('ZADD', KEYS[6], ARGV[4], ARGV[5])
      redis.call('HSET', KEYS[7], ARGV[5], ARGV[2])
      redis.call('SADD', KEYS[8], ARGV[5])
      redis.call('HINCRBY', KEYS[5], 'inboxes', -1)
      redis.call('HINCRBY', KEYS[5], 'pending', -n)
      redis.call('HINCRBY', KEYS[5], 'reserved', n)
      return all
      """;

  // KEYS: old, rcp, cnt, rvdue, rvr. ARGV: tag, recipient, pull id, now ms.
  // Answers 1 acknowledged, 0 unknown, 2 ended (and released).
  private static final String ACK =
      RESERVATIONS
          + """
      local ends = redis.call('ZSCORE', KEYS[4], ARGV[3])
      if not ends or redis.call('HGET', KEYS[5], ARGV[3]) ~= ARGV[2] then return 0 end
      if tonumber(ends) <= tonumber(ARGV[4]) then
        release(ARGV[1], ARGV[3], ARGV[4], KEYS[3], KEYS[1], KEYS[2], KEYS[4], KEYS[5])
        return 2
      end
      local rv = ARGV[1] .. ':rv:' .. ARGV[3]
      redis.call('HINCRBY', KEYS[3], 'reserved', -redis.call('HLEN', rv))
      redis.call('DEL', rv)
      redis.call('ZREM', KEYS[4], ARGV[3])
      redis.call('HDEL', KEYS[5], ARGV[3])
      redis.call('SREM', ARGV[1] .. ':rvs:' .. ARGV[2], ARGV[3])
      return 1
      """;

  // KEYS: old, rcp, cnt, rvdue, rvr. ARGV: tag, now ms, limit. Releases the shard's ended
  // reservations.
  private static final String RELEASE =
      RESERVATIONS
          + """
      local ended = redis.call('ZRANGEBYSCORE', KEYS[4], '-inf', ARGV[2], 'LIMIT', 0, tonumber(ARGV[3]))
      for _, pid in ipairs(ended) do
        release(ARGV[1], pid, ARGV[2], KEYS[3], KEYS[1], KEYS[2], KEYS[4], KEYS[5])
      end
      return #ended
      """;

  // KEYS: it:<recipient>, old, rcp, pulled, cnt, rvdue, rvr, rvs:<recipient>. ARGV: recipient, tag.
  private static final String CLEAN =
      """
      if not redis.call('ZSCORE', KEYS[3], ARGV[1]) then return 0 end
      local reserved = 0
      for _, pid in ipairs(redis.call('SMEMBERS', KEYS[8])) do
        local rv = ARGV[2] .. ':rv:' .. pid
        reserved = reserved + redis.call('HLEN', rv)
        redis.call('DEL', rv)
        redis.call('ZREM', KEYS[6], pid)
        redis.call('HDEL', KEYS[7], pid)
      end
      redis.call('DEL', KEYS[8])
      if reserved > 0 then redis.call('HINCRBY', KEYS[5], 'reserved', -reserved) end
      local n = redis.call('HLEN', KEYS[1])
      redis.call('DEL', KEYS[1])
      redis.call('ZREM', KEYS[2], ARGV[1])
      redis.call('ZREM', KEYS[3], ARGV[1])
      redis.call('HDEL', KEYS[4], ARGV[1])
      if n > 0 then
        redis.call('HINCRBY', KEYS[5], 'inboxes', -1)
        redis.call('HINCRBY', KEYS[5], 'pending', -n)
      end
      return 1
      """;

  // KEYS: it:<recipient>, old, rcp, pulled. ARGV: recipient. One consistent view of an inbox.
  private static final String SUMMARY =
      """
      if not redis.call('ZSCORE', KEYS[3], ARGV[1]) then return {} end
      return {redis.call('HLEN', KEYS[1]), redis.call('ZSCORE', KEYS[2], ARGV[1]) or '', redis.call('HGET', KEYS[4], ARGV[1]) or ''}
      """;

  // KEYS: old, pulled. ARGV: tag, cutoff ms, limit. The stale inboxes of one shard with their
  // summaries, in one round trip: recipient, oldest ms, pending, last pull ms ('' when never).
  private static final String STALE =
      """
      local found = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[2], 'WITHSCORES', 'LIMIT', 0, tonumber(ARGV[3]))
      local out = {}
      for i = 1, #found, 2 do
        local r = found[i]
        out[#out + 1] = r
        out[#out + 1] = found[i + 1]
        out[#out + 1] = redis.call('HLEN', ARGV[1] .. ':it:' .. r)
        out[#out + 1] = redis.call('HGET', KEYS[2], r) or ''
      end
      return out
      """;

  private final RedisDatabase db;
  private final RedisDatabase.Script staleScript;
  private final RedisDatabase.Script add;
  private final RedisDatabase.Script pull;
  private final RedisDatabase.Script reserve;
  private final RedisDatabase.Script ack;
  private final RedisDatabase.Script release;
  private final RedisDatabase.Script clean;
  private final RedisDatabase.Script summary;

  public RedisInboxStore(RedisDatabase db) {
    this.db = Objects.requireNonNull(db, "db");
    this.add = db.script(ADD);
    this.staleScript = db.script(STALE);
    this.pull = db.script(PULL);
    this.reserve = db.script(RESERVE);
    this.ack = db.script(ACK);
    this.release = db.script(RELEASE);
    this.clean = db.script(CLEAN);
    this.summary = db.script(SUMMARY);
  }

  static int shard(String recipient) {
    return Math.floorMod(recipient.hashCode(), SHARDS);
  }

  private String tag(String inbox, int shard) {
    return db.key("{in:" + inbox + ":" + shard + "}");
  }

  private String[] recipientKeys(String inbox, String recipient) {
    String t = tag(inbox, shard(recipient));
    return new String[] {
      t + ":it:" + recipient,
      t + ":old",
      t + ":rcp",
      t + ":pulled",
      t + ":cnt",
      t + ":rvdue",
      t + ":rvr",
      t + ":rvs:" + recipient
    };
  }

  @Override
  public int add(InboxRule rule, List<InboxDelivery> deliveries, Instant now) {
    Map<Integer, List<InboxDelivery>> byShard =
        deliveries.stream().collect(Collectors.groupingBy(d -> shard(d.recipient())));
    int added = 0;
    for (Map.Entry<Integer, List<InboxDelivery>> shard : byShard.entrySet()) {
      String t = tag(rule.name(), shard.getKey());
      List<String> args = new ArrayList<>(3 + shard.getValue().size() * 5);
      args.add(t);
      args.add(Long.toString(now.toEpochMilli()));
      args.add(Long.toString(rule.dedupeWindow().toMillis()));
      for (InboxDelivery delivery : shard.getValue()) {
        args.add(delivery.dedupeId());
        args.add(delivery.recipient());
        args.add(delivery.itemKey());
        args.add(Long.toString(delivery.time().toEpochMilli()));
        args.add(delivery.json());
      }
      Long count =
          add.run(
              ScriptOutputType.INTEGER,
              new String[] {t + ":old", t + ":rcp", t + ":seen", t + ":cnt"},
              args.toArray(String[]::new));
      added += count.intValue();
    }
    return added;
  }

  private static List<InboxItem> items(List<Object> flat) {
    List<InboxItem> items = new ArrayList<>(flat.size() / 2);
    for (int i = 0; i + 1 < flat.size(); i += 2) {
      String record = String.valueOf(flat.get(i + 1));
      int p1 = record.indexOf('|');
      int p2 = record.indexOf('|', p1 + 1);
      int p3 = record.indexOf('|', p2 + 1);
      items.add(
          new InboxItem(
              String.valueOf(flat.get(i)),
              Json.parseTrustedObject(record.substring(p3 + 1)),
              Integer.parseInt(record, 0, p1, 10),
              Instant.ofEpochMilli(Long.parseLong(record, p1 + 1, p2, 10)),
              Instant.ofEpochMilli(Long.parseLong(record, p2 + 1, p3, 10))));
    }
    items.sort(Comparator.comparing(InboxItem::firstAt).thenComparing(InboxItem::key));
    return items;
  }

  @Override
  public List<InboxItem> peek(String inbox, String recipient) {
    String key = recipientKeys(inbox, recipient)[0];
    Map<String, String> all = db.call(redis -> redis.hgetall(key));
    List<Object> flat = new ArrayList<>(all.size() * 2);
    all.forEach(
        (k, v) -> {
          flat.add(k);
          flat.add(v);
        });
    return items(flat);
  }

  @Override
  public InboxPull pull(String inbox, String recipient, Instant now) {
    String[] keys = Arrays.copyOf(recipientKeys(inbox, recipient), 7);
    List<Object> flat =
        pull.run(
            ScriptOutputType.MULTI,
            keys,
            tag(inbox, shard(recipient)),
            recipient,
            Long.toString(now.toEpochMilli()));
    return new InboxPull(recipient, items(flat), now);
  }

  @Override
  public InboxPull reserve(String inbox, String recipient, Instant now, Instant until) {
    String t = tag(inbox, shard(recipient));
    String pullId = UUID.randomUUID().toString();
    String[] keys = Arrays.copyOf(recipientKeys(inbox, recipient), 9);
    keys[8] = t + ":rv:" + pullId;
    List<Object> flat =
        reserve.run(
            ScriptOutputType.MULTI,
            keys,
            t,
            recipient,
            Long.toString(now.toEpochMilli()),
            Long.toString(until.toEpochMilli()),
            pullId);
    if (flat.isEmpty()) {
      return new InboxPull(recipient, List.of(), now);
    }
    return new InboxPull(recipient, items(flat), now, Optional.of(pullId), Optional.of(until));
  }

  @Override
  public Acknowledgement acknowledge(String inbox, String recipient, String pullId, Instant now) {
    String t = tag(inbox, shard(recipient));
    Long answer =
        ack.run(
            ScriptOutputType.INTEGER,
            new String[] {t + ":old", t + ":rcp", t + ":cnt", t + ":rvdue", t + ":rvr"},
            t,
            recipient,
            pullId,
            Long.toString(now.toEpochMilli()));
    return switch (answer.intValue()) {
      case 1 -> Acknowledgement.ACKNOWLEDGED;
      case 2 -> Acknowledgement.EXPIRED;
      default -> Acknowledgement.UNKNOWN;
    };
  }

  @Override
  public int releaseExpired(String inbox, Instant now, int limit) {
    // one round trip to learn which shards have ended reservations; most checks find none
    Range<Double> ended = Range.create(Double.NEGATIVE_INFINITY, (double) now.toEpochMilli());
    List<Function<RedisAsyncCommands<String, String>, RedisFuture<Long>>> counts =
        new ArrayList<>(SHARDS);
    for (int shard = 0; shard < SHARDS; shard++) {
      String due = tag(inbox, shard) + ":rvdue";
      counts.add(redis -> redis.zcount(due, ended));
    }
    List<Long> perShard = db.pipeline(counts);
    int released = 0;
    for (int shard = 0; shard < SHARDS && released < limit; shard++) {
      if (perShard.get(shard) == 0) {
        continue;
      }
      String t = tag(inbox, shard);
      Long count =
          release.run(
              ScriptOutputType.INTEGER,
              new String[] {t + ":old", t + ":rcp", t + ":cnt", t + ":rvdue", t + ":rvr"},
              t,
              Long.toString(now.toEpochMilli()),
              Integer.toString(limit - released));
      released += count.intValue();
    }
    return released;
  }

  @Override
  public boolean clean(String inbox, String recipient) {
    Long removed =
        clean.run(
            ScriptOutputType.INTEGER,
            recipientKeys(inbox, recipient),
            recipient,
            tag(inbox, shard(recipient)));
    return removed == 1L;
  }

  @Override
  public Optional<InboxSummary> summary(String inbox, String recipient) {
    String[] keys = recipientKeys(inbox, recipient);
    List<Object> view = summary.run(ScriptOutputType.MULTI, Arrays.copyOf(keys, 4), recipient);
    if (view.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(
        new InboxSummary(
            recipient,
            ((Number) view.get(0)).longValue(),
            instant(view.get(1)),
            instant(view.get(2))));
  }

  private static Optional<Instant> instant(Object ms) {
    String text = String.valueOf(ms);
    return text.isEmpty()
        ? Optional.empty()
        : Optional.of(Instant.ofEpochMilli((long) Double.parseDouble(text)));
  }

  @Override
  public List<InboxSummary> list(String inbox, String afterRecipient, int limit) {
    Range<String> range =
        afterRecipient.isEmpty()
            ? Range.unbounded()
            : Range.from(Range.Boundary.excluding(afterRecipient), Range.Boundary.unbounded());
    List<String> recipients = new ArrayList<>();
    for (int shard = 0; shard < SHARDS; shard++) {
      String index = tag(inbox, shard) + ":rcp";
      recipients.addAll(db.call(redis -> redis.zrangebylex(index, range, Limit.from(limit))));
    }
    recipients.sort(Comparator.naturalOrder());
    List<InboxSummary> page = new ArrayList<>();
    for (String recipient : recipients.subList(0, Math.min(limit, recipients.size()))) {
      summary(inbox, recipient).ifPresent(page::add);
    }
    return page;
  }

  @Override
  public List<InboxSummary> stale(String inbox, Instant pendingSince, int limit) {
    List<String[]> keys = new ArrayList<>(SHARDS);
    List<String[]> args = new ArrayList<>(SHARDS);
    for (int shard = 0; shard < SHARDS; shard++) {
      String t = tag(inbox, shard);
      keys.add(new String[] {t + ":old", t + ":pulled"});
      args.add(
          new String[] {t, Long.toString(pendingSince.toEpochMilli()), Integer.toString(limit)});
    }
    // the 16 shards' scripts go out together: one round trip, not 16
    List<List<Object>> answers = staleScript.runAll(ScriptOutputType.MULTI, keys, args);
    List<InboxSummary> candidates = new ArrayList<>();
    for (List<Object> found : answers) {
      for (int i = 0; i + 3 < found.size(); i += 4) {
        candidates.add(
            new InboxSummary(
                String.valueOf(found.get(i)),
                ((Number) found.get(i + 2)).longValue(),
                instant(found.get(i + 1)),
                instant(found.get(i + 3))));
      }
    }
    candidates.sort(
        Comparator.comparing((InboxSummary s) -> s.oldestPendingAt().orElseThrow())
            .thenComparing(InboxSummary::recipient));
    return List.copyOf(candidates.subList(0, Math.min(limit, candidates.size())));
  }

  @Override
  public List<String> staleRecipients(String inbox, Instant pendingSince, int limit) {
    // Plain range reads without scores, all shards in one round trip: formatting a score per
    // inbox and rebuilding the reply in Lua cost Redis four times as much as the range itself.
    Range<Double> range =
        Range.create(Double.NEGATIVE_INFINITY, (double) pendingSince.toEpochMilli());
    List<Function<RedisAsyncCommands<String, String>, RedisFuture<List<String>>>> reads =
        new ArrayList<>(SHARDS);
    for (int shard = 0; shard < SHARDS; shard++) {
      String old = tag(inbox, shard) + ":old";
      reads.add(redis -> redis.zrangebyscore(old, range, Limit.create(0, limit)));
    }
    List<String> stale = new ArrayList<>();
    for (List<String> found : db.pipeline(reads)) {
      stale.addAll(found.subList(0, Math.min(found.size(), limit - stale.size())));
    }
    return stale;
  }

  @Override
  public InboxStats stats(String inbox) {
    long inboxes = 0;
    long pending = 0;
    long reserved = 0;
    Optional<Instant> oldest = Optional.empty();
    for (int shard = 0; shard < SHARDS; shard++) {
      String t = tag(inbox, shard);
      Map<String, String> counts = db.call(redis -> redis.hgetall(t + ":cnt"));
      inboxes += Long.parseLong(counts.getOrDefault("inboxes", "0"));
      pending += Long.parseLong(counts.getOrDefault("pending", "0"));
      reserved += Long.parseLong(counts.getOrDefault("reserved", "0"));
      List<ScoredValue<String>> first = db.call(redis -> redis.zrangeWithScores(t + ":old", 0, 0));
      if (!first.isEmpty()) {
        Instant at = Instant.ofEpochMilli((long) first.getFirst().getScore());
        oldest = oldest.filter(o -> o.isBefore(at)).or(() -> Optional.of(at));
      }
    }
    return new InboxStats(inboxes, pending, oldest, reserved);
  }
}
