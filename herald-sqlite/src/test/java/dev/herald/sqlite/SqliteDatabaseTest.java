package dev.herald.sqlite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.TextNode;
import dev.herald.digest.DigestItem;
import dev.herald.digest.DigestRule;
import dev.herald.jdbc.SqlSession;
import dev.herald.json.Json;
import dev.herald.log.StoreUnavailableException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SqliteDatabaseTest {

  @TempDir Path data;

  @Test
  void shouldRefuseASecondOwnerOfTheDataFolder() {
    try (SqliteBackend first =
        new SqliteBackend(data, SqliteDatabase.Sync.NORMAL, InstantSource.system())) {
      assertThatThrownBy(
              () -> new SqliteBackend(data, SqliteDatabase.Sync.NORMAL, InstantSource.system()))
          .isInstanceOf(StoreUnavailableException.class)
          .hasMessageContaining("is in use by another Herald process");
      assertThat(first.ready()).isTrue();
    }
    try (SqliteBackend again =
        new SqliteBackend(data, SqliteDatabase.Sync.NORMAL, InstantSource.system())) {
      assertThat(again.ready()).as("the folder is free once the owner closed").isTrue();
    }
  }

  @Test
  void shouldMigrateSchemaOneTurningEveryTakenEventIntoRunsOfIds() throws SQLException {
    // a file as the first version left it: digest_seen held a row per event a rule took
    try (Connection old = DriverManager.getConnection("jdbc:sqlite:" + data.resolve("herald.db"));
        Statement sql = old.createStatement()) {
      createEventTable(sql);
      sql.execute(
          "CREATE TABLE digest_seen (rule TEXT NOT NULL, event_id TEXT NOT NULL, PRIMARY KEY (rule, event_id)) WITHOUT ROWID");
      for (String id : List.of("1", "2", "3", "10", "9", "11", "20")) {
        sql.execute("INSERT INTO digest_seen VALUES ('seller-scans', '" + id + "')");
      }
      sql.execute("INSERT INTO digest_seen VALUES ('other', '5')");
      sql.execute("PRAGMA user_version = 1");
    }

    try (SqliteBackend backend =
        new SqliteBackend(data, SqliteDatabase.Sync.NORMAL, InstantSource.system())) {
      assertThat(runs(backend))
          .containsExactly(
              "other 5-5", "seller-scans 1-3", "seller-scans 9-11", "seller-scans 20-20");
      int seenTables =
          backend
              .database()
              .read(
                  session -> {
                    try (ResultSet rs =
                        session
                            .prepare(
                                "SELECT COUNT(*) FROM sqlite_master WHERE name = 'digest_seen'")
                            .executeQuery()) {
                      rs.next();
                      return rs.getInt(1);
                    }
                  });
      assertThat(seenTables).as("digest_seen dropped").isZero();

      DigestRule rule =
          DigestRule.of("seller-scans", "scans", "seller_id", "package_id", Duration.ofHours(1));
      Instant noon = Instant.parse("2022-06-28T12:00:00Z");
      List<DigestItem> items = new ArrayList<>();
      for (String id : List.of("2", "10", "12", "20", "4")) {
        items.add(new DigestItem(id, Long.parseLong(id), "10", noon, TextNode.valueOf("p" + id)));
      }
      backend.digests().add(rule, items, noon);
      assertThat(backend.digests().openBucket("seller-scans", "10").orElseThrow().count())
          .as("only 12 and 4 were new")
          .isEqualTo(2);
      assertThat(runs(backend))
          .as("the lowest new run extends the run just before it")
          .containsExactly(
              "other 5-5",
              "seller-scans 1-4",
              "seller-scans 9-11",
              "seller-scans 12-12",
              "seller-scans 20-20");
    }
  }

  @Test
  void shouldMigrateSchemaTwoPlacingEveryOpenBucketInTheWakeIndexAtItsDeadline()
      throws SQLException {
    // a file as schema 2 left it: the closer's index was on due_ms
    try (Connection old = DriverManager.getConnection("jdbc:sqlite:" + data.resolve("herald.db"));
        Statement sql = old.createStatement()) {
      createEventTable(sql);
      sql.execute(
          "CREATE TABLE digest_bucket (id INTEGER PRIMARY KEY, rule TEXT NOT NULL, key TEXT NOT NULL, open_event TEXT NOT NULL, "
              + "first_ms INTEGER NOT NULL, last_ms INTEGER NOT NULL, due_ms INTEGER NOT NULL, count INTEGER NOT NULL, items TEXT NOT NULL)");
      sql.execute("CREATE UNIQUE INDEX digest_bucket_key ON digest_bucket (rule, key)");
      sql.execute("CREATE INDEX digest_bucket_due ON digest_bucket (rule, due_ms)");
      long noon = Instant.parse("2022-06-28T12:00:00Z").toEpochMilli();
      sql.execute(
          "INSERT INTO digest_bucket VALUES (1, 'seller-scans', '10', '1', "
              + noon
              + ", "
              + noon
              + ", "
              + (noon + 3_600_000)
              + ", 1, '"
              + noon
              + " \"AAAAAA\"\n')");
      sql.execute("PRAGMA user_version = 2");
    }

    try (SqliteBackend backend =
        new SqliteBackend(data, SqliteDatabase.Sync.NORMAL, InstantSource.system())) {
      int version =
          backend
              .database()
              .read(
                  session -> {
                    try (ResultSet rs = session.prepare("PRAGMA user_version").executeQuery()) {
                      rs.next();
                      return rs.getInt(1);
                    }
                  });
      assertThat(version).isEqualTo(SqliteSchema.VERSION);
      List<String> indexes =
          backend
              .database()
              .read(
                  session -> {
                    List<String> names = new ArrayList<>();
                    try (ResultSet rs =
                        session
                            .prepare(
                                "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'digest_bucket' ORDER BY name")
                            .executeQuery()) {
                      while (rs.next()) {
                        names.add(rs.getString(1));
                      }
                    }
                    return names;
                  });
      assertThat(indexes).containsExactly("digest_bucket_key", "digest_bucket_wake");

      DigestRule rule =
          DigestRule.of("seller-scans", "scans", "seller_id", "package_id", Duration.ofHours(1));
      Instant noon = Instant.parse("2022-06-28T12:00:00Z");
      assertThat(backend.digests().nextCloseCheck("seller-scans"))
          .contains(noon.plus(Duration.ofHours(1)));
      assertThat(backend.digests().closeDue(rule, noon.plus(Duration.ofMinutes(59)), 10)).isEmpty();
      assertThat(backend.digests().closeDue(rule, noon.plus(Duration.ofHours(1)), 10))
          .singleElement()
          .satisfies(
              n ->
                  assertThat(n.items())
                      .extracting(item -> item.asText())
                      .containsExactly("AAAAAA"));
    }
  }

  @Test
  void shouldFailOnlyTheFailingWriteOfAGroupAndKeepTheOthers() throws Exception {
    try (SqliteBackend backend =
        new SqliteBackend(data, SqliteDatabase.Sync.NORMAL, InstantSource.system())) {
      SqliteDatabase db = backend.database();
      db.write(session -> session.prepare("CREATE TABLE t (v TEXT NOT NULL)").executeUpdate());
      ExecutorService pool = Executors.newFixedThreadPool(4);
      try {
        // hold the writer so that the next three writes queue up and commit as one group
        HeldWriter writer = new HeldWriter(db, pool);
        // queued in this order: the group creates the stream before the failing write undoes it
        Future<List<String>> append =
            pool.submit(
                () ->
                    backend
                        .log()
                        .append("fresh", dev.herald.log.NewEvent.of(Json.object().put("n", 1)))
                        .transform(List::of));
        writer.awaitQueued(1);
        Future<Integer> insert = pool.submit(() -> db.write(session -> insert(session, "kept")));
        writer.awaitQueued(2);
        Future<Integer> failing =
            pool.submit(
                () ->
                    db.write(
                        session -> {
                          insert(session, "undone");
                          throw new IllegalStateException("this write fails after inserting");
                        }));
        writer.awaitQueued(3);
        writer.release();

        assertThat(insert.get()).isEqualTo(1);
        assertThatThrownBy(failing::get).hasRootCauseMessage("this write fails after inserting");
        assertThat(append.get())
            .as("the stream the group created, created again when it ran again")
            .hasSize(1);
      } finally {
        pool.shutdownNow();
      }
      List<String> rows =
          db.read(
              session -> {
                List<String> values = new ArrayList<>();
                try (ResultSet rs = session.prepare("SELECT v FROM t ORDER BY v").executeQuery()) {
                  while (rs.next()) {
                    values.add(rs.getString(1));
                  }
                }
                return values;
              });
      assertThat(rows).containsExactly("kept");
      assertThat(backend.log().read("fresh", "", 10)).hasSize(1);
      assertThat(
              backend.log().append("fresh", dev.herald.log.NewEvent.of(Json.object().put("n", 2))))
          .isNotBlank();
      assertThat(backend.log().read("fresh", "", 10)).hasSize(2);
    }
  }

  @Test
  void shouldWaitForTheWriteLockWhenAnotherConnectionHoldsItInsteadOfFailingAWriteThatReadsFirst()
      throws Exception {
    try (SqliteBackend backend =
            new SqliteBackend(data, SqliteDatabase.Sync.NORMAL, InstantSource.system());
        Connection other =
            DriverManager.getConnection("jdbc:sqlite:" + data.resolve("herald.db"))) {
      SqliteDatabase db = backend.database();
      db.write(session -> session.prepare("CREATE TABLE t (v TEXT NOT NULL)").executeUpdate());
      try (Statement sql = other.createStatement()) {
        sql.execute("BEGIN IMMEDIATE");
      }
      Thread releaser =
          Thread.ofPlatform()
              .start(
                  () -> {
                    try {
                      Thread.sleep(300);
                      try (Statement sql = other.createStatement()) {
                        sql.execute("COMMIT");
                      }
                    } catch (InterruptedException | SQLException e) {
                      throw new IllegalStateException(e);
                    }
                  });
      long start = System.nanoTime();
      // a deferred transaction would hold a read snapshot after the select, and SQLite answers a
      // read-to-write upgrade that finds the lock taken with SQLITE_BUSY at once
      int inserted =
          db.write(
              session -> {
                try (ResultSet rs = session.prepare("SELECT COUNT(*) FROM t").executeQuery()) {
                  rs.next();
                }
                return insert(session, "after the other writer");
              });
      releaser.join();
      assertThat(inserted).isEqualTo(1);
      assertThat(Duration.ofNanos(System.nanoTime() - start))
          .as("waited for the other connection's lock")
          .isGreaterThanOrEqualTo(Duration.ofMillis(250));
    }
  }

  @Test
  void shouldNotFailWritesThatReadFirstWhileReadersKeepReading() throws Exception {
    try (SqliteBackend backend =
        new SqliteBackend(data, SqliteDatabase.Sync.NORMAL, InstantSource.system())) {
      SqliteDatabase db = backend.database();
      db.write(session -> session.prepare("CREATE TABLE t (v TEXT NOT NULL)").executeUpdate());
      AtomicBoolean reading = new AtomicBoolean(true);
      ExecutorService readers = Executors.newFixedThreadPool(4);
      List<Future<Long>> reads =
          readUntilStopped(db, readers, 4, "SELECT COUNT(*) FROM t", reading);
      int writes = 0;
      try {
        // before BEGIN IMMEDIATE, about one such write in ten failed with SQLITE_BUSY here
        long end = System.nanoTime() + Duration.ofSeconds(2).toNanos();
        while (System.nanoTime() < end) {
          db.write(
              session -> {
                try (ResultSet rs = session.prepare("SELECT COUNT(*) FROM t").executeQuery()) {
                  rs.next();
                }
                return insert(session, "v");
              });
          writes++;
        }
      } finally {
        reading.set(false);
        readers.shutdown();
      }
      for (Future<Long> read : reads) {
        assertThat(read.get()).isPositive();
      }
      assertThat(writes).isGreaterThan(100);
      int rows =
          db.read(
              session -> {
                try (ResultSet rs = session.prepare("SELECT COUNT(*) FROM t").executeQuery()) {
                  rs.next();
                  return rs.getInt(1);
                }
              });
      assertThat(rows).isEqualTo(writes);
    }
  }

  @Test
  void shouldKeepTheWalBoundedWhileReadersNeverStopReading() throws Exception {
    try (SqliteBackend backend =
        new SqliteBackend(data, SqliteDatabase.Sync.NORMAL, InstantSource.system())) {
      SqliteDatabase db = backend.database();
      db.write(session -> session.prepare("CREATE TABLE b (v BLOB NOT NULL)").executeUpdate());
      AtomicBoolean reading = new AtomicBoolean(true);
      ExecutorService readers = Executors.newFixedThreadPool(2);
      List<Future<Long>> reads =
          readUntilStopped(db, readers, 2, "SELECT MAX(rowid) FROM b", reading);
      long walBytes;
      int commits = 480;
      try {
        // 480 MiB in 1 MiB commits: with readers always active, a WAL never restarted would end
        // at least that long (passive checkpoints alone never restart it). A restart waits for the
        // checkpoints to catch up, or for the WAL to pass 256 MiB when a writer going flat out
        // keeps them behind (one CI run reached 268 MiB that way), so the WAL is compared with
        // all that was written; older rows are deleted so that the database itself stays small.
        for (int i = 0; i < commits; i++) {
          db.write(
              session -> {
                session
                    .prepare("DELETE FROM b WHERE rowid < (SELECT MAX(rowid) FROM b) - 4")
                    .executeUpdate();
                return session
                    .prepare("INSERT INTO b (v) VALUES (randomblob(1048576))")
                    .executeUpdate();
              });
        }
        walBytes = java.nio.file.Files.size(data.resolve("herald.db-wal"));
      } finally {
        reading.set(false);
        readers.shutdown();
      }
      for (Future<Long> read : reads) {
        assertThat(read.get()).isPositive();
      }
      assertThat(walBytes)
          .as("the WAL file was restarted and reused")
          .isLessThan((long) commits << 20);
    }
  }

  /**
   * {@code count} readers running {@code query} back to back until {@code reading} is false; each
   * returns its reads.
   */
  private static List<Future<Long>> readUntilStopped(
      SqliteDatabase db, ExecutorService pool, int count, String query, AtomicBoolean reading) {
    List<Future<Long>> reads = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      reads.add(
          pool.submit(
              () -> {
                long done = 0;
                while (reading.get()) {
                  db.read(
                      session -> {
                        try (ResultSet rs = session.prepare(query).executeQuery()) {
                          return rs.next();
                        }
                      });
                  done++;
                }
                return done;
              }));
    }
    return reads;
  }

  /** The log's table, which every schema version had: a file with it is not a fresh one. */
  private static void createEventTable(Statement sql) throws SQLException {
    sql.execute(
        "CREATE TABLE herald_event (stream_id INTEGER NOT NULL, id INTEGER NOT NULL, time_ms INTEGER NOT NULL, "
            + "data TEXT NOT NULL, PRIMARY KEY (stream_id, id)) WITHOUT ROWID");
  }

  private static int insert(SqlSession session, String value) throws SQLException {
    var insert = session.prepare("INSERT INTO t (v) VALUES (?)");
    insert.setString(1, value);
    return insert.executeUpdate();
  }

  @Test
  void shouldKeepOneRowForBatchesOfConsecutiveIds() {
    try (SqliteBackend backend =
        new SqliteBackend(data, SqliteDatabase.Sync.NORMAL, InstantSource.system())) {
      DigestRule rule =
          DigestRule.of("seller-scans", "scans", "seller_id", "package_id", Duration.ofHours(1));
      Instant noon = Instant.parse("2022-06-28T12:00:00Z");
      int id = 0;
      for (int batch = 0; batch < 5; batch++) {
        List<DigestItem> items = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
          id++;
          items.add(
              new DigestItem(
                  Integer.toString(id),
                  id,
                  Integer.toString(i % 7),
                  noon,
                  TextNode.valueOf("p" + id)));
        }
        backend.digests().add(rule, items, noon);
      }
      assertThat(runs(backend)).containsExactly("seller-scans 1-500");
    }
  }

  private static List<String> runs(SqliteBackend backend) {
    return backend
        .database()
        .read(
            session -> {
              List<String> runs = new ArrayList<>();
              try (ResultSet rs =
                  session
                      .prepare(
                          "SELECT rule, first_id, last_id FROM digest_taken ORDER BY rule, first_id")
                      .executeQuery()) {
                while (rs.next()) {
                  runs.add(rs.getString(1) + " " + rs.getLong(2) + "-" + rs.getLong(3));
                }
              }
              return runs;
            });
  }
}
