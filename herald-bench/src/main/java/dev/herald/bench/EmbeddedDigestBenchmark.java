package dev.herald.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.agent.AgentRunner;
import dev.herald.digest.DigestEngine;
import dev.herald.digest.DigestRule;
import dev.herald.json.Json;
import dev.herald.log.NewEvent;
import dev.herald.notify.DeliveryListener;
import dev.herald.notify.NotificationDispatcher;
import dev.herald.notify.StreamSink;
import dev.herald.retry.RetryPolicy;
import dev.herald.sqlite.SqliteBackend;
import dev.herald.sqlite.SqliteDatabase;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.HdrHistogram.Histogram;

/**
 * Seller scans through the embedded (SQLite) backend in-process, with the engine and the dispatcher
 * running as in the server, in two phases on one rule ({@code timeField: at}, quiet period 2 s):
 *
 * <ol>
 *   <li><b>Ingest</b>: {@code events} scans from {@code sellers} sellers in a {@link Pattern},
 *       dated one hour ahead so that their buckets stay open, are appended in batches of 1000 by
 *       {@link #PRODUCERS} threads while the engine consumes them. Throughput counts events in the
 *       log, applied to their bucket and acknowledged, per second of wall time.
 *   <li><b>Lateness</b>: with those buckets open, probe scans for fresh sellers arrive at a steady
 *       rate, dated now; each probe bucket falls due 2 s later. Lateness is the time the engine had
 *       durably written the notification minus its due time.
 * </ol>
 */
final class EmbeddedDigestBenchmark {

  /** Which seller each scan comes from. */
  enum Pattern {
    /** 1,000 sellers at a time scan 10 packages each, interleaved, as at a busy drop-off. */
    BURSTS,
    /** Every scan from a seller drawn at random: the worst case for grouping by key. */
    RANDOM;

    int seller(int scan, int sellers, SplittableRandom random) {
      return switch (this) {
        case BURSTS -> ((scan / 10_000) * 1_000 + scan % 1_000) % sellers;
        case RANDOM -> random.nextInt(sellers);
      };
    }
  }

  record Result(
      Pattern pattern,
      long events,
      int sellers,
      double ingestSeconds,
      double eventsPerSecond,
      long openBuckets,
      double heapBytesPerOpenBucket,
      long probes,
      int probeRate,
      Histogram latenessMicros,
      double writerMicrosPerEvent) {}

  static final Duration QUIET = Duration.ofSeconds(2);
  static final int PRODUCERS = 4;

  private final Pattern pattern;
  private final int events;
  private final int sellers;
  private final int probes;
  private final int probeRate;
  private final Path dir;

  EmbeddedDigestBenchmark(
      Pattern pattern, int events, int sellers, int probes, int probeRate, Path dir) {
    this.pattern = pattern;
    this.events = events;
    this.sellers = sellers;
    this.probes = probes;
    this.probeRate = probeRate;
    this.dir = dir;
  }

  Result run() throws InterruptedException {
    InstantSource clock = InstantSource.system();
    DigestRule rule =
        DigestRule.of("seller-scans", "scans", "seller_id", "package_id", QUIET)
            .withTimeField("at")
            .withDeliver(List.of(new StreamSink("notifications")));
    LatenessRecorder recorder = new LatenessRecorder(clock);
    try (SqliteBackend backend = new SqliteBackend(dir, SqliteDatabase.Sync.NORMAL, clock)) {
      DigestEngine engine =
          new DigestEngine(
              backend.log(),
              backend.digests(),
              List.of(rule),
              clock,
              DigestEngine.Options.defaults("bench"),
              recorder);
      NotificationDispatcher dispatcher =
          new NotificationDispatcher(
              backend.notifications(),
              backend.log(),
              Map.of(rule.name(), rule.deliver()),
              RetryPolicy.DELIVERY,
              "notifications.failed",
              clock,
              DeliveryListener.NONE);
      long heapBefore = Machine.usedHeapAfterGc();
      // as the server runs it: ingesting and closing on a thread each
      try (AgentRunner ingestRunner =
              new AgentRunner(engine.ingester(), Duration.ofMillis(1)).start();
          AgentRunner closeRunner = new AgentRunner(engine.closer(), Duration.ofMillis(1)).start();
          AgentRunner dispatcherRunner =
              new AgentRunner(dispatcher, Duration.ofMillis(5)).start()) {
        String later = clock.instant().plus(Duration.ofHours(1)).toString();
        long writerBefore = Machine.threadCpuNanos(SqliteDatabase.WRITER_THREAD_NAME);
        long start = System.nanoTime();
        java.util.concurrent.atomic.AtomicInteger nextBatch =
            new java.util.concurrent.atomic.AtomicInteger();
        List<Thread> producers = new ArrayList<>();
        for (int t = 0; t < PRODUCERS; t++) {
          SplittableRandom random = new SplittableRandom(42 + t);
          producers.add(
              Thread.ofPlatform()
                  .start(
                      () -> {
                        for (int from = nextBatch.getAndAdd(1000);
                            from < events;
                            from = nextBatch.getAndAdd(1000)) {
                          List<NewEvent> scans = new ArrayList<>(1000);
                          for (int i = from; i < Math.min(events, from + 1000); i++) {
                            scans.add(
                                NewEvent.of(
                                    scan(pattern.seller(i, sellers, random), "P" + i, later)));
                          }
                          backend.log().appendAll("scans", scans);
                        }
                      }));
        }
        for (Thread producer : producers) {
          producer.join();
        }
        double appendSeconds = (System.nanoTime() - start) / 1e9;
        long ingestedWhenAppended = recorder.ingested();
        await(() -> recorder.ingested() >= events, Duration.ofMinutes(10));
        double ingestSeconds = (System.nanoTime() - start) / 1e9;
        double writerMicrosPerEvent =
            Machine.microsPer(
                writerBefore, Machine.threadCpuNanos(SqliteDatabase.WRITER_THREAD_NAME), events);
        long open = backend.digests().openBucketCount(rule.name());
        long heapAfter = Machine.usedHeapAfterGc();
        System.out.printf(
            "  appended in %.2f s (%,.0f events/s) while the engine took %,d; the rest took %.2f s more%n",
            appendSeconds,
            events / appendSeconds,
            ingestedWhenAppended,
            ingestSeconds - appendSeconds);
        System.out.printf(
            "  ingested %,d events in %.2f s: %,.0f events/s; %,d open buckets; SQLite writer CPU %.1f µs per event%n",
            (long) events, ingestSeconds, events / ingestSeconds, open, writerMicrosPerEvent);

        recorder.latenessMicros();
        long emittedBefore = recorder.emitted();
        long period = 1_000_000_000L / probeRate;
        long next = System.nanoTime();
        for (int p = 0; p < probes; p++) {
          LockSupport.parkNanos(next - System.nanoTime());
          next += period;
          backend
              .log()
              .append("scans", NewEvent.of(scan(sellers + p, "Q" + p, clock.instant().toString())));
        }
        await(() -> recorder.emitted() - emittedBefore >= probes, Duration.ofMinutes(5));
        return new Result(
            pattern,
            events,
            sellers,
            ingestSeconds,
            events / ingestSeconds,
            open,
            (double) (heapAfter - heapBefore) / Math.max(1, open),
            probes,
            probeRate,
            recorder.latenessMicros(),
            writerMicrosPerEvent);
      }
    }
  }

  private static ObjectNode scan(int seller, String packageId, String at) {
    ObjectNode scan = Json.object();
    scan.put("seller_id", seller);
    scan.put("package_id", packageId);
    scan.put("at", at);
    return scan;
  }

  static void await(BooleanSupplier condition, Duration timeout) throws InterruptedException {
    await(Duration.ofMillis(5), condition, timeout);
  }

  static void await(Duration poll, BooleanSupplier condition, Duration timeout)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("benchmark condition not reached within " + timeout);
      }
      Thread.sleep(poll.toMillis());
    }
  }
}
