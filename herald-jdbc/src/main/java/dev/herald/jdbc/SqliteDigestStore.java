package dev.herald.jdbc;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.digest.Bucket;
import dev.herald.digest.DigestItem;
import dev.herald.digest.DigestRule;
import dev.herald.digest.DigestStore;
import dev.herald.digest.InlineItems;
import dev.herald.json.Json;
import dev.herald.notify.Notification;
import dev.herald.notify.Sink;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
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
 * <p>Layout, chosen so that adding an item costs no write at a random place beyond the bucket's
 * own row: an open bucket is one row holding its items inline; closing it deletes the row and
 * writes the notification; {@code digest_taken} remembers every event id a rule took, as runs
 * ({@link TakenRuns}).
 *
 * <p>Thread-safety: safe for concurrent use. The id counters are confined to the writer thread.
 */
public final class SqliteDigestStore implements DigestStore {

  private static final int IN_CHUNK = 500;
  private static final String BUCKET_COLUMNS = "id, key, open_event, first_ms, last_ms, due_ms, count";

  private final SqliteDatabase db;

  // Ids are assigned here rather than by SQLite so that rows can be inserted in JDBC batches: all
  // writes run on the database's single writer thread, and one process owns the data folder.
  private long lastBucketId = -1;
  private long lastNotificationSeq = -1;

  public SqliteDigestStore(SqliteDatabase db) {
    this.db = Objects.requireNonNull(db, "db");
  }

  /** An open bucket as the writer sees it while applying a batch. */
  private static final class OpenBucket {
    final long id;
    final String key;
    final String openEvent;
    final boolean stored;
    long firstMs;
    long lastMs;
    long dueMs;
    int count;
    final StringBuilder added = new StringBuilder();

    OpenBucket(long id, String key, String openEvent, boolean stored, long firstMs, long lastMs, long dueMs, int count) {
      this.id = id;
      this.key = key;
      this.openEvent = openEvent;
      this.stored = stored;
      this.firstMs = firstMs;
      this.lastMs = lastMs;
      this.dueMs = dueMs;
      this.count = count;
    }

    Bucket view(String rule) {
      return new Bucket(rule, key, openEvent, Instant.ofEpochMilli(firstMs), Instant.ofEpochMilli(lastMs), Instant.ofEpochMilli(dueMs), count);
    }
  }

  private long nextBucketId(SqlSession session) throws SQLException {
    if (lastBucketId < 0) {
      lastBucketId = max(session, "SELECT MAX(id) FROM digest_bucket");
    }
    return ++lastBucketId;
  }

  private long nextNotificationSeq(SqlSession session) throws SQLException {
    if (lastNotificationSeq < 0) {
      lastNotificationSeq = max(session, "SELECT MAX(seq) FROM notification");
    }
    return ++lastNotificationSeq;
  }

  private static long max(SqlSession session, String sql) throws SQLException {
    try (ResultSet rs = session.prepare(sql).executeQuery()) {
      rs.next();
      return rs.getLong(1);
    }
  }

  @Override
  public List<Notification> add(DigestRule rule, List<DigestItem> items, Instant now) {
    if (items.isEmpty()) {
      return List.of();
    }
    List<String> texts = items.stream().map(i -> Json.write(i.item())).toList();
    List<String> keys = items.stream().map(DigestItem::key).distinct().toList();
    long[] ids = eventIds(items);
    boolean unique = strictlyIncreasing(ids);
    return db.write(session -> {
      Set<Long> taken = TakenRuns.taken(session, rule.name(), ids);
      // a batch read from a group is in id order, so it cannot hold an event twice; otherwise check
      Set<Long> inBatch = unique ? Set.of() : HashSet.newHashSet(ids.length);
      Map<String, OpenBucket> open = selectOpen(session, rule.name(), keys);
      Map<String, OpenBucket> touched = LinkedHashMap.newLinkedHashMap(keys.size());
      List<Notification> closed = new ArrayList<>();
      long[] added = new long[ids.length];
      int addedCount = 0;
      for (int i = 0; i < items.size(); i++) {
        DigestItem item = items.get(i);
        if ((!taken.isEmpty() && taken.contains(ids[i])) || (!unique && !inBatch.add(ids[i]))) {
          continue;
        }
        added[addedCount++] = ids[i];
        long t = item.time().toEpochMilli();
        OpenBucket bucket = open.get(item.key());
        if (bucket == null) {
          bucket = new OpenBucket(nextBucketId(session), item.key(), item.eventId(), false, t, t, 0, 0);
          open.put(item.key(), bucket);
        }
        touched.put(item.key(), bucket);
        bucket.firstMs = Math.min(bucket.firstMs, t);
        bucket.lastMs = Math.max(bucket.lastMs, t);
        bucket.dueMs = rule.deadline(Instant.ofEpochMilli(bucket.firstMs), Instant.ofEpochMilli(bucket.lastMs)).toEpochMilli();
        bucket.count++;
        bucket.added.append(InlineItems.line(t, texts.get(i)));
        if (rule.maxItems().isPresent() && bucket.count >= rule.maxItems().getAsInt()) {
          writeBuckets(session, rule.name(), List.of(bucket));
          closed.addAll(close(session, rule, List.of(bucket.id), now));
          open.remove(item.key());
          touched.remove(item.key());
        }
      }
      TakenRuns.record(session, rule.name(), Arrays.copyOf(added, addedCount));
      writeBuckets(session, rule.name(), touched.values());
      return closed;
    });
  }

  private static void writeBuckets(SqlSession session, String rule, Collection<OpenBucket> buckets) throws SQLException {
    PreparedStatement insert = session.prepare(
        "INSERT INTO digest_bucket (id, rule, key, open_event, first_ms, last_ms, due_ms, count, items) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
    PreparedStatement update = session.prepare(
        "UPDATE digest_bucket SET first_ms = ?, last_ms = ?, due_ms = ?, count = ?, items = items || ? WHERE id = ?");
    RowBatch inserts = new RowBatch(insert);
    RowBatch updates = new RowBatch(update);
    for (OpenBucket b : buckets) {
      if (b.stored) {
        update.setLong(1, b.firstMs);
        update.setLong(2, b.lastMs);
        update.setLong(3, b.dueMs);
        update.setInt(4, b.count);
        update.setString(5, b.added.toString());
        update.setLong(6, b.id);
        updates.add();
      } else {
        insert.setLong(1, b.id);
        insert.setString(2, rule);
        insert.setString(3, b.key);
        insert.setString(4, b.openEvent);
        insert.setLong(5, b.firstMs);
        insert.setLong(6, b.lastMs);
        insert.setLong(7, b.dueMs);
        insert.setInt(8, b.count);
        insert.setString(9, b.added.toString());
        inserts.add();
      }
    }
    inserts.finish();
    updates.finish();
  }

  private static boolean strictlyIncreasing(long[] ids) {
    for (int i = 1; i < ids.length; i++) {
      if (ids[i] <= ids[i - 1]) {
        return false;
      }
    }
    return true;
  }

  /** The items' event ids, which are this backend's log ids. */
  private static long[] eventIds(List<DigestItem> items) {
    long[] ids = new long[items.size()];
    for (int i = 0; i < ids.length; i++) {
      ids[i] = SqliteEventLog.parseId(items.get(i).eventId());
    }
    return ids;
  }

  private static <T> List<List<T>> chunks(List<T> all) {
    List<List<T>> chunks = new ArrayList<>();
    for (int from = 0; from < all.size(); from += IN_CHUNK) {
      chunks.add(all.subList(from, Math.min(all.size(), from + IN_CHUNK)));
    }
    return chunks;
  }

  private static String marks(int n) {
    return String.join(",", Collections.nCopies(n, "?"));
  }

  /** The open buckets of these keys, by key. */
  private static Map<String, OpenBucket> selectOpen(SqlSession session, String rule, List<String> keys) throws SQLException {
    Map<String, OpenBucket> open = HashMap.newHashMap(keys.size());
    for (List<String> chunk : chunks(keys)) {
      PreparedStatement select = session.prepare(
          "SELECT " + BUCKET_COLUMNS + " FROM digest_bucket WHERE rule = ? AND key IN (" + marks(chunk.size()) + ")");
      select.setString(1, rule);
      for (int i = 0; i < chunk.size(); i++) {
        select.setString(i + 2, chunk.get(i));
      }
      try (ResultSet rs = select.executeQuery()) {
        while (rs.next()) {
          OpenBucket bucket = openBucket(rs);
          open.put(bucket.key, bucket);
        }
      }
    }
    return open;
  }

  private static OpenBucket openBucket(ResultSet rs) throws SQLException {
    return new OpenBucket(rs.getLong(1), rs.getString(2), rs.getString(3), true, rs.getLong(4), rs.getLong(5), rs.getLong(6), rs.getInt(7));
  }

  private static List<JsonNode> parse(List<String> texts) {
    List<JsonNode> items = new ArrayList<>(texts.size());
    texts.forEach(t -> items.add(Json.parseTrusted(t)));
    return items;
  }

  /**
   * Closes the buckets and writes their notifications and pending deliveries, in the caller's
   * transaction, as a few batched statements whatever the number of buckets.
   */
  private List<Notification> close(SqlSession session, DigestRule rule, List<Long> bucketIds, Instant closedAt) throws SQLException {
    if (bucketIds.isEmpty()) {
      return List.of();
    }
    long now = closedAt.truncatedTo(ChronoUnit.MILLIS).toEpochMilli();
    PreparedStatement take = session.prepare("DELETE FROM digest_bucket WHERE id = ? RETURNING " + BUCKET_COLUMNS + ", items");
    PreparedStatement insert = session.prepare(
        "INSERT INTO notification (seq, id, rule, recipient, items, first_ms, last_ms, due_ms, created_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
    PreparedStatement delivery = session.prepare(
        "INSERT INTO delivery (notification_seq, sink, state, attempts, next_ms) VALUES (?, ?, 'PENDING', 0, ?)");
    List<Notification> notifications = new ArrayList<>(bucketIds.size());
    RowBatch inserts = new RowBatch(insert);
    RowBatch deliveries = new RowBatch(delivery);
    for (long id : bucketIds) {
      take.setLong(1, id);
      OpenBucket bucket;
      List<String> texts;
      try (ResultSet rs = take.executeQuery()) {
        if (!rs.next()) {
          throw new IllegalStateException("bucket " + id + " of rule " + rule.name() + " was closed twice");
        }
        bucket = openBucket(rs);
        texts = InlineItems.ordered(rs.getString(8));
      }
      Notification n = new Notification(Notification.idFor(rule.name(), bucket.key, bucket.openEvent), rule.name(), bucket.key, parse(texts),
          Instant.ofEpochMilli(bucket.firstMs), Instant.ofEpochMilli(bucket.lastMs), Instant.ofEpochMilli(bucket.dueMs), Instant.ofEpochMilli(now));
      long seq = nextNotificationSeq(session);
      insert.setLong(1, seq);
      insert.setString(2, n.id());
      insert.setString(3, n.rule());
      insert.setString(4, n.recipient());
      insert.setString(5, "[" + String.join(",", texts) + "]");
      insert.setLong(6, bucket.firstMs);
      insert.setLong(7, bucket.lastMs);
      insert.setLong(8, bucket.dueMs);
      insert.setLong(9, now);
      inserts.add();
      for (Sink sink : rule.deliver()) {
        delivery.setLong(1, seq);
        delivery.setString(2, sink.name());
        delivery.setLong(3, now);
        deliveries.add();
      }
      notifications.add(n);
    }
    inserts.finish();
    deliveries.finish();
    return notifications;
  }

  @Override
  public List<Notification> closeDue(DigestRule rule, Instant now, int limit) {
    return db.write(session -> {
      PreparedStatement select = session.prepare("SELECT id FROM digest_bucket WHERE rule = ? AND due_ms <= ? ORDER BY due_ms LIMIT ?");
      select.setString(1, rule.name());
      select.setLong(2, now.toEpochMilli());
      select.setInt(3, limit);
      List<Long> due = new ArrayList<>();
      try (ResultSet rs = select.executeQuery()) {
        while (rs.next()) {
          due.add(rs.getLong(1));
        }
      }
      return close(session, rule, due, now);
    });
  }

  @Override
  public Optional<Notification> flush(DigestRule rule, String key, Instant now) {
    return db.write(session -> {
      OpenBucket bucket = selectOpen(session, rule.name(), List.of(key)).get(key);
      if (bucket == null) {
        return Optional.empty();
      }
      return Optional.of(close(session, rule, List.of(bucket.id), now).getFirst());
    });
  }

  @Override
  public Optional<Instant> nextDue(String rule) {
    return db.read(session -> {
      PreparedStatement select = session.prepare("SELECT MIN(due_ms) FROM digest_bucket WHERE rule = ?");
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
          "SELECT " + BUCKET_COLUMNS + " FROM digest_bucket WHERE rule = ? AND key > ? ORDER BY key LIMIT ?");
      select.setString(1, rule);
      select.setString(2, afterKey);
      select.setInt(3, limit);
      List<Bucket> buckets = new ArrayList<>();
      try (ResultSet rs = select.executeQuery()) {
        while (rs.next()) {
          buckets.add(openBucket(rs).view(rule));
        }
      }
      return buckets;
    });
  }

  @Override
  public Optional<Bucket> openBucket(String rule, String key) {
    return db.read(session -> Optional.ofNullable(selectOpen(session, rule, List.of(key)).get(key)).map(b -> b.view(rule)));
  }

  @Override
  public List<JsonNode> openItems(String rule, String key) {
    return db.read(session -> {
      PreparedStatement select = session.prepare("SELECT items FROM digest_bucket WHERE rule = ? AND key = ?");
      select.setString(1, rule);
      select.setString(2, key);
      try (ResultSet rs = select.executeQuery()) {
        return rs.next() ? parse(InlineItems.ordered(rs.getString(1))) : List.<JsonNode>of();
      }
    });
  }

  @Override
  public long openBucketCount(String rule) {
    return db.read(session -> {
      PreparedStatement select = session.prepare("SELECT COUNT(*) FROM digest_bucket WHERE rule = ?");
      select.setString(1, rule);
      try (ResultSet rs = select.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    });
  }

  /** The store does not own the database; close the {@link SqliteDatabase} itself. */
  @Override
  public void close() {}
}
