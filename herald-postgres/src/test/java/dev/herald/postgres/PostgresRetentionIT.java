package dev.herald.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import dev.herald.log.EventLog;
import dev.herald.log.NewEvent;
import dev.herald.store.Backend;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A stream trimmed to its maximum length round after round keeps a table of bounded size. */
class PostgresRetentionIT {

  private static final int MAX_LENGTH = 5_000;
  private static final int ROUNDS = 60;

  private final String schema = PostgresTestSupport.freshSchema();

  @AfterEach
  void drop() {
    PostgresTestSupport.drop(schema);
  }

  @Test
  void aStreamTrimmedToItsLengthStopsGrowing() throws SQLException {
    String padding = "x".repeat(300);
    List<Long> sizes = new ArrayList<>();
    try (Backend backend = PostgresTestSupport.open(schema, InstantSource.system())) {
      EventLog log = backend.log();
      for (int round = 0; round < ROUNDS; round++) {
        List<NewEvent> batch = new ArrayList<>();
        for (int i = 0; i < MAX_LENGTH; i++) {
          batch.add(
              new NewEvent(Optional.empty(), "{\"n\":" + i + ",\"pad\":\"" + padding + "\"}"));
        }
        for (int from = 0; from < batch.size(); from += 500) {
          log.appendAll("readings", batch.subList(from, from + 500));
        }
        assertThat(log.trimToLength("readings", MAX_LENGTH)).isEqualTo(round == 0 ? 0 : MAX_LENGTH);
        sizes.add(tableSize());
      }
      assertThat(log.info("readings").length()).isEqualTo(MAX_LENGTH);
    }
    // a vacuum truncates the empty pages at the end, so the size swings between two values; the
    // largest of the last rounds is what it grows to
    long early = sizes.subList(2, 10).stream().mapToLong(Long::longValue).max().orElseThrow();
    long late =
        sizes.subList(ROUNDS / 2, ROUNDS).stream().mapToLong(Long::longValue).max().orElseThrow();
    System.out.printf(
        "herald_event with %,d events retained: at most %,d bytes in rounds 3 to 10, %,d in rounds"
            + " %d to %d (%,d events appended); by round: %s%n",
        MAX_LENGTH, early, late, ROUNDS / 2 + 1, ROUNDS, (long) ROUNDS * MAX_LENGTH, sizes);
    // with the log's vacuum taken out (autovacuum did not come in the test's seconds) it grew to
    // 129 MB against 4.6 MB by round 60
    assertThat(late).isLessThanOrEqualTo(early + early / 10);
  }

  private long tableSize() throws SQLException {
    try (Connection c = PostgresTestSupport.connect();
        PreparedStatement select =
            c.prepareStatement("SELECT pg_total_relation_size(?::regclass)")) {
      select.setString(1, schema + ".herald_event");
      try (ResultSet rs = select.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }
}
