package dev.herald.sqlite;

import dev.herald.jdbc.NotificationRows;
import dev.herald.jdbc.RowBatch;
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
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * {@link NotificationStore} in a {@link SqliteDatabase}: reads the outbox the {@link
 * SqliteDigestStore} writes and records delivery attempts. Cursors are the notification's sequence
 * number, in creation order.
 *
 * <p>Thread-safety: safe for concurrent use.
 */
public final class SqliteNotificationStore implements NotificationStore {

  private static final String COLUMNS = NotificationRows.COLUMNS;

  private final SqliteDatabase db;

  public SqliteNotificationStore(SqliteDatabase db) {
    this.db = Objects.requireNonNull(db, "db");
  }

  private static Notification notification(ResultSet rs) throws SQLException {
    return NotificationRows.notification(rs);
  }

  @Override
  public Optional<Notification> find(String id) {
    return db.read(
        session -> {
          PreparedStatement select =
              session.prepare("SELECT " + COLUMNS + " FROM notification n WHERE n.id = ?");
          select.setString(1, id);
          try (ResultSet rs = select.executeQuery()) {
            return rs.next() ? Optional.of(notification(rs)) : Optional.empty();
          }
        });
  }

  @Override
  public NotificationPage list(NotificationQuery query) {
    long after = query.after().map(SqliteNotificationStore::parseCursor).orElse(0L);
    return db.read(
        session -> {
          PreparedStatement select =
              session.prepare(
                  "SELECT "
                      + COLUMNS
                      + " FROM notification n WHERE n.seq > ? AND (? IS NULL OR n.rule = ?) "
                      + "AND (? IS NULL OR n.recipient = ?) ORDER BY n.seq LIMIT ?");
          select.setLong(1, after);
          select.setString(2, query.rule().orElse(null));
          select.setString(3, query.rule().orElse(null));
          select.setString(4, query.recipient().orElse(null));
          select.setString(5, query.recipient().orElse(null));
          select.setInt(6, query.limit() + 1);
          try (ResultSet rs = select.executeQuery()) {
            return NotificationRows.page(rs, query, after);
          }
        });
  }

  private static long parseCursor(String cursor) {
    try {
      return Long.parseLong(cursor);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "'" + cursor + "' is not a notification cursor (use the \"next\" of a previous page)");
    }
  }

  @Override
  public List<Delivery> deliveries(String notificationId) {
    return db.read(
        session -> {
          PreparedStatement select = session.prepare(NotificationRows.DELIVERIES);
          select.setString(1, notificationId);
          try (ResultSet rs = select.executeQuery()) {
            return NotificationRows.deliveries(notificationId, rs);
          }
        });
  }

  @Override
  public List<DeliveryTask> takeDue(Instant now, java.time.Duration lease, int limit) {
    return db.write(
        session -> {
          PreparedStatement select =
              session.prepare(
                  "SELECT "
                      + COLUMNS
                      + ", d.sink, d.attempts FROM delivery d JOIN notification n ON n.seq = d.notification_seq "
                      + "WHERE d.state = 'PENDING' AND d.next_ms <= ? ORDER BY d.next_ms LIMIT ?");
          select.setLong(1, now.toEpochMilli());
          select.setInt(2, limit);
          List<DeliveryTask> tasks = new ArrayList<>();
          PreparedStatement holdStatement =
              session.prepare(
                  "UPDATE delivery SET next_ms = ? WHERE notification_seq = ? AND sink = ?");
          RowBatch hold = new RowBatch(holdStatement);
          try (ResultSet rs = select.executeQuery()) {
            while (rs.next()) {
              tasks.add(new DeliveryTask(notification(rs), rs.getString(10), rs.getInt(11) + 1));
              holdStatement.setLong(1, now.plus(lease).toEpochMilli());
              holdStatement.setLong(2, rs.getLong(1));
              holdStatement.setString(3, rs.getString(10));
              hold.add();
            }
          }
          hold.finish();
          return tasks;
        });
  }

  @Override
  public Optional<Instant> nextDeliveryDue() {
    return db.read(
        session -> {
          PreparedStatement select =
              session.prepare("SELECT MIN(next_ms) FROM delivery WHERE state = 'PENDING'");
          try (ResultSet rs = select.executeQuery()) {
            rs.next();
            long next = rs.getLong(1);
            return rs.wasNull() ? Optional.empty() : Optional.of(Instant.ofEpochMilli(next));
          }
        });
  }

  @Override
  public void record(List<DeliveryOutcome> outcomes) {
    if (outcomes.isEmpty()) {
      return;
    }
    db.write(
        session -> {
          PreparedStatement update =
              session.prepare(
                  "UPDATE delivery SET state = ?, attempts = ?, next_ms = ? "
                      + "WHERE notification_seq = (SELECT seq FROM notification WHERE id = ?) AND sink = ? AND state = 'PENDING' AND attempts = ?");
          RowBatch updates = new RowBatch(update);
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
              update.setNull(3, java.sql.Types.BIGINT);
            }
            update.setString(4, task.notification().id());
            update.setString(5, task.sink());
            update.setInt(6, task.attempt() - 1);
            updates.add();
          }
          int[] updated = updates.finish();
          PreparedStatement attempt =
              session.prepare(
                  "INSERT INTO delivery_attempt (notification_seq, sink, number, at_ms, succeeded, detail) "
                      + "SELECT seq, ?, ?, ?, ?, ? FROM notification WHERE id = ? ON CONFLICT DO NOTHING");
          RowBatch attempts = new RowBatch(attempt);
          for (int i = 0; i < outcomes.size(); i++) {
            if (updated[i] == 0) {
              continue; // already recorded: this outcome is a repeat
            }
            DeliveryOutcome outcome = outcomes.get(i);
            attempt.setString(1, outcome.task().sink());
            attempt.setInt(2, outcome.task().attempt());
            attempt.setLong(3, outcome.at().toEpochMilli());
            attempt.setInt(4, outcome.succeeded() ? 1 : 0);
            attempt.setString(5, outcome.detail());
            attempt.setString(6, outcome.task().notification().id());
            attempts.add();
          }
          attempts.finish();
          return null;
        });
  }
}
