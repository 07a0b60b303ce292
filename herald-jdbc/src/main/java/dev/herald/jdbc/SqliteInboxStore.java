package dev.herald.jdbc;

import dev.herald.inbox.InboxDelivery;
import dev.herald.inbox.InboxItem;
import dev.herald.inbox.InboxPull;
import dev.herald.inbox.InboxRule;
import dev.herald.inbox.InboxStats;
import dev.herald.inbox.InboxStore;
import dev.herald.inbox.InboxSummary;
import dev.herald.json.Json;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * {@link InboxStore} in a {@link SqliteDatabase}. Every change runs on the database's single
 * writer in one transaction, which is what makes a pull atomic against concurrent adds.
 *
 * <p>Thread-safety: safe for concurrent use.
 */
public final class SqliteInboxStore implements InboxStore {

  private static final String SUMMARY_COLUMNS = "recipient, pending, oldest_ms, last_pulled_ms";

  private final SqliteDatabase db;

  public SqliteInboxStore(SqliteDatabase db) {
    this.db = Objects.requireNonNull(db, "db");
  }

  /** The deliveries of one batch to one item, merged before they touch the table. */
  private static final class Change {
    final String recipient;
    final String key;
    String data;
    int changes;
    long firstMs;
    long lastMs;

    Change(String recipient, String key) {
      this.recipient = recipient;
      this.key = key;
    }

    void merge(InboxDelivery delivery, String text) {
      long t = delivery.time().toEpochMilli();
      if (changes == 0 || t >= lastMs) {
        data = text;
      }
      firstMs = changes == 0 ? t : Math.min(firstMs, t);
      lastMs = changes == 0 ? t : Math.max(lastMs, t);
      changes++;
    }
  }

  @Override
  public int add(InboxRule rule, List<InboxDelivery> deliveries, Instant now) {
    if (deliveries.isEmpty()) {
      return 0;
    }
    long nowMs = now.toEpochMilli();
    // written here, on the caller's thread: the writer thread is the one every write waits for
    List<String> texts = deliveries.stream().map(d -> Json.write(d.data())).toList();
    return db.write(session -> {
      PreparedStatement forget = session.prepare("DELETE FROM inbox_seen WHERE name = ? AND at_ms < ?");
      forget.setString(1, rule.name());
      forget.setLong(2, nowMs - rule.dedupeWindow().toMillis());
      forget.executeUpdate();

      PreparedStatement remember = session.prepare("INSERT INTO inbox_seen (name, dedupe_id, at_ms) VALUES (?, ?, ?) ON CONFLICT DO NOTHING");
      Map<String, Change> changes = new LinkedHashMap<>();
      int added = 0;
      for (int i = 0; i < deliveries.size(); i++) {
        InboxDelivery delivery = deliveries.get(i);
        remember.setString(1, rule.name());
        remember.setString(2, delivery.dedupeId());
        remember.setLong(3, nowMs);
        if (remember.executeUpdate() == 0) {
          continue;
        }
        added++;
        changes.computeIfAbsent(delivery.recipient() + "\0" + delivery.itemKey(), k -> new Change(delivery.recipient(), delivery.itemKey()))
            .merge(delivery, texts.get(i));
      }

      PreparedStatement upsert = session.prepare(
          "INSERT INTO inbox_item (name, recipient, item_key, data, change_count, first_ms, last_ms) VALUES (?, ?, ?, ?, ?, ?, ?) "
              + "ON CONFLICT (name, recipient, item_key) DO UPDATE SET "
              + "data = CASE WHEN excluded.last_ms >= inbox_item.last_ms THEN excluded.data ELSE inbox_item.data END, "
              + "change_count = inbox_item.change_count + excluded.change_count, "
              + "first_ms = MIN(inbox_item.first_ms, excluded.first_ms), last_ms = MAX(inbox_item.last_ms, excluded.last_ms) "
              + "RETURNING change_count");
      Map<String, Integer> newItems = new LinkedHashMap<>();
      for (Change change : changes.values()) {
        upsert.setString(1, rule.name());
        upsert.setString(2, change.recipient);
        upsert.setString(3, change.key);
        upsert.setString(4, change.data);
        upsert.setInt(5, change.changes);
        upsert.setLong(6, change.firstMs);
        upsert.setLong(7, change.lastMs);
        try (ResultSet rs = upsert.executeQuery()) {
          rs.next();
          boolean inserted = rs.getInt(1) == change.changes;
          newItems.merge(change.recipient, inserted ? 1 : 0, Integer::sum);
        }
      }

      PreparedStatement inbox = session.prepare(
          "INSERT INTO inbox (name, recipient, pending, oldest_ms, last_pulled_ms) VALUES (?, ?, ?, ?, NULL) "
              + "ON CONFLICT (name, recipient) DO UPDATE SET pending = inbox.pending + excluded.pending, "
              + "oldest_ms = COALESCE(inbox.oldest_ms, excluded.oldest_ms) RETURNING pending");
      long inboxes = 0;
      long pending = 0;
      for (Map.Entry<String, Integer> recipient : newItems.entrySet()) {
        int fresh = recipient.getValue();
        if (fresh == 0) {
          continue; // only changes of pending items: the inbox row already counts them
        }
        inbox.setString(1, rule.name());
        inbox.setString(2, recipient.getKey());
        inbox.setInt(3, fresh);
        inbox.setLong(4, nowMs);
        try (ResultSet rs = inbox.executeQuery()) {
          rs.next();
          if (rs.getLong(1) == fresh) {
            inboxes++;
          }
        }
        pending += fresh;
      }
      addToTotals(session, rule.name(), inboxes, pending);
      return added;
    });
  }

  private static void addToTotals(SqlSession session, String name, long inboxes, long pending) throws SQLException {
    if (inboxes == 0 && pending == 0) {
      return;
    }
    PreparedStatement totals = session.prepare(
        "INSERT INTO inbox_total (name, inboxes, pending) VALUES (?, ?, ?) "
            + "ON CONFLICT (name) DO UPDATE SET inboxes = inbox_total.inboxes + excluded.inboxes, pending = inbox_total.pending + excluded.pending");
    totals.setString(1, name);
    totals.setLong(2, inboxes);
    totals.setLong(3, pending);
    totals.executeUpdate();
  }

  private static List<InboxItem> items(SqlSession session, String inbox, String recipient) throws SQLException {
    PreparedStatement select = session.prepare(
        "SELECT item_key, data, change_count, first_ms, last_ms FROM inbox_item WHERE name = ? AND recipient = ? ORDER BY first_ms, item_key");
    select.setString(1, inbox);
    select.setString(2, recipient);
    List<InboxItem> items = new ArrayList<>();
    try (ResultSet rs = select.executeQuery()) {
      while (rs.next()) {
        items.add(new InboxItem(rs.getString(1), Json.parseTrustedObject(rs.getString(2)), rs.getInt(3),
            Instant.ofEpochMilli(rs.getLong(4)), Instant.ofEpochMilli(rs.getLong(5))));
      }
    }
    return items;
  }

  @Override
  public List<InboxItem> peek(String inbox, String recipient) {
    return db.read(session -> items(session, inbox, recipient));
  }

  @Override
  public InboxPull pull(String inbox, String recipient, Instant now) {
    return db.write(session -> {
      Optional<InboxSummary> before = summary(session, inbox, recipient);
      if (before.isEmpty()) {
        return new InboxPull(recipient, List.of(), now);
      }
      List<InboxItem> items = items(session, inbox, recipient);
      deleteItems(session, inbox, recipient);
      PreparedStatement pulled = session.prepare(
          "UPDATE inbox SET pending = 0, oldest_ms = NULL, last_pulled_ms = ? WHERE name = ? AND recipient = ?");
      pulled.setLong(1, now.toEpochMilli());
      pulled.setString(2, inbox);
      pulled.setString(3, recipient);
      pulled.executeUpdate();
      addToTotals(session, inbox, items.isEmpty() ? 0 : -1, -items.size());
      return new InboxPull(recipient, items, now);
    });
  }

  private static void deleteItems(SqlSession session, String inbox, String recipient) throws SQLException {
    PreparedStatement delete = session.prepare("DELETE FROM inbox_item WHERE name = ? AND recipient = ?");
    delete.setString(1, inbox);
    delete.setString(2, recipient);
    delete.executeUpdate();
  }

  @Override
  public boolean clean(String inbox, String recipient) {
    return db.write(session -> {
      Optional<InboxSummary> before = summary(session, inbox, recipient);
      if (before.isEmpty()) {
        return false;
      }
      deleteItems(session, inbox, recipient);
      PreparedStatement delete = session.prepare("DELETE FROM inbox WHERE name = ? AND recipient = ?");
      delete.setString(1, inbox);
      delete.setString(2, recipient);
      delete.executeUpdate();
      long pending = before.get().pending();
      addToTotals(session, inbox, pending > 0 ? -1 : 0, -pending);
      return true;
    });
  }

  private static InboxSummary summary(ResultSet rs) throws SQLException {
    long oldest = rs.getLong(3);
    Optional<Instant> oldestAt = rs.wasNull() ? Optional.empty() : Optional.of(Instant.ofEpochMilli(oldest));
    long pulled = rs.getLong(4);
    Optional<Instant> pulledAt = rs.wasNull() ? Optional.empty() : Optional.of(Instant.ofEpochMilli(pulled));
    return new InboxSummary(rs.getString(1), rs.getLong(2), oldestAt, pulledAt);
  }

  private static Optional<InboxSummary> summary(SqlSession session, String inbox, String recipient) throws SQLException {
    PreparedStatement select = session.prepare("SELECT " + SUMMARY_COLUMNS + " FROM inbox WHERE name = ? AND recipient = ?");
    select.setString(1, inbox);
    select.setString(2, recipient);
    try (ResultSet rs = select.executeQuery()) {
      return rs.next() ? Optional.of(summary(rs)) : Optional.empty();
    }
  }

  @Override
  public Optional<InboxSummary> summary(String inbox, String recipient) {
    return db.read(session -> summary(session, inbox, recipient));
  }

  @Override
  public List<InboxSummary> list(String inbox, String afterRecipient, int limit) {
    return db.read(session -> {
      PreparedStatement select = session.prepare(
          "SELECT " + SUMMARY_COLUMNS + " FROM inbox WHERE name = ? AND recipient > ? ORDER BY recipient LIMIT ?");
      select.setString(1, inbox);
      select.setString(2, afterRecipient);
      select.setInt(3, limit);
      return summaries(select);
    });
  }

  private static List<InboxSummary> summaries(PreparedStatement select) throws SQLException {
    List<InboxSummary> list = new ArrayList<>();
    try (ResultSet rs = select.executeQuery()) {
      while (rs.next()) {
        list.add(summary(rs));
      }
    }
    return list;
  }

  @Override
  public List<InboxSummary> stale(String inbox, Instant pendingSince, int limit) {
    return db.read(session -> {
      PreparedStatement select = session.prepare(
          "SELECT " + SUMMARY_COLUMNS + " FROM inbox INDEXED BY inbox_oldest WHERE name = ? AND oldest_ms IS NOT NULL AND oldest_ms <= ? "
              + "ORDER BY oldest_ms, recipient LIMIT ?");
      select.setString(1, inbox);
      select.setLong(2, pendingSince.toEpochMilli());
      select.setInt(3, limit);
      return summaries(select);
    });
  }

  @Override
  public List<String> staleRecipients(String inbox, Instant pendingSince, int limit) {
    return db.read(session -> {
      // answered from the index alone (it holds the recipient, the table's key), longest waiting first
      PreparedStatement select = session.prepare(
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
    return db.read(session -> {
      PreparedStatement totals = session.prepare("SELECT inboxes, pending FROM inbox_total WHERE name = ?");
      totals.setString(1, inbox);
      long inboxes = 0;
      long pending = 0;
      try (ResultSet rs = totals.executeQuery()) {
        if (rs.next()) {
          inboxes = rs.getLong(1);
          pending = rs.getLong(2);
        }
      }
      PreparedStatement oldest = session.prepare(
          "SELECT MIN(oldest_ms) FROM inbox INDEXED BY inbox_oldest WHERE name = ? AND oldest_ms IS NOT NULL");
      oldest.setString(1, inbox);
      try (ResultSet rs = oldest.executeQuery()) {
        rs.next();
        long ms = rs.getLong(1);
        return new InboxStats(inboxes, pending, rs.wasNull() ? Optional.empty() : Optional.of(Instant.ofEpochMilli(ms)));
      }
    });
  }
}
