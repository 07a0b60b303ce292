package dev.herald.sqlite;

import dev.herald.inbox.InboxDelivery;
import dev.herald.inbox.InboxItem;
import dev.herald.inbox.InboxPull;
import dev.herald.inbox.InboxRule;
import dev.herald.inbox.InboxStats;
import dev.herald.inbox.InboxStore;
import dev.herald.inbox.InboxSummary;
import dev.herald.jdbc.MultiRowInsert;
import dev.herald.jdbc.SqlSession;
import dev.herald.json.Json;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.locks.ReentrantLock;

/**
 * {@link InboxStore} in a {@link SqliteDatabase}. Every change runs on the database's single writer
 * in one transaction, which is what makes a pull atomic against concurrent adds.
 *
 * <p>Layout: a delivery appends a row to {@code inbox_entry} (the changes of one batch to one item
 * merged first), in arrival order; a recipient's row in {@code inbox} is written only when its
 * inbox goes from empty to pending (the oldest-pending time the monitor's index is on) and when it
 * is pulled. Which entries each recipient has waiting is kept in memory ({@link PendingEntries}),
 * so adding never writes at a random place per recipient; a pull reads its entries by row id,
 * coalesces them by item key and deletes them.
 *
 * <p>Thread-safety: safe for concurrent use. The in-memory index is changed only on the writer
 * thread, under {@link #lock}; readers copy what they need under the same lock.
 */
public final class SqliteInboxStore implements InboxStore {

  private static final int MAX_IDS_PER_STATEMENT = 256;

  private final SqliteDatabase db;
  private final PendingEntries pending = new PendingEntries();
  private final ReentrantLock lock = new ReentrantLock();
  private final MultiRowInsert insertEntries =
      new MultiRowInsert(
          "INSERT INTO inbox_entry (seq, name, recipient, item_key, changes, first_ms, last_ms, data)",
          8);
  private final MultiRowInsert remember =
      new MultiRowInsert(
          "INSERT INTO inbox_seen (name, dedupe_id, at_ms)", 3, "ON CONFLICT DO NOTHING");
  // Set when a write that changed the index was rolled back, and when nothing was loaded yet:
  // the index is then rebuilt from the table, on the writer, before it is used again.
  private volatile boolean stale = true;
  // Whether the open transaction changed the index (writer thread only).
  private boolean changedInTransaction;

  public SqliteInboxStore(SqliteDatabase db) {
    this.db = Objects.requireNonNull(db, "db");
    db.onCommit(() -> changedInTransaction = false);
    db.onRollback(
        () -> {
          if (changedInTransaction) {
            stale = true;
            changedInTransaction = false;
          }
        });
  }

  /** The deliveries of one batch to one item, merged before they touch the table. */
  private static final class Change {
    final String recipient;
    final String key;
    String data;
    int changes;
    long firstMs;
    long lastMs;

    /** The item key's fingerprint for the index of pending entries (0 when not needed). */
    final long fingerprint;

    Change(String recipient, String key) {
      this(recipient, key, 0);
    }

    Change(String recipient, String key, long fingerprint) {
      this.recipient = recipient;
      this.key = key;
      this.fingerprint = fingerprint;
    }

    void merge(String text, int count, long first, long last) {
      // the latest by time, the later merged on a tie
      if (changes == 0 || last >= lastMs) {
        data = text;
      }
      firstMs = changes == 0 ? first : Math.min(firstMs, first);
      lastMs = changes == 0 ? last : Math.max(lastMs, last);
      changes += count;
    }
  }

  @Override
  public int add(InboxRule rule, List<InboxDelivery> deliveries, Instant now) {
    if (deliveries.isEmpty()) {
      return 0;
    }
    long nowMs = now.toEpochMilli();
    // merged on the caller's thread as if every delivery were new, so that the single writer only
    // checks the dedupe rows; it merges again only when some delivery turns out to be a duplicate
    List<Change> allNew = merge(deliveries, null);
    BitSet repeated = repeatedInBatch(deliveries);
    return db.write(
        session -> {
          PreparedStatement forget =
              session.prepare("DELETE FROM inbox_seen WHERE name = ? AND at_ms < ?");
          forget.setString(1, rule.name());
          forget.setLong(2, nowMs - rule.dedupeWindow().toMillis());
          forget.executeUpdate();
          BitSet duplicates = rememberNew(session, rule.name(), deliveries, repeated, nowMs);
          int added = deliveries.size() - duplicates.cardinality();
          List<Change> changes = duplicates.isEmpty() ? allNew : merge(deliveries, duplicates);
          if (changes.isEmpty()) {
            return added;
          }
          long[] seqs = new long[changes.size()];
          List<String> fresh = new ArrayList<>();
          lock.lock();
          try {
            loadIfStale(session);
            changedInTransaction = true;
            for (int i = 0; i < seqs.length; i++) {
              Change change = changes.get(i);
              seqs[i] = pending.takeSeq();
              if (pending.add(rule.name(), change.recipient, change.fingerprint, seqs[i])) {
                fresh.add(change.recipient);
              }
            }
          } finally {
            lock.unlock();
          }
          insertEntries.run(
              session,
              changes.size(),
              (statement, row, p) -> {
                Change change = changes.get(row);
                statement.setLong(p, seqs[row]);
                statement.setString(p + 1, rule.name());
                statement.setString(p + 2, change.recipient);
                statement.setString(p + 3, change.key);
                statement.setInt(p + 4, change.changes);
                statement.setLong(p + 5, change.firstMs);
                statement.setLong(p + 6, change.lastMs);
                statement.setString(p + 7, change.data);
              });
          PreparedStatement opened =
              session.prepare(
                  "INSERT INTO inbox (name, recipient, oldest_ms, last_pulled_ms) VALUES (?, ?, ?, NULL) "
                      + "ON CONFLICT (name, recipient) DO UPDATE SET oldest_ms = excluded.oldest_ms");
          for (String recipient : fresh) {
            opened.setString(1, rule.name());
            opened.setString(2, recipient);
            opened.setLong(3, nowMs);
            opened.executeUpdate();
          }
          return added;
        });
  }

  /** The deliveries whose dedupe id an earlier delivery of the same batch has. */
  private static BitSet repeatedInBatch(List<InboxDelivery> deliveries) {
    BitSet repeated = new BitSet(deliveries.size());
    Set<String> ids = new HashSet<>(deliveries.size() * 2);
    for (int i = 0; i < deliveries.size(); i++) {
      if (!ids.add(deliveries.get(i).dedupeId())) {
        repeated.set(i);
      }
    }
    return repeated;
  }

  /**
   * Writes the dedupe row of every delivery not {@code repeated} and returns the deliveries that
   * are duplicates: the repeated ones and those whose row was there already. Rows go in multi-row
   * statements (measured on their own: 3.4-3.8 us per row one at a time, 1.9-2.4 us at 100 per
   * statement); one that inserts fewer rows than it had is undone (a savepoint each, which measured
   * no slower) and its rows are written again one at a time to learn which were there.
   */
  private BitSet rememberNew(
      SqlSession session, String inbox, List<InboxDelivery> deliveries, BitSet repeated, long nowMs)
      throws SQLException {
    BitSet duplicates = (BitSet) repeated.clone();
    int[] rows = new int[deliveries.size() - repeated.cardinality()];
    for (int i = 0, r = 0; i < deliveries.size(); i++) {
      if (!repeated.get(i)) {
        rows[r++] = i;
      }
    }
    MultiRowInsert.RowBinder binder =
        (statement, row, p) -> {
          statement.setString(p, inbox);
          statement.setString(p + 1, deliveries.get(rows[row]).dedupeId());
          statement.setLong(p + 2, nowMs);
        };
    int at = 0;
    while (at < rows.length) {
      int count = MultiRowInsert.rowsPerExecution(rows.length - at);
      session.prepare("SAVEPOINT dedupe").execute();
      if (remember.execute(session, at, count, binder) == count) {
        session.prepare("RELEASE dedupe").execute();
      } else {
        session.prepare("ROLLBACK TO dedupe").execute();
        session.prepare("RELEASE dedupe").execute();
        for (int r = at; r < at + count; r++) {
          if (remember.execute(session, r, 1, binder) == 0) {
            duplicates.set(rows[r]);
          }
        }
      }
      at += count;
    }
    return duplicates;
  }

  /**
   * The deliveries merged per recipient and item, in order of each item's first delivery, leaving
   * out those in {@code skip} (null for none). Never changed afterwards: a group commit may run a
   * write twice.
   */
  private static List<Change> merge(List<InboxDelivery> deliveries, BitSet skip) {
    Map<String, Change> merged = new LinkedHashMap<>(deliveries.size() * 2);
    for (int i = 0; i < deliveries.size(); i++) {
      if (skip != null && skip.get(i)) {
        continue;
      }
      InboxDelivery delivery = deliveries.get(i);
      long t = delivery.time().toEpochMilli();
      String key = delivery.itemKey();
      merged
          .computeIfAbsent(
              delivery.recipient() + "\0" + key,
              k -> new Change(delivery.recipient(), key, PendingEntries.fingerprint(key)))
          .merge(delivery.json(), 1, t, t);
    }
    return new ArrayList<>(merged.values());
  }

  /** Rebuilds the index from the table if it is not known to match it; call holding the lock. */
  private void loadIfStale(SqlSession session) throws SQLException {
    if (!stale) {
      return;
    }
    pending.clear();
    try (ResultSet rs =
        session
            .prepare(
                "SELECT seq, name, recipient, item_key FROM inbox_entry WHERE pull_id IS NULL ORDER BY seq")
            .executeQuery()) {
      while (rs.next()) {
        pending.add(rs.getString(2), rs.getString(3), rs.getString(4), rs.getLong(1));
      }
    }
    stale = false;
  }

  /** Makes sure the index matches the table before a reader uses it. */
  private void loadOnWriterIfStale() {
    if (stale) {
      db.write(
          session -> {
            lock.lock();
            try {
              loadIfStale(session);
            } finally {
              lock.unlock();
            }
            return null;
          });
    }
  }

  /** The recipient's entries' row ids, oldest first; empty when none. */
  private long[] pendingSeqs(String inbox, String recipient) {
    loadOnWriterIfStale();
    lock.lock();
    try {
      return pending.seqs(inbox, recipient);
    } finally {
      lock.unlock();
    }
  }

  /**
   * Reads the entries with these row ids (those still there) and coalesces them into items, in row
   * order (entries given back by an ended reservation come after newer ones in the index).
   */
  private static List<InboxItem> items(SqlSession session, long[] unordered) throws SQLException {
    long[] seqs = ascending(unordered);
    Map<String, Change> byKey = new HashMap<>();
    forEachChunk(
        seqs,
        (from, count) -> {
          PreparedStatement select =
              session.prepare(
                  "SELECT seq, item_key, changes, first_ms, last_ms, data FROM inbox_entry WHERE seq IN "
                      + placeholders(count)
                      + " ORDER BY seq");
          for (int i = 0; i < count; i++) {
            select.setLong(i + 1, seqs[from + i]);
          }
          try (ResultSet rs = select.executeQuery()) {
            while (rs.next()) {
              String key = rs.getString(2);
              byKey
                  .computeIfAbsent(key, k -> new Change(null, k))
                  .merge(rs.getString(6), rs.getInt(3), rs.getLong(4), rs.getLong(5));
            }
          }
        });
    List<Change> changes = new ArrayList<>(byKey.values());
    changes.sort(Comparator.comparingLong((Change c) -> c.firstMs).thenComparing(c -> c.key));
    List<InboxItem> items = new ArrayList<>(changes.size());
    for (Change c : changes) {
      items.add(
          new InboxItem(
              c.key,
              Json.parseTrustedObject(c.data),
              c.changes,
              Instant.ofEpochMilli(c.firstMs),
              Instant.ofEpochMilli(c.lastMs)));
    }
    return items;
  }

  private static long[] ascending(long[] seqs) {
    for (int i = 1; i < seqs.length; i++) {
      if (seqs[i - 1] > seqs[i]) {
        long[] sorted = seqs.clone();
        Arrays.sort(sorted);
        return sorted;
      }
    }
    return seqs;
  }

  private static void deleteEntries(SqlSession session, long[] seqs) throws SQLException {
    forEachChunk(
        seqs,
        (from, count) -> {
          PreparedStatement delete =
              session.prepare("DELETE FROM inbox_entry WHERE seq IN " + placeholders(count));
          for (int i = 0; i < count; i++) {
            delete.setLong(i + 1, seqs[from + i]);
          }
          delete.executeUpdate();
        });
  }

  private interface Chunk {
    void run(int from, int count) throws SQLException;
  }

  /**
   * Splits ids into statements of {@value #MAX_IDS_PER_STATEMENT}, then of the powers of two that
   * make up the rest, so a session caches few statement texts.
   */
  private static void forEachChunk(long[] ids, Chunk chunk) throws SQLException {
    int at = 0;
    while (at < ids.length) {
      int count = Math.min(MAX_IDS_PER_STATEMENT, Integer.highestOneBit(ids.length - at));
      chunk.run(at, count);
      at += count;
    }
  }

  private static String placeholders(int count) {
    return "(" + "?, ".repeat(count - 1) + "?)";
  }

  @Override
  public List<InboxItem> peek(String inbox, String recipient) {
    long[] seqs = pendingSeqs(inbox, recipient);
    // entries pulled meanwhile are simply not found: the peek then shows less, never an item twice
    return seqs.length == 0 ? List.of() : db.read(session -> items(session, seqs));
  }

  @Override
  public InboxPull pull(String inbox, String recipient, Instant now) {
    return db.write(
        session -> {
          Taken taken = takeForPull(session, inbox, recipient, now);
          deleteEntries(session, taken.seqs());
          return new InboxPull(recipient, taken.items(), now);
        });
  }

  /** What a pull took: the entries' row ids and the items they coalesce into. */
  private record Taken(long[] seqs, List<InboxItem> items) {}

  /**
   * Takes the recipient's pending entries out of the index (its ended reservations released first)
   * and records the pull; on the writer. An unknown recipient takes nothing and is not created.
   */
  private Taken takeForPull(SqlSession session, String inbox, String recipient, Instant now)
      throws SQLException {
    if (row(session, inbox, recipient).isEmpty()) {
      return new Taken(new long[0], List.of());
    }
    releaseEnded(session, inbox, recipient, now);
    long[] seqs = take(session, inbox, recipient);
    List<InboxItem> items = items(session, seqs);
    markPulled(session, inbox, recipient, now);
    return new Taken(seqs, items);
  }

  @Override
  public InboxPull reserve(String inbox, String recipient, Instant now, Instant until) {
    return db.write(
        session -> {
          Taken taken = takeForPull(session, inbox, recipient, now);
          long[] seqs = taken.seqs();
          List<InboxItem> items = taken.items();
          if (items.isEmpty()) {
            return new InboxPull(recipient, List.of(), now);
          }
          String pullId = UUID.randomUUID().toString();
          forEachChunk(
              seqs,
              (from, count) -> {
                PreparedStatement reserve =
                    session.prepare(
                        "UPDATE inbox_entry SET pull_id = ? WHERE seq IN " + placeholders(count));
                reserve.setString(1, pullId);
                for (int i = 0; i < count; i++) {
                  reserve.setLong(i + 2, seqs[from + i]);
                }
                reserve.executeUpdate();
              });
          PreparedStatement record =
              session.prepare(
                  "INSERT INTO inbox_pull (name, pull_id, recipient, pulled_ms, until_ms, items) VALUES (?, ?, ?, ?, ?, ?)");
          record.setString(1, inbox);
          record.setString(2, pullId);
          record.setString(3, recipient);
          record.setLong(4, now.toEpochMilli());
          record.setLong(5, until.toEpochMilli());
          record.setInt(6, items.size());
          record.executeUpdate();
          return new InboxPull(recipient, items, now, Optional.of(pullId), Optional.of(until));
        });
  }

  private static void markPulled(SqlSession session, String inbox, String recipient, Instant now)
      throws SQLException {
    PreparedStatement pulled =
        session.prepare(
            "UPDATE inbox SET oldest_ms = NULL, last_pulled_ms = ? WHERE name = ? AND recipient = ?");
    pulled.setLong(1, now.toEpochMilli());
    pulled.setString(2, inbox);
    pulled.setString(3, recipient);
    pulled.executeUpdate();
  }

  @Override
  public Acknowledgement acknowledge(String inbox, String recipient, String pullId, Instant now) {
    return db.write(
        session -> {
          PreparedStatement select =
              session.prepare(
                  "SELECT recipient, until_ms FROM inbox_pull WHERE name = ? AND pull_id = ?");
          select.setString(1, inbox);
          select.setString(2, pullId);
          long until;
          try (ResultSet rs = select.executeQuery()) {
            if (!rs.next() || !rs.getString(1).equals(recipient)) {
              return Acknowledgement.UNKNOWN;
            }
            until = rs.getLong(2);
          }
          if (until <= now.toEpochMilli()) {
            release(session, inbox, pullId, recipient, now);
            return Acknowledgement.EXPIRED;
          }
          PreparedStatement entries = session.prepare("DELETE FROM inbox_entry WHERE pull_id = ?");
          entries.setString(1, pullId);
          entries.executeUpdate();
          forgetPull(session, inbox, pullId);
          return Acknowledgement.ACKNOWLEDGED;
        });
  }

  @Override
  public int releaseExpired(String inbox, Instant now, int limit) {
    // read first: the monitor asks every second, and a write would commit (and sync) each time
    if (endedPulls(inbox, now, 1).isEmpty()) {
      return 0;
    }
    return db.write(
        session -> {
          int released = 0;
          for (String[] pull : endedPulls(session, inbox, now, limit)) {
            release(session, inbox, pull[0], pull[1], now);
            released++;
          }
          return released;
        });
  }

  /** Pull id and recipient of reservations that ended by {@code now}, earliest first. */
  private List<String[]> endedPulls(String inbox, Instant now, int limit) {
    return db.read(session -> endedPulls(session, inbox, now, limit));
  }

  private static List<String[]> endedPulls(SqlSession session, String inbox, Instant now, int limit)
      throws SQLException {
    PreparedStatement select =
        session.prepare(
            "SELECT pull_id, recipient FROM inbox_pull WHERE name = ? AND until_ms <= ? ORDER BY until_ms LIMIT ?");
    select.setString(1, inbox);
    select.setLong(2, now.toEpochMilli());
    select.setInt(3, limit);
    List<String[]> pulls = new ArrayList<>();
    try (ResultSet rs = select.executeQuery()) {
      while (rs.next()) {
        pulls.add(new String[] {rs.getString(1), rs.getString(2)});
      }
    }
    return pulls;
  }

  /** Releases the recipient's reservations that ended by {@code now}. */
  private void releaseEnded(SqlSession session, String inbox, String recipient, Instant now)
      throws SQLException {
    PreparedStatement select =
        session.prepare(
            "SELECT pull_id FROM inbox_pull WHERE name = ? AND recipient = ? AND until_ms <= ?");
    select.setString(1, inbox);
    select.setString(2, recipient);
    select.setLong(3, now.toEpochMilli());
    List<String> ended = new ArrayList<>();
    try (ResultSet rs = select.executeQuery()) {
      while (rs.next()) {
        ended.add(rs.getString(1));
      }
    }
    for (String pullId : ended) {
      release(session, inbox, pullId, recipient, now);
    }
  }

  /**
   * Makes a reservation's entries pending again, under their own row ids, so they coalesce with
   * whatever changed meanwhile as if they had never been taken; the inbox's oldest pending time
   * becomes {@code now} if nothing else was pending.
   */
  private void release(
      SqlSession session, String inbox, String pullId, String recipient, Instant now)
      throws SQLException {
    PreparedStatement select =
        session.prepare("SELECT seq, item_key FROM inbox_entry WHERE pull_id = ? ORDER BY seq");
    select.setString(1, pullId);
    List<Long> seqs = new ArrayList<>();
    List<String> keys = new ArrayList<>();
    try (ResultSet rs = select.executeQuery()) {
      while (rs.next()) {
        seqs.add(rs.getLong(1));
        keys.add(rs.getString(2));
      }
    }
    PreparedStatement pend =
        session.prepare("UPDATE inbox_entry SET pull_id = NULL WHERE pull_id = ?");
    pend.setString(1, pullId);
    pend.executeUpdate();
    boolean fresh = false;
    lock.lock();
    try {
      loadIfStale(session);
      changedInTransaction = true;
      for (int i = 0; i < seqs.size(); i++) {
        fresh |= pending.add(inbox, recipient, keys.get(i), seqs.get(i));
      }
    } finally {
      lock.unlock();
    }
    if (fresh) {
      PreparedStatement opened =
          session.prepare(
              "UPDATE inbox SET oldest_ms = ? WHERE name = ? AND recipient = ? AND oldest_ms IS NULL");
      opened.setLong(1, now.toEpochMilli());
      opened.setString(2, inbox);
      opened.setString(3, recipient);
      opened.executeUpdate();
    }
    forgetPull(session, inbox, pullId);
  }

  private static void forgetPull(SqlSession session, String inbox, String pullId)
      throws SQLException {
    PreparedStatement delete =
        session.prepare("DELETE FROM inbox_pull WHERE name = ? AND pull_id = ?");
    delete.setString(1, inbox);
    delete.setString(2, pullId);
    delete.executeUpdate();
  }

  /** Removes the recipient's entries from the index, on the writer, and returns their row ids. */
  private long[] take(SqlSession session, String inbox, String recipient) throws SQLException {
    lock.lock();
    try {
      loadIfStale(session);
      changedInTransaction = true;
      return pending.remove(inbox, recipient);
    } finally {
      lock.unlock();
    }
  }

  @Override
  public boolean clean(String inbox, String recipient) {
    return db.write(
        session -> {
          if (row(session, inbox, recipient).isEmpty()) {
            return false;
          }
          deleteEntries(session, take(session, inbox, recipient));
          PreparedStatement reserved =
              session.prepare(
                  "DELETE FROM inbox_entry WHERE pull_id IN (SELECT pull_id FROM inbox_pull WHERE name = ? AND recipient = ?)");
          reserved.setString(1, inbox);
          reserved.setString(2, recipient);
          reserved.executeUpdate();
          PreparedStatement pulls =
              session.prepare("DELETE FROM inbox_pull WHERE name = ? AND recipient = ?");
          pulls.setString(1, inbox);
          pulls.setString(2, recipient);
          pulls.executeUpdate();
          PreparedStatement delete =
              session.prepare("DELETE FROM inbox WHERE name = ? AND recipient = ?");
          delete.setString(1, inbox);
          delete.setString(2, recipient);
          delete.executeUpdate();
          return true;
        });
  }

  /**
   * A recipient's row: its oldest pending arrival and last pull, in milliseconds (null when none).
   */
  private record Row(String recipient, Long oldestMs, Long pulledMs) {}

  private static Row row(ResultSet rs) throws SQLException {
    long oldest = rs.getLong(2);
    Long oldestMs = rs.wasNull() ? null : oldest;
    long pulled = rs.getLong(3);
    Long pulledMs = rs.wasNull() ? null : pulled;
    return new Row(rs.getString(1), oldestMs, pulledMs);
  }

  private static Optional<Row> row(SqlSession session, String inbox, String recipient)
      throws SQLException {
    PreparedStatement select =
        session.prepare(
            "SELECT recipient, oldest_ms, last_pulled_ms FROM inbox WHERE name = ? AND recipient = ?");
    select.setString(1, inbox);
    select.setString(2, recipient);
    try (ResultSet rs = select.executeQuery()) {
      return rs.next() ? Optional.of(row(rs)) : Optional.empty();
    }
  }

  private static List<Row> rows(PreparedStatement select) throws SQLException {
    List<Row> rows = new ArrayList<>();
    try (ResultSet rs = select.executeQuery()) {
      while (rs.next()) {
        rows.add(row(rs));
      }
    }
    return rows;
  }

  /** Summaries of the rows, with their pending counts from the index. */
  private List<InboxSummary> summaries(String inbox, List<Row> rows) {
    loadOnWriterIfStale();
    List<InboxSummary> summaries = new ArrayList<>(rows.size());
    lock.lock();
    try {
      for (Row row : rows) {
        summaries.add(
            new InboxSummary(
                row.recipient(),
                pending.pendingItems(inbox, row.recipient()),
                Optional.ofNullable(row.oldestMs()).map(Instant::ofEpochMilli),
                Optional.ofNullable(row.pulledMs()).map(Instant::ofEpochMilli)));
      }
    } finally {
      lock.unlock();
    }
    return summaries;
  }

  @Override
  public Optional<InboxSummary> summary(String inbox, String recipient) {
    return db.read(session -> row(session, inbox, recipient))
        .map(row -> summaries(inbox, List.of(row)).getFirst());
  }

  @Override
  public List<InboxSummary> list(String inbox, String afterRecipient, int limit) {
    List<Row> rows =
        db.read(
            session -> {
              PreparedStatement select =
                  session.prepare(
                      "SELECT recipient, oldest_ms, last_pulled_ms FROM inbox WHERE name = ? AND recipient > ? ORDER BY recipient LIMIT ?");
              select.setString(1, inbox);
              select.setString(2, afterRecipient);
              select.setInt(3, limit);
              return rows(select);
            });
    return summaries(inbox, rows);
  }

  @Override
  public List<InboxSummary> stale(String inbox, Instant pendingSince, int limit) {
    List<Row> rows =
        db.read(
            session -> {
              PreparedStatement select =
                  session.prepare(
                      "SELECT recipient, oldest_ms, last_pulled_ms FROM inbox INDEXED BY inbox_oldest WHERE name = ? AND oldest_ms IS NOT NULL "
                          + "AND oldest_ms <= ? ORDER BY oldest_ms, recipient LIMIT ?");
              select.setString(1, inbox);
              select.setLong(2, pendingSince.toEpochMilli());
              select.setInt(3, limit);
              return rows(select);
            });
    return summaries(inbox, rows);
  }

  @Override
  public List<String> staleRecipients(String inbox, Instant pendingSince, int limit) {
    return db.read(
        session -> {
          // answered from the index alone (it holds the recipient, the table's key), longest
          // waiting first
          PreparedStatement select =
              session.prepare(
                  "SELECT recipient FROM inbox INDEXED BY inbox_oldest WHERE name = ? AND oldest_ms IS NOT NULL AND oldest_ms <= ? "
                      + "ORDER BY oldest_ms, recipient LIMIT ?");
          select.setString(1, inbox);
          select.setLong(2, pendingSince.toEpochMilli());
          select.setInt(3, limit);
          List<String> stale = new ArrayList<>();
          try (ResultSet rs = select.executeQuery()) {
            while (rs.next()) {
              stale.add(rs.getString(1));
            }
          }
          return stale;
        });
  }

  @Override
  public InboxStats stats(String inbox) {
    long reserved =
        db.read(
            session -> {
              PreparedStatement select =
                  session.prepare("SELECT COALESCE(SUM(items), 0) FROM inbox_pull WHERE name = ?");
              select.setString(1, inbox);
              try (ResultSet rs = select.executeQuery()) {
                rs.next();
                return rs.getLong(1);
              }
            });
    Optional<Instant> oldest =
        db.read(
            session -> {
              PreparedStatement select =
                  session.prepare(
                      "SELECT MIN(oldest_ms) FROM inbox INDEXED BY inbox_oldest WHERE name = ? AND oldest_ms IS NOT NULL");
              select.setString(1, inbox);
              try (ResultSet rs = select.executeQuery()) {
                rs.next();
                long ms = rs.getLong(1);
                return rs.wasNull() ? Optional.empty() : Optional.of(Instant.ofEpochMilli(ms));
              }
            });
    loadOnWriterIfStale();
    lock.lock();
    try {
      return new InboxStats(pending.inboxes(inbox), pending.pendingItems(inbox), oldest, reserved);
    } finally {
      lock.unlock();
    }
  }
}
