package dev.herald.redis;

import dev.herald.log.Event;
import dev.herald.log.EventLog;
import dev.herald.log.GroupStart;
import dev.herald.log.IdempotencyConflictException;
import dev.herald.log.IdempotencyKey;
import dev.herald.log.NewEvent;
import dev.herald.log.StreamEnds;
import dev.herald.log.StreamInfo;
import dev.herald.log.StreamInfo.GroupInfo;
import io.lettuce.core.Consumer;
import io.lettuce.core.Limit;
import io.lettuce.core.Range;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.XAutoClaimArgs;
import io.lettuce.core.XGroupCreateArgs;
import io.lettuce.core.XReadArgs;
import io.lettuce.core.XTrimArgs;
import io.lettuce.core.models.stream.ClaimedMessages;
import io.lettuce.core.models.stream.PendingMessage;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * {@link EventLog} on Redis Streams: one stream key per Herald stream ({@code <prefix>s:{name}},
 * the braces a Redis Cluster hash tag), each entry holding the event time ({@code t}, epoch ms) and
 * the data ({@code d}, JSON). Ids are Redis stream ids. Consumer groups are Redis consumer groups;
 * leases are measured by the Redis server's clock (XAUTOCLAIM's idle time).
 *
 * <p>A batch is appended by one Lua script, so it is atomic and never interleaved with another;
 * streams with a {@code maxLength} are trimmed approximately ({@code MAXLEN ~}) as they grow.
 *
 * <p>Thread-safety: safe for concurrent use.
 */
public final class RedisEventLog implements EventLog {

  private static final Pattern ID = Pattern.compile("\\d+(-\\d+)?");

  /**
   * Appends the events of ARGV from index {@code first} on (time ms, JSON pairs) and collects their
   * ids.
   */
  private static String appendFrom(int first) {
    return """
        local ids = {}
        local maxlen = tonumber(ARGV[1])
        for i = %d, #ARGV, 2 do
          if maxlen > 0 then
            ids[#ids + 1] = redis.call('XADD', KEYS[1], 'MAXLEN', '~', maxlen, '*', 't', ARGV[i], 'd', ARGV[i + 1])
          else
            ids[#ids + 1] = redis.call('XADD', KEYS[1], '*', 't', ARGV[i], 'd', ARGV[i + 1])
          end
        end
        """
        .formatted(first);
  }

  // KEYS: stream. ARGV: max length, then per event: time ms, JSON.
  private static final String APPEND = appendFrom(2) + "return ids\n";

  // KEYS: stream, idempotency hash. ARGV: max length, fingerprint, keep ms, then per event: time
  // ms, JSON. The hash holds the fingerprint and the ids of the first append with the key.
  private static final String APPEND_ONCE =
      """
      local seen = redis.call('HGET', KEYS[2], 'f')
      if seen then
        if seen ~= ARGV[2] then return {'!conflict'} end
        local ids = {}
        for id in string.gmatch(redis.call('HGET', KEYS[2], 'ids'), '[^ ]+') do ids[#ids + 1] = id end
        return ids
      end
      """
          + appendFrom(4)
          + """
      redis.call('HSET', KEYS[2], 'f', ARGV[2], 'ids', table.concat(ids, ' '))
      redis.call('PEXPIRE', KEYS[2], ARGV[3])
      return ids
      """;

  private final RedisDatabase db;
  private final InstantSource clock;
  private final RedisDatabase.Script appendOnce;
  private final Map<String, Long> maxLengths;
  private final RedisDatabase.Script append;
  private final List<Runnable> appendListeners = new java.util.concurrent.CopyOnWriteArrayList<>();

  /**
   * @param maxLengths approximate maximum length per stream; streams not named grow until trimmed
   */
  public RedisEventLog(RedisDatabase db, InstantSource clock, Map<String, Long> maxLengths) {
    this.db = Objects.requireNonNull(db, "db");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.maxLengths = Map.copyOf(maxLengths);
    this.append = db.script(APPEND);
    this.appendOnce = db.script(APPEND_ONCE);
  }

  private String key(String stream) {
    return db.key("s:{" + stream + "}");
  }

  @Override
  public int compareIds(String a, String b) {
    long[] x = parts(a);
    long[] y = parts(b);
    int byTime = Long.compare(x[0], y[0]);
    return byTime != 0 ? byTime : Long.compare(x[1], y[1]);
  }

  private static long[] parts(String id) {
    if (id.isEmpty()) {
      return new long[] {-1, -1};
    }
    String checked = checkedId(id);
    int dash = checked.indexOf('-');
    if (dash < 0) {
      return new long[] {Long.parseLong(checked), 0};
    }
    try {
      return new long[] {
        Long.parseLong(checked, 0, dash, 10),
        Long.parseLong(checked, dash + 1, checked.length(), 10)
      };
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "'" + id + "' is not an event id of this log (ids are like \"1719600000000-0\")");
    }
  }

  /** Bits of a position that hold an id's sequence number; the milliseconds take the 42 above. */
  private static final int SEQUENCE_BITS = 21;

  /**
   * An entry id {@code <ms>-<seq>} as one number in the same order: the milliseconds shifted past
   * 21 bits of sequence. Redis numbers the entries of one millisecond from 0, and no stream takes
   * two million in one; 42 bits of milliseconds last until the year 2109.
   */
  static long position(String id) {
    int dash = id.indexOf('-');
    long ms = Long.parseLong(id, 0, dash, 10);
    long seq = Long.parseLong(id, dash + 1, id.length(), 10);
    if (seq >= 1L << SEQUENCE_BITS || ms >= 1L << (63 - SEQUENCE_BITS)) {
      throw new IllegalStateException(
          "entry id " + id + " is past what a position holds (2^21 entries per millisecond)");
    }
    return ms << SEQUENCE_BITS | seq;
  }

  private static String checkedId(String id) {
    if (!ID.matcher(id).matches()) {
      throw new IllegalArgumentException(
          "'" + id + "' is not an event id of this log (ids are like \"1719600000000-0\")");
    }
    return id;
  }

  @Override
  public List<String> appendAll(String stream, List<NewEvent> events) {
    if (events.isEmpty()) {
      return List.of();
    }
    Instant now = clock.instant();
    String[] args = new String[1 + events.size() * 2];
    args[0] = Long.toString(maxLengths.getOrDefault(stream, 0L));
    for (int i = 0; i < events.size(); i++) {
      args[1 + 2 * i] = Long.toString(events.get(i).time().orElse(now).toEpochMilli());
      args[2 + 2 * i] = events.get(i).json();
    }
    List<Object> ids = append.run(ScriptOutputType.MULTI, new String[] {key(stream)}, args);
    appendListeners.forEach(Runnable::run);
    return ids.stream().map(String::valueOf).toList();
  }

  @Override
  public List<String> appendAll(String stream, List<NewEvent> events, IdempotencyKey key) {
    if (events.isEmpty()) {
      return List.of();
    }
    Instant now = clock.instant();
    String[] args = new String[3 + events.size() * 2];
    args[0] = Long.toString(maxLengths.getOrDefault(stream, 0L));
    args[1] = key.fingerprint();
    args[2] = Long.toString(key.keep().toMillis());
    for (int i = 0; i < events.size(); i++) {
      args[3 + 2 * i] = Long.toString(events.get(i).time().orElse(now).toEpochMilli());
      args[4 + 2 * i] = events.get(i).json();
    }
    // the key's hash carries the stream's hash tag: one slot, one script, on Redis Cluster too
    String remembered = db.key("i:{" + stream + "}:" + key.key());
    List<Object> ids =
        appendOnce.run(ScriptOutputType.MULTI, new String[] {key(stream), remembered}, args);
    if (ids.size() == 1 && "!conflict".equals(String.valueOf(ids.getFirst()))) {
      throw IdempotencyConflictException.of(stream, key);
    }
    appendListeners.forEach(Runnable::run);
    return ids.stream().map(String::valueOf).toList();
  }

  @Override
  public void onAppended(Runnable listener) {
    appendListeners.add(Objects.requireNonNull(listener, "listener"));
  }

  @Override
  public List<Event> read(String stream, String after, int limit) {
    Range<String> range =
        after.isEmpty()
            ? Range.create("-", "+")
            : Range.from(Range.Boundary.excluding(checkedId(after)), Range.Boundary.unbounded());
    return events(stream, db.call(redis -> redis.xrange(key(stream), range, Limit.from(limit))));
  }

  private static List<Event> events(String stream, List<StreamMessage<String, String>> messages) {
    return events(stream, messages, 0);
  }

  /** Events a group delivers for the first time. */
  private static List<Event> delivered(
      String stream, List<StreamMessage<String, String>> messages) {
    return events(stream, messages, 1);
  }

  /** The messages as events, each delivered {@code deliveries} times (0: read outside a group). */
  private static List<Event> events(
      String stream, List<StreamMessage<String, String>> messages, int deliveries) {
    List<Event> events = new ArrayList<>(messages.size());
    for (StreamMessage<String, String> m : messages) {
      if (m.getBody() == null || m.getBody().get("d") == null) {
        continue; // a pending entry whose event was trimmed
      }
      String id = m.getId();
      Instant time = Instant.ofEpochMilli(Long.parseLong(m.getBody().get("t")));
      String json = m.getBody().get("d");
      events.add(
          deliveries == 0
              ? Event.stored(stream, id, position(id), time, json)
              : Event.stored(stream, id, position(id), time, json, deliveries));
    }
    return events;
  }

  @Override
  public void createGroup(String stream, String group, GroupStart start) {
    String from = start == GroupStart.EARLIEST ? "0" : "$";
    try {
      db.call(
          redis ->
              redis.xgroupCreate(
                  XReadArgs.StreamOffset.from(key(stream), from),
                  group,
                  XGroupCreateArgs.Builder.mkstream()));
    } catch (RedisCommandExecutionException e) {
      if (e.getMessage() == null || !e.getMessage().startsWith("BUSYGROUP")) {
        throw e;
      }
    }
  }

  @Override
  @SuppressWarnings("unchecked") // Lettuce's xreadgroup takes its stream offsets as generic varargs
  public List<Event> readGroup(String stream, String group, String consumer, int limit) {
    try {
      return delivered(
          stream,
          db.call(
              redis ->
                  redis.xreadgroup(
                      Consumer.from(group, consumer),
                      XReadArgs.Builder.count(limit),
                      XReadArgs.StreamOffset.lastConsumed(key(stream)))));
    } catch (RedisCommandExecutionException e) {
      if (e.getMessage() != null && e.getMessage().startsWith("NOGROUP")) {
        throw new IllegalStateException(
            "stream '" + stream + "' has no consumer group '" + group + "'", e);
      }
      throw e;
    }
  }

  @Override
  public void ack(String stream, String group, Collection<String> ids) {
    if (ids.isEmpty()) {
      return;
    }
    String[] checked = ids.stream().map(RedisEventLog::checkedId).toArray(String[]::new);
    db.call(redis -> redis.xack(key(stream), group, checked));
  }

  @Override
  public List<Event> claim(
      String stream, String group, String consumer, Duration minIdle, int limit) {
    ClaimedMessages<String, String> claimed =
        db.call(
            redis ->
                redis.xautoclaim(
                    key(stream),
                    XAutoClaimArgs.Builder.<String>xautoclaim(
                            Consumer.from(group, consumer), minIdle, "0-0")
                        .count(limit)));
    List<Event> events = events(stream, claimed.getMessages());
    if (events.isEmpty()) {
      return events;
    }
    // XAUTOCLAIM counts the delivery but does not say the count; the pending list does
    Range<String> range = Range.create(events.getFirst().id(), events.getLast().id());
    Map<String, Long> counts = new HashMap<>();
    for (PendingMessage pending :
        db.call(
            redis ->
                redis.xpending(
                    key(stream),
                    Consumer.from(group, consumer),
                    range,
                    Limit.from(claimed.getMessages().size())))) {
      counts.put(pending.getId(), pending.getRedeliveryCount());
    }
    List<Event> counted = new ArrayList<>(events.size());
    for (Event event : events) {
      counted.add(
          Event.stored(
              stream,
              event.id(),
              event.position(),
              event.time(),
              event.json(),
              (int) Math.max(2, counts.getOrDefault(event.id(), 2L))));
    }
    return counted;
  }

  @Override
  public long trimToLength(String stream, long maxLength) {
    return db.call(redis -> redis.xtrim(key(stream), XTrimArgs.Builder.maxlen(maxLength)));
  }

  @Override
  public long trimBefore(String stream, Instant before) {
    // Event times are in the entries, not in Redis ids: find the first entry to keep, then trim to
    // it.
    String from = "-";
    while (true) {
      Range<String> range =
          from.equals("-")
              ? Range.create("-", "+")
              : Range.from(Range.Boundary.excluding(from), Range.Boundary.unbounded());
      List<StreamMessage<String, String>> page =
          db.call(redis -> redis.xrange(key(stream), range, Limit.from(500)));
      if (page.isEmpty()) {
        return trimToLength(stream, 0);
      }
      for (StreamMessage<String, String> m : page) {
        if (Long.parseLong(m.getBody().get("t")) >= before.toEpochMilli()) {
          return db.call(redis -> redis.xtrim(key(stream), XTrimArgs.Builder.minId(m.getId())));
        }
      }
      from = page.getLast().getId();
    }
  }

  @Override
  public StreamEnds ends(String stream) {
    String key = key(stream);
    if (db.call(redis -> redis.exists(key)) == 0) {
      return new StreamEnds(Optional.empty(), Optional.empty());
    }
    Map<String, Object> summary = pairs(db.call(redis -> redis.xinfoStream(key)));
    String lastGenerated = String.valueOf(summary.get("last-generated-id"));
    Optional<String> first =
        db.call(redis -> redis.xrange(key, Range.create("-", "+"), Limit.from(1))).stream()
            .findFirst()
            .map(StreamMessage::getId);
    return new StreamEnds(
        first,
        "0-0".equals(lastGenerated) ? Optional.empty() : Optional.of(lastGenerated),
        trimmedThrough(summary, first));
  }

  /**
   * The newest trimmed id. Herald only trims a stream's oldest entries (XTRIM), so when any entry
   * is gone, every id before the oldest retained one is: Redis 7 counts the entries ever added,
   * which tells whether any is gone; on an earlier Redis, any is assumed.
   */
  private static Optional<String> trimmedThrough(
      Map<String, Object> summary, Optional<String> first) {
    Object added = summary.get("entries-added");
    if (added instanceof Number count
        && count.longValue() == ((Number) summary.get("length")).longValue()) {
      return Optional.empty();
    }
    if (first.isEmpty()) {
      String last = String.valueOf(summary.get("last-generated-id"));
      return "0-0".equals(last) ? Optional.empty() : Optional.of(last);
    }
    return before(first.get());
  }

  /** The greatest stream id below {@code id}, if there is one. */
  private static Optional<String> before(String id) {
    int dash = id.indexOf('-');
    long ms = Long.parseLong(id, 0, dash, 10);
    long seq = Long.parseUnsignedLong(id.substring(dash + 1));
    if (seq != 0) {
      return Optional.of(ms + "-" + Long.toUnsignedString(seq - 1));
    }
    return ms == 0 ? Optional.empty() : Optional.of((ms - 1) + "-" + Long.toUnsignedString(-1L));
  }

  @Override
  public StreamInfo info(String stream) {
    String key = key(stream);
    if (db.call(redis -> redis.exists(key)) == 0) {
      return new StreamInfo(stream, 0, Optional.empty(), Optional.empty(), List.of());
    }
    Map<String, Object> summary = pairs(db.call(redis -> redis.xinfoStream(key)));
    long length = ((Number) summary.get("length")).longValue();
    Optional<String> first =
        db.call(redis -> redis.xrange(key, Range.create("-", "+"), Limit.from(1))).stream()
            .findFirst()
            .map(StreamMessage::getId);
    String lastGenerated = String.valueOf(summary.get("last-generated-id"));
    Optional<String> last =
        "0-0".equals(lastGenerated) ? Optional.empty() : Optional.of(lastGenerated);
    List<GroupInfo> groups = new ArrayList<>();
    for (Object raw : db.call(redis -> redis.xinfoGroups(key))) {
      Map<String, Object> g = pairs((List<?>) raw);
      String delivered = String.valueOf(g.get("last-delivered-id"));
      Object lag = g.get("lag");
      groups.add(
          new GroupInfo(
              String.valueOf(g.get("name")),
              "0-0".equals(delivered) ? Optional.empty() : Optional.of(delivered),
              ((Number) g.get("pending")).longValue(),
              lag instanceof Number n ? n.longValue() : length));
    }
    groups.sort(java.util.Comparator.comparing(GroupInfo::name));
    return new StreamInfo(stream, length, first, last, groups);
  }

  private static Map<String, Object> pairs(List<?> flat) {
    Map<String, Object> map = new HashMap<>();
    for (int i = 0; i + 1 < flat.size(); i += 2) {
      map.put(String.valueOf(flat.get(i)), flat.get(i + 1));
    }
    return map;
  }

  /** The log does not own the connection; close the {@link RedisDatabase} itself. */
  @Override
  public void close() {}
}
