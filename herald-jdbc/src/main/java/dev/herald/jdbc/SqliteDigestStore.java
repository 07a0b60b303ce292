package dev.herald.jdbc;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.digest.Bucket;
import dev.herald.digest.DigestItem;
import dev.herald.digest.DigestRule;
import dev.herald.digest.DigestStore;
import dev.herald.json.Json;
import dev.herald.notify.Notification;
import dev.herald.notify.Sink;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * {@link DigestStore} in a {@link SqliteDatabase}. Each call that changes state is one write of
 * the database's group commit, so it is atomic and, SQLite having a single writer, serialised
 * with every other change: a bucket cannot be closed while an item is being added to it.
 *
 * <p>Thread-safety: safe for concurrent use.
 */
public final class SqliteDigestStore implements DigestStore {

  private static final int IN_CHUNK = 500;

  private final SqliteDatabase db;

  public SqliteDigestStore(SqliteDatabase db) {
    this.db = Objects.requireNonNull(db, "db");
  }

  /** An open bucket as the writer sees it while applying a batch. */
  private static final class OpenBucket {
    final long id;
    final String key;
    final String openEvent;
    long firstMs;
    long lastMs;
    long dueMs;
    int count;

    OpenBucket(long id, String key, String openEvent, long firstMs, long lastMs, long dueMs, int count) {
      this.id = id;
      this.key = key;
      this.openEvent = openEvent;
      this.firstMs = firstMs;
      this.lastMs = lastMs;
      this.dueMs = dueMs;
      this.count = count;
    }
  }

  @Override
  public List<Notification> add(DigestRule rule, List<DigestItem> items, Instant now) {
    if (items.isEmpty()) {
      return List.of();
    }
    List<String> texts = items.stream().map(i -> Json.write(i.item())).toList();
    return db.write(session -> {
      Set<String> seen = alreadyAdded(session, rule.name(), items);
      Map<String, OpenBucket> touched = new LinkedHashMap<>();
      List<Notification> closed = new ArrayList<>();
      PreparedStatement insertItem = session.prepare(
          "INSERT INTO digest_item (rule, event_id, bucket_id, seq, time_ms, item) VALUES (?, ?, ?, ?, ?, ?)");
      for (int i = 0; i < items.size(); i++) {
        DigestItem item = items.get(i);
        if (!seen.add(item.eventId())) {
          continue;
        }
        OpenBucket bucket = touched.get(item.key());
        if (bucket == null) {
          bucket = loadOrOpen(session, rule, item, now);
          touched.put(item.key(), bucket);
        }
        long t = item.time().toEpochMilli();
        bucket.firstMs = Math.min(bucket.firstMs, t);
        bucket.lastMs = Math.max(bucket.lastMs, t);
        bucket.count++;
        insertItem.setString(1, rule.name());
        insertItem.setString(2, item.eventId());
        insertItem.setLong(3, bucket.id);
        insertItem.setInt(4, bucket.count);
        insertItem.setLong(5, t);
        insertItem.setString(6, texts.get(i));
        insertItem.addBatch();
        if (rule.maxItems().isPresent() && bucket.count >= rule.maxItems().getAsInt()) {
          insertItem.executeBatch();
          bucket.dueMs = rule.deadline(Instant.ofEpochMilli(bucket.firstMs), Instant.ofEpochMilli(bucket.lastMs)).toEpochMilli();
          closed.add(close(session, rule, bucket, now));
          touched.remove(item.key());
        }
      }
      insertItem.executeBatch();
      PreparedStatement update = session.prepare(
          "UPDATE digest_bucket SET first_ms = ?, last_ms = ?, due_ms = ?, count = ? WHERE id = ?");
      for (OpenBucket bucket : touched.values()) {
        bucket.dueMs = rule.deadline(Instant.ofEpochMilli(bucket.firstMs), Instant.ofEpochMilli(bucket.lastMs)).toEpochMilli();
        update.setLong(1, bucket.firstMs);
        update.setLong(2, bucket.lastMs);
        update.setLong(3, bucket.dueMs);
        update.setInt(4, bucket.count);
        update.setLong(5, bucket.id);
        update.addBatch();
      }
      update.executeBatch();
      return closed;
    });
  }

  /** Event ids of {@code items} the rule already holds, open or closed. */
  private static Set<String> alreadyAdded(SqlSession session, String rule, List<DigestItem> items) throws SQLException {
    Set<String> seen = new HashSet<>();
    for (int from = 0; from < items.size(); from += IN_CHUNK) {
      List<DigestItem> chunk = items.subList(from, Math.min(items.size(), from + IN_CHUNK));
      String marks = String.join(",", java.util.Collections.nCopies(chunk.size(), "?"));
      PreparedStatement select = session.prepare(
          "SELECT event_id FROM digest_item WHERE rule = ? AND event_id IN (" + marks + ")");
      select.setString(1, rule);
      for (int i = 0; i < chunk.size(); i++) {
        select.setString(i + 2, chunk.get(i).eventId());
      }
      try (ResultSet rs = select.executeQuery()) {
        while (rs.next()) {
          seen.add(rs.getString(1));
        }
      }
    }
    return seen;
  }

  private static OpenBucket loadOrOpen(SqlSession session, DigestRule rule, DigestItem item, Instant now) throws SQLException {
    Optional<OpenBucket> existing = selectOpen(session, rule.name(), item.key());
    if (existing.isPresent()) {
      return existing.get();
    }
    long t = item.time().toEpochMilli();
    long due = rule.deadline(item.time(), item.time()).toEpochMilli();
    PreparedStatement insert = session.prepare(
        "INSERT INTO digest_bucket (rule, key, open_event, first_ms, last_ms, due_ms, count, open) "
            + "VALUES (?, ?, ?, ?, ?, ?, 0, 1) RETURNING id");
    insert.setString(1, rule.name());
    insert.setString(2, item.key());
    insert.setString(3, item.eventId());
    insert.setLong(4, t);
    insert.setLong(5, t);
    insert.setLong(6, due);
    try (ResultSet rs = insert.executeQuery()) {
      rs.next();
      return new OpenBucket(rs.getLong(1), item.key(), item.eventId(), t, t, due, 0);
    }
  }

  private static Optional<OpenBucket> selectOpen(SqlSession session, String rule, String key) throws SQLException {
    PreparedStatement select = session.prepare(
        "SELECT id, key, open_event, first_ms, last_ms, due_ms, count FROM digest_bucket WHERE rule = ? AND key = ? AND open = 1");
    select.setString(1, rule);
    select.setString(2, key);
    try (ResultSet rs = select.executeQuery()) {
      return rs.next() ? Optional.of(openBucket(rs)) : Optional.empty();
    }
  }

  private static OpenBucket openBucket(ResultSet rs) throws SQLException {
    return new OpenBucket(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getLong(4), rs.getLong(5), rs.getLong(6), rs.getInt(7));
  }

  /** Closes the bucket and writes its notification and pending deliveries, in the caller's transaction. */
  private static Notification close(SqlSession session, DigestRule rule, OpenBucket bucket, Instant closedAt) throws SQLException {
    Instant now = closedAt.truncatedTo(java.time.temporal.ChronoUnit.MILLIS);
    List<JsonNode> items = selectItems(session, bucket.id);
    PreparedStatement shut = session.prepare("UPDATE digest_bucket SET open = 0, closed_ms = ? WHERE id = ? AND open = 1");
    shut.setLong(1, now.toEpochMilli());
    shut.setLong(2, bucket.id);
    if (shut.executeUpdate() != 1) {
      throw new IllegalStateException("bucket " + bucket.id + " of rule " + rule.name() + " was already closed");
    }
    Notification notification = new Notification(
        Notification.idFor(rule.name(), bucket.key, bucket.openEvent), rule.name(), bucket.key, items,
        Instant.ofEpochMilli(bucket.firstMs), Instant.ofEpochMilli(bucket.lastMs), Instant.ofEpochMilli(bucket.dueMs), now);
    PreparedStatement insert = session.prepare(
        "INSERT INTO notification (id, rule, recipient, items, first_ms, last_ms, due_ms, created_ms) "
            + "VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING seq");
    insert.setString(1, notification.id());
    insert.setString(2, notification.rule());
    insert.setString(3, notification.recipient());
    insert.setString(4, Json.write(items));
    insert.setLong(5, bucket.firstMs);
    insert.setLong(6, bucket.lastMs);
    insert.setLong(7, bucket.dueMs);
    insert.setLong(8, now.toEpochMilli());
    long seq;
    try (ResultSet rs = insert.executeQuery()) {
      rs.next();
      seq = rs.getLong(1);
    }
    PreparedStatement delivery = session.prepare(
        "INSERT INTO delivery (notification_seq, sink, state, attempts, next_ms) VALUES (?, ?, 'PENDING', 0, ?)");
    for (Sink sink : rule.deliver()) {
      delivery.setLong(1, seq);
      delivery.setString(2, sink.name());
      delivery.setLong(3, now.toEpochMilli());
      delivery.addBatch();
    }
    delivery.executeBatch();
    return notification;
  }

  private static List<JsonNode> selectItems(SqlSession session, long bucketId) throws SQLException {
    PreparedStatement select = session.prepare("SELECT item FROM digest_item WHERE bucket_id = ? ORDER BY time_ms, seq");
    select.setLong(1, bucketId);
    List<JsonNode> items = new ArrayList<>();
    try (ResultSet rs = select.executeQuery()) {
      while (rs.next()) {
        items.add(Json.parseTrusted(rs.getString(1)));
      }
    }
    return items;
  }

  @Override
  public List<Notification> closeDue(DigestRule rule, Instant now, int limit) {
    return db.write(session -> {
      PreparedStatement select = session.prepare(
          "SELECT id, key, open_event, first_ms, last_ms, due_ms, count FROM digest_bucket "
              + "WHERE rule = ? AND open = 1 AND due_ms <= ? ORDER BY due_ms LIMIT ?");
      select.setString(1, rule.name());
      select.setLong(2, now.toEpochMilli());
      select.setInt(3, limit);
      List<OpenBucket> due = new ArrayList<>();
      try (ResultSet rs = select.executeQuery()) {
        while (rs.next()) {
          due.add(openBucket(rs));
        }
      }
      List<Notification> closed = new ArrayList<>(due.size());
      for (OpenBucket bucket : due) {
        closed.add(close(session, rule, bucket, now));
      }
      return closed;
    });
  }

  @Override
  public Optional<Notification> flush(DigestRule rule, String key, Instant now) {
    return db.write(session -> {
      Optional<OpenBucket> bucket = selectOpen(session, rule.name(), key);
      if (bucket.isEmpty()) {
        return Optional.empty();
      }
      return Optional.of(close(session, rule, bucket.get(), now));
    });
  }

  @Override
  public Optional<Instant> nextDue(String rule) {
    return db.read(session -> {
      PreparedStatement select = session.prepare("SELECT MIN(due_ms) FROM digest_bucket WHERE rule = ? AND open = 1");
      select.setString(1, rule);
      try (ResultSet rs = select.executeQuery()) {
        rs.next();
        long due = rs.getLong(1);
        return rs.wasNull() ? Optional.empty() : Optional.of(Instant.ofEpochMilli(due));
      }
    });
  }

  @Override
  public List<Bucket> openBuckets(String rule, String afterKey, int limit) {
    return db.read(session -> {
      PreparedStatement select = session.prepare(
          "SELECT id, key, open_event, first_ms, last_ms, due_ms, count FROM digest_bucket "
              + "WHERE rule = ? AND open = 1 AND key > ? ORDER BY key LIMIT ?");
      select.setString(1, rule);
      select.setString(2, afterKey);
      select.setInt(3, limit);
      List<Bucket> buckets = new ArrayList<>();
      try (ResultSet rs = select.executeQuery()) {
        while (rs.next()) {
          buckets.add(bucket(rule, openBucket(rs)));
        }
      }
      return buckets;
    });
  }

  @Override
  public Optional<Bucket> openBucket(String rule, String key) {
    return db.read(session -> selectOpen(session, rule, key).map(b -> bucket(rule, b)));
  }

  @Override
  public List<JsonNode> openItems(String rule, String key) {
    return db.read(session -> {
      Optional<OpenBucket> bucket = selectOpen(session, rule, key);
      return bucket.isEmpty() ? List.<JsonNode>of() : selectItems(session, bucket.get().id);
    });
  }

  @Override
  public long openBucketCount(String rule) {
    return db.read(session -> {
      PreparedStatement select = session.prepare("SELECT COUNT(*) FROM digest_bucket WHERE rule = ? AND open = 1");
      select.setString(1, rule);
      try (ResultSet rs = select.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    });
  }

  private static Bucket bucket(String rule, OpenBucket b) {
    return new Bucket(rule, b.key, b.openEvent, Instant.ofEpochMilli(b.firstMs), Instant.ofEpochMilli(b.lastMs),
        Instant.ofEpochMilli(b.dueMs), b.count);
  }

  /** The store does not own the database; close the {@link SqliteDatabase} itself. */
  @Override
  public void close() {}
}
