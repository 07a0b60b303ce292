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
 * {@link DigestStore} on Redis, laid out as {@link RedisDigestLayout} says. Adding items and moving
 * deadlines, and closing a bucket with its notification and pending deliveries, are each one Lua
 * script per shard, so several Herald processes can share the state: a bucket is closed by exactly
 * one of them, and an event added twice (by two consumers after a claim) counts once.
 *
 * <p>Atomicity is per shard: a batch spanning shards is applied shard by shard, each atomically;
 * since every item is idempotent, retrying a batch after a failure completes it.
 *
 * <p>Thread-safety: safe for concurrent use, by any number of processes.
 */
public final class RedisDigestStore implements DigestStore {

  private static final Duration SEEN_RETENTION = Duration.ofDays(7);

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
    this.add = db.script(RedisDigestScripts.ADD);
    this.addGrouped = db.script(RedisDigestScripts.ADD_GROUPED);
    this.closeDue = db.script(RedisDigestScripts.CLOSE_DUE);
    this.flush = db.script(RedisDigestScripts.FLUSH);
    this.upgrade = db.script(RedisDigestScripts.UPGRADE);
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
      keys.add(
          new String[] {t + ":keys", t + ":h", t + ":layout", t + ":o", t + ":first", t + ":last"});
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
  private List<Notification> runAll(
      RedisDatabase.Script script, DigestRule rule, List<Integer> shards, List<List<String>> args) {
    List<Notification> closed = new ArrayList<>();
    runAllByShard(script, rule, shards, args).forEach(closed::addAll);
    return closed;
  }

  /** {@link #runAll}, with the notifications of each shard apart. */
  private List<List<Notification>> runAllByShard(
      RedisDatabase.Script script, DigestRule rule, List<Integer> shards, List<List<String>> args) {
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

  /**
   * Runs one script per shard, all sent before any answer is awaited; each shard's answer as text.
   */
  private List<List<String>> runAllRaw(
      RedisDatabase.Script script, DigestRule rule, List<Integer> shards, List<List<String>> args) {
    upgraded(rule.name());
    List<String[]> keys = new ArrayList<>(shards.size());
    for (int shard : shards) {
      keys.add(layout.keys(rule.name(), shard));
    }
    List<List<Object>> answers =
        script.runAll(
            ScriptOutputType.MULTI,
            keys,
            args.stream().map(a -> a.toArray(String[]::new)).toList());
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
      List<String> args =
          byShard.computeIfAbsent(
              RedisDigestLayout.shard(item.key()), shard -> prelude(rule, shard, now));
      args.add(item.eventId());
      args.add(item.key());
      args.add(Long.toString(item.time().toEpochMilli()));
      args.add(Json.write(item.item()));
    }
    return runAll(add, rule, List.copyOf(byShard.keySet()), List.copyOf(byShard.values()));
  }

  /**
   * The items of one key in one call: {@link RedisDigestScripts#ADD_GROUPED} appends them with one
   * command.
   */
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
    Map<Integer, List<DigestItem>> itemsByShard = new TreeMap<>();
    Set<String> taken = new HashSet<>();
    for (DigestItem item : items) {
      if (!taken.add(item.eventId())) {
        continue; // the same event twice in one batch counts once
      }
      int shard = RedisDigestLayout.shard(item.key());
      KeyItems group =
          byShard
              .computeIfAbsent(shard, s -> new LinkedHashMap<>())
              .computeIfAbsent(item.key(), k -> new KeyItems(item.eventId()));
      long t = item.time().toEpochMilli();
      group.first = Math.min(group.first, t);
      group.last = Math.max(group.last, t);
      group.lines.append(t).append(' ').append(Json.write(item.item())).append('\n');
      itemsByShard.computeIfAbsent(shard, s -> new ArrayList<>()).add(item);
    }
    List<Integer> shards = List.copyOf(byShard.keySet());
    List<List<String>> args = new ArrayList<>(shards.size());
    long quiet = rule.quietPeriod().toMillis();
    for (int shard : shards) {
      Map<String, KeyItems> groups = byShard.get(shard);
      List<DigestItem> shardItems = itemsByShard.get(shard);
      List<String> a = prelude(rule, shard, now);
      a.add(Integer.toString(shardItems.size()));
      a.add(Integer.toString(groups.size()));
      shardItems.forEach(item -> a.add(item.eventId()));
      groups.forEach(
          (key, g) -> {
            a.add(Long.toString(g.last + quiet));
            a.add(key);
          });
      groups.forEach(
          (key, g) -> {
            a.add(Long.toString(g.first));
            a.add(key);
          });
      groups.forEach(
          (key, g) -> {
            a.add(Long.toString(g.last));
            a.add(key);
          });
      groups.forEach(
          (key, g) -> {
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
    int first =
        Math.floorMod(closeRotation.getAndAdd(Math.max(1, extra)), RedisDigestLayout.SHARDS);
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
      closed.addAll(
          runAll(
              closeDue,
              rule,
              List.of(shard),
              List.of(closeArgs(rule, shard, now, limit - closed.size()))));
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
    List<Function<RedisAsyncCommands<String, String>, RedisFuture<List<ScoredValue<String>>>>>
        firsts = new ArrayList<>();
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
    Range<String> range =
        afterKey.isEmpty()
            ? Range.unbounded()
            : Range.from(Range.Boundary.excluding(afterKey), Range.Boundary.unbounded());
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
    List<Function<RedisAsyncCommands<String, String>, RedisFuture<Object>>> reads =
        List.of(
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
    return Optional.of(
        new Bucket(
            rule,
            key,
            (String) state.get(0),
            millis(state.get(1)),
            millis(state.get(2)),
            millis(state.get(3)),
            count));
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
    List<Function<RedisAsyncCommands<String, String>, RedisFuture<Long>>> counts =
        new ArrayList<>();
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
