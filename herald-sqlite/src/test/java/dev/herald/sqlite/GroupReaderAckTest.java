package dev.herald.sqlite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.herald.json.Json;
import dev.herald.log.Event;
import dev.herald.log.EventLog;
import dev.herald.log.GroupReader;
import dev.herald.log.NewEvent;
import dev.herald.testing.ManualClock;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** GroupReader acknowledges in the background, one batch at a time, and never drops one. */
class GroupReaderAckTest {

  @TempDir Path data;

  @Test
  void shouldReturnFromAckWhileTheWriterIsBusyAndWriteItBeforeTheNextAckAndBeforeClosing()
      throws Exception {
    ExecutorService pool = Executors.newCachedThreadPool();
    try (SqliteBackend backend =
        new SqliteBackend(data, SqliteDatabase.Sync.NORMAL, InstantSource.system())) {
      EventLog log = backend.log();
      GroupReader reader =
          new GroupReader(log, "scans", "digest", "c1", 100, Duration.ofSeconds(30));
      append(log, 3);
      List<Event> first = reader.fresh();
      assertThat(first).hasSize(3);

      HeldWriter held = new HeldWriter(backend.database(), pool);
      // a synchronous acknowledgement would wait here until the writer is released
      assertTimeoutPreemptively(Duration.ofSeconds(5), () -> reader.ack(ids(first)));
      assertThat(pending(log)).as("not written while the writer is held").isEqualTo(3);
      held.release();

      append(log, 2);
      List<Event> second = reader.fresh();
      assertThat(second).hasSize(2);
      reader.ack(ids(second));
      assertThat(pending(log))
          .as("the first batch's acknowledgement was written before the second was taken")
          .isLessThanOrEqualTo(2);

      reader.close(events -> {});
      assertThat(pending(log)).as("closing waits for the acknowledgement in flight").isZero();
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void shouldNotClaimItsOwnBatchWhileThatBatchsAcknowledgementIsStillOnItsWay() throws Exception {
    ManualClock clock = ManualClock.at("2022-06-28T12:00:00Z");
    ExecutorService pool = Executors.newCachedThreadPool();
    try (SqliteBackend backend = new SqliteBackend(data, SqliteDatabase.Sync.NORMAL, clock)) {
      CountDownLatch ackMayRun = new CountDownLatch(1);
      EventLog slowAcks = withAcksHeldBy(backend.log(), ackMayRun);
      GroupReader reader =
          new GroupReader(slowAcks, "scans", "digest", "c1", 100, Duration.ofSeconds(30));
      append(slowAcks, 1);
      List<Event> batch = reader.fresh();
      reader.ack(ids(batch));

      // past the lease while the acknowledgement has not reached the log yet (in CI the ack
      // thread had not run when the engine's next call claimed the batch and ingested it again)
      clock.advance(Duration.ofHours(1));
      Thread claimer = Thread.currentThread();
      pool.submit(
          () -> {
            // lets the ack through once the claim below waits for it
            org.awaitility.Awaitility.await()
                .atMost(Duration.ofSeconds(10))
                .until(
                    () ->
                        claimer.getState() == Thread.State.WAITING
                            || claimer.getState() == Thread.State.TIMED_WAITING);
            ackMayRun.countDown();
            return null;
          });
      assertThat(reader.abandoned(clock.instant())).as("its own batch is not abandoned").isEmpty();
      assertThat(pending(backend.log())).isZero();
      reader.close(events -> {});
    } finally {
      pool.shutdownNow();
    }
  }

  private static EventLog withAcksHeldBy(EventLog log, CountDownLatch ackMayRun) {
    return (EventLog)
        Proxy.newProxyInstance(
            EventLog.class.getClassLoader(),
            new Class<?>[] {EventLog.class},
            (proxy, method, args) -> {
              if (method.getName().equals("ack")) {
                ackMayRun.await();
              }
              try {
                return method.invoke(log, args);
              } catch (InvocationTargetException e) {
                throw e.getCause();
              }
            });
  }

  private static void append(EventLog log, int events) {
    List<NewEvent> batch = new java.util.ArrayList<>();
    for (int i = 0; i < events; i++) {
      batch.add(NewEvent.of(Json.object().put("seller_id", i)));
    }
    log.appendAll("scans", batch);
  }

  private static List<String> ids(List<Event> events) {
    return events.stream().map(Event::id).toList();
  }

  private static long pending(EventLog log) {
    return log.info("scans").groups().stream()
        .filter(g -> g.name().equals("digest"))
        .findFirst()
        .orElseThrow()
        .pending();
  }
}
