package dev.herald.sqlite;

import dev.herald.jdbc.MultiRowInsert;
import dev.herald.jdbc.PendingRun;
import dev.herald.jdbc.SequenceIds;
import dev.herald.jdbc.SqlSession;
import dev.herald.log.Event;
import dev.herald.log.EventLog;
import dev.herald.log.GroupStart;
import dev.herald.log.IdempotencyConflictException;
import dev.herald.log.IdempotencyKey;
import dev.herald.log.NewEvent;
import dev.herald.log.StreamEnds;
import dev.herald.log.StreamInfo;
import dev.herald.log.StreamInfo.GroupInfo;
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

/**
 * {@link EventLog} in a {@link SqliteDatabase}. Event ids are per-stream sequence numbers written
 * as decimal text. Appends from concurrent callers are group-committed by the database's writer.
 *
 * <p>Thread-safety: safe for concurrent use.
 */
public final class SqliteEventLog implements EventLog {

  /** Appends are the hottest insert: many rows per execution (random-seller digest ingest +12%). */
  private static final MultiRowInsert INSERT =
      new MultiRowInsert("INSERT INTO herald_event (stream_id, id, time_ms, data)", 4);

  private final SqliteDatabase db;
  private final InstantSource clock;
  private final ConcurrentMap<String, Long> streamIds = new ConcurrentHashMap<>();
  private final List<Runnable> appendListeners = new java.util.concurrent.CopyOnWriteArrayList<>();

  /** Whether the group being committed appended events; used by the writer thread only. */
  private boolean appendedInGroup;

  public SqliteEventLog(SqliteDatabase db, InstantSource clock) {
    this.db = Objects.requireNonNull(db, "db");
    this.clock = Objects.requireNonNull(clock, "clock");
    // a stream row created by a write that was rolled back is gone again
    db.onRollback(streamIds::clear);
    // listeners hear of an append from the writer thread as soon as it is committed: the
    // appending thread, often one of many virtual threads, may take milliseconds to run again.
    // (A flag left set by a write that was rolled back costs one needless wake-up, no more.)
    db.onCommit(
        () -> {
          if (appendedInGroup) {
            appendedInGroup = false;
            appendListeners.forEach(Runnable::run);
          }
        });
    // This process owns the data folder (SqliteDatabase.open locks it), so whatever is pending now
    // was handed to a consumer of a process that ended: it may be claimed at once, not after its
    // lease (a kill -9 under load left events waiting the 30 s lease in 2 of 3 runs of CrashIT).
    db.write(
        session -> session.prepare("UPDATE herald_pending SET delivered_ms = 0").executeUpdate());
  }

  @Override
  public int compareIds(String a, String b) {
    return Long.compare(parseId(a), parseId(b));
  }

  /** Parses an id this log issued; "" is before the first event. */
  static long parseId(String id) {
    return SequenceIds.parse(id);
  }

  private long streamId(SqlSession session, String stream) throws SQLException {
    Long known = streamIds.get(stream);
    if (known != null) {
      return known;
    }
    PreparedStatement insert =
        session.prepare(
            "INSERT INTO herald_stream (name) VALUES (?) ON CONFLICT (name) DO NOTHING");
    insert.setString(1, stream);
    insert.executeUpdate();
    long id = existingStreamId(session, stream).orElseThrow();
    streamIds.put(stream, id);
    return id;
  }

  private Optional<Long> existingStreamId(SqlSession session, String stream) throws SQLException {
    Long known = streamIds.get(stream);
    if (known != null) {
      return Optional.of(known);
    }
    PreparedStatement select = session.prepare("SELECT id FROM herald_stream WHERE name = ?");
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

  @Override
  public List<String> appendAll(String stream, List<NewEvent> events) {
    Objects.requireNonNull(stream, "stream");
    if (events.isEmpty()) {
      return List.of();
    }
    Instant now = clock.instant();
    List<String> texts = events.stream().map(NewEvent::json).toList();
    return db.write(session -> insert(session, streamId(session, stream), events, texts, now));
  }

  @Override
  public List<String> appendAll(String stream, List<NewEvent> events, IdempotencyKey key) {
    Objects.requireNonNull(stream, "stream");
    Objects.requireNonNull(key, "key");
    if (events.isEmpty()) {
      return List.of();
    }
    Instant now = clock.instant();
    long nowMs = now.toEpochMilli();
    List<String> texts = events.stream().map(NewEvent::json).toList();
    return db.write(
        session -> {
          long streamId = streamId(session, stream);
          PreparedStatement forget =
              session.prepare("DELETE FROM herald_idempotency WHERE expires_ms <= ?");
          forget.setLong(1, nowMs);
          forget.executeUpdate();
          PreparedStatement earlier =
              session.prepare(
                  "SELECT fingerprint, first_id, count FROM herald_idempotency WHERE stream_id = ? AND key = ?");
          earlier.setLong(1, streamId);
          earlier.setString(2, key.key());
          try (ResultSet rs = earlier.executeQuery()) {
            if (rs.next()) {
              if (!rs.getString(1).equals(key.fingerprint())) {
                throw IdempotencyConflictException.of(stream, key);
              }
              long first = rs.getLong(2);
              int count = rs.getInt(3);
              List<String> ids = new ArrayList<>(count);
              for (int i = 0; i < count; i++) {
                ids.add(Long.toString(first + i));
              }
              return ids;
            }
          }
          List<String> ids = insert(session, streamId, events, texts, now);
          PreparedStatement remember =
              session.prepare(
                  "INSERT INTO herald_idempotency (stream_id, key, fingerprint, first_id, count, expires_ms) VALUES (?, ?, ?, ?, ?, ?)");
          remember.setLong(1, streamId);
          remember.setString(2, key.key());
          remember.setString(3, key.fingerprint());
          remember.setLong(4, Long.parseLong(ids.getFirst()));
          remember.setInt(5, ids.size());
          remember.setLong(6, nowMs + key.keep().toMillis());
          remember.executeUpdate();
          return ids;
        });
  }

  /** Appends the events with consecutive ids after the stream's last; on the writer. */
  private List<String> insert(
      SqlSession session, long streamId, List<NewEvent> events, List<String> texts, Instant now)
      throws SQLException {
    PreparedStatement bump =
        session.prepare(
            "UPDATE herald_stream SET last_id = last_id + ? WHERE id = ? RETURNING last_id");
    bump.setInt(1, events.size());
    bump.setLong(2, streamId);
    long last;
    try (ResultSet rs = bump.executeQuery()) {
      rs.next();
      last = rs.getLong(1);
    }
    long first = last - events.size() + 1;
    List<String> ids = new ArrayList<>(events.size());
    long nowMs = now.toEpochMilli();
    INSERT.run(
        session,
        events.size(),
        (insert, i, p) -> {
          insert.setLong(p, streamId);
          insert.setLong(p + 1, first + i);
          insert.setLong(p + 2, events.get(i).time().map(Instant::toEpochMilli).orElse(nowMs));
          insert.setString(p + 3, texts.get(i));
        });
    for (int i = 0; i < events.size(); i++) {
      ids.add(Long.toString(first + i));
    }
    appendedInGroup = true;
    return ids;
  }

  /** The data folder is this process's own (it holds the lock): every append is one of ours. */
  @Override
  public boolean reportsEveryAppend() {
    return true;
  }

  @Override
  public void onAppended(Runnable listener) {
    appendListeners.add(Objects.requireNonNull(listener, "listener"));
  }

  @Override
  public List<Event> read(String stream, String after, int limit) {
    long afterId = parseId(after);
    return db.read(
        session -> {
          Optional<Long> streamId = existingStreamId(session, stream);
          if (streamId.isEmpty()) {
            return List.of();
          }
          return events(stream, selectEvents(session, streamId.get(), afterId, limit));
        });
  }

  /**
   * Steps through the rows and stops at the budget: the rows after it are never read from the file.
   */
  @Override
  public List<Event> read(String stream, String after, int limit, long maxChars) {
    long afterId = parseId(after);
    return db.read(
        session -> {
          Optional<Long> streamId = existingStreamId(session, stream);
          if (streamId.isEmpty()) {
            return List.of();
          }
          PreparedStatement select =
              session.prepare(
                  "SELECT id, time_ms, data FROM herald_event WHERE stream_id = ? AND id > ? ORDER BY id LIMIT ?");
          select.setLong(1, streamId.get());
          select.setLong(2, afterId);
          select.setInt(3, limit);
          List<StoredEvent> rows = new ArrayList<>();
          long chars = 0;
          try (ResultSet rs = select.executeQuery()) {
            while (chars < maxChars && rs.next()) {
              StoredEvent row = new StoredEvent(rs.getLong(1), rs.getLong(2), rs.getString(3));
              rows.add(row);
              chars += row.data().length();
            }
          }
          return events(stream, rows);
        });
  }

  /**
   * An event as its row holds it. Reads that run on the database's single writer (group reads,
   * claims) return these and leave the JSON parsing to the caller's thread, off the writer.
   */
  private record StoredEvent(long id, long timeMs, String data, int deliveries) {
    StoredEvent(long id, long timeMs, String data) {
      this(id, timeMs, data, 1);
    }

    StoredEvent deliveredFor(int times) {
      return new StoredEvent(id, timeMs, data, times);
    }
  }

  private static List<StoredEvent> selectEvents(
      SqlSession session, long streamId, long afterId, int limit) throws SQLException {
    PreparedStatement select =
        session.prepare(
            "SELECT id, time_ms, data FROM herald_event WHERE stream_id = ? AND id > ? ORDER BY id LIMIT ?");
    select.setLong(1, streamId);
    select.setLong(2, afterId);
    select.setInt(3, limit);
    return stored(select);
  }

  private static List<StoredEvent> stored(PreparedStatement select) throws SQLException {
    List<StoredEvent> rows = new ArrayList<>();
    try (ResultSet rs = select.executeQuery()) {
      while (rs.next()) {
        rows.add(new StoredEvent(rs.getLong(1), rs.getLong(2), rs.getString(3)));
      }
    }
    return rows;
  }

  private static List<Event> events(String stream, List<StoredEvent> rows) {
    return events(stream, rows, false);
  }

  /** As {@link #events(String, List)}, for a group delivering them: each says how often. */
  private static List<Event> delivered(String stream, List<StoredEvent> rows) {
    return events(stream, rows, true);
  }

  private static List<Event> events(String stream, List<StoredEvent> rows, boolean delivered) {
    List<Event> events = new ArrayList<>(rows.size());
    for (StoredEvent row : rows) {
      String id = Long.toString(row.id());
      Instant time = Instant.ofEpochMilli(row.timeMs());
      events.add(
          delivered
              ? Event.stored(stream, id, row.id(), time, row.data(), row.deliveries())
              : Event.stored(stream, id, row.id(), time, row.data()));
    }
    return events;
  }

  @Override
  public void createGroup(String stream, String group, GroupStart start) {
    db.write(
        session -> {
          long streamId = streamId(session, stream);
          PreparedStatement insert =
              session.prepare(
                  "INSERT INTO herald_group (stream_id, name, last_delivered) "
                      + "SELECT ?, ?, CASE WHEN ? THEN last_id ELSE 0 END FROM herald_stream WHERE id = ? "
                      + "ON CONFLICT (stream_id, name) DO NOTHING");
          insert.setLong(1, streamId);
          insert.setString(2, group);
          insert.setBoolean(3, start == GroupStart.LATEST);
          insert.setLong(4, streamId);
          insert.executeUpdate();
          return null;
        });
  }

  @Override
  public List<Event> readGroup(String stream, String group, String consumer, int limit) {
    // The batch is read on a reader connection and the single writer only moves the group's
    // cursor, if no other consumer moved it since the read (else the batch is read again): every
    // write waits for that writer, and reading a batch of events inside its transaction was a
    // share of its time per event. A stream not created yet is left to the writer, which creates
    // it.
    while (true) {
      Optional<ReadBatch> read =
          db.read(
              session -> {
                Optional<Long> streamId = existingStreamId(session, stream);
                if (streamId.isEmpty()) {
                  return Optional.empty();
                }
                long lastDelivered = lastDelivered(session, streamId.get(), stream, group);
                return Optional.of(
                    new ReadBatch(
                        streamId.get(),
                        lastDelivered,
                        selectEvents(session, streamId.get(), lastDelivered, limit)));
              });
      if (read.isEmpty()) {
        return readGroupOnWriter(stream, group, consumer, limit);
      }
      ReadBatch batch = read.get();
      if (batch.events().isEmpty()) {
        return List.of();
      }
      long now = clock.millis();
      boolean taken =
          db.write(
              session -> {
                long newest = batch.events().getLast().id();
                PreparedStatement advance =
                    session.prepare(
                        "UPDATE herald_group SET last_delivered = ? WHERE stream_id = ? AND name = ? AND last_delivered = ?");
                advance.setLong(1, newest);
                advance.setLong(2, batch.streamId());
                advance.setString(3, group);
                advance.setLong(4, batch.lastDelivered());
                if (advance.executeUpdate() == 0) {
                  return false;
                }
                insertRun(
                    session,
                    batch.streamId(),
                    group,
                    new PendingRun(batch.lastDelivered() + 1, newest, consumer, now, 1));
                return true;
              });
      if (taken) {
        return delivered(stream, batch.events());
      }
    }
  }

  /** A batch read for a group: where its cursor stood, and the events after it. */
  private record ReadBatch(long streamId, long lastDelivered, List<StoredEvent> events) {}

  private List<Event> readGroupOnWriter(String stream, String group, String consumer, int limit) {
    long now = clock.millis();
    List<StoredEvent> rows =
        db.write(
            session -> {
              long streamId = streamId(session, stream);
              long lastDelivered = lastDelivered(session, streamId, stream, group);
              List<StoredEvent> events = selectEvents(session, streamId, lastDelivered, limit);
              if (events.isEmpty()) {
                return events;
              }
              long newest = events.getLast().id();
              insertRun(
                  session,
                  streamId,
                  group,
                  new PendingRun(lastDelivered + 1, newest, consumer, now, 1));
              PreparedStatement advance =
                  session.prepare(
                      "UPDATE herald_group SET last_delivered = ? WHERE stream_id = ? AND name = ?");
              advance.setLong(1, newest);
              advance.setLong(2, streamId);
              advance.setString(3, group);
              advance.executeUpdate();
              return events;
            });
    return delivered(stream, rows);
  }

  private static long lastDelivered(SqlSession session, long streamId, String stream, String group)
      throws SQLException {
    PreparedStatement select =
        session.prepare("SELECT last_delivered FROM herald_group WHERE stream_id = ? AND name = ?");
    select.setLong(1, streamId);
    select.setString(2, group);
    try (ResultSet rs = select.executeQuery()) {
      if (!rs.next()) {
        throw new IllegalStateException(
            "stream '" + stream + "' has no consumer group '" + group + "'");
      }
      return rs.getLong(1);
    }
  }

  private static void insertRun(SqlSession session, long streamId, String group, PendingRun run)
      throws SQLException {
    PreparedStatement insert =
        session.prepare(
            "INSERT INTO herald_pending (stream_id, group_name, first_id, last_id, consumer, delivered_ms, deliveries) "
                + "VALUES (?, ?, ?, ?, ?, ?, ?)");
    insert.setLong(1, streamId);
    insert.setString(2, group);
    insert.setLong(3, run.first());
    insert.setLong(4, run.last());
    insert.setString(5, run.consumer());
    insert.setLong(6, run.deliveredMs());
    insert.setInt(7, run.deliveries());
    insert.executeUpdate();
  }

  private static void deleteRun(SqlSession session, long streamId, String group, long first)
      throws SQLException {
    PreparedStatement delete =
        session.prepare(
            "DELETE FROM herald_pending WHERE stream_id = ? AND group_name = ? AND first_id = ?");
    delete.setLong(1, streamId);
    delete.setString(2, group);
    delete.setLong(3, first);
    delete.executeUpdate();
  }

  private static List<PendingRun> runs(
      SqlSession session, long streamId, String group, long from, long to) throws SQLException {
    PreparedStatement select =
        session.prepare(
            "SELECT "
                + RUN_COLUMNS
                + " FROM herald_pending "
                + "WHERE stream_id = ? AND group_name = ? AND first_id <= ? AND last_id >= ? ORDER BY first_id");
    select.setLong(1, streamId);
    select.setString(2, group);
    select.setLong(3, to);
    select.setLong(4, from);
    return pendingRuns(select);
  }

  private static final String RUN_COLUMNS = PendingRun.COLUMNS;

  private static List<PendingRun> pendingRuns(PreparedStatement select) throws SQLException {
    try (ResultSet rs = select.executeQuery()) {
      return PendingRun.all(rs);
    }
  }

  @Override
  public void ack(String stream, String group, Collection<String> ids) {
    if (ids.isEmpty()) {
      return;
    }
    long[] acked = ids.stream().mapToLong(SqliteEventLog::parseId).sorted().distinct().toArray();
    db.write(
        session -> {
          long streamId = streamId(session, stream);
          for (PendingRun run : runs(session, streamId, group, acked[0], acked[acked.length - 1])) {
            if (!run.holdsAny(acked)) {
              continue;
            }
            deleteRun(session, streamId, group, run.first());
            // what the acknowledgement leaves of the run stays pending, as shorter runs
            for (PendingRun left : run.without(acked)) {
              insertRun(session, streamId, group, left);
            }
          }
          return null;
        });
  }

  @Override
  public List<Event> claim(
      String stream, String group, String consumer, Duration minIdle, int limit) {
    long now = clock.millis();
    long idleBefore = now - minIdle.toMillis();
    List<StoredEvent> rows =
        db.write(
            session -> {
              long streamId = streamId(session, stream);
              PreparedStatement idle =
                  session.prepare(
                      "SELECT "
                          + RUN_COLUMNS
                          + " FROM herald_pending "
                          + "WHERE stream_id = ? AND group_name = ? AND delivered_ms <= ? ORDER BY first_id LIMIT ?");
              idle.setLong(1, streamId);
              idle.setString(2, group);
              idle.setLong(3, idleBefore);
              idle.setInt(4, limit);
              List<PendingRun> expired = pendingRuns(idle);
              List<StoredEvent> claimed = new ArrayList<>();
              for (PendingRun run : expired) {
                if (claimed.size() >= limit) {
                  break;
                }
                deleteRun(session, streamId, group, run.first());
                PreparedStatement select =
                    session.prepare(
                        "SELECT id, time_ms, data FROM herald_event WHERE stream_id = ? AND id >= ? AND id <= ? ORDER BY id LIMIT ?");
                select.setLong(1, streamId);
                select.setLong(2, run.first());
                select.setLong(3, run.last());
                select.setInt(4, limit - claimed.size());
                List<StoredEvent> events = stored(select);
                if (events.isEmpty()) {
                  continue; // every event of the run was trimmed: nothing left pending
                }
                long lastClaimed = events.getLast().id();
                insertRun(
                    session,
                    streamId,
                    group,
                    run.claimed(events.getFirst().id(), lastClaimed, consumer, now));
                for (PendingRun rest : run.after(lastClaimed)) {
                  insertRun(session, streamId, group, rest);
                }
                for (StoredEvent event : events) {
                  claimed.add(event.deliveredFor(run.deliveries() + 1));
                }
              }
              return claimed;
            });
    return delivered(stream, rows);
  }

  @Override
  public long trimToLength(String stream, long maxLength) {
    return db.write(
        session -> {
          long streamId = streamId(session, stream);
          PreparedStatement delete =
              session.prepare(
                  "DELETE FROM herald_event WHERE stream_id = ? AND id <= "
                      + "(SELECT id FROM herald_event WHERE stream_id = ? ORDER BY id DESC LIMIT 1 OFFSET ?)");
          delete.setLong(1, streamId);
          delete.setLong(2, streamId);
          delete.setLong(3, maxLength);
          return (long) delete.executeUpdate();
        });
  }

  @Override
  public long trimBefore(String stream, Instant before) {
    return db.write(
        session -> {
          long streamId = streamId(session, stream);
          PreparedStatement delete =
              session.prepare("DELETE FROM herald_event WHERE stream_id = ? AND time_ms < ?");
          delete.setLong(1, streamId);
          delete.setLong(2, before.toEpochMilli());
          return (long) delete.executeUpdate();
        });
  }

  @Override
  public StreamEnds ends(String stream) {
    return db.read(
        session -> {
          Optional<Long> found = existingStreamId(session, stream);
          if (found.isEmpty()) {
            return new StreamEnds(Optional.empty(), Optional.empty());
          }
          PreparedStatement ends = session.prepare(SequenceIds.ENDS);
          ends.setLong(1, found.get());
          try (ResultSet rs = ends.executeQuery()) {
            return SequenceIds.ends(rs);
          }
        });
  }

  @Override
  public StreamInfo info(String stream) {
    return db.read(
        session -> {
          Optional<Long> found = existingStreamId(session, stream);
          if (found.isEmpty()) {
            return new StreamInfo(stream, 0, Optional.empty(), Optional.empty(), List.of());
          }
          long streamId = found.get();
          PreparedStatement summary =
              session.prepare(
                  "SELECT (SELECT COUNT(*) FROM herald_event WHERE stream_id = s.id), "
                      + "(SELECT MIN(id) FROM herald_event WHERE stream_id = s.id), s.last_id FROM herald_stream s WHERE s.id = ?");
          summary.setLong(1, streamId);
          long length;
          Optional<String> first;
          Optional<String> last;
          try (ResultSet rs = summary.executeQuery()) {
            rs.next();
            length = rs.getLong(1);
            long min = rs.getLong(2);
            first = rs.wasNull() ? Optional.empty() : Optional.of(Long.toString(min));
            long lastId = rs.getLong(3);
            last = lastId == 0 ? Optional.empty() : Optional.of(Long.toString(lastId));
          }
          PreparedStatement groups =
              session.prepare(
                  "SELECT g.name, g.last_delivered, "
                      + "(SELECT COUNT(*) FROM herald_pending p JOIN herald_event e ON e.stream_id = p.stream_id "
                      + "AND e.id BETWEEN p.first_id AND p.last_id WHERE p.stream_id = g.stream_id AND p.group_name = g.name), "
                      + "(SELECT COUNT(*) FROM herald_event e WHERE e.stream_id = g.stream_id AND e.id > g.last_delivered) "
                      + "FROM herald_group g WHERE g.stream_id = ? ORDER BY g.name");
          groups.setLong(1, streamId);
          List<GroupInfo> infos = new ArrayList<>();
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
          return new StreamInfo(stream, length, first, last, infos);
        });
  }

  /** The log does not own the database; close the {@link SqliteDatabase} itself. */
  @Override
  public void close() {}
}
