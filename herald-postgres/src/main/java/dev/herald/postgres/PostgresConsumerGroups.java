package dev.herald.postgres;

import dev.herald.jdbc.PendingRun;
import dev.herald.log.Event;
import dev.herald.log.GroupStart;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The consumer groups of a {@link PostgresEventLog}: each group's cursor ({@code herald_group}) and
 * its pending runs ({@code herald_pending}, {@link PendingRun}). Every change to a group's pending
 * runs (read, acknowledge, claim, release) locks the group's row first, so the runs a transaction
 * reads are the runs it changes; consumers of one group take turns for a few statements per batch.
 *
 * <p>Thread-safety: safe for concurrent use, by any number of processes on one database.
 */
final class PostgresConsumerGroups {

  private final PostgresDatabase db;
  private final InstantSource clock;
  private final PostgresEventLog log;

  PostgresConsumerGroups(PostgresDatabase db, InstantSource clock, PostgresEventLog log) {
    this.db = Objects.requireNonNull(db, "db");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.log = Objects.requireNonNull(log, "log");
  }

  void createGroup(String stream, String group, GroupStart start) {
    long streamId = log.streamId(stream);
    db.transact(
        c -> {
          try (PreparedStatement insert =
              c.prepareStatement(
                  "INSERT INTO herald_group (stream_id, name, last_delivered) "
                      + "SELECT id, ?, CASE WHEN ? THEN last_id ELSE 0 END FROM herald_stream WHERE id = ? "
                      + "ON CONFLICT (stream_id, name) DO NOTHING")) {
            insert.setString(1, group);
            insert.setBoolean(2, start == GroupStart.LATEST);
            insert.setLong(3, streamId);
            insert.executeUpdate();
          }
          return null;
        });
  }

  /** Locks the group's row for the transaction and returns its cursor. */
  private static long lockGroup(Connection c, long streamId, String stream, String group)
      throws SQLException {
    try (PreparedStatement select =
        c.prepareStatement(
            "SELECT last_delivered FROM herald_group WHERE stream_id = ? AND name = ? FOR UPDATE")) {
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
  }

  List<Event> readGroup(String stream, String group, String consumer, int limit) {
    Optional<Long> found = log.existingStreamId(stream);
    if (found.isEmpty()) {
      throw new IllegalStateException(
          "stream '" + stream + "' has no consumer group '" + group + "'");
    }
    long streamId = found.get();
    long now = clock.millis();
    List<PostgresEventLog.StoredEvent> rows =
        db.transact(
            c -> {
              long lastDelivered = lockGroup(c, streamId, stream, group);
              List<PostgresEventLog.StoredEvent> batch =
                  PostgresEventLog.selectEvents(
                      c, streamId, lastDelivered, Long.MAX_VALUE, limit, Long.MAX_VALUE);
              if (batch.isEmpty()) {
                return batch;
              }
              long newest = batch.getLast().id();
              insertRun(
                  c, streamId, group, new PendingRun(lastDelivered + 1, newest, consumer, now, 1));
              try (PreparedStatement advance =
                  c.prepareStatement(
                      "UPDATE herald_group SET last_delivered = ? WHERE stream_id = ? AND name = ?")) {
                advance.setLong(1, newest);
                advance.setLong(2, streamId);
                advance.setString(3, group);
                advance.executeUpdate();
              }
              return batch;
            });
    return PostgresEventLog.events(stream, rows, 1);
  }

  private static void insertRun(Connection c, long streamId, String group, PendingRun run)
      throws SQLException {
    try (PreparedStatement insert =
        c.prepareStatement(
            "INSERT INTO herald_pending (stream_id, group_name, first_id, last_id, consumer, delivered_ms, deliveries) "
                + "VALUES (?, ?, ?, ?, ?, ?, ?)")) {
      insert.setLong(1, streamId);
      insert.setString(2, group);
      insert.setLong(3, run.first());
      insert.setLong(4, run.last());
      insert.setString(5, run.consumer());
      insert.setLong(6, run.deliveredMs());
      insert.setInt(7, run.deliveries());
      insert.executeUpdate();
    }
  }

  private static void deleteRun(Connection c, long streamId, String group, long first)
      throws SQLException {
    try (PreparedStatement delete =
        c.prepareStatement(
            "DELETE FROM herald_pending WHERE stream_id = ? AND group_name = ? AND first_id = ?")) {
      delete.setLong(1, streamId);
      delete.setString(2, group);
      delete.setLong(3, first);
      delete.executeUpdate();
    }
  }

  private static final String RUN_COLUMNS = PendingRun.COLUMNS;

  private static List<PendingRun> pendingRuns(PreparedStatement select) throws SQLException {
    try (ResultSet rs = select.executeQuery()) {
      return PendingRun.all(rs);
    }
  }

  void ack(String stream, String group, Collection<String> ids) {
    if (ids.isEmpty()) {
      return;
    }
    long[] acked = ids.stream().mapToLong(PostgresEventLog::parseId).sorted().distinct().toArray();
    Optional<Long> found = log.existingStreamId(stream);
    if (found.isEmpty()) {
      return;
    }
    long streamId = found.get();
    db.transact(
        c -> {
          lockGroup(c, streamId, stream, group);
          List<PendingRun> runs;
          try (PreparedStatement select =
              c.prepareStatement(
                  "SELECT "
                      + RUN_COLUMNS
                      + " FROM herald_pending WHERE stream_id = ? AND group_name = ? AND first_id <= ? AND last_id >= ? ORDER BY first_id")) {
            select.setLong(1, streamId);
            select.setString(2, group);
            select.setLong(3, acked[acked.length - 1]);
            select.setLong(4, acked[0]);
            runs = pendingRuns(select);
          }
          for (PendingRun run : runs) {
            if (!run.holdsAny(acked)) {
              continue;
            }
            deleteRun(c, streamId, group, run.first());
            // what the acknowledgement leaves of the run stays pending, as shorter runs
            for (PendingRun left : run.without(acked)) {
              insertRun(c, streamId, group, left);
            }
          }
          return null;
        });
  }

  /** A claimed event and how often it has now been delivered. */
  private record Claimed(PostgresEventLog.StoredEvent event, int deliveries) {}

  List<Event> claim(String stream, String group, String consumer, Duration minIdle, int limit) {
    Optional<Long> found = log.existingStreamId(stream);
    if (found.isEmpty()) {
      return List.of();
    }
    long streamId = found.get();
    long now = clock.millis();
    long idleBefore = now - minIdle.toMillis();
    List<Claimed> claimed =
        db.transact(
            c -> {
              lockGroup(c, streamId, stream, group);
              List<PendingRun> expired;
              try (PreparedStatement idle =
                  c.prepareStatement(
                      "SELECT "
                          + RUN_COLUMNS
                          + " FROM herald_pending WHERE stream_id = ? AND group_name = ? AND delivered_ms <= ? ORDER BY first_id LIMIT ?")) {
                idle.setLong(1, streamId);
                idle.setString(2, group);
                idle.setLong(3, idleBefore);
                idle.setInt(4, limit);
                expired = pendingRuns(idle);
              }
              List<Claimed> taken = new ArrayList<>();
              for (PendingRun run : expired) {
                if (taken.size() >= limit) {
                  break;
                }
                deleteRun(c, streamId, group, run.first());
                List<PostgresEventLog.StoredEvent> events =
                    PostgresEventLog.selectEvents(
                        c,
                        streamId,
                        run.first() - 1,
                        run.last(),
                        limit - taken.size(),
                        Long.MAX_VALUE);
                if (events.isEmpty()) {
                  continue; // every event of the run was trimmed: nothing left pending
                }
                long lastClaimed = events.getLast().id();
                PendingRun taker = run.claimed(events.getFirst().id(), lastClaimed, consumer, now);
                insertRun(c, streamId, group, taker);
                for (PendingRun rest : run.after(lastClaimed)) {
                  insertRun(c, streamId, group, rest);
                }
                int deliveries = taker.deliveries();
                for (PostgresEventLog.StoredEvent event : events) {
                  taken.add(new Claimed(event, deliveries));
                }
              }
              return taken;
            });
    List<Event> events = new ArrayList<>(claimed.size());
    for (Claimed one : claimed) {
      events.addAll(PostgresEventLog.events(stream, List.of(one.event()), one.deliveries()));
    }
    return events;
  }

  /**
   * Sets the delivery time of the consumer's pending runs to 0, so that the next claim takes them
   * whatever its idle bound: the consumer name of a Herald process outlives the process (see the
   * server's instance name), so a restart takes back its own events at once.
   */
  void releasePending(String stream, String group, String consumer) {
    Optional<Long> found = log.existingStreamId(stream);
    if (found.isEmpty()) {
      return;
    }
    db.transact(
        c -> {
          lockGroup(c, found.get(), stream, group);
          try (PreparedStatement release =
              c.prepareStatement(
                  "UPDATE herald_pending SET delivered_ms = 0 WHERE stream_id = ? AND group_name = ? AND consumer = ?")) {
            release.setLong(1, found.get());
            release.setString(2, group);
            release.setString(3, consumer);
            return release.executeUpdate();
          }
        });
  }
}
