package dev.herald.postgres;

import dev.herald.jdbc.NotificationRows;
import dev.herald.notify.Delivery;
import dev.herald.notify.DeliveryOutcome;
import dev.herald.notify.DeliveryTask;
import dev.herald.notify.Notification;
import dev.herald.notify.NotificationPage;
import dev.herald.notify.NotificationQuery;
import dev.herald.notify.NotificationStore;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The outbox in PostgreSQL tables, written by {@link PostgresDigestStore} when it closes buckets.
 * Cursors are notification sequence numbers, which become visible in order (see there). Due
 * deliveries are handed out with {@code FOR UPDATE SKIP LOCKED}: dispatchers in several processes
 * take disjoint deliveries without waiting for each other.
 *
 * <p>Thread-safety: safe for concurrent use.
 */
public final class PostgresNotificationStore implements NotificationStore {

  private static final String COLUMNS = NotificationRows.COLUMNS;

  private final PostgresDatabase db;
  private final String origin = PostgresDatabase.DELIVERIES + java.util.UUID.randomUUID();
  private final List<Runnable> deliveryListeners =
      new java.util.concurrent.CopyOnWriteArrayList<>();

  public PostgresNotificationStore(PostgresDatabase db) {
    this.db = Objects.requireNonNull(db, "db");
  }

  /** What the digest store of this process puts in its notifications of new deliveries. */
  String origin() {
    return origin;
  }

  /** Other processes' closes are heard through LISTEN/NOTIFY, and once more after a reconnect. */
  @Override
  public void onNewDeliveries(Runnable listener) {
    Objects.requireNonNull(listener, "listener");
    if (deliveryListeners.isEmpty()) {
      db.listen(
          payload -> {
            if (payload.isEmpty()
                || (payload.startsWith(PostgresDatabase.DELIVERIES) && !payload.equals(origin))) {
              deliveryListeners.forEach(Runnable::run);
            }
          });
    }
    deliveryListeners.add(listener);
  }

  @Override
  public boolean reportsNewDeliveries() {
    return true;
  }

  private static Notification notification(ResultSet rs) throws SQLException {
    return NotificationRows.notification(rs);
  }

  @Override
  public Optional<Notification> find(String id) {
    return db.transact(
        c -> {
          try (PreparedStatement select =
              c.prepareStatement("SELECT " + COLUMNS + " FROM notification n WHERE n.id = ?")) {
            select.setString(1, id);
            try (ResultSet rs = select.executeQuery()) {
              return rs.next() ? Optional.of(notification(rs)) : Optional.<Notification>empty();
            }
          }
        });
  }

  @Override
  public NotificationPage list(NotificationQuery query) {
    long after = query.after().map(PostgresNotificationStore::parseCursor).orElse(0L);
    StringBuilder sql =
        new StringBuilder("SELECT ").append(COLUMNS).append(" FROM notification n WHERE n.seq > ?");
    query.rule().ifPresent(r -> sql.append(" AND n.rule = ?"));
    query.recipient().ifPresent(r -> sql.append(" AND n.recipient = ?"));
    sql.append(" ORDER BY n.seq LIMIT ?");
    return db.transact(
        c -> {
          try (PreparedStatement select = c.prepareStatement(sql.toString())) {
            int p = 1;
            select.setLong(p++, after);
            if (query.rule().isPresent()) {
              select.setString(p++, query.rule().get());
            }
            if (query.recipient().isPresent()) {
              select.setString(p++, query.recipient().get());
            }
            select.setInt(p, query.limit() + 1);
            try (ResultSet rs = select.executeQuery()) {
              return NotificationRows.page(rs, query, after);
            }
          }
        });
  }

  private static long parseCursor(String cursor) {
    try {
      long seq = Long.parseLong(cursor);
      if (seq >= 0) {
        return seq;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new IllegalArgumentException(
        "'" + cursor + "' is not a notification cursor (use the \"next\" of a previous page)");
  }

  @Override
  public List<Delivery> deliveries(String notificationId) {
    return db.transact(
        c -> {
          try (PreparedStatement select = c.prepareStatement(NotificationRows.DELIVERIES)) {
            select.setString(1, notificationId);
            try (ResultSet rs = select.executeQuery()) {
              return NotificationRows.deliveries(notificationId, rs);
            }
          }
        });
  }

  @Override
  public List<DeliveryTask> takeDue(Instant now, Duration lease, int limit) {
    return db.transact(
        c -> {
          List<DeliveryTask> tasks = new ArrayList<>();
          List<Long> seqs = new ArrayList<>();
          List<String> sinks = new ArrayList<>();
          try (PreparedStatement select =
              c.prepareStatement(
                  "SELECT "
                      + COLUMNS
                      + ", d.sink, d.attempts FROM delivery d JOIN notification n ON n.seq = d.notification_seq "
                      + "WHERE d.state = 'PENDING' AND d.next_ms <= ? ORDER BY d.next_ms LIMIT ? "
                      + "FOR UPDATE OF d SKIP LOCKED")) {
            select.setLong(1, now.toEpochMilli());
            select.setInt(2, limit);
            try (ResultSet rs = select.executeQuery()) {
              while (rs.next()) {
                tasks.add(new DeliveryTask(notification(rs), rs.getString(10), rs.getInt(11) + 1));
                seqs.add(rs.getLong(1));
                sinks.add(rs.getString(10));
              }
            }
          }
          if (tasks.isEmpty()) {
            return tasks;
          }
          try (PreparedStatement hold =
              c.prepareStatement(
                  "UPDATE delivery d SET next_ms = ? FROM unnest(?::bigint[], ?::text[]) AS u(seq, sink) "
                      + "WHERE d.notification_seq = u.seq AND d.sink = u.sink")) {
            hold.setLong(1, now.plus(lease).toEpochMilli());
            hold.setArray(2, c.createArrayOf("bigint", seqs.toArray(Long[]::new)));
            hold.setArray(3, c.createArrayOf("text", sinks.toArray(String[]::new)));
            hold.executeUpdate();
          }
          return tasks;
        });
  }

  @Override
  public Optional<Instant> nextDeliveryDue() {
    return db.transact(
        c -> {
          try (PreparedStatement select =
              c.prepareStatement("SELECT MIN(next_ms) FROM delivery WHERE state = 'PENDING'")) {
            try (ResultSet rs = select.executeQuery()) {
              rs.next();
              long next = rs.getLong(1);
              return rs.wasNull()
                  ? Optional.<Instant>empty()
                  : Optional.of(Instant.ofEpochMilli(next));
            }
          }
        });
  }

  @Override
  public void record(List<DeliveryOutcome> outcomes) {
    if (outcomes.isEmpty()) {
      return;
    }
    db.transact(
        c -> {
          try (PreparedStatement update =
                  c.prepareStatement(
                      "UPDATE delivery SET state = ?, attempts = ?, next_ms = ? "
                          + "WHERE notification_seq = (SELECT seq FROM notification WHERE id = ?) AND sink = ? "
                          + "AND state = 'PENDING' AND attempts = ?");
              PreparedStatement attempt =
                  c.prepareStatement(
                      "INSERT INTO delivery_attempt (notification_seq, sink, number, at_ms, succeeded, detail) "
                          + "SELECT seq, ?, ?, ?, ?, ? FROM notification WHERE id = ? ON CONFLICT DO NOTHING")) {
            for (DeliveryOutcome outcome : outcomes) {
              DeliveryTask task = outcome.task();
              String state =
                  outcome.succeeded()
                      ? "DELIVERED"
                      : outcome.retryAt().isPresent() ? "PENDING" : "FAILED";
              update.setString(1, state);
              update.setInt(2, task.attempt());
              if (outcome.retryAt().isPresent()) {
                update.setLong(3, outcome.retryAt().get().toEpochMilli());
              } else {
                update.setNull(3, Types.BIGINT);
              }
              update.setString(4, task.notification().id());
              update.setString(5, task.sink());
              update.setInt(6, task.attempt() - 1);
              if (update.executeUpdate() == 0) {
                continue; // already recorded: this outcome is a repeat
              }
              attempt.setString(1, task.sink());
              attempt.setInt(2, task.attempt());
              attempt.setLong(3, outcome.at().toEpochMilli());
              attempt.setBoolean(4, outcome.succeeded());
              attempt.setString(5, outcome.detail());
              attempt.setString(6, task.notification().id());
              attempt.addBatch();
            }
            attempt.executeBatch();
          }
          return null;
        });
  }
}
