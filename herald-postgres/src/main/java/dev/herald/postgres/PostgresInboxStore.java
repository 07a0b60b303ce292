package dev.herald.postgres;

import dev.herald.inbox.InboxDelivery;
import dev.herald.inbox.InboxItem;
import dev.herald.inbox.InboxPull;
import dev.herald.inbox.InboxRule;
import dev.herald.inbox.InboxStats;
import dev.herald.inbox.InboxStore;
import dev.herald.inbox.InboxSummary;
import dev.herald.json.Json;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;

/**
 * {@link InboxStore} in PostgreSQL tables. An item is one row per recipient and key, coalescing its
 * changes as they are added ({@code INSERT … ON CONFLICT DO UPDATE}); a reserved item is the same
 * row with its pull's id, and a reservation that ends is merged back the same way.
 *
 * <p>Concurrency: every change to one recipient's inbox locks its {@code inbox} row first, and a
 * batch locks its recipients in recipient order, so a pull sees an add entirely or not at all and
 * writers never wait for each other in a circle. A delivery's dedupe id is claimed by inserting it
 * ({@code inbox_seen}), which another process's insert of the same id waits for.
 *
 * <p>Thread-safety: safe for concurrent use, by several processes on one database.
 */
public final class PostgresInboxStore implements InboxStore {

  private static final String ITEM_COLUMNS = "item_key, data, changes, first_ms, last_ms";

  private final PostgresDatabase db;

  public PostgresInboxStore(PostgresDatabase db) {
    this.db = Objects.requireNonNull(db, "db");
  }

  /** The changes of one batch to one item, coalesced. */
  private static final class Change {
    final String recipient;
    final String key;
    int changes;
    long firstMs;
    long lastMs;
    String data;

    Change(String recipient, String key, long t, String data) {
      this.recipient = recipient;
      this.key = key;
      this.firstMs = t;
      this.lastMs = t;
      this.data = data;
    }

    void add(long t, String json) {
      changes++;
      firstMs = Math.min(firstMs, t);
      if (t >= lastMs) {
        lastMs = t;
        data = json; // the latest by time, the later added on a tie
      }
    }
  }

  @Override
  public int add(InboxRule rule, List<InboxDelivery> deliveries, Instant now) {
    if (deliveries.isEmpty()) {
      return 0;
    }
    long nowMs = now.toEpochMilli();
    long forgetBefore = nowMs - rule.dedupeWindow().toMillis();
    return db.transact(
        c -> {
          // the first of each dedupe id in the batch, then those no one took within the window
          Set<String> inBatch = new HashSet<>();
          List<String> ids = new ArrayList<>();
          for (InboxDelivery d : deliveries) {
            if (inBatch.add(d.dedupeId())) {
              ids.add(d.dedupeId());
            }
          }
          Set<String> fresh = new HashSet<>();
          try (PreparedStatement claim =
              c.prepareStatement(
                  "INSERT INTO inbox_seen AS s (name, dedupe_id, at_ms) SELECT ?, u.d, ? FROM unnest(?::text[]) AS u(d) "
                      + "ON CONFLICT (name, dedupe_id) DO UPDATE SET at_ms = excluded.at_ms WHERE s.at_ms <= ? "
                      + "RETURNING dedupe_id")) {
            claim.setString(1, rule.name());
            claim.setLong(2, nowMs);
            claim.setArray(3, c.createArrayOf("text", ids.toArray(String[]::new)));
            claim.setLong(4, forgetBefore);
            try (ResultSet rs = claim.executeQuery()) {
              while (rs.next()) {
                fresh.add(rs.getString(1));
              }
            }
          }
          forgetSeen(c, rule.name(), forgetBefore);
          if (fresh.isEmpty()) {
            return 0;
          }
          // recipient, then key: the order rows are locked in
          Map<String, Map<String, Change>> byRecipient = new TreeMap<>();
          int added = 0;
          for (InboxDelivery d : deliveries) {
            if (!fresh.remove(d.dedupeId())) {
              continue;
            }
            added++;
            long t = d.time().toEpochMilli();
            byRecipient
                .computeIfAbsent(d.recipient(), r -> new TreeMap<>())
                .computeIfAbsent(d.itemKey(), k -> new Change(d.recipient(), k, t, d.json()))
                .add(t, d.json());
          }
          List<Change> changes = new ArrayList<>();
          byRecipient.values().forEach(items -> changes.addAll(items.values()));
          lockForAdd(c, rule.name(), byRecipient.keySet(), nowMs);
          upsertItems(c, rule.name(), changes, nowMs);
          return added;
        });
  }

  /** Forgets dedupe ids past the window, a bounded number per add so no add waits long. */
  private static void forgetSeen(Connection c, String inbox, long before) throws SQLException {
    try (PreparedStatement forget =
        c.prepareStatement(
            "DELETE FROM inbox_seen WHERE name = ? AND dedupe_id IN "
                + "(SELECT dedupe_id FROM inbox_seen WHERE name = ? AND at_ms <= ? LIMIT 1000)")) {
      forget.setString(1, inbox);
      forget.setString(2, inbox);
      forget.setLong(3, before);
      forget.executeUpdate();
    }
  }

  /**
   * Creates or locks the inbox rows of the recipients, in recipient order; an inbox with nothing
   * pending gets {@code now} as its oldest pending arrival.
   */
  private static void lockForAdd(Connection c, String inbox, Set<String> recipients, long nowMs)
      throws SQLException {
    try (PreparedStatement upsert =
        c.prepareStatement(
            "INSERT INTO inbox AS b (name, recipient, oldest_ms) SELECT ?, u.r, ? FROM unnest(?::text[]) AS u(r) ORDER BY u.r "
                + "ON CONFLICT (name, recipient) DO UPDATE SET oldest_ms = COALESCE(b.oldest_ms, excluded.oldest_ms)")) {
      upsert.setString(1, inbox);
      upsert.setLong(2, nowMs);
      upsert.setArray(3, c.createArrayOf("text", recipients.toArray(String[]::new)));
      upsert.executeUpdate();
    }
  }

  private static final String MERGE =
      " ON CONFLICT (name, recipient, pull_id, item_key) DO UPDATE SET changes = i.changes + excluded.changes, "
          + "first_ms = LEAST(i.first_ms, excluded.first_ms), last_ms = GREATEST(i.last_ms, excluded.last_ms), "
          + "arrived_ms = LEAST(i.arrived_ms, excluded.arrived_ms), ";

  private static void upsertItems(Connection c, String inbox, List<Change> changes, long nowMs)
      throws SQLException {
    int n = changes.size();
    String[] recipients = new String[n];
    String[] keys = new String[n];
    Integer[] counts = new Integer[n];
    Long[] firsts = new Long[n];
    Long[] lasts = new Long[n];
    String[] data = new String[n];
    for (int i = 0; i < n; i++) {
      Change change = changes.get(i);
      recipients[i] = change.recipient;
      keys[i] = change.key;
      counts[i] = change.changes;
      firsts[i] = change.firstMs;
      lasts[i] = change.lastMs;
      data[i] = change.data;
    }
    try (PreparedStatement upsert =
        c.prepareStatement(
            "INSERT INTO inbox_item AS i (name, recipient, pull_id, item_key, changes, first_ms, last_ms, arrived_ms, data) "
                + "SELECT ?, u.r, '', u.k, u.c, u.f, u.l, ?, u.d "
                + "FROM unnest(?::text[], ?::text[], ?::int[], ?::bigint[], ?::bigint[], ?::text[]) AS u(r, k, c, f, l, d)"
                + MERGE
                // the newer change wins a tie: it was added later
                + "data = CASE WHEN excluded.last_ms >= i.last_ms THEN excluded.data ELSE i.data END")) {
      upsert.setString(1, inbox);
      upsert.setLong(2, nowMs);
      upsert.setArray(3, c.createArrayOf("text", recipients));
      upsert.setArray(4, c.createArrayOf("text", keys));
      upsert.setArray(5, c.createArrayOf("integer", counts));
      upsert.setArray(6, c.createArrayOf("bigint", firsts));
      upsert.setArray(7, c.createArrayOf("bigint", lasts));
      upsert.setArray(8, c.createArrayOf("text", data));
      upsert.executeUpdate();
    }
  }

  /** Locks the recipient's inbox row; false when the recipient has no inbox. */
  private static boolean lockInbox(Connection c, String inbox, String recipient)
      throws SQLException {
    try (PreparedStatement lock =
        c.prepareStatement("SELECT 1 FROM inbox WHERE name = ? AND recipient = ? FOR UPDATE")) {
      lock.setString(1, inbox);
      lock.setString(2, recipient);
      try (ResultSet rs = lock.executeQuery()) {
        return rs.next();
      }
    }
  }

  private static InboxItem item(ResultSet rs) throws SQLException {
    return new InboxItem(
        rs.getString(1),
        Json.parseTrustedObject(rs.getString(2)),
        rs.getInt(3),
        Instant.ofEpochMilli(rs.getLong(4)),
        Instant.ofEpochMilli(rs.getLong(5)));
  }

  /** Items as a pull lists them: by first change, then key. */
  private static List<InboxItem> ordered(List<InboxItem> items) {
    List<InboxItem> sorted = new ArrayList<>(items);
    sorted.sort(java.util.Comparator.comparing(InboxItem::firstAt).thenComparing(InboxItem::key));
    return sorted;
  }

  @Override
  public List<InboxItem> peek(String inbox, String recipient) {
    return db.transact(
        c -> {
          try (PreparedStatement select =
              c.prepareStatement(
                  "SELECT "
                      + ITEM_COLUMNS
                      + " FROM inbox_item WHERE name = ? AND recipient = ? AND pull_id = '' ORDER BY first_ms, item_key")) {
            select.setString(1, inbox);
            select.setString(2, recipient);
            List<InboxItem> items = new ArrayList<>();
            try (ResultSet rs = select.executeQuery()) {
              while (rs.next()) {
                items.add(item(rs));
              }
            }
            return items;
          }
        });
  }

  @Override
  public InboxPull pull(String inbox, String recipient, Instant now) {
    return db.transact(
        c -> {
          if (!lockInbox(c, inbox, recipient)) {
            return new InboxPull(recipient, List.of(), now);
          }
          List<InboxItem> items = new ArrayList<>();
          try (PreparedStatement take =
              c.prepareStatement(
                  "DELETE FROM inbox_item WHERE name = ? AND recipient = ? AND pull_id = '' RETURNING "
                      + ITEM_COLUMNS)) {
            take.setString(1, inbox);
            take.setString(2, recipient);
            try (ResultSet rs = take.executeQuery()) {
              while (rs.next()) {
                items.add(item(rs));
              }
            }
          }
          markPulled(c, inbox, recipient, now.toEpochMilli());
          return new InboxPull(recipient, ordered(items), now);
        });
  }

  private static void markPulled(Connection c, String inbox, String recipient, long nowMs)
      throws SQLException {
    try (PreparedStatement update =
        c.prepareStatement(
            "UPDATE inbox SET oldest_ms = NULL, last_pulled_ms = ? WHERE name = ? AND recipient = ?")) {
      update.setLong(1, nowMs);
      update.setString(2, inbox);
      update.setString(3, recipient);
      update.executeUpdate();
    }
  }

  @Override
  public InboxPull reserve(String inbox, String recipient, Instant now, Instant until) {
    long nowMs = now.toEpochMilli();
    return db.transact(
        c -> {
          if (!lockInbox(c, inbox, recipient)) {
            return new InboxPull(recipient, List.of(), now);
          }
          try (PreparedStatement ended =
              c.prepareStatement(
                  "SELECT pull_id FROM inbox_pull WHERE name = ? AND recipient = ? AND until_ms <= ?")) {
            ended.setString(1, inbox);
            ended.setString(2, recipient);
            ended.setLong(3, nowMs);
            List<String> pulls = new ArrayList<>();
            try (ResultSet rs = ended.executeQuery()) {
              while (rs.next()) {
                pulls.add(rs.getString(1));
              }
            }
            for (String pullId : pulls) {
              release(c, inbox, recipient, pullId, nowMs);
            }
          }
          String pullId = "p-" + UUID.randomUUID();
          List<InboxItem> items = new ArrayList<>();
          try (PreparedStatement take =
              c.prepareStatement(
                  "UPDATE inbox_item SET pull_id = ? WHERE name = ? AND recipient = ? AND pull_id = '' RETURNING "
                      + ITEM_COLUMNS)) {
            take.setString(1, pullId);
            take.setString(2, inbox);
            take.setString(3, recipient);
            try (ResultSet rs = take.executeQuery()) {
              while (rs.next()) {
                items.add(item(rs));
              }
            }
          }
          markPulled(c, inbox, recipient, nowMs);
          if (items.isEmpty()) {
            return new InboxPull(recipient, List.of(), now);
          }
          try (PreparedStatement insert =
              c.prepareStatement(
                  "INSERT INTO inbox_pull (name, pull_id, recipient, pulled_ms, until_ms, items) VALUES (?, ?, ?, ?, ?, ?)")) {
            insert.setString(1, inbox);
            insert.setString(2, pullId);
            insert.setString(3, recipient);
            insert.setLong(4, nowMs);
            insert.setLong(5, until.toEpochMilli());
            insert.setInt(6, items.size());
            insert.executeUpdate();
          }
          return new InboxPull(
              recipient, ordered(items), now, Optional.of(pullId), Optional.of(until));
        });
  }

  /**
   * Makes a reservation's items pending again, merged with changes of the same items that arrived
   * meanwhile, as if they had never been taken; they arrive again {@code now} for the stale
   * monitor, which counts from when an item was last there to be pulled. The inbox row must be
   * locked.
   */
  private static void release(
      Connection c, String inbox, String recipient, String pullId, long nowMs) throws SQLException {
    try (PreparedStatement merge =
        c.prepareStatement(
            "WITH r AS (DELETE FROM inbox_item WHERE name = ? AND recipient = ? AND pull_id = ? "
                + "RETURNING item_key, changes, first_ms, last_ms, data) "
                + "INSERT INTO inbox_item AS i (name, recipient, pull_id, item_key, changes, first_ms, last_ms, arrived_ms, data) "
                + "SELECT ?, ?, '', item_key, changes, first_ms, last_ms, ?, data FROM r"
                + MERGE
                // what arrived meanwhile was added later: it wins a tie
                + "data = CASE WHEN excluded.last_ms > i.last_ms THEN excluded.data ELSE i.data END")) {
      merge.setString(1, inbox);
      merge.setString(2, recipient);
      merge.setString(3, pullId);
      merge.setString(4, inbox);
      merge.setString(5, recipient);
      merge.setLong(6, nowMs);
      merge.executeUpdate();
    }
    try (PreparedStatement delete =
        c.prepareStatement("DELETE FROM inbox_pull WHERE name = ? AND pull_id = ?")) {
      delete.setString(1, inbox);
      delete.setString(2, pullId);
      delete.executeUpdate();
    }
    try (PreparedStatement oldest =
        c.prepareStatement(
            "UPDATE inbox SET oldest_ms = (SELECT MIN(arrived_ms) FROM inbox_item "
                + "WHERE name = ? AND recipient = ? AND pull_id = '') WHERE name = ? AND recipient = ?")) {
      oldest.setString(1, inbox);
      oldest.setString(2, recipient);
      oldest.setString(3, inbox);
      oldest.setString(4, recipient);
      oldest.executeUpdate();
    }
  }

  @Override
  public Acknowledgement acknowledge(String inbox, String recipient, String pullId, Instant now) {
    return db.transact(
        c -> {
          if (!lockInbox(c, inbox, recipient)) {
            return Acknowledgement.UNKNOWN;
          }
          long untilMs;
          try (PreparedStatement select =
              c.prepareStatement(
                  "SELECT until_ms FROM inbox_pull WHERE name = ? AND pull_id = ? AND recipient = ?")) {
            select.setString(1, inbox);
            select.setString(2, pullId);
            select.setString(3, recipient);
            try (ResultSet rs = select.executeQuery()) {
              if (!rs.next()) {
                return Acknowledgement.UNKNOWN;
              }
              untilMs = rs.getLong(1);
            }
          }
          if (untilMs <= now.toEpochMilli()) {
            release(c, inbox, recipient, pullId, now.toEpochMilli());
            return Acknowledgement.EXPIRED;
          }
          try (PreparedStatement items =
                  c.prepareStatement(
                      "DELETE FROM inbox_item WHERE name = ? AND recipient = ? AND pull_id = ?");
              PreparedStatement pull =
                  c.prepareStatement("DELETE FROM inbox_pull WHERE name = ? AND pull_id = ?")) {
            items.setString(1, inbox);
            items.setString(2, recipient);
            items.setString(3, pullId);
            items.executeUpdate();
            pull.setString(1, inbox);
            pull.setString(2, pullId);
            pull.executeUpdate();
          }
          return Acknowledgement.ACKNOWLEDGED;
        });
  }

  @Override
  public int releaseExpired(String inbox, Instant now, int limit) {
    long nowMs = now.toEpochMilli();
    return db.transact(
        c -> {
          // candidates first, then each recipient locked in recipient order and its pull checked
          // again: another process may have released or acknowledged it meanwhile
          TreeMap<String, List<String>> byRecipient = new TreeMap<>();
          try (PreparedStatement select =
              c.prepareStatement(
                  "SELECT recipient, pull_id FROM inbox_pull WHERE name = ? AND until_ms <= ? ORDER BY until_ms LIMIT ?")) {
            select.setString(1, inbox);
            select.setLong(2, nowMs);
            select.setInt(3, limit);
            try (ResultSet rs = select.executeQuery()) {
              while (rs.next()) {
                byRecipient
                    .computeIfAbsent(rs.getString(1), r -> new ArrayList<>())
                    .add(rs.getString(2));
              }
            }
          }
          int released = 0;
          for (Map.Entry<String, List<String>> entry : byRecipient.entrySet()) {
            String recipient = entry.getKey();
            if (!lockInbox(c, inbox, recipient)) {
              continue;
            }
            for (String pullId : entry.getValue()) {
              try (PreparedStatement still =
                  c.prepareStatement(
                      "SELECT 1 FROM inbox_pull WHERE name = ? AND pull_id = ? AND until_ms <= ?")) {
                still.setString(1, inbox);
                still.setString(2, pullId);
                still.setLong(3, nowMs);
                try (ResultSet rs = still.executeQuery()) {
                  if (!rs.next()) {
                    continue;
                  }
                }
              }
              release(c, inbox, recipient, pullId, nowMs);
              released++;
            }
          }
          return released;
        });
  }

  @Override
  public boolean clean(String inbox, String recipient) {
    return db.transact(
        c -> {
          if (!lockInbox(c, inbox, recipient)) {
            return false;
          }
          for (String sql :
              List.of(
                  "DELETE FROM inbox_item WHERE name = ? AND recipient = ?",
                  "DELETE FROM inbox_pull WHERE name = ? AND recipient = ?",
                  "DELETE FROM inbox WHERE name = ? AND recipient = ?")) {
            try (PreparedStatement delete = c.prepareStatement(sql)) {
              delete.setString(1, inbox);
              delete.setString(2, recipient);
              delete.executeUpdate();
            }
          }
          return true;
        });
  }

  private static final String SUMMARY =
      "SELECT b.recipient, (SELECT COUNT(*) FROM inbox_item i WHERE i.name = b.name AND i.recipient = b.recipient AND i.pull_id = ''), "
          + "b.oldest_ms, b.last_pulled_ms FROM inbox b ";

  private static List<InboxSummary> summaries(PreparedStatement select) throws SQLException {
    List<InboxSummary> summaries = new ArrayList<>();
    try (ResultSet rs = select.executeQuery()) {
      while (rs.next()) {
        String recipient = rs.getString(1);
        long pending = rs.getLong(2);
        long oldest = rs.getLong(3);
        Optional<Instant> oldestAt =
            rs.wasNull() ? Optional.empty() : Optional.of(Instant.ofEpochMilli(oldest));
        long pulled = rs.getLong(4);
        Optional<Instant> pulledAt =
            rs.wasNull() ? Optional.empty() : Optional.of(Instant.ofEpochMilli(pulled));
        summaries.add(new InboxSummary(recipient, pending, oldestAt, pulledAt));
      }
    }
    return summaries;
  }

  @Override
  public Optional<InboxSummary> summary(String inbox, String recipient) {
    return db.transact(
        c -> {
          try (PreparedStatement select =
              c.prepareStatement(SUMMARY + "WHERE b.name = ? AND b.recipient = ?")) {
            select.setString(1, inbox);
            select.setString(2, recipient);
            return summaries(select).stream().findFirst();
          }
        });
  }

  @Override
  public List<InboxSummary> list(String inbox, String afterRecipient, int limit) {
    return db.transact(
        c -> {
          try (PreparedStatement select =
              c.prepareStatement(
                  SUMMARY + "WHERE b.name = ? AND b.recipient > ? ORDER BY b.recipient LIMIT ?")) {
            select.setString(1, inbox);
            select.setString(2, afterRecipient);
            select.setInt(3, limit);
            return summaries(select);
          }
        });
  }

  @Override
  public List<InboxSummary> stale(String inbox, Instant pendingSince, int limit) {
    return db.transact(
        c -> {
          try (PreparedStatement select =
              c.prepareStatement(
                  SUMMARY
                      + "WHERE b.name = ? AND b.oldest_ms IS NOT NULL AND b.oldest_ms <= ? "
                      + "ORDER BY b.oldest_ms, b.recipient LIMIT ?")) {
            select.setString(1, inbox);
            select.setLong(2, pendingSince.toEpochMilli());
            select.setInt(3, limit);
            return summaries(select);
          }
        });
  }

  @Override
  public List<String> staleRecipients(String inbox, Instant pendingSince, int limit) {
    return db.transact(
        c -> {
          try (PreparedStatement select =
              c.prepareStatement(
                  "SELECT recipient FROM inbox WHERE name = ? AND oldest_ms IS NOT NULL AND oldest_ms <= ? LIMIT ?")) {
            select.setString(1, inbox);
            select.setLong(2, pendingSince.toEpochMilli());
            select.setInt(3, limit);
            List<String> recipients = new ArrayList<>();
            try (ResultSet rs = select.executeQuery()) {
              while (rs.next()) {
                recipients.add(rs.getString(1));
              }
            }
            return recipients;
          }
        });
  }

  @Override
  public InboxStats stats(String inbox) {
    return db.transact(
        c -> {
          try (PreparedStatement select =
              c.prepareStatement(
                  "SELECT (SELECT COUNT(*) FROM inbox WHERE name = ? AND oldest_ms IS NOT NULL), "
                      + "(SELECT MIN(oldest_ms) FROM inbox WHERE name = ? AND oldest_ms IS NOT NULL), "
                      + "COUNT(*) FILTER (WHERE pull_id = ''), COUNT(*) FILTER (WHERE pull_id <> '') "
                      + "FROM inbox_item WHERE name = ?")) {
            select.setString(1, inbox);
            select.setString(2, inbox);
            select.setString(3, inbox);
            try (ResultSet rs = select.executeQuery()) {
              rs.next();
              long inboxes = rs.getLong(1);
              long oldest = rs.getLong(2);
              Optional<Instant> oldestAt =
                  rs.wasNull() ? Optional.empty() : Optional.of(Instant.ofEpochMilli(oldest));
              return new InboxStats(inboxes, rs.getLong(3), oldestAt, rs.getLong(4));
            }
          }
        });
  }
}
