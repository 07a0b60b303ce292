package dev.herald.sqlite;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.digest.Bucket;
import dev.herald.digest.DigestItem;
import dev.herald.digest.DigestRule;
import dev.herald.digest.DigestStore;
import dev.herald.digest.InlineItems;
import dev.herald.jdbc.BucketDraft;
import dev.herald.jdbc.RowBatch;
import dev.herald.jdbc.SqlSession;
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
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * {@link DigestStore} in a {@link SqliteDatabase}. Each call that changes state is one write of the
 * database's group commit, so it is atomic and, SQLite having a single writer, serialised with
 * every other change: a bucket cannot be closed while an item is being added to it.
 *
 * <p>Layout, chosen so that adding an item costs no write at a random place beyond the bucket's own
 * row: an open bucket is one row holding its items inline; closing it deletes the row and writes
 * the notification; {@code digest_taken} remembers the position of every event a rule took, as runs
 * ({@link TakenRuns}). The index the closer reads is on {@code wake_ms}, a lower bound of the
 * deadline that an item leaves alone: moving an index entry for every item cost the writer as much
 * as updating the row itself. {@link #closeDue} moves an entry whose bucket is not due yet.
 *
 * <p>Thread-safety: safe for concurrent use. The id counters are confined to the writer thread.
 */
public final class SqliteDigestStore implements DigestStore {

  private static final int IN_CHUNK = 500;
  private static final int NEXT_DUE_WALK = 10_000;
  private static final String BUCKET_COLUMNS =
      "id, key, open_event, first_ms, last_ms, due_ms, count, wake_ms";

  private final SqliteDatabase db;

  // Ids are assigned here rather than by SQLite so that rows can be inserted in JDBC batches: all
  // writes run on the database's single writer thread, and one process owns the data folder.
  private long lastBucketId = -1;
  private long lastNotificationSeq = -1;

  public SqliteDigestStore(SqliteDatabase db) {
    this.db = Objects.requireNonNull(db, "db");
  }

  /**
   * An open bucket as the writer sees it while applying a batch, with its row id and wake place.
   */
  private static final class OpenBucket extends BucketDraft {
    static final long UNASSIGNED = -1;

    /** The row id; {@link #UNASSIGNED} for a bucket merged off the writer thread, until written. */
    long id;

    /** Where the bucket sits in the wake index; a new bucket sits at its deadline. */
    long wakeMs;

    OpenBucket(
        long id,
        String key,
        String openEvent,
        boolean stored,
        long firstMs,
        long lastMs,
        long dueMs,
        int count,
        long wakeMs) {
      super(key, openEvent, stored, firstMs, lastMs, dueMs, count);
      this.id = id;
      this.wakeMs = wakeMs;
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
    // Without maxItems and maxWait a bucket's deadline is its last item's time plus the quiet
    // period, which the database can merge without the bucket's current state: the batch is
    // written blind, as upserts, saving a lookup per bucket (measured: 3 s of the writer's 17 s
    // in a random-seller benchmark run, where every batch touches tens of thousands of buckets).
    boolean blind = rule.maxItems().isEmpty() && rule.maxWait().isEmpty();
    List<String> keys = blind ? List.of() : items.stream().map(DigestItem::key).distinct().toList();
    long[] ids = eventIds(items);
    boolean unique = strictlyIncreasing(ids);
    // A blind batch is merged by key here, on the caller's thread, so that the writer thread (the
    // one every write waits for) only writes it; unless some of its events were taken before.
    List<OpenBucket> merged =
        blind && unique ? inKeyOrder(mergeByKey(rule, items, texts).values()) : null;
    return db.write(
        session -> {
          Set<Long> taken = TakenRuns.taken(session, rule.name(), ids);
          if (merged != null && taken.isEmpty()) {
            TakenRuns.record(session, rule.name(), ids);
            mergeBuckets(session, rule.name(), merged);
            return List.<Notification>of();
          }
          // a batch read from a group is in id order, so it cannot hold an event twice; otherwise
          // check
          Set<Long> inBatch = unique ? Set.of() : HashSet.newHashSet(ids.length);
          Map<String, OpenBucket> open =
              blind ? new HashMap<>() : selectOpen(session, rule.name(), keys);
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
              bucket =
                  new OpenBucket(
                      nextBucketId(session),
                      item.key(),
                      item.eventId(),
                      false,
                      t,
                      t,
                      0,
                      0,
                      Long.MAX_VALUE);
              open.put(item.key(), bucket);
            }
            touched.put(item.key(), bucket);
            bucket.add(rule, t, texts.get(i));
            if (rule.maxItems().isPresent() && bucket.count >= rule.maxItems().getAsInt()) {
              writeBuckets(session, rule.name(), List.of(bucket));
              closed.addAll(close(session, rule, List.of(bucket.id), now));
              open.remove(item.key());
              touched.remove(item.key());
            }
          }
          TakenRuns.record(session, rule.name(), Arrays.copyOf(added, addedCount));
          if (blind) {
            mergeBuckets(session, rule.name(), inKeyOrder(touched.values()));
          } else {
            writeBuckets(session, rule.name(), inKeyOrder(touched.values()));
          }
          return closed;
        });
  }

  /**
   * Buckets in the order of the table's key index, so that writing a batch walks the index (and,
   * since new buckets get their ids in this order too, much of the table) from one end to the other
   * instead of jumping between pages at random: with a batch touching tens of thousands of buckets,
   * the writer otherwise waits on memory for most of its lookups (measured: 8.2 -> 6.1 µs of writer
   * CPU per event for random sellers, five alternating pairs).
   */
  private static List<OpenBucket> inKeyOrder(Collection<OpenBucket> buckets) {
    List<OpenBucket> ordered = new ArrayList<>(buckets);
    ordered.sort(Comparator.comparing(b -> b.key));
    return ordered;
  }

  /** The batch's items merged into one new bucket per key, as if no key had an open bucket. */
  private static Map<String, OpenBucket> mergeByKey(
      DigestRule rule, List<DigestItem> items, List<String> texts) {
    Map<String, OpenBucket> merged = new LinkedHashMap<>();
    for (int i = 0; i < items.size(); i++) {
      DigestItem item = items.get(i);
      long t = item.time().toEpochMilli();
      OpenBucket bucket = merged.get(item.key());
      if (bucket == null) {
        bucket =
            new OpenBucket(
                OpenBucket.UNASSIGNED,
                item.key(),
                item.eventId(),
                false,
                t,
                t,
                0,
                0,
                Long.MAX_VALUE);
        merged.put(item.key(), bucket);
      }
      bucket.add(rule, t, texts.get(i));
    }
    return merged;
  }

  private static final String INSERT_BUCKET =
      "INSERT INTO digest_bucket (id, rule, key, open_event, first_ms, last_ms, due_ms, count, items, wake_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

  private static void setInsert(PreparedStatement insert, String rule, OpenBucket b)
      throws SQLException {
    insert.setLong(1, b.id);
    insert.setString(2, rule);
    insert.setString(3, b.key);
    insert.setString(4, b.openEvent);
    insert.setLong(5, b.firstMs);
    insert.setLong(6, b.lastMs);
    insert.setLong(7, b.dueMs);
    insert.setInt(8, b.count);
    insert.setString(9, b.added.toString());
    insert.setLong(10, b.dueMs);
  }

  /**
   * Writes buckets whose current state was read. The wake index is left alone unless the deadline
   * moved earlier than the bucket's place in it (maxWait with an item dated earlier than the
   * bucket's first): a later deadline is found when the closer reaches the old place.
   */
  private static void writeBuckets(SqlSession session, String rule, Collection<OpenBucket> buckets)
      throws SQLException {
    PreparedStatement insert = session.prepare(INSERT_BUCKET);
    PreparedStatement update =
        session.prepare(
            "UPDATE digest_bucket SET first_ms = ?, last_ms = ?, due_ms = ?, count = ?, items = items || ? WHERE id = ?");
    PreparedStatement earlier =
        session.prepare("UPDATE digest_bucket SET wake_ms = due_ms WHERE id = ?");
    RowBatch inserts = new RowBatch(insert);
    RowBatch updates = new RowBatch(update);
    List<Long> moved = new ArrayList<>();
    for (OpenBucket b : buckets) {
      if (b.stored) {
        update.setLong(1, b.firstMs);
        update.setLong(2, b.lastMs);
        update.setLong(3, b.dueMs);
        update.setInt(4, b.count);
        update.setString(5, b.added.toString());
        update.setLong(6, b.id);
        updates.add();
        if (b.dueMs < b.wakeMs) {
          moved.add(b.id);
        }
      } else {
        setInsert(insert, rule, b);
        inserts.add();
      }
    }
    inserts.finish();
    updates.finish();
    for (long id : moved) {
      earlier.setLong(1, id);
      earlier.executeUpdate();
    }
  }

  /**
   * Writes buckets built from this batch alone, merging each into the stored bucket of its key if
   * there is one. Only for rules whose deadline is the last item's time plus the quiet period: it
   * never moves earlier, so the wake index (never touched by the merge) stays a lower bound.
   */
  private void mergeBuckets(SqlSession session, String rule, Collection<OpenBucket> buckets)
      throws SQLException {
    PreparedStatement upsert =
        session.prepare(
            INSERT_BUCKET
                + " ON CONFLICT (rule, key) DO UPDATE SET "
                + "first_ms = MIN(first_ms, excluded.first_ms), last_ms = MAX(last_ms, excluded.last_ms), due_ms = MAX(due_ms, excluded.due_ms), "
                + "count = count + excluded.count, items = items || excluded.items");
    RowBatch upserts = new RowBatch(upsert);
    for (OpenBucket b : buckets) {
      if (b.id == OpenBucket.UNASSIGNED) {
        b.id = nextBucketId(session); // used only if the key has no open bucket
      }
      setInsert(upsert, rule, b);
      upserts.add();
    }
    upserts.finish();
  }

  private static boolean strictlyIncreasing(long[] ids) {
    for (int i = 1; i < ids.length; i++) {
      if (ids[i] <= ids[i - 1]) {
        return false;
      }
    }
    return true;
  }

  /** The items' positions in their stream, which the taken runs are made of. */
  private static long[] eventIds(List<DigestItem> items) {
    long[] ids = new long[items.size()];
    for (int i = 0; i < ids.length; i++) {
      ids[i] = items.get(i).position();
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
  private static Map<String, OpenBucket> selectOpen(
      SqlSession session, String rule, List<String> keys) throws SQLException {
    Map<String, OpenBucket> open = HashMap.newHashMap(keys.size());
    for (List<String> chunk : chunks(keys)) {
      PreparedStatement select =
          session.prepare(
              "SELECT "
                  + BUCKET_COLUMNS
                  + " FROM digest_bucket WHERE rule = ? AND key IN ("
                  + marks(chunk.size())
                  + ")");
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
    return new OpenBucket(
        rs.getLong(1),
        rs.getString(2),
        rs.getString(3),
        true,
        rs.getLong(4),
        rs.getLong(5),
        rs.getLong(6),
        rs.getInt(7),
        rs.getLong(8));
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
  private List<Notification> close(
      SqlSession session, DigestRule rule, List<Long> bucketIds, Instant closedAt)
      throws SQLException {
    if (bucketIds.isEmpty()) {
      return List.of();
    }
    long now = closedAt.truncatedTo(ChronoUnit.MILLIS).toEpochMilli();
    PreparedStatement take =
        session.prepare(
            "DELETE FROM digest_bucket WHERE id = ? RETURNING " + BUCKET_COLUMNS + ", items");
    PreparedStatement insert =
        session.prepare(
            "INSERT INTO notification (seq, id, rule, recipient, items, first_ms, last_ms, due_ms, created_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
    PreparedStatement delivery =
        session.prepare(
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
          throw new IllegalStateException(
              "bucket " + id + " of rule " + rule.name() + " was closed twice");
        }
        bucket = openBucket(rs);
        texts = InlineItems.ordered(rs.getString(9));
      }
      Notification n =
          new Notification(
              Notification.idFor(rule.name(), bucket.key, bucket.openEvent),
              rule.name(),
              bucket.key,
              parse(texts),
              Instant.ofEpochMilli(bucket.firstMs),
              Instant.ofEpochMilli(bucket.lastMs),
              Instant.ofEpochMilli(bucket.dueMs),
              Instant.ofEpochMilli(now));
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

  /**
   * Reads every bucket whose place in the wake index has passed. A bucket whose deadline moved
   * later since it was placed there is placed again at its deadline (once per move the closer
   * catches up with, rather than once per item); of the due ones, the earliest are closed.
   */
  @Override
  public List<Notification> closeDue(DigestRule rule, Instant now, int limit) {
    long nowMs = now.toEpochMilli();
    return db.write(
        session -> {
          PreparedStatement select =
              session.prepare(
                  "SELECT id, due_ms FROM digest_bucket INDEXED BY digest_bucket_wake WHERE rule = ? AND wake_ms <= ? ORDER BY wake_ms");
          select.setString(1, rule.name());
          select.setLong(2, nowMs);
          List<long[]> due = new ArrayList<>();
          List<Long> later = new ArrayList<>();
          try (ResultSet rs = select.executeQuery()) {
            while (rs.next()) {
              long id = rs.getLong(1);
              long dueMs = rs.getLong(2);
              if (dueMs <= nowMs) {
                due.add(new long[] {dueMs, id});
              } else {
                later.add(id);
              }
            }
          }
          PreparedStatement wake =
              session.prepare("UPDATE digest_bucket SET wake_ms = due_ms WHERE id = ?");
          RowBatch moves = new RowBatch(wake);
          for (long id : later) {
            wake.setLong(1, id);
            moves.add();
          }
          moves.finish();
          due.sort((a, b) -> a[0] != b[0] ? Long.compare(a[0], b[0]) : Long.compare(a[1], b[1]));
          List<Long> ids = due.stream().limit(limit).map(d -> d[1]).toList();
          return close(session, rule, ids, now);
        });
  }

  @Override
  public Optional<Notification> flush(DigestRule rule, String key, Instant now) {
    return db.write(
        session -> {
          OpenBucket bucket = selectOpen(session, rule.name(), List.of(key)).get(key);
          if (bucket == null) {
            return Optional.empty();
          }
          return Optional.of(close(session, rule, List.of(bucket.id), now).getFirst());
        });
  }

  /**
   * Walks the wake index from its start: every bucket's deadline is at or after its place there, so
   * once the places pass the earliest deadline seen, that is the earliest of all. A long walk (many
   * buckets whose deadlines moved) gives way to a scan of every bucket.
   */
  @Override
  public Optional<Instant> nextDue(String rule) {
    return db.read(
        session -> {
          PreparedStatement walk =
              session.prepare(
                  "SELECT wake_ms, due_ms FROM digest_bucket INDEXED BY digest_bucket_wake WHERE rule = ? ORDER BY wake_ms LIMIT "
                      + NEXT_DUE_WALK);
          walk.setString(1, rule);
          long earliest = Long.MAX_VALUE;
          int walked = 0;
          try (ResultSet rs = walk.executeQuery()) {
            while (rs.next()) {
              walked++;
              if (rs.getLong(1) >= earliest) {
                return Optional.of(Instant.ofEpochMilli(earliest));
              }
              earliest = Math.min(earliest, rs.getLong(2));
            }
          }
          if (walked < NEXT_DUE_WALK) {
            return earliest == Long.MAX_VALUE
                ? Optional.empty()
                : Optional.of(Instant.ofEpochMilli(earliest));
          }
          PreparedStatement scan =
              session.prepare("SELECT MIN(due_ms) FROM digest_bucket WHERE rule = ?");
          scan.setString(1, rule);
          try (ResultSet rs = scan.executeQuery()) {
            rs.next();
            long due = rs.getLong(1);
            return rs.wasNull() ? Optional.empty() : Optional.of(Instant.ofEpochMilli(due));
          }
        });
  }

  @Override
  public Optional<Instant> nextCloseCheck(String rule) {
    return db.read(
        session -> {
          PreparedStatement select =
              session.prepare(
                  "SELECT MIN(wake_ms) FROM digest_bucket INDEXED BY digest_bucket_wake WHERE rule = ?");
          select.setString(1, rule);
          try (ResultSet rs = select.executeQuery()) {
            rs.next();
            long wake = rs.getLong(1);
            return rs.wasNull() ? Optional.empty() : Optional.of(Instant.ofEpochMilli(wake));
          }
        });
  }

  @Override
  public List<Bucket> openBuckets(String rule, String afterKey, int limit) {
    return db.read(
        session -> {
          PreparedStatement select =
              session.prepare(
                  "SELECT "
                      + BUCKET_COLUMNS
                      + " FROM digest_bucket WHERE rule = ? AND key > ? ORDER BY key LIMIT ?");
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
    return db.read(
        session ->
            Optional.ofNullable(selectOpen(session, rule, List.of(key)).get(key))
                .map(b -> b.view(rule)));
  }

  @Override
  public List<JsonNode> openItems(String rule, String key) {
    return db.read(
        session -> {
          PreparedStatement select =
              session.prepare("SELECT items FROM digest_bucket WHERE rule = ? AND key = ?");
          select.setString(1, rule);
          select.setString(2, key);
          try (ResultSet rs = select.executeQuery()) {
            return rs.next() ? parse(InlineItems.ordered(rs.getString(1))) : List.<JsonNode>of();
          }
        });
  }

  @Override
  public long openBucketCount(String rule) {
    return db.read(
        session -> {
          PreparedStatement select =
              session.prepare("SELECT COUNT(*) FROM digest_bucket WHERE rule = ?");
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
