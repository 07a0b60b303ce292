package dev.herald.redis;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.digest.InlineItems;
import dev.herald.json.Json;
import dev.herald.notify.Delivery;
import dev.herald.notify.DeliveryOutcome;
import dev.herald.notify.DeliveryTask;
import dev.herald.notify.Notification;
import dev.herald.notify.NotificationPage;
import dev.herald.notify.NotificationQuery;
import dev.herald.notify.NotificationStore;
import io.lettuce.core.KeyValue;
import io.lettuce.core.Limit;
import io.lettuce.core.Range;
import io.lettuce.core.ScoredValue;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.StreamMessage;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * {@link NotificationStore} on Redis: reads the outbox that {@link RedisDigestStore}'s scripts
 * write into each shard ({@link RedisDigestLayout}) and records attempts with one script per shard.
 * Listing merges the shards' outbox streams by stream id; a cursor is {@code <stream
 * id>~<rule>~<shard>}, which orders entries of different shards with equal ids.
 *
 * <p>Thread-safety: safe for concurrent use.
 */
public final class RedisNotificationStore implements NotificationStore {

  // KEYS: dl, sched. ARGV: repeated member, attempt, state, retry ms (or ""), at ms, ok (1/0),
  // detail.
  private static final String RECORD =
      """
      for i = 1, #ARGV, 7 do
        local member, attempt, state = ARGV[i], tonumber(ARGV[i + 1]), ARGV[i + 2]
        if redis.call('HGET', KEYS[1], member) == 'PENDING|' .. (attempt - 1) then
          redis.call('HSET', KEYS[1], member, state .. '|' .. attempt)
          if state == 'PENDING' then
            redis.call('ZADD', KEYS[2], tonumber(ARGV[i + 3]), member)
          else
            redis.call('ZREM', KEYS[2], member)
          end
          local tag = string.sub(KEYS[1], 1, #KEYS[1] - 3)
          redis.call('RPUSH', tag .. ':at:' .. member, attempt .. '|' .. ARGV[i + 4] .. '|' .. ARGV[i + 5] .. '|' .. ARGV[i + 6])
        end
      end
      return 1
      """;

  private final RedisDatabase db;
  private final RedisDigestLayout layout;
  private final List<String> rules;
  private final RedisDatabase.Script record;
  private final RedisDatabase.Script take;

  // KEYS: sched. ARGV: now ms, lease ms, members. Holds each member that is still due for the
  // lease and returns those; a member another dispatcher took since it was peeked is skipped.
  private static final String TAKE =
      """
      local now = tonumber(ARGV[1])
      local taken = {}
      for i = 3, #ARGV do
        local score = redis.call('ZSCORE', KEYS[1], ARGV[i])
        if score and tonumber(score) <= now then
          redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[i])
          taken[#taken + 1] = ARGV[i]
        end
      end
      return taken
      """;

  /**
   * @param rules every digest rule whose outbox this store reads
   */
  public RedisNotificationStore(RedisDatabase db, List<String> rules) {
    this.db = Objects.requireNonNull(db, "db");
    this.layout = new RedisDigestLayout(db);
    this.rules = List.copyOf(rules);
    this.record = db.script(RECORD);
    this.take = db.script(TAKE);
  }

  /** A notification from the record a close script wrote (see {@link RedisDigestLayout}). */
  static Notification notification(String record) {
    if (record.startsWith("{")) {
      return legacyNotification(record);
    }
    int first = record.indexOf('\n');
    int second = record.indexOf('\n', first + 1);
    int third = record.indexOf('\n', second + 1);
    String[] head = record.substring(0, first).split(" ");
    List<JsonNode> items =
        InlineItems.ordered(record.substring(third + 1)).stream().map(Json::parseTrusted).toList();
    return new Notification(
        head[0],
        Json.parseTrusted(record.substring(first + 1, second)).asText(),
        Json.parseTrusted(record.substring(second + 1, third)).asText(),
        items,
        Instant.ofEpochMilli(Long.parseLong(head[1])),
        Instant.ofEpochMilli(Long.parseLong(head[2])),
        Instant.ofEpochMilli(Long.parseLong(head[3])),
        Instant.ofEpochMilli(Long.parseLong(head[4])));
  }

  /**
   * The JSON record of the first layout, still read for notifications written before the change.
   */
  private static Notification legacyNotification(String record) {
    JsonNode r = Json.parseTrusted(record);
    List<JsonNode> items = new ArrayList<>();
    Json.parseTrusted(r.path("i").asText()).forEach(items::add);
    return new Notification(
        r.path("id").asText(),
        r.path("rule").asText(),
        r.path("r").asText(),
        items,
        Instant.ofEpochMilli(r.path("f").asLong()),
        Instant.ofEpochMilli(r.path("l").asLong()),
        Instant.ofEpochMilli(r.path("d").asLong()),
        Instant.ofEpochMilli(r.path("c").asLong()));
  }

  private record Shard(String rule, int shard, String tag) {}

  private List<Shard> shards(Optional<String> onlyRule) {
    List<Shard> shards = new ArrayList<>();
    for (String rule : rules) {
      if (onlyRule.isPresent() && !onlyRule.get().equals(rule)) {
        continue;
      }
      for (int s = 0; s < RedisDigestLayout.SHARDS; s++) {
        shards.add(new Shard(rule, s, layout.tag(rule, s)));
      }
    }
    return shards;
  }

  private Optional<Shard> shardOf(String id) {
    for (Shard shard : shards(Optional.empty())) {
      if (db.call(redis -> redis.hexists(shard.tag() + ":n", id))) {
        return Optional.of(shard);
      }
    }
    return Optional.empty();
  }

  @Override
  public Optional<Notification> find(String id) {
    return shardOf(id)
        .map(shard -> notification(db.call(redis -> redis.hget(shard.tag() + ":n", id))));
  }

  private record Entry(String streamId, Shard shard, String notificationId) {}

  private static long[] idParts(String streamId) {
    int dash = streamId.indexOf('-');
    return new long[] {
      Long.parseLong(streamId, 0, dash, 10),
      Long.parseLong(streamId, dash + 1, streamId.length(), 10)
    };
  }

  private static int compareIds(String a, String b) {
    long[] x = idParts(a);
    long[] y = idParts(b);
    return x[0] != y[0] ? Long.compare(x[0], y[0]) : Long.compare(x[1], y[1]);
  }

  private static final Comparator<Entry> ORDER =
      Comparator.comparing(Entry::streamId, RedisNotificationStore::compareIds)
          .thenComparing(e -> e.shard().rule())
          .thenComparing(e -> e.shard().shard());

  /**
   * Where a reader of the outbox is: the last stream id it went past in each shard, and a floor for
   * shards it has no position in (the greatest of those ids). Each shard is read after its own
   * position, so a notification that a shard closes later is never passed over, even when another
   * shard closed one with the same or a later id first: shards' ids follow each one's own clock,
   * and there is no order across shards to trust.
   */
  private record Cursor(Map<String, String> positions, Optional<String> floor) {

    private static final String PREFIX = "c2.";

    static String key(Shard shard) {
      return shard.rule() + '\0' + shard.shard();
    }

    Optional<String> after(Shard shard) {
      return Optional.ofNullable(positions.get(key(shard))).or(() -> floor);
    }

    String text() {
      ObjectNode json = Json.object();
      positions.forEach(json::put);
      return PREFIX
          + Base64.getUrlEncoder()
              .withoutPadding()
              .encodeToString(Json.write(json).getBytes(StandardCharsets.UTF_8));
    }

    static Cursor parse(String text) {
      try {
        Map<String, String> positions = new LinkedHashMap<>();
        if (text.startsWith(PREFIX)) {
          JsonNode json =
              Json.parseTrusted(
                  new String(
                      Base64.getUrlDecoder().decode(text.substring(PREFIX.length())),
                      StandardCharsets.UTF_8));
          json.properties()
              .iterator()
              .forEachRemaining(
                  e -> {
                    idParts(e.getValue().asText()); // refuses what is not a stream id
                    positions.put(e.getKey(), e.getValue().asText());
                  });
          return new Cursor(
              positions, positions.values().stream().max(RedisNotificationStore::compareIds));
        }
        // the first form, "<stream id>~<rule>~<shard>": a place in the merged order, used as a
        // floor
        String[] parts = text.split("~", 3);
        Integer.parseInt(parts[2]);
        idParts(parts[0]);
        return new Cursor(positions, Optional.of(parts[0]));
      } catch (RuntimeException e) {
        throw new IllegalArgumentException(
            "'" + text + "' is not a notification cursor (use the \"next\" of a previous page)");
      }
    }
  }

  @Override
  public NotificationPage list(NotificationQuery query) {
    Cursor cursor =
        query
            .after()
            .map(Cursor::parse)
            .orElse(new Cursor(new LinkedHashMap<>(), Optional.empty()));
    // Filtering by recipient happens after reading, so read generously for filtered queries.
    int count = query.recipient().isPresent() ? 10 * query.limit() + 10 : query.limit() + 1;
    List<Shard> shards = shards(query.rule());
    List<Entry> merged = new ArrayList<>();
    Optional<Entry> horizon = Optional.empty();
    for (Shard shard : shards) {
      Range<String> range =
          cursor
              .after(shard)
              .map(
                  id ->
                      Range.from(Range.Boundary.excluding(id), Range.Boundary.<String>unbounded()))
              .orElse(Range.create("-", "+"));
      List<StreamMessage<String, String>> read =
          db.call(redis -> redis.xrange(shard.tag() + ":out", range, Limit.from(count)));
      for (StreamMessage<String, String> m : read) {
        merged.add(new Entry(m.getId(), shard, m.getBody().get("n")));
      }
      if (read.size() == count) {
        // this shard has more after what was read: go no further than its last entry read, so
        // the page stays in order across shards
        Entry last = merged.getLast();
        horizon = horizon.filter(h -> ORDER.compare(h, last) <= 0).or(() -> Optional.of(last));
      }
    }
    merged.sort(ORDER);
    // every shard read keeps a position of its own from now on, empty ones included ("0-0")
    Map<String, String> positions = new LinkedHashMap<>(cursor.positions());
    for (Shard shard : shards) {
      positions.put(Cursor.key(shard), cursor.after(shard).orElse("0-0"));
    }
    List<Notification> page = new ArrayList<>();
    boolean moved = false;
    for (Entry entry : merged) {
      if (page.size() == query.limit()
          || (horizon.isPresent() && ORDER.compare(entry, horizon.get()) > 0)) {
        break;
      }
      positions.put(Cursor.key(entry.shard()), entry.streamId());
      moved = true;
      String recordText =
          db.call(redis -> redis.hget(entry.shard().tag() + ":n", entry.notificationId()));
      if (recordText == null) {
        continue;
      }
      Notification n = notification(recordText);
      if (query.recipient().isEmpty() || query.recipient().get().equals(n.recipient())) {
        page.add(n);
      }
    }
    if (!moved) {
      return new NotificationPage(page, query.after());
    }
    return new NotificationPage(page, Optional.of(new Cursor(positions, Optional.empty()).text()));
  }

  @Override
  public List<Delivery> deliveries(String notificationId) {
    Optional<Shard> found = shardOf(notificationId);
    if (found.isEmpty()) {
      return List.of();
    }
    String tag = found.get().tag();
    Map<String, String> states = new LinkedHashMap<>();
    db.call(redis -> redis.hgetall(tag + ":dl"))
        .forEach(
            (member, state) -> {
              if (member.startsWith(notificationId + "|")) {
                states.put(member, state);
              }
            });
    List<Delivery> deliveries = new ArrayList<>();
    for (Map.Entry<String, String> e : states.entrySet()) {
      String sink = e.getKey().substring(notificationId.length() + 1);
      Delivery.State state =
          Delivery.State.valueOf(e.getValue().substring(0, e.getValue().indexOf('|')));
      Optional<Instant> next = Optional.empty();
      if (state == Delivery.State.PENDING) {
        Double score = db.call(redis -> redis.zscore(tag + ":sched", e.getKey()));
        next = Optional.ofNullable(score).map(s -> Instant.ofEpochMilli(s.longValue()));
      }
      List<Delivery.Attempt> attempts = new ArrayList<>();
      for (String a : db.call(redis -> redis.lrange(tag + ":at:" + e.getKey(), 0, -1))) {
        String[] p = a.split("\\|", 4);
        attempts.add(
            new Delivery.Attempt(
                Integer.parseInt(p[0]),
                Instant.ofEpochMilli(Long.parseLong(p[1])),
                p[2].equals("1"),
                p[3]));
      }
      deliveries.add(new Delivery(notificationId, sink, state, next, attempts));
    }
    deliveries.sort(Comparator.comparing(Delivery::sink));
    return deliveries;
  }

  @Override
  public List<DeliveryTask> takeDue(Instant now, java.time.Duration lease, int limit) {
    // Earliest first across shards: peek each shard's earliest due members, keep the overall
    // earliest `limit`, then take them shard by shard with a script that re-checks each is due.
    record Due(Shard shard, String member, double at) {}
    List<Due> due = new ArrayList<>();
    for (Shard shard : shards(Optional.empty())) {
      List<ScoredValue<String>> peeked =
          db.call(
              redis ->
                  redis.zrangebyscoreWithScores(
                      shard.tag() + ":sched",
                      Range.create(Double.NEGATIVE_INFINITY, (double) now.toEpochMilli()),
                      Limit.create(0, limit)));
      peeked.forEach(v -> due.add(new Due(shard, v.getValue(), v.getScore())));
    }
    due.sort(Comparator.comparingDouble(Due::at));
    Map<Shard, List<String>> chosen = new LinkedHashMap<>();
    for (Due d : due.subList(0, Math.min(limit, due.size()))) {
      chosen.computeIfAbsent(d.shard(), s -> new ArrayList<>()).add(d.member());
    }
    Map<String, DeliveryTask> byMember = new HashMap<>();
    chosen.forEach(
        (shard, members) -> {
          List<String> args = new ArrayList<>(members.size() + 2);
          args.add(Long.toString(now.toEpochMilli()));
          args.add(Long.toString(lease.toMillis()));
          args.addAll(members);
          List<Object> taken =
              take.run(
                  ScriptOutputType.MULTI,
                  new String[] {shard.tag() + ":sched"},
                  args.toArray(String[]::new));
          if (taken.isEmpty()) {
            return;
          }
          String[] takenMembers = taken.stream().map(String::valueOf).toArray(String[]::new);
          List<KeyValue<String, String>> states =
              db.call(redis -> redis.hmget(shard.tag() + ":dl", takenMembers));
          for (KeyValue<String, String> state : states) {
            if (!state.hasValue() || !state.getValue().startsWith("PENDING|")) {
              continue;
            }
            String member = state.getKey();
            String id = member.substring(0, member.indexOf('|'));
            String recordText = db.call(redis -> redis.hget(shard.tag() + ":n", id));
            int attempts = Integer.parseInt(state.getValue().substring("PENDING|".length()));
            byMember.put(
                shard.tag() + " " + member,
                new DeliveryTask(
                    notification(recordText), member.substring(id.length() + 1), attempts + 1));
          }
        });
    List<DeliveryTask> tasks = new ArrayList<>();
    for (Due d : due.subList(0, Math.min(limit, due.size()))) {
      DeliveryTask task = byMember.get(d.shard().tag() + " " + d.member());
      if (task != null) {
        tasks.add(task);
      }
    }
    return tasks;
  }

  @Override
  public Optional<Instant> nextDeliveryDue() {
    Optional<Double> min = Optional.empty();
    for (Shard shard : shards(Optional.empty())) {
      List<ScoredValue<String>> first =
          db.call(redis -> redis.zrangeWithScores(shard.tag() + ":sched", 0, 0));
      if (!first.isEmpty() && (min.isEmpty() || first.getFirst().getScore() < min.get())) {
        min = Optional.of(first.getFirst().getScore());
      }
    }
    return min.map(ms -> Instant.ofEpochMilli(ms.longValue()));
  }

  @Override
  public void record(List<DeliveryOutcome> outcomes) {
    Map<String, List<String>> argsByTag = new LinkedHashMap<>();
    for (DeliveryOutcome outcome : outcomes) {
      Notification n = outcome.task().notification();
      String tag = layout.tag(n.rule(), RedisDigestLayout.shard(n.recipient()));
      String state =
          outcome.succeeded() ? "DELIVERED" : outcome.retryAt().isPresent() ? "PENDING" : "FAILED";
      List<String> args = argsByTag.computeIfAbsent(tag, t -> new ArrayList<>());
      args.add(n.id() + "|" + outcome.task().sink());
      args.add(Integer.toString(outcome.task().attempt()));
      args.add(state);
      args.add(outcome.retryAt().map(t -> Long.toString(t.toEpochMilli())).orElse(""));
      args.add(Long.toString(outcome.at().toEpochMilli()));
      args.add(outcome.succeeded() ? "1" : "0");
      args.add(outcome.detail());
    }
    argsByTag.forEach(
        (tag, args) ->
            record.run(
                ScriptOutputType.INTEGER,
                new String[] {tag + ":dl", tag + ":sched"},
                args.toArray(String[]::new)));
  }
}
