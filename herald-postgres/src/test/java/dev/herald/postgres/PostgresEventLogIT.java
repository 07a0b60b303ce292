package dev.herald.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import dev.herald.json.Json;
import dev.herald.log.Event;
import dev.herald.log.EventLog;
import dev.herald.log.EventLogContract;
import dev.herald.log.GroupStart;
import dev.herald.log.NewEvent;
import dev.herald.store.Backend;
import dev.herald.testing.ClosingEventLog;
import java.time.Duration;
import java.time.InstantSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class PostgresEventLogIT extends EventLogContract {

  private final String schema = PostgresTestSupport.freshSchema();

  @Override
  protected EventLog openLog(InstantSource clock) {
    Backend backend = PostgresTestSupport.open(schema, clock);
    return new ClosingEventLog(backend.log(), backend);
  }

  @AfterEach
  void drop() {
    PostgresTestSupport.drop(schema);
  }

  /** A consumer that restarts under its name gets its pending events back by the next claim. */
  @Test
  void releasingAConsumersPendingEventsMakesThemClaimableAtOnce() {
    try (EventLog log = openLog(InstantSource.system())) {
      log.append("scans", NewEvent.of(Json.object().put("n", 1)));
      log.append("scans", NewEvent.of(Json.object().put("n", 2)));
      log.createGroup("scans", "g", GroupStart.EARLIEST);
      assertThat(log.readGroup("scans", "g", "herald-host-a", 10)).hasSize(2);
      assertThat(log.claim("scans", "g", "herald-host-a", Duration.ofHours(1), 10)).isEmpty();

      log.releasePending("scans", "g", "herald-other");
      assertThat(log.claim("scans", "g", "herald-host-a", Duration.ofHours(1), 10)).isEmpty();
      log.releasePending("scans", "g", "herald-host-a");

      assertThat(log.claim("scans", "g", "herald-host-a", Duration.ofHours(1), 10))
          .extracting(Event::id, Event::deliveries)
          .containsExactly(
              org.assertj.core.groups.Tuple.tuple("1", 2),
              org.assertj.core.groups.Tuple.tuple("2", 2));
    }
  }

  /** Another process's append wakes this one's readers through LISTEN/NOTIFY. */
  @Test
  void anAppendThroughOneBackendWakesTheListenersOfAnother() throws Exception {
    try (EventLog reader = openLog(InstantSource.system());
        EventLog writer = openLog(InstantSource.system())) {
      java.util.concurrent.Semaphore woken = new java.util.concurrent.Semaphore(0);
      reader.onAppended(woken::release);
      assertThat(reader.reportsEveryAppend()).isTrue();

      // the reader's LISTEN starts on a thread of its own: append until it hears one
      boolean heard = false;
      for (int i = 0; i < 50 && !heard; i++) {
        writer.append("scans", NewEvent.of(Json.object().put("n", i)));
        heard = woken.tryAcquire(200, java.util.concurrent.TimeUnit.MILLISECONDS);
      }
      assertThat(heard).as("woken by the other backend's append").isTrue();
      woken.drainPermits();
      writer.append("scans", NewEvent.of(Json.object().put("n", "last")));
      assertThat(woken.tryAcquire(5, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
    }
  }

  /** Expired idempotency keys of any stream are forgotten by later keyed appends. */
  @Test
  void expiredIdempotencyKeysDoNotAccumulate() throws Exception {
    dev.herald.testing.ManualClock clock =
        dev.herald.testing.ManualClock.at("2022-06-28T12:00:00Z");
    try (EventLog log = openLog(clock)) {
      for (int i = 0; i < 20; i++) {
        log.appendAll(
            "orders",
            java.util.List.of(NewEvent.of(Json.object().put("n", i))),
            new dev.herald.log.IdempotencyKey("k" + i, "f", Duration.ofMinutes(1)));
      }
      clock.advance(Duration.ofMinutes(2));
      log.appendAll(
          "other",
          java.util.List.of(NewEvent.of(Json.object().put("n", "late"))),
          new dev.herald.log.IdempotencyKey("fresh", "f", Duration.ofMinutes(1)));
    }
    try (java.sql.Connection c = PostgresTestSupport.connect();
        java.sql.Statement s = c.createStatement();
        java.sql.ResultSet rs =
            s.executeQuery("SELECT key FROM " + schema + ".herald_idempotency")) {
      java.util.List<String> keys = new java.util.ArrayList<>();
      while (rs.next()) {
        keys.add(rs.getString(1));
      }
      assertThat(keys).containsExactly("fresh");
    }
  }
}
