package dev.herald.postgres;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.digest.Bucket;
import dev.herald.digest.DigestItem;
import dev.herald.digest.DigestRule;
import dev.herald.digest.DigestStore;
import dev.herald.digest.InlineItems;
import dev.herald.jdbc.BucketDraft;
import dev.herald.jdbc.PositionRuns;
import dev.herald.json.Json;
import dev.herald.notify.Notification;
import dev.herald.notify.Sink;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
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
 * {@link DigestStore} in PostgreSQL tables: an open bucket is one row holding its items inline;
 * closing it deletes the row and writes the notification and its deliveries in the same
 * transaction.
 *
 * <p>Concurrency across processes:
 *
 * <ul>
 *   <li>{@link #add} takes a transaction-scoped advisory lock on its rule, so that checking which
 *       events the rule took before and recording the new ones is one step: two instances handed
 *       the same event (a claim racing the first consumer) add it once.
 *   <li>Closing deletes bucket rows with {@code DELETE … RETURNING} whose condition PostgreSQL
 *       checks again on the row it finally deletes: two closers get disjoint buckets, an add that
 *       committed first lands in the notification, and a bucket whose deadline such an add moved
 *       stays open. An add that comes second finds no row and opens a new bucket.
 *   <li>Notification sequence numbers come from a counter row updated last in the closing
 *       transaction; its lock makes them visible in order, which the outbox's cursor relies on.
 * </ul>
 *
 * <p>Thread-safety: safe for concurrent use.
 */
public final class PostgresDigestStore implements DigestStore {

  private static final String BUCKET_COLUMNS = "key, open_event, first_ms, last_ms, due_ms, count";

  private final PostgresDatabase db;

  /** What this store's delivery notifications carry, so that its outbox ignores its own. */
  private final String origin;

  /**
   * @param origin what the notifications of new deliveries written here carry ({@link
   *     PostgresNotificationStore#origin()}), so that this process's outbox knows its own
   */
  public PostgresDigestStore(PostgresDatabase db, String origin) {
    this.db = Objects.requireNonNull(db, "db");
    this.origin = Objects.requireNonNull(origin, "origin");
  }

  /** An open bucket as an add sees it while applying a batch. */
  private static final class OpenBucket extends BucketDraft {
    OpenBucket(
        String key,
        String openEvent,
        boolean stored,
        long firstMs,
        long lastMs,
        long dueMs,
        int count) {
      super(key, openEvent, stored, firstMs, lastMs, dueMs, count);
    }
  }

  private static OpenBucket openBucket(ResultSet rs) throws SQLException {
    return new OpenBucket(
        rs.getString(1),
        rs.getString(2),
        true,
        rs.getLong(3),
        rs.getLong(4),
        rs.getLong(5),
        rs.getInt(6));
  }

  @Override
  public List<Notification> add(DigestRule rule, List<DigestItem> items, Instant now) {
    if (items.isEmpty()) {
      return List.of();
    }
    List<String> texts = items.stream().map(i -> Json.write(i.item())).toList();
    long[] positions = items.stream().mapToLong(DigestItem::position).toArray();
    // Without maxItems and maxWait a bucket's deadline is its last item's time plus the quiet
    // period, which the database can merge without the bucket's state: the batch is upserted
    // blind, one statement for all its buckets.
    boolean blind = rule.maxItems().isEmpty() && rule.maxWait().isEmpty();
    return db.transact(
        c -> {
          lockRule(c, rule.name());
          Set<Long> taken = taken(c, rule.name(), positions);
          Set<Long> inBatch = HashSet.newHashSet(positions.length);
          List<Integer> fresh = new ArrayList<>(items.size());
          for (int i = 0; i < items.size(); i++) {
            if (!taken.contains(positions[i]) && inBatch.add(positions[i])) {
              fresh.add(i);
            }
          }
          if (fresh.isEmpty()) {
            return List.<Notification>of();
          }
          recordTaken(c, rule.name(), fresh.stream().mapToLong(i -> positions[i]).toArray());
          if (blind) {
            Map<String, OpenBucket> merged = new LinkedHashMap<>();
            for (int i : fresh) {
              DigestItem item = items.get(i);
              long t = item.time().toEpochMilli();
              merged
                  .computeIfAbsent(
                      item.key(), k -> new OpenBucket(k, item.eventId(), false, t, t, 0, 0))
                  .add(rule, t, texts.get(i));
            }
            upsertBlind(c, rule.name(), inKeyOrder(merged.values()));
            return List.<Notification>of();
          }
          List<String> keys = fresh.stream().map(i -> items.get(i).key()).distinct().toList();
          Map<String, OpenBucket> open = selectOpen(c, rule.name(), keys, true);
          Map<String, OpenBucket> touched = new LinkedHashMap<>();
          List<Notification> closed = new ArrayList<>();
          for (int i : fresh) {
            DigestItem item = items.get(i);
            long t = item.time().toEpochMilli();
            OpenBucket bucket = open.get(item.key());
            if (bucket == null) {
              bucket = new OpenBucket(item.key(), item.eventId(), false, t, t, 0, 0);
              open.put(item.key(), bucket);
            }
            touched.put(item.key(), bucket);
            bucket.add(rule, t, texts.get(i));
            if (rule.maxItems().isPresent() && bucket.count >= rule.maxItems().getAsInt()) {
              writeBuckets(c, rule.name(), List.of(bucket));
              closed.addAll(close(c, rule, takeKeys(c, rule.name(), List.of(bucket.key)), now));
              open.remove(item.key());
              touched.remove(item.key());
            }
          }
          writeBuckets(c, rule.name(), inKeyOrder(touched.values()));
          return closed;
        });
  }

  /**
   * Serialises the adds of one rule across every process on this database, until the transaction
   * ends; the key names the schema too, so that deployments sharing the database do not wait for
   * each other.
   */
  private static void lockRule(Connection c, String rule) throws SQLException {
    try (PreparedStatement lock =
        c.prepareStatement(
            "SELECT pg_advisory_xact_lock(hashtextextended(current_schema() || ?, 0))")) {
      lock.setString(1, "/digest/" + rule);
      lock.executeQuery().close();
    }
  }

  /** Buckets by key, the order in which rows are locked, so that writers never deadlock. */
  private static List<OpenBucket> inKeyOrder(Iterable<OpenBucket> buckets) {
    List<OpenBucket> ordered = new ArrayList<>();
    buckets.forEach(ordered::add);
    ordered.sort(Comparator.comparing(b -> b.key));
    return ordered;
  }

  /** Which of {@code positions} (any order) the rule already took. */
  private static Set<Long> taken(Connection c, String rule, long[] positions) throws SQLException {
    long min = Arrays.stream(positions).min().orElseThrow();
    long max = Arrays.stream(positions).max().orElseThrow();
    List<long[]> overlapping = new ArrayList<>();
    // runs never overlap: walking down from the newest run starting at or before max, the first
    // run that ends before min ends the search
    try (PreparedStatement select =
        c.prepareStatement(
            "SELECT first_pos, last_pos FROM digest_taken WHERE rule = ? AND first_pos <= ? ORDER BY first_pos DESC")) {
      select.setFetchSize(64);
      select.setString(1, rule);
      select.setLong(2, max);
      try (ResultSet rs = select.executeQuery()) {
        while (rs.next()) {
          long first = rs.getLong(1);
          long last = rs.getLong(2);
          if (last < min) {
            break;
          }
          overlapping.add(new long[] {first, last});
        }
      }
    }
    if (overlapping.isEmpty()) {
      return Set.of();
    }
    return PositionRuns.covered(overlapping, positions);
  }

  /**
   * Records newly taken positions as runs; a run that continues the run before it extends that row,
   * so a rule reading a stream in order keeps one row per gap, not one per batch.
   */
  private static void recordTaken(Connection c, String rule, long[] positions) throws SQLException {
    for (long[] run : PositionRuns.of(positions)) {
      recordRun(c, rule, run[0], run[1]);
    }
  }

  private static void recordRun(Connection c, String rule, long first, long last)
      throws SQLException {
    try (PreparedStatement extend =
        c.prepareStatement(
            "UPDATE digest_taken SET last_pos = ? WHERE rule = ? AND first_pos = "
                + "(SELECT first_pos FROM digest_taken WHERE rule = ? AND first_pos < ? ORDER BY first_pos DESC LIMIT 1) "
                + "AND last_pos = ?")) {
      extend.setLong(1, last);
      extend.setString(2, rule);
      extend.setString(3, rule);
      extend.setLong(4, first);
      extend.setLong(5, first - 1);
      if (extend.executeUpdate() == 1) {
        return;
      }
    }
    try (PreparedStatement insert =
        c.prepareStatement(
            "INSERT INTO digest_taken (rule, first_pos, last_pos) VALUES (?, ?, ?)")) {
      insert.setString(1, rule);
      insert.setLong(2, first);
      insert.setLong(3, last);
      insert.executeUpdate();
    }
  }

  /** Upserts buckets built from one batch alone into the stored bucket of each key, if any. */
  private static void upsertBlind(Connection c, String rule, List<OpenBucket> buckets)
      throws SQLException {
    int n = buckets.size();
    String[] keys = new String[n];
    String[] opens = new String[n];
    Long[] firsts = new Long[n];
    Long[] lasts = new Long[n];
    Long[] dues = new Long[n];
    Integer[] counts = new Integer[n];
    String[] texts = new String[n];
    for (int i = 0; i < n; i++) {
      OpenBucket b = buckets.get(i);
      keys[i] = b.key;
      opens[i] = b.openEvent;
      firsts[i] = b.firstMs;
      lasts[i] = b.lastMs;
      dues[i] = b.dueMs;
      counts[i] = b.count;
      texts[i] = b.added.toString();
    }
    try (PreparedStatement upsert =
        c.prepareStatement(
            "INSERT INTO digest_bucket AS b (rule, key, open_event, first_ms, last_ms, due_ms, count, items) "
                + "SELECT ?, u.k, u.e, u.f, u.l, u.d, u.n, u.i "
                + "FROM unnest(?::text[], ?::text[], ?::bigint[], ?::bigint[], ?::bigint[], ?::int[], ?::text[]) AS u(k, e, f, l, d, n, i) "
                + "ON CONFLICT (rule, key) DO UPDATE SET first_ms = LEAST(b.first_ms, excluded.first_ms), "
                + "last_ms = GREATEST(b.last_ms, excluded.last_ms), due_ms = GREATEST(b.due_ms, excluded.due_ms), "
                + "count = b.count + excluded.count, items = b.items || excluded.items")) {
      upsert.setString(1, rule);
      upsert.setArray(2, c.createArrayOf("text", keys));
      upsert.setArray(3, c.createArrayOf("text", opens));
      upsert.setArray(4, c.createArrayOf("bigint", firsts));
      upsert.setArray(5, c.createArrayOf("bigint", lasts));
      upsert.setArray(6, c.createArrayOf("bigint", dues));
      upsert.setArray(7, c.createArrayOf("integer", counts));
      upsert.setArray(8, c.createArrayOf("text", texts));
      upsert.executeUpdate();
    }
  }

  /** Writes buckets whose current state was read under their row locks. */
  private static void writeBuckets(Connection c, String rule, List<OpenBucket> buckets)
      throws SQLException {
    try (PreparedStatement insert =
            c.prepareStatement(
                "INSERT INTO digest_bucket (rule, key, open_event, first_ms, last_ms, due_ms, count, items) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
        PreparedStatement update =
            c.prepareStatement(
                "UPDATE digest_bucket SET first_ms = ?, last_ms = ?, due_ms = ?, count = ?, items = items || ? WHERE rule = ? AND key = ?")) {
      boolean inserts = false;
      boolean updates = false;
      for (OpenBucket b : buckets) {
        if (b.stored) {
          update.setLong(1, b.firstMs);
          update.setLong(2, b.lastMs);
          update.setLong(3, b.dueMs);
          update.setInt(4, b.count);
          update.setString(5, b.added.toString());
          update.setString(6, rule);
          update.setString(7, b.key);
          update.addBatch();
          updates = true;
        } else {
          insert.setString(1, rule);
          insert.setString(2, b.key);
          insert.setString(3, b.openEvent);
          insert.setLong(4, b.firstMs);
          insert.setLong(5, b.lastMs);
          insert.setLong(6, b.dueMs);
          insert.setInt(7, b.count);
          insert.setString(8, b.added.toString());
          insert.addBatch();
          inserts = true;
        }
      }
      if (inserts) {
        insert.executeBatch();
      }
      if (updates) {
        update.executeBatch();
      }
    }
  }

  /** The open buckets of these keys, by key; locked for the transaction when {@code lock}. */
  private static Map<String, OpenBucket> selectOpen(
      Connection c, String rule, List<String> keys, boolean lock) throws SQLException {
    Map<String, OpenBucket> open = HashMap.newHashMap(keys.size());
    try (PreparedStatement select =
        c.prepareStatement(
            "SELECT "
                + BUCKET_COLUMNS
                + " FROM digest_bucket WHERE rule = ? AND key = ANY (?) ORDER BY key"
                + (lock ? " FOR UPDATE" : ""))) {
      select.setString(1, rule);
      select.setArray(2, c.createArrayOf("text", keys.toArray(String[]::new)));
      try (ResultSet rs = select.executeQuery()) {
        while (rs.next()) {
          OpenBucket bucket = openBucket(rs);
          open.put(bucket.key, bucket);
        }
      }
    }
    return open;
  }

  /** A bucket taken out of the table to be closed, with its items in notification order. */
  private record Taken(OpenBucket bucket, List<String> items) {}

  private static List<Taken> taken(ResultSet rs) throws SQLException {
    List<Taken> taken = new ArrayList<>();
    while (rs.next()) {
      taken.add(new Taken(openBucket(rs), InlineItems.ordered(rs.getString(7))));
    }
    return taken;
  }

  /** Deletes the open buckets of these keys and returns them. */
  private static List<Taken> takeKeys(Connection c, String rule, List<String> keys)
      throws SQLException {
    try (PreparedStatement delete =
        c.prepareStatement(
            "DELETE FROM digest_bucket WHERE rule = ? AND key = ANY (?) RETURNING "
                + BUCKET_COLUMNS
                + ", items")) {
      delete.setString(1, rule);
      delete.setArray(2, c.createArrayOf("text", keys.toArray(String[]::new)));
      try (ResultSet rs = delete.executeQuery()) {
        return taken(rs);
      }
    }
  }

  /**
   * Writes the notifications of the taken buckets and their pending deliveries, in the caller's
   * transaction; the sequence numbers are taken last (see the class comment).
   */
  private List<Notification> close(
      Connection c, DigestRule rule, List<Taken> buckets, Instant closedAt) throws SQLException {
    if (buckets.isEmpty()) {
      return List.of();
    }
    long now = closedAt.truncatedTo(ChronoUnit.MILLIS).toEpochMilli();
    List<Notification> notifications = new ArrayList<>(buckets.size());
    for (Taken taken : buckets) {
      OpenBucket bucket = taken.bucket();
      List<JsonNode> items = new ArrayList<>(taken.items().size());
      taken.items().forEach(t -> items.add(Json.parseTrusted(t)));
      notifications.add(
          new Notification(
              Notification.idFor(rule.name(), bucket.key, bucket.openEvent),
              rule.name(),
              bucket.key,
              items,
              Instant.ofEpochMilli(bucket.firstMs),
              Instant.ofEpochMilli(bucket.lastMs),
              Instant.ofEpochMilli(bucket.dueMs),
              Instant.ofEpochMilli(now)));
    }
    long last;
    try (PreparedStatement bump =
        c.prepareStatement(
            "UPDATE herald_counter SET value = value + ? WHERE name = 'notification' RETURNING value")) {
      bump.setInt(1, buckets.size());
      try (ResultSet rs = bump.executeQuery()) {
        rs.next();
        last = rs.getLong(1);
      }
    }
    long first = last - buckets.size() + 1;
    try (PreparedStatement insert =
            c.prepareStatement(
                "INSERT INTO notification (seq, id, rule, recipient, items, first_ms, last_ms, due_ms, created_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
        PreparedStatement delivery =
            c.prepareStatement(
                "INSERT INTO delivery (notification_seq, sink, state, attempts, next_ms) VALUES (?, ?, 'PENDING', 0, ?)")) {
      for (int i = 0; i < buckets.size(); i++) {
        Taken taken = buckets.get(i);
        Notification n = notifications.get(i);
        long seq = first + i;
        insert.setLong(1, seq);
        insert.setString(2, n.id());
        insert.setString(3, n.rule());
        insert.setString(4, n.recipient());
        insert.setString(5, "[" + String.join(",", taken.items()) + "]");
        insert.setLong(6, taken.bucket().firstMs);
        insert.setLong(7, taken.bucket().lastMs);
        insert.setLong(8, taken.bucket().dueMs);
        insert.setLong(9, now);
        insert.addBatch();
        for (Sink sink : rule.deliver()) {
          delivery.setLong(1, seq);
          delivery.setString(2, sink.name());
          delivery.setLong(3, now);
          delivery.addBatch();
        }
      }
      insert.executeBatch();
      if (!rule.deliver().isEmpty()) {
        delivery.executeBatch();
        // dispatchers of other processes hear of the new deliveries when this commits
        try (PreparedStatement notify = c.prepareStatement("SELECT pg_notify(?, ?)")) {
          notify.setString(1, db.channel());
          notify.setString(2, origin);
          notify.executeQuery().close();
        }
      }
    }
    return notifications;
  }

  @Override
  public List<Notification> closeDue(DigestRule rule, Instant now, int limit) {
    long nowMs = now.toEpochMilli();
    return db.transact(
        c -> {
          List<Taken> due;
          // the outer due_ms condition is checked again on a row an add changed meanwhile
          try (PreparedStatement delete =
              c.prepareStatement(
                  "DELETE FROM digest_bucket WHERE rule = ? AND due_ms <= ? AND key IN "
                      + "(SELECT key FROM digest_bucket WHERE rule = ? AND due_ms <= ? ORDER BY due_ms, key LIMIT ?) "
                      + "RETURNING "
                      + BUCKET_COLUMNS
                      + ", items")) {
            delete.setString(1, rule.name());
            delete.setLong(2, nowMs);
            delete.setString(3, rule.name());
            delete.setLong(4, nowMs);
            delete.setInt(5, limit);
            try (ResultSet rs = delete.executeQuery()) {
              due = taken(rs);
            }
          }
          due.sort(
              Comparator.<Taken>comparingLong(t -> t.bucket().dueMs)
                  .thenComparing(t -> t.bucket().key));
          return close(c, rule, due, now);
        });
  }

  @Override
  public Optional<Notification> flush(DigestRule rule, String key, Instant now) {
    return db.transact(
        c -> {
          List<Taken> taken = takeKeys(c, rule.name(), List.of(key));
          return taken.isEmpty()
              ? Optional.<Notification>empty()
              : Optional.of(close(c, rule, taken, now).getFirst());
        });
  }

  @Override
  public Optional<Instant> nextDue(String rule) {
    return db.transact(
        c -> {
          try (PreparedStatement select =
              c.prepareStatement("SELECT MIN(due_ms) FROM digest_bucket WHERE rule = ?")) {
            select.setString(1, rule);
            try (ResultSet rs = select.executeQuery()) {
              rs.next();
              long due = rs.getLong(1);
              return rs.wasNull()
                  ? Optional.<Instant>empty()
                  : Optional.of(Instant.ofEpochMilli(due));
            }
          }
        });
  }

  @Override
  public List<Bucket> openBuckets(String rule, String afterKey, int limit) {
    return db.transact(
        c -> {
          try (PreparedStatement select =
              c.prepareStatement(
                  "SELECT "
                      + BUCKET_COLUMNS
                      + " FROM digest_bucket WHERE rule = ? AND key > ? ORDER BY key LIMIT ?")) {
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
          }
        });
  }

  @Override
  public Optional<Bucket> openBucket(String rule, String key) {
    return db.transact(
        c ->
            Optional.ofNullable(selectOpen(c, rule, List.of(key), false).get(key))
                .map(b -> b.view(rule)));
  }

  @Override
  public List<JsonNode> openItems(String rule, String key) {
    return db.transact(
        c -> {
          try (PreparedStatement select =
              c.prepareStatement("SELECT items FROM digest_bucket WHERE rule = ? AND key = ?")) {
            select.setString(1, rule);
            select.setString(2, key);
            try (ResultSet rs = select.executeQuery()) {
              if (!rs.next()) {
                return List.<JsonNode>of();
              }
              List<JsonNode> items = new ArrayList<>();
              InlineItems.ordered(rs.getString(1)).forEach(t -> items.add(Json.parseTrusted(t)));
              return items;
            }
          }
        });
  }

  @Override
  public long openBucketCount(String rule) {
    return db.transact(
        c -> {
          try (PreparedStatement select =
              c.prepareStatement("SELECT COUNT(*) FROM digest_bucket WHERE rule = ?")) {
            select.setString(1, rule);
            try (ResultSet rs = select.executeQuery()) {
              rs.next();
              return rs.getLong(1);
            }
          }
        });
  }

  /** The store does not own the database; close the {@link PostgresDatabase} itself. */
  @Override
  public void close() {}
}
