package dev.herald.sqlite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.inbox.InboxDelivery;
import dev.herald.inbox.InboxItem;
import dev.herald.inbox.InboxRule;
import dev.herald.inbox.InboxStats;
import dev.herald.inbox.InboxStoreContract;
import dev.herald.inbox.InboxSummary;
import dev.herald.json.Json;
import dev.herald.store.Backend;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SqliteInboxStoreTest extends InboxStoreContract {

  @TempDir Path data;
  // the contract opens a backend on data before each test; these tests own another folder
  @TempDir Path own;

  private static final InboxRule REVIEWS =
      InboxRule.of("reviews", "reviews.by-user", "recipient", "review_id", Duration.ofSeconds(20));
  private static final Instant NOON = Instant.parse("2022-06-28T12:00:00Z");

  @Override
  public Backend openBackend(InstantSource clock) {
    return new SqliteBackend(data, SqliteDatabase.Sync.NORMAL, clock);
  }

  private static InboxDelivery change(
      String dedupe, String recipient, String review, String action, Instant time) {
    ObjectNode event =
        Json.object().put("review_id", review).put("action", action).put("recipient", recipient);
    return new InboxDelivery(dedupe, recipient, review, time, event);
  }

  @Test
  void countsDistinctPendingItemsAgainAfterARestart() {
    try (SqliteBackend backend =
        new SqliteBackend(own, SqliteDatabase.Sync.NORMAL, InstantSource.system())) {
      backend
          .inboxes()
          .add(
              REVIEWS,
              List.of(
                  change("a", "1", "r7", "created", NOON), change("b", "1", "r8", "created", NOON)),
              NOON);
      backend
          .inboxes()
          .add(
              REVIEWS,
              List.of(
                  change("c", "1", "r7", "updated", NOON.plusSeconds(1)),
                  change("d", "2", "r7", "created", NOON)),
              NOON.plusSeconds(1));
    }
    try (SqliteBackend backend =
        new SqliteBackend(own, SqliteDatabase.Sync.NORMAL, InstantSource.system())) {
      assertThat(backend.inboxes().summary("reviews", "1").orElseThrow().pending()).isEqualTo(2);
      assertThat(backend.inboxes().stats("reviews"))
          .isEqualTo(new InboxStats(2, 3, Optional.of(NOON)));
      List<InboxItem> items = backend.inboxes().pull("reviews", "1", NOON.plusSeconds(5)).items();
      assertThat(items)
          .extracting(InboxItem::key, InboxItem::changes)
          .containsExactly(
              org.assertj.core.groups.Tuple.tuple("r7", 2),
              org.assertj.core.groups.Tuple.tuple("r8", 1));
      assertThat(items.getFirst().data().get("action").asText()).isEqualTo("updated");
      backend
          .inboxes()
          .add(REVIEWS, List.of(change("e", "1", "r9", "created", NOON)), NOON.plusSeconds(6));
      assertThat(backend.inboxes().peek("reviews", "1"))
          .extracting(InboxItem::key)
          .containsExactly("r9");
    }
  }

  /**
   * A group commit that fails runs again write by write; the in-memory index must end as the table.
   */
  @Test
  void keepsItsIndexInStepWithTheTableWhenAGroupCommitIsRolledBack() throws Exception {
    try (SqliteBackend backend =
        new SqliteBackend(own, SqliteDatabase.Sync.NORMAL, InstantSource.system())) {
      SqliteDatabase db = backend.database();
      backend.inboxes().add(REVIEWS, List.of(change("a", "1", "r1", "created", NOON)), NOON);
      ExecutorService pool = Executors.newFixedThreadPool(4);
      try {
        HeldWriter writer = new HeldWriter(db, pool);
        Future<Integer> add =
            pool.submit(
                () ->
                    backend
                        .inboxes()
                        .add(REVIEWS, List.of(change("b", "1", "r2", "created", NOON)), NOON));
        writer.awaitQueued(1);
        Future<?> pull = pool.submit(() -> backend.inboxes().pull("reviews", "2", NOON));
        writer.awaitQueued(2);
        Future<?> failing =
            pool.submit(
                () ->
                    db.write(
                        session -> {
                          throw new IllegalStateException("this write fails");
                        }));
        writer.awaitQueued(3);
        writer.release();

        assertThat(add.get()).isEqualTo(1);
        pull.get();
        assertThatThrownBy(failing::get).hasRootCauseMessage("this write fails");
      } finally {
        pool.shutdownNow();
      }
      assertThat(backend.inboxes().peek("reviews", "1"))
          .extracting(InboxItem::key)
          .containsExactly("r1", "r2");
      assertThat(backend.inboxes().summary("reviews", "1").orElseThrow().pending()).isEqualTo(2);
      assertThat(backend.inboxes().stats("reviews").pendingItems()).isEqualTo(2);
      assertThat(backend.inboxes().pull("reviews", "1", NOON).items()).hasSize(2);
      assertThat(backend.inboxes().peek("reviews", "1")).isEmpty();
    }
  }

  @Test
  void migratesTheInboxesOfSchemaThree() throws SQLException {
    long noon = NOON.toEpochMilli();
    // a file as schema 3 left it: an upserted row per recipient and item, and running totals
    try (Connection old = DriverManager.getConnection("jdbc:sqlite:" + own.resolve("herald.db"));
        Statement sql = old.createStatement()) {
      sql.execute(
          "CREATE TABLE herald_event (stream_id INTEGER NOT NULL, id INTEGER NOT NULL, time_ms INTEGER NOT NULL, "
              + "data TEXT NOT NULL, PRIMARY KEY (stream_id, id)) WITHOUT ROWID");
      sql.execute(
          "CREATE TABLE inbox (name TEXT NOT NULL, recipient TEXT NOT NULL, pending INTEGER NOT NULL, oldest_ms INTEGER, "
              + "last_pulled_ms INTEGER, PRIMARY KEY (name, recipient)) WITHOUT ROWID");
      sql.execute(
          "CREATE INDEX inbox_oldest ON inbox (name, oldest_ms) WHERE oldest_ms IS NOT NULL");
      sql.execute(
          "CREATE TABLE inbox_item (name TEXT NOT NULL, recipient TEXT NOT NULL, item_key TEXT NOT NULL, data TEXT NOT NULL, "
              + "change_count INTEGER NOT NULL, first_ms INTEGER NOT NULL, last_ms INTEGER NOT NULL, PRIMARY KEY (name, recipient, item_key)) WITHOUT ROWID");
      sql.execute(
          "CREATE TABLE inbox_total (name TEXT PRIMARY KEY, inboxes INTEGER NOT NULL, pending INTEGER NOT NULL) WITHOUT ROWID");
      sql.execute(
          "INSERT INTO inbox VALUES ('reviews', '1', 2, "
              + noon
              + ", NULL), ('reviews', '2', 0, NULL, "
              + (noon + 5)
              + ")");
      sql.execute(
          "INSERT INTO inbox_item VALUES ('reviews', '1', 'r7', '{\"review_id\":\"r7\",\"action\":\"updated\"}', 3, "
              + noon
              + ", "
              + (noon + 2000)
              + "), ('reviews', '1', 'r8', '{\"review_id\":\"r8\"}', 1, "
              + (noon + 1000)
              + ", "
              + (noon + 1000)
              + ")");
      sql.execute("INSERT INTO inbox_total VALUES ('reviews', 1, 2)");
      sql.execute("PRAGMA user_version = 3");
    }

    try (SqliteBackend backend =
        new SqliteBackend(own, SqliteDatabase.Sync.NORMAL, InstantSource.system())) {
      assertThat(backend.inboxes().stats("reviews"))
          .isEqualTo(new InboxStats(1, 2, Optional.of(NOON)));
      assertThat(backend.inboxes().summary("reviews", "2").orElseThrow())
          .isEqualTo(new InboxSummary("2", 0, Optional.empty(), Optional.of(NOON.plusMillis(5))));
      assertThat(backend.inboxes().staleRecipients("reviews", NOON, 10)).containsExactly("1");
      backend
          .inboxes()
          .add(
              REVIEWS,
              List.of(change("x", "1", "r7", "deleted", NOON.plusSeconds(3))),
              NOON.plusSeconds(3));

      List<InboxItem> items = backend.inboxes().pull("reviews", "1", NOON.plusSeconds(4)).items();
      assertThat(items)
          .extracting(InboxItem::key, InboxItem::changes, InboxItem::firstAt, InboxItem::lastAt)
          .containsExactly(
              org.assertj.core.groups.Tuple.tuple("r7", 4, NOON, NOON.plusSeconds(3)),
              org.assertj.core.groups.Tuple.tuple(
                  "r8", 1, NOON.plusSeconds(1), NOON.plusSeconds(1)));
      assertThat(items.getFirst().data().get("action").asText()).isEqualTo("deleted");
      assertThat(tables(backend))
          .contains("inbox", "inbox_entry")
          .doesNotContain("inbox_item", "inbox_total", "inbox_schema3");
    }
  }

  private static List<String> tables(SqliteBackend backend) {
    return backend
        .database()
        .read(
            session -> {
              List<String> names = new java.util.ArrayList<>();
              try (var rs =
                  session
                      .prepare("SELECT name FROM sqlite_master WHERE type = 'table'")
                      .executeQuery()) {
                while (rs.next()) {
                  names.add(rs.getString(1));
                }
              }
              return names;
            });
  }
}
