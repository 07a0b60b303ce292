package dev.herald.postgres;

import dev.herald.jdbc.SequenceIds;
import dev.herald.log.Event;
import dev.herald.log.EventLog;
import dev.herald.log.GroupStart;
import dev.herald.log.IdempotencyConflictException;
import dev.herald.log.IdempotencyKey;
import dev.herald.log.NewEvent;
import dev.herald.log.StreamEnds;
import dev.herald.log.StreamInfo;
import dev.herald.log.StreamInfo.GroupInfo;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * {@link EventLog} in PostgreSQL tables. Ids are per-stream sequence numbers as decimal text, and
 * an event's position is its id. Every append sends a notification ({@code pg_notify}) with its
 * stream, so readers in every process wake when it commits instead of polling.
 *
 * <p>Ordering across processes: an append bumps its stream's {@code last_id} first, so the stream
 * row stays locked until the append commits; the next append to the stream waits, and events become
 * visible in id order. A reader that saw id n has therefore seen every id before it.
 *
 * <p>Consumer groups are {@link PostgresConsumerGroups}'.
 *
 * <p>Consumer groups, their pending runs and how they lock, are {@link PostgresConsumerGroups}.
 *
 * <p>Thread-safety: safe for concurrent use, by any number of processes on one database.
 */
public final class PostgresEventLog implements EventLog {

  /** Rows deleted per statement when trimming, so that no transaction holds a long stream. */
  static final int TRIM_BATCH = 10_000;

  /**
   * A trim that deleted at least this many rows vacuums the events table, so that new events reuse
   * the space at once and a trimmed stream's table stops growing at about its retained size (trims
   * of fewer rows leave it to autovacuum, told to come early on this table).
   */
  static final int VACUUM_AFTER = 1_000;

  private final PostgresDatabase db;
  private final InstantSource clock;
  private final PostgresConsumerGroups groups;
  private final ConcurrentMap<String, Long> streamIds = new ConcurrentHashMap<>();
  private final List<Runnable> appendListeners = new CopyOnWriteArrayList<>();

  /** What this log's notifications start with, so that it hears only other logs' appends. */
  private final String origin = PostgresDatabase.APPENDED + java.util.UUID.randomUUID() + ":";

  /**
   * Streams with a maximum length are trimmed by the server's retention agent, not on the append
   * path: a trim deletes in batches and may vacuum, which no appending request should wait for.
   */
  public PostgresEventLog(PostgresDatabase db, InstantSource clock) {
    this.db = Objects.requireNonNull(db, "db");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.groups = new PostgresConsumerGroups(db, clock, this);
  }

  @Override
  public int compareIds(String a, String b) {
    return Long.compare(parseId(a), parseId(b));
  }

  /** Parses an id this log issued; "" is before the first event. */
  static long parseId(String id) {
    return SequenceIds.parse(id);
  }

  /**
   * The stream's row id, creating the row in a transaction of its own: streams are never removed,
   * so an id once known stays valid, and a rolled-back append cannot leave a cached id behind.
   */
  long streamId(String stream) {
    Long known = streamIds.get(stream);
    if (known != null) {
      return known;
    }
    long id =
        db.transact(
            c -> {
              try (PreparedStatement insert =
                  c.prepareStatement(
                      "INSERT INTO herald_stream (name) VALUES (?) ON CONFLICT (name) DO NOTHING")) {
                insert.setString(1, stream);
                insert.executeUpdate();
              }
              return existingStreamId(c, stream).orElseThrow();
            });
    streamIds.put(stream, id);
    return id;
  }

  private Optional<Long> existingStreamId(Connection c, String stream) throws SQLException {
    Long known = streamIds.get(stream);
    if (known != null) {
      return Optional.of(known);
    }
    try (PreparedStatement select =
        c.prepareStatement("SELECT id FROM herald_stream WHERE name = ?")) {
      select.setString(1, stream);
      try (ResultSet rs = select.executeQuery()) {
        if (!rs.next()) {
          return Optional.empty();
        }
        long id = rs.getLong(1);
        streamIds.put(stream, id);
        return Optional.of(id);
      }
    }
  }

  Optional<Long> existingStreamId(String stream) {
    Long known = streamIds.get(stream);
    if (known != null) {
      return Optional.of(known);
    }
    return db.transact(c -> existingStreamId(c, stream));
  }

  @Override
  public List<String> appendAll(String stream, List<NewEvent> events) {
    Objects.requireNonNull(stream, "stream");
    if (events.isEmpty()) {
      return List.of();
    }
    long streamId = streamId(stream);
    Instant now = clock.instant();
    List<String> ids = db.transact(c -> insert(c, streamId, events, now));
    appendListeners.forEach(Runnable::run);
    return ids;
  }

  @Override
  public List<String> appendAll(String stream, List<NewEvent> events, IdempotencyKey key) {
    Objects.requireNonNull(stream, "stream");
    Objects.requireNonNull(key, "key");
    if (events.isEmpty()) {
      return List.of();
    }
    long streamId = streamId(stream);
    Instant now = clock.instant();
    long nowMs = now.toEpochMilli();
    boolean[] inserted = {false};
    List<String> ids =
        db.transact(
            c -> {
              inserted[0] = false;
              // the stream row's lock makes the look-up and the insert one step for this stream:
              // two requests with one key cannot both find it unused
              try (PreparedStatement lock =
                  c.prepareStatement("SELECT last_id FROM herald_stream WHERE id = ? FOR UPDATE")) {
                lock.setLong(1, streamId);
                lock.executeQuery().close();
              }
              // expired keys go, a bounded number per keyed append (through the expiry index), and
              // this key's own if it expired, so that the table does not only grow
              try (PreparedStatement forget =
                  c.prepareStatement(
                      "DELETE FROM herald_idempotency WHERE (stream_id = ? AND key = ? AND expires_ms <= ?) "
                          + "OR ctid IN (SELECT ctid FROM herald_idempotency WHERE expires_ms <= ? LIMIT 100)")) {
                forget.setLong(1, streamId);
                forget.setString(2, key.key());
                forget.setLong(3, nowMs);
                forget.setLong(4, nowMs);
                forget.executeUpdate();
              }
              try (PreparedStatement earlier =
                  c.prepareStatement(
                      "SELECT fingerprint, first_id, count FROM herald_idempotency WHERE stream_id = ? AND key = ?")) {
                earlier.setLong(1, streamId);
                earlier.setString(2, key.key());
                try (ResultSet rs = earlier.executeQuery()) {
                  if (rs.next()) {
                    if (!rs.getString(1).equals(key.fingerprint())) {
                      throw IdempotencyConflictException.of(stream, key);
                    }
                    long first = rs.getLong(2);
                    int count = rs.getInt(3);
                    List<String> known = new ArrayList<>(count);
                    for (int i = 0; i < count; i++) {
                      known.add(Long.toString(first + i));
                    }
                    return known;
                  }
                }
              }
              List<String> added = insert(c, streamId, events, now);
              try (PreparedStatement remember =
                  c.prepareStatement(
                      "INSERT INTO herald_idempotency (stream_id, key, fingerprint, first_id, count, expires_ms) VALUES (?, ?, ?, ?, ?, ?)")) {
                remember.setLong(1, streamId);
                remember.setString(2, key.key());
                remember.setString(3, key.fingerprint());
                remember.setLong(4, Long.parseLong(added.getFirst()));
                remember.setInt(5, added.size());
                remember.setLong(6, nowMs + key.keep().toMillis());
                remember.executeUpdate();
              }
              inserted[0] = true;
              return added;
            });
    if (inserted[0]) {
      appendListeners.forEach(Runnable::run);
    }
    return ids;
  }

  /**
   * Appends the events with consecutive ids after the stream's last, in the caller's transaction.
   */
  private List<String> insert(Connection c, long streamId, List<NewEvent> events, Instant now)
      throws SQLException {
    long last;
    // the notification goes out when the append commits, to every process LISTENing (this one too)
    try (PreparedStatement bump =
        c.prepareStatement(
            "UPDATE herald_stream SET last_id = last_id + ? WHERE id = ? RETURNING last_id, pg_notify(?, ? || name)")) {
      bump.setInt(1, events.size());
      bump.setLong(2, streamId);
      bump.setString(3, db.channel());
      bump.setString(4, origin);
      try (ResultSet rs = bump.executeQuery()) {
        rs.next();
        last = rs.getLong(1);
      }
    }
    long first = last - events.size() + 1;
    long nowMs = now.toEpochMilli();
    Long[] times = new Long[events.size()];
    String[] texts = new String[events.size()];
    for (int i = 0; i < times.length; i++) {
      NewEvent event = events.get(i);
      times[i] = event.time().map(Instant::toEpochMilli).orElse(nowMs);
      texts[i] = event.json();
    }
    // one statement for the whole batch: the rows come from two arrays
    try (PreparedStatement insert =
        c.prepareStatement(
            "INSERT INTO herald_event (stream_id, id, time_ms, data) "
                + "SELECT ?, ? + u.n - 1, u.t, u.d FROM unnest(?::bigint[], ?::text[]) WITH ORDINALITY AS u(t, d, n)")) {
      insert.setLong(1, streamId);
      insert.setLong(2, first);
      insert.setArray(3, c.createArrayOf("bigint", times));
      insert.setArray(4, c.createArrayOf("text", texts));
      insert.executeUpdate();
    }
    List<String> ids = new ArrayList<>(events.size());
    for (int i = 0; i < events.size(); i++) {
      ids.add(Long.toString(first + i));
    }
    return ids;
  }

  /**
   * Local appends are reported as soon as they commit; appends of other processes when their
   * notification arrives (LISTEN/NOTIFY), within milliseconds, and once more after the notification
   * connection comes back from a loss.
   */
  @Override
  public void onAppended(Runnable listener) {
    Objects.requireNonNull(listener, "listener");
    if (appendListeners.isEmpty()) {
      // this log's own appends were reported when they committed
      db.listen(
          payload -> {
            if (payload.isEmpty()
                || (payload.startsWith(PostgresDatabase.APPENDED) && !payload.startsWith(origin))) {
              appendListeners.forEach(Runnable::run);
            }
          });
    }
    appendListeners.add(listener);
  }

  @Override
  public boolean reportsEveryAppend() {
    return true;
  }

  @Override
  public List<Event> read(String stream, String after, int limit) {
    return read(stream, after, limit, Long.MAX_VALUE);
  }

  /** Steps through the rows and stops at the budget: pgjdbc fetches the rest in vain, no more. */
  @Override
  public List<Event> read(String stream, String after, int limit, long maxChars) {
    long afterId = parseId(after);
    Optional<Long> streamId = existingStreamId(stream);
    if (streamId.isEmpty()) {
      return List.of();
    }
    List<StoredEvent> rows =
        db.transact(c -> selectEvents(c, streamId.get(), afterId, Long.MAX_VALUE, limit, maxChars));
    return events(stream, rows, 0);
  }

  /** An event as its row holds it. */
  record StoredEvent(long id, long timeMs, String data) {}

  static List<StoredEvent> selectEvents(
      Connection c, long streamId, long afterId, long throughId, int limit, long maxChars)
      throws SQLException {
    try (PreparedStatement select =
        c.prepareStatement(
            "SELECT id, time_ms, data FROM herald_event WHERE stream_id = ? AND id > ? AND id <= ? ORDER BY id LIMIT ?")) {
      select.setLong(1, streamId);
      select.setLong(2, afterId);
      select.setLong(3, throughId);
      select.setInt(4, limit);
      List<StoredEvent> rows = new ArrayList<>();
      long chars = 0;
      try (ResultSet rs = select.executeQuery()) {
        while (chars < maxChars && rs.next()) {
          StoredEvent row = new StoredEvent(rs.getLong(1), rs.getLong(2), rs.getString(3));
          rows.add(row);
          chars += row.data().length();
        }
      }
      return rows;
    }
  }

  /** The rows as events; {@code deliveries} 0 for a plain read, else the delivery count. */
  static List<Event> events(String stream, List<StoredEvent> rows, int deliveries) {
    List<Event> events = new ArrayList<>(rows.size());
    for (StoredEvent row : rows) {
      String id = Long.toString(row.id());
      Instant time = Instant.ofEpochMilli(row.timeMs());
      events.add(
          deliveries == 0
              ? Event.stored(stream, id, row.id(), time, row.data())
              : Event.stored(stream, id, row.id(), time, row.data(), deliveries));
    }
    return events;
  }

  @Override
  public void createGroup(String stream, String group, GroupStart start) {
    groups.createGroup(stream, group, start);
  }

  @Override
  public List<Event> readGroup(String stream, String group, String consumer, int limit) {
    return groups.readGroup(stream, group, consumer, limit);
  }

  @Override
  public void ack(String stream, String group, Collection<String> ids) {
    groups.ack(stream, group, ids);
  }

  @Override
  public List<Event> claim(
      String stream, String group, String consumer, Duration minIdle, int limit) {
    return groups.claim(stream, group, consumer, minIdle, limit);
  }

  @Override
  public void releasePending(String stream, String group, String consumer) {
    groups.releasePending(stream, group, consumer);
  }

  @Override
  public long trimToLength(String stream, long maxLength) {
    Optional<Long> found = existingStreamId(stream);
    if (found.isEmpty()) {
      return 0;
    }
    long streamId = found.get();
    // everything at or below the id maxLength places before the newest goes, in batches
    long through =
        db.transact(
            c -> {
              try (PreparedStatement select =
                  c.prepareStatement(
                      "SELECT id FROM herald_event WHERE stream_id = ? ORDER BY id DESC LIMIT 1 OFFSET ?")) {
                select.setLong(1, streamId);
                select.setLong(2, maxLength);
                try (ResultSet rs = select.executeQuery()) {
                  return rs.next() ? rs.getLong(1) : 0L;
                }
              }
            });
    if (through == 0) {
      return 0;
    }
    return deleteInBatches(
        streamId,
        "DELETE FROM herald_event WHERE stream_id = ? AND id IN "
            + "(SELECT id FROM herald_event WHERE stream_id = ? AND id <= ? ORDER BY id LIMIT ?)",
        through);
  }

  @Override
  public long trimBefore(String stream, Instant before) {
    Optional<Long> found = existingStreamId(stream);
    if (found.isEmpty()) {
      return 0;
    }
    return deleteInBatches(
        found.get(),
        "DELETE FROM herald_event WHERE stream_id = ? AND id IN "
            + "(SELECT id FROM herald_event WHERE stream_id = ? AND time_ms < ? ORDER BY id LIMIT ?)",
        before.toEpochMilli());
  }

  /**
   * Runs a delete of at most {@link #TRIM_BATCH} rows per transaction until one deletes fewer: a
   * long trim neither holds one huge transaction nor blocks appends for its length.
   */
  private long deleteInBatches(long streamId, String sql, long bound) {
    long total = 0;
    while (true) {
      int deleted =
          db.transact(
              c -> {
                try (PreparedStatement delete = c.prepareStatement(sql)) {
                  delete.setLong(1, streamId);
                  delete.setLong(2, streamId);
                  delete.setLong(3, bound);
                  delete.setInt(4, TRIM_BATCH);
                  return delete.executeUpdate();
                }
              });
      total += deleted;
      if (deleted < TRIM_BATCH) {
        if (total >= VACUUM_AFTER) {
          db.vacuum("herald_event");
        }
        return total;
      }
    }
  }

  @Override
  public StreamEnds ends(String stream) {
    Optional<Long> found = existingStreamId(stream);
    if (found.isEmpty()) {
      return new StreamEnds(Optional.empty(), Optional.empty());
    }
    return db.transact(
        c -> {
          try (PreparedStatement ends = c.prepareStatement(SequenceIds.ENDS)) {
            ends.setLong(1, found.get());
            try (ResultSet rs = ends.executeQuery()) {
              return SequenceIds.ends(rs);
            }
          }
        });
  }

  @Override
  public StreamInfo info(String stream) {
    Optional<Long> found = existingStreamId(stream);
    if (found.isEmpty()) {
      return new StreamInfo(stream, 0, Optional.empty(), Optional.empty(), List.of());
    }
    long streamId = found.get();
    return db.transact(
        c -> {
          long length;
          Optional<String> first;
          Optional<String> last;
          try (PreparedStatement summary =
              c.prepareStatement(
                  "SELECT (SELECT COUNT(*) FROM herald_event WHERE stream_id = s.id), "
                      + "(SELECT MIN(id) FROM herald_event WHERE stream_id = s.id), s.last_id FROM herald_stream s WHERE s.id = ?")) {
            summary.setLong(1, streamId);
            try (ResultSet rs = summary.executeQuery()) {
              rs.next();
              length = rs.getLong(1);
              long min = rs.getLong(2);
              first = rs.wasNull() ? Optional.empty() : Optional.of(Long.toString(min));
              long lastId = rs.getLong(3);
              last = lastId == 0 ? Optional.empty() : Optional.of(Long.toString(lastId));
            }
          }
          List<GroupInfo> infos = new ArrayList<>();
          try (PreparedStatement groups =
              c.prepareStatement(
                  "SELECT g.name, g.last_delivered, "
                      + "(SELECT COUNT(*) FROM herald_pending p JOIN herald_event e ON e.stream_id = p.stream_id "
                      + "AND e.id BETWEEN p.first_id AND p.last_id WHERE p.stream_id = g.stream_id AND p.group_name = g.name), "
                      + "(SELECT COUNT(*) FROM herald_event e WHERE e.stream_id = g.stream_id AND e.id > g.last_delivered) "
                      + "FROM herald_group g WHERE g.stream_id = ? ORDER BY g.name")) {
            groups.setLong(1, streamId);
            try (ResultSet rs = groups.executeQuery()) {
              while (rs.next()) {
                long delivered = rs.getLong(2);
                infos.add(
                    new GroupInfo(
                        rs.getString(1),
                        delivered == 0 ? Optional.empty() : Optional.of(Long.toString(delivered)),
                        rs.getLong(3),
                        rs.getLong(4)));
              }
            }
          }
          return new StreamInfo(stream, length, first, last, infos);
        });
  }

  /** The log does not own the database; close the {@link PostgresDatabase} itself. */
  @Override
  public void close() {}
}
