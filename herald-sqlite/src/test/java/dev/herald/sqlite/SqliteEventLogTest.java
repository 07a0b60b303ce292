package dev.herald.sqlite;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.json.Json;
import dev.herald.log.Event;
import dev.herald.log.EventLog;
import dev.herald.log.EventLogContract;
import dev.herald.log.GroupStart;
import dev.herald.log.NewEvent;
import dev.herald.testing.ClosingEventLog;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SqliteEventLogTest extends EventLogContract {

  @TempDir Path data;

  @Override
  protected EventLog openLog(InstantSource clock) {
    SqliteBackend backend = new SqliteBackend(data, SqliteDatabase.Sync.NORMAL, clock);
    return new ClosingEventLog(backend.log(), backend);
  }

  /** One process owns the file, so what is pending when it opens was left by one that ended. */
  @Test
  void shouldLetPendingEventsOfAnEarlierProcessBeClaimedAtOnceWithoutWaitingForTheirLease() {
    ObjectNode scan = Json.object().put("package_id", "AAAAAA");
    Path folder = data.resolve("restarted"); // data holds the contract's open log
    try (SqliteBackend before = new SqliteBackend(folder, SqliteDatabase.Sync.NORMAL, clock)) {
      before.log().createGroup("scans", "digest", GroupStart.EARLIEST);
      before.log().appendAll("scans", List.of(NewEvent.of(scan), NewEvent.of(scan)));
      assertThat(before.log().readGroup("scans", "digest", "herald-1@host", 10)).hasSize(2);
      assertThat(before.log().claim("scans", "digest", "herald-2@host", Duration.ofSeconds(30), 10))
          .as("within the lease, in the same process")
          .isEmpty();
    }
    try (SqliteBackend after = new SqliteBackend(folder, SqliteDatabase.Sync.NORMAL, clock)) {
      List<Event> claimed =
          after.log().claim("scans", "digest", "herald-2@host", Duration.ofSeconds(30), 10);
      assertThat(claimed).extracting(Event::id).containsExactly("1", "2");
      assertThat(after.log().claim("scans", "digest", "herald-3@host", Duration.ofSeconds(30), 10))
          .as("claimed again only after the new lease")
          .isEmpty();
    }
  }
}
