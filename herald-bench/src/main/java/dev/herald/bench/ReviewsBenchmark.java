package dev.herald.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.agent.AgentRunner;
import dev.herald.alert.AlertBoard;
import dev.herald.alert.InboxMonitor;
import dev.herald.inbox.InboxDelivery;
import dev.herald.inbox.InboxEngine;
import dev.herald.inbox.InboxRule;
import dev.herald.inbox.InboxStore;
import dev.herald.json.Json;
import dev.herald.log.NewEvent;
import dev.herald.process.FailurePolicy;
import dev.herald.route.Directories;
import dev.herald.route.Directory;
import dev.herald.route.RouteEngine;
import dev.herald.route.RouteListener;
import dev.herald.route.RouteRule;
import dev.herald.sqlite.SqliteDatabase;
import dev.herald.store.Backend;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.HdrHistogram.Histogram;

/**
 * The reviews path on one backend: review events routed through a directory of brands into per-user
 * inboxes, as fast as the engines go; then pull latency on large inboxes, and the cost of one
 * stale-inbox check among many inboxes.
 */
final class ReviewsBenchmark {

  /** What one run measured. */
  record Result(
      String backend,
      long reviews,
      long deliveries,
      double seconds,
      double deliveriesPerSecond,
      double appendSeconds,
      double writerMicrosPerDelivery,
      int pulls,
      int itemsPerPull,
      Histogram pullMicros,
      long monitorInboxes,
      int staleInboxes,
      double firstCheckMillis,
      Histogram checkMicros) {}

  private static final int PRODUCERS = 4;
  private static final int BATCH = 1000;

  private final int brands;
  private final int usersPerBrand;
  private final int reviews;
  private final double updates;
  private final int pullInboxes;
  private final int itemsPerPull;
  private final int monitorInboxes;
  private final int staleInboxes;

  ReviewsBenchmark(
      int brands,
      int usersPerBrand,
      int reviews,
      double updates,
      int pullInboxes,
      int itemsPerPull,
      int monitorInboxes,
      int staleInboxes) {
    this.brands = brands;
    this.usersPerBrand = usersPerBrand;
    this.reviews = reviews;
    this.updates = updates;
    this.pullInboxes = pullInboxes;
    this.itemsPerPull = itemsPerPull;
    this.monitorInboxes = monitorInboxes;
    this.staleInboxes = staleInboxes;
  }

  private Directory directory() {
    Map<String, List<String>> entries = new LinkedHashMap<>();
    for (int b = 0; b < brands; b++) {
      List<String> users = new ArrayList<>();
      for (int u = 0; u < usersPerBrand; u++) {
        users.add(Integer.toString(b * usersPerBrand + u));
      }
      entries.put("Brand" + b, users);
    }
    return new Directory("brand-users", entries);
  }

  Result run(String name, Supplier<Backend> open) throws Exception {
    try (Backend backend = open.get()) {
      InstantSource clock = InstantSource.system();
      RouteRule route =
          RouteRule.of(
              "review-recipients",
              "reviews",
              "brand",
              "brand-users",
              "reviews.by-user",
              "reviews.invalid");
      InboxRule inbox =
          InboxRule.of(
              "reviews", "reviews.by-user", "recipient", "review_id", Duration.ofSeconds(20));
      Directories directories = new Directories(List.of(directory()), d -> {});
      AtomicLong delivered = new AtomicLong();
      InboxEngine.Listener count =
          new InboxEngine.Listener() {
            @Override
            public void onDelivered(InboxRule rule, int events, int added) {
              delivered.addAndGet(events);
            }
          };
      RouteEngine router =
          new RouteEngine(
              backend.log(),
              directories,
              List.of(route),
              clock,
              "bench",
              10_000,
              Duration.ofSeconds(30),
              FailurePolicy.defaults(),
              RouteListener.NONE);
      InboxEngine inboxes =
          new InboxEngine(
              backend.log(),
              backend.inboxes(),
              List.of(inbox),
              clock,
              "bench",
              10_000,
              Duration.ofSeconds(30),
              FailurePolicy.defaults(),
              count);
      long deliveries = (long) reviews * usersPerBrand;
      System.out.printf(
          "%s: %,d reviews for %,d brands x %,d users (%.0f%% updates) -> %,d deliveries%n",
          name, reviews, brands, usersPerBrand, updates * 100, deliveries);
      double seconds;
      double appendSeconds;
      long writerBefore = Machine.threadCpuNanos(SqliteDatabase.WRITER_THREAD_NAME);
      try (AgentRunner routeRunner = new AgentRunner(router, Duration.ofMillis(1)).start();
          AgentRunner inboxRunner = new AgentRunner(inboxes, Duration.ofMillis(1)).start()) {
        long start = System.nanoTime();
        produce(backend);
        appendSeconds = (System.nanoTime() - start) / 1e9;
        System.out.printf("  appended %,d reviews in %.1f s%n", reviews, appendSeconds);
        long lastReport = System.nanoTime();
        while (delivered.get() < deliveries) {
          Thread.sleep(20);
          if (System.nanoTime() - lastReport > 10e9) {
            lastReport = System.nanoTime();
            System.out.printf(
                "  %,d of %,d deliveries in inboxes after %.0f s%n",
                delivered.get(), deliveries, (lastReport - start) / 1e9);
          }
        }
        seconds = (System.nanoTime() - start) / 1e9;
      }
      // NaN on Redis, whose writes have no such thread
      double writerMicros =
          Machine.microsPer(
              writerBefore, Machine.threadCpuNanos(SqliteDatabase.WRITER_THREAD_NAME), deliveries);
      System.out.printf(
          "  %,d deliveries in inboxes in %.1f s: %,.0f deliveries/s%s%n",
          deliveries,
          seconds,
          deliveries / seconds,
          Double.isNaN(writerMicros)
              ? ""
              : String.format("; SQLite writer CPU %.1f µs per delivery", writerMicros));

      Histogram pulls = pullLatency(backend.inboxes(), clock);
      System.out.printf(
          "  pull of %,d items: p50 %.1f ms, p99 %.1f ms, max %.1f ms (%d pulls)%n",
          itemsPerPull,
          pulls.getValueAtPercentile(50) / 1e3,
          pulls.getValueAtPercentile(99) / 1e3,
          pulls.getMaxValue() / 1e3,
          pullInboxes);

      double[] first = new double[1];
      Histogram checks = monitorCost(backend, first);
      System.out.printf(
          "  monitor check with %,d inboxes (%,d stale): first %.1f ms, then p50 %.2f ms, p99 %.2f ms, max %.2f ms%n",
          monitorInboxes,
          staleInboxes,
          first[0],
          checks.getValueAtPercentile(50) / 1e3,
          checks.getValueAtPercentile(99) / 1e3,
          checks.getMaxValue() / 1e3);
      return new Result(
          name,
          reviews,
          deliveries,
          seconds,
          deliveries / seconds,
          appendSeconds,
          writerMicros,
          pullInboxes,
          itemsPerPull,
          pulls,
          monitorInboxes,
          staleInboxes,
          first[0],
          checks);
    }
  }

  /**
   * 4 producers append the reviews in batches of 1000; a share are updates of earlier reviews. A
   * producer remembers each review it created by its number and brand only: keeping a quarter of a
   * million JSON trees each made the benchmark's own heap, and the collector's work on it, part of
   * what it measured.
   */
  private void produce(Backend backend) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(PRODUCERS);
    try {
      List<Future<?>> futures = new ArrayList<>();
      for (int p = 0; p < PRODUCERS; p++) {
        int producer = p;
        futures.add(
            pool.submit(
                () -> {
                  Random random = new Random(producer);
                  int[] createdNumbers = new int[reviews / PRODUCERS + 1];
                  int[] createdBrands = new int[createdNumbers.length];
                  int created = 0;
                  List<NewEvent> batch = new ArrayList<>(BATCH);
                  for (int i = producer; i < reviews; i += PRODUCERS) {
                    ObjectNode review = Json.object();
                    if (created > 0 && random.nextDouble() < updates) {
                      int earlier = random.nextInt(created);
                      review.put("brand", "Brand" + createdBrands[earlier]);
                      review.put("review_id", "r" + createdNumbers[earlier]);
                      review.put("action", "updated");
                    } else {
                      int brand = random.nextInt(brands);
                      review.put("brand", "Brand" + brand);
                      review.put("review_id", "r" + i);
                      review.put("action", "created");
                      createdNumbers[created] = i;
                      createdBrands[created] = brand;
                      created++;
                    }
                    review.put("stars", 1 + random.nextInt(5));
                    review.put("text", "Arrived on time, well packed.");
                    batch.add(NewEvent.of(review));
                    if (batch.size() == BATCH) {
                      backend.log().appendAll("reviews", batch);
                      batch = new ArrayList<>(BATCH);
                    }
                  }
                  if (!batch.isEmpty()) {
                    backend.log().appendAll("reviews", batch);
                  }
                  return null;
                }));
      }
      for (Future<?> f : futures) {
        f.get();
      }
    } finally {
      pool.shutdown();
    }
  }

  /** Fills inboxes of {@code itemsPerPull} items each, then times one pull of each. */
  private Histogram pullLatency(InboxStore store, InstantSource clock) {
    InboxRule rule = InboxRule.of("bulk", "bulk", "recipient", "review_id", Duration.ofHours(1));
    for (int r = 0; r < pullInboxes; r++) {
      List<InboxDelivery> batch = new ArrayList<>(itemsPerPull);
      Instant now = clock.instant();
      for (int i = 0; i < itemsPerPull; i++) {
        ObjectNode data = Json.object();
        data.put("brand", "Brand1");
        data.put("review_id", "r" + i);
        data.put("stars", 4);
        data.put("text", "Arrived on time, well packed.");
        batch.add(new InboxDelivery("bulk-" + r + "-" + i, "u" + r, "r" + i, now, data));
      }
      store.add(rule, batch, now);
    }
    Histogram micros = new Histogram(3);
    for (int r = 0; r < pullInboxes; r++) {
      long start = System.nanoTime();
      int taken = store.pull("bulk", "u" + r, clock.instant()).items().size();
      micros.recordValue(Math.max(1, (System.nanoTime() - start) / 1000));
      if (taken != itemsPerPull) {
        throw new IllegalStateException("pulled " + taken + " items instead of " + itemsPerPull);
      }
    }
    return micros;
  }

  /**
   * Gives {@code monitorInboxes} recipients one pending item each, {@code staleInboxes} of them old
   * enough to be stale, then times monitor checks: the first raises their alerts, the next ones
   * find them all active already (the steady state of a monitor).
   */
  private Histogram monitorCost(Backend backend, double[] firstMillis) {
    InboxRule rule =
        InboxRule.of("monitored", "monitored", "recipient", "item", Duration.ofSeconds(20));
    Instant t0 = Instant.now();
    long start = System.nanoTime();
    ObjectNode data = Json.object();
    data.put("item", "x");
    for (int from = 0; from < monitorInboxes; from += 10_000) {
      List<InboxDelivery> batch = new ArrayList<>(10_000);
      int to = Math.min(monitorInboxes, from + 10_000);
      for (int r = from; to > r; r++) {
        batch.add(new InboxDelivery("m-" + r, "u" + r, "x", t0, data));
      }
      // the first staleInboxes recipients arrived a minute earlier than the others
      List<InboxDelivery> stale =
          batch.stream()
              .filter(d -> Integer.parseInt(d.recipient().substring(1)) < staleInboxes)
              .toList();
      List<InboxDelivery> fresh =
          batch.stream()
              .filter(d -> Integer.parseInt(d.recipient().substring(1)) >= staleInboxes)
              .toList();
      if (!stale.isEmpty()) {
        backend.inboxes().add(rule, stale, t0.minusSeconds(60));
      }
      if (!fresh.isEmpty()) {
        backend.inboxes().add(rule, fresh, t0);
      }
    }
    System.out.printf(
        "  filled %,d inboxes in %.1f s%n", monitorInboxes, (System.nanoTime() - start) / 1e9);
    AlertBoard board = new AlertBoard(backend.log(), "alerts", InstantSource.fixed(t0));
    InboxMonitor monitor =
        new InboxMonitor(
            backend.inboxes(),
            List.of(rule),
            board,
            InstantSource.fixed(t0),
            Duration.ofSeconds(1));
    long first = System.nanoTime();
    monitor.check(rule, t0);
    firstMillis[0] = (System.nanoTime() - first) / 1e6;
    if (board.active().size() != staleInboxes) {
      throw new IllegalStateException(
          board.active().size() + " alerts raised instead of " + staleInboxes);
    }
    Histogram micros = new Histogram(3);
    for (int i = 0; i < 220; i++) {
      long begin = System.nanoTime();
      monitor.check(rule, t0);
      if (i >= 20) { // warmed up
        micros.recordValue(Math.max(1, (System.nanoTime() - begin) / 1000));
      }
    }
    return micros;
  }
}
