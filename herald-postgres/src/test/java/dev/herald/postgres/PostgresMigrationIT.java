package dev.herald.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.herald.log.StoreUnavailableException;
import dev.herald.store.Backend;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The schema is migrated once, by whichever instance comes first, and never downgraded. */
class PostgresMigrationIT {

  private final String schema = PostgresTestSupport.freshSchema();

  @AfterEach
  void drop() {
    PostgresTestSupport.drop(schema);
  }

  @Test
  void instancesStartingAtOnceOnAnEmptyDatabaseMigrateItOnce() throws Exception {
    int instances = 4;
    CountDownLatch go = new CountDownLatch(1);
    ExecutorService pool = Executors.newFixedThreadPool(instances);
    List<Future<Backend>> opening = new ArrayList<>();
    for (int i = 0; i < instances; i++) {
      opening.add(
          pool.submit(
              () -> {
                go.await();
                return PostgresTestSupport.open(schema, InstantSource.system());
              }));
    }
    go.countDown();
    List<Backend> opened = new ArrayList<>();
    try {
      for (Future<Backend> backend : opening) {
        opened.add(backend.get());
      }
      assertThat(opened).allSatisfy(b -> assertThat(b.ready()).isTrue());
      try (Connection c = PostgresTestSupport.connect();
          Statement s = c.createStatement();
          ResultSet rs =
              s.executeQuery(
                  "SELECT version, count(*) FROM "
                      + schema
                      + ".herald_schema_history WHERE version IS NOT NULL GROUP BY version")) {
        List<String> versions = new ArrayList<>();
        while (rs.next()) {
          versions.add(rs.getString(1) + "x" + rs.getLong(2));
        }
        assertThat(versions).as("each migration applied once").containsExactly("1x1");
      }
    } finally {
      opened.forEach(Backend::close);
      pool.shutdown();
    }
  }

  @Test
  void aSchemaANewerHeraldMigratedIsRefusedNamingBothVersions() throws Exception {
    PostgresTestSupport.open(schema, InstantSource.system()).close();
    try (Connection c = PostgresTestSupport.connect();
        Statement s = c.createStatement()) {
      s.execute(
          "INSERT INTO "
              + schema
              + ".herald_schema_history (installed_rank, version, description, type, script,"
              + " checksum, installed_by, execution_time, success) VALUES (2, '2', 'from the"
              + " future', 'SQL', 'V2__from_the_future.sql', 0, 'test', 1, true)");
    }

    assertThatThrownBy(() -> PostgresTestSupport.open(schema, InstantSource.system()))
        .isInstanceOf(StoreUnavailableException.class)
        .hasMessageContaining("is at version 2, newer than this Herald knows (version 1)")
        .hasMessageContaining("schema " + schema);
  }
}
