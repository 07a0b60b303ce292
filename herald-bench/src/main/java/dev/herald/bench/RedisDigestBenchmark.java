package dev.herald.bench;

import dev.herald.redis.RedisBackend;
import io.lettuce.core.RedisClient;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.XReadArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntFunction;
import org.HdrHistogram.Histogram;

/**
 * Herald on Redis beside the design it replaces, on the same Redis and the same workload, in three
 * phases:
 *
 * <ol>
 *   <li><b>Ingest</b>: {@code scans} scans for {@code sellers} sellers as fast as each design takes
 *       them, quiet period {@link #QUIET}.
 *   <li><b>Burst</b>: one scan each for {@code burstSellers} fresh sellers, published flat out, all
 *       falling due within a few seconds: lateness here is bounded by throughput.
 *   <li><b>Steady</b>: fresh sellers arrive at {@link #STEADY_RATE}/s with quiet period {@link
 *       #STEADY_QUIET}, so about 100,000 sellers are open at any moment once the first ones fall
 *       due; lateness is measured on the sellers that arrive after that, i.e. with 100,000 open.
 * </ol>
 *
 * <p>The classic design, as users run it: a publisher does {@code XADD packages * seller_id S
 * package_id P} per scan; a consumer loops {@code XREAD COUNT 1 BLOCK 5000 STREAMS packages <last
 * id>} and {@code LPUSH SELLER:<s> <p>} per entry; a checker loops over {@code KEYS SELLER:*},
 * reads {@code OBJECT IDLETIME} of each, and for keys idle longer than the quiet period reads the
 * list, deletes the key and emits the notification. A scan pushed between its read and its delete
 * is lost; that is counted, not hidden.
 *
 * <p>Each design first runs a small unreported round of the ingest and burst phases, so that the
 * JIT has compiled the client paths of both before anything is measured.
 */
final class RedisDigestBenchmark {

  static final Duration QUIET = Duration.ofSeconds(2);
  static final Duration STEADY_QUIET = Duration.ofSeconds(30);
  static final int STEADY_RATE = 3_400;
  static final Duration STEADY_MEASURED = Duration.ofSeconds(10);

  /**
   * Warm-up ends after a round in which the JIT compiler was busy less than this, or after the most
   * rounds.
   */
  static final long WARM_UP_SETTLED_MS = 300;

  static final int MAX_WARM_UP_ROUNDS = 8;

  record Result(
      String design,
      double ingestPerSecond,
      double redisCpuMicrosPerEvent,
      Histogram burstLateness,
      long steadyOpenMin,
      long steadySellers,
      Histogram steadyLateness,
      long lost,
      long duplicated) {}

  private final String url;
  private final int scans;
  private final int sellers;
  private final int burstSellers;

  RedisDigestBenchmark(String url, int scans, int sellers, int burstSellers) {
    this.url = url;
    this.scans = scans;
    this.sellers = sellers;
    this.burstSellers = burstSellers;
  }

  /** Scans emitted, the time each seller's last scan was published, and what came out. */
  static final class Ledger {
    final Map<String, Long> lastScanMs = new ConcurrentHashMap<>();
    final Map<String, Integer> notified = new ConcurrentHashMap<>();
    final Histogram lateness = new Histogram(3);
    final Duration quiet;
    final String measuredPrefix;

    Ledger(Duration quiet, String measuredPrefix) {
      this.quiet = quiet;
      this.measuredPrefix = measuredPrefix;
    }

    synchronized void emit(String seller, List<String> items, long nowMs) {
      items.forEach(i -> notified.merge(i, 1, Integer::sum));
      Long last = lastScanMs.get(seller);
      if (last != null && seller.startsWith(measuredPrefix)) {
        lateness.recordValue(Math.max(0, (nowMs - (last + quiet.toMillis())) * 1000));
      }
    }

    long duplicated() {
      return notified.values().stream().filter(n -> n > 1).mapToLong(n -> n - 1).sum();
    }
  }

  private static double redisCpuSeconds(RedisCommands<String, String> redis) {
    double cpu = 0;
    for (String line : redis.info("cpu").split("\r?\n")) {
      if (line.startsWith("used_cpu_sys:") || line.startsWith("used_cpu_user:")) {
        cpu += Double.parseDouble(line.substring(line.indexOf(':') + 1));
      }
    }
    return cpu;
  }

  /**
   * A design under test: takes scans, and reports each notification to the ledger it was started
   * with.
   */
  interface Design extends AutoCloseable {
    void publish(List<String[]> scans);

    boolean caughtUp(long published);

    long open();
  }

  private static final class Classic implements Design {
    private final RedisClient client;
    private final StatefulRedisConnection<String, String> pub;
    private final StatefulRedisConnection<String, String> cons;
    private final StatefulRedisConnection<String, String> check;
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final AtomicLong consumed = new AtomicLong();
    private final Thread consumer;
    private final Thread checker;

    @SuppressWarnings("unchecked") // Lettuce's xread takes its stream offsets as generic varargs
    Classic(String url, Ledger ledger) {
      client = RedisClient.create(url);
      pub = client.connect();
      cons = client.connect();
      check = client.connect();
      consumer =
          Thread.ofPlatform()
              .start(
                  () -> {
                    RedisCommands<String, String> c = cons.sync();
                    String last = "0-0";
                    while (running.get()) {
                      List<StreamMessage<String, String>> entries =
                          c.xread(
                              XReadArgs.Builder.count(1).block(5000),
                              XReadArgs.StreamOffset.from("packages", last));
                      for (StreamMessage<String, String> m : entries) {
                        c.lpush(
                            "SELLER:" + m.getBody().get("seller_id"),
                            m.getBody().get("package_id"));
                        last = m.getId();
                        consumed.incrementAndGet();
                      }
                    }
                  });
      checker =
          Thread.ofPlatform()
              .start(
                  () -> {
                    RedisCommands<String, String> k = check.sync();
                    while (running.get()) {
                      for (String key : k.keys("SELLER:*")) {
                        Long idle = k.objectIdletime(key);
                        if (idle != null && idle >= ledger.quiet.toSeconds()) {
                          List<String> items = k.lrange(key, 0, -1);
                          k.del(key);
                          ledger.emit(
                              key.substring("SELLER:".length()), items, System.currentTimeMillis());
                        }
                      }
                    }
                  });
    }

    @Override
    public void publish(List<String[]> scans) {
      for (String[] scan : scans) {
        pub.sync().xadd("packages", Map.of("seller_id", scan[0], "package_id", scan[1]));
      }
    }

    @Override
    public boolean caughtUp(long published) {
      return consumed.get() >= published;
    }

    @Override
    public long open() {
      return pub.sync().dbsize() - 1; // every key but the stream is an open seller
    }

    @Override
    public void close() throws InterruptedException {
      running.set(false);
      pub.sync().xadd("packages", Map.of("seller_id", "stop", "package_id", "stop"));
      consumer.join(10_000);
      checker.join(120_000);
      client.shutdown();
    }
  }

  Result classic() throws Exception {
    return run("classic XADD/XREAD/LPUSH/KEYS", Classic::new, 1);
  }

  Result herald() throws Exception {
    return run(
        "Herald on Redis",
        (url, ledger) ->
            new HeraldDigestDesign(
                ledger,
                rule ->
                    new RedisBackend(
                        url, "bench:", InstantSource.system(), List.of(rule.name()), Map.of())),
        500);
  }

  private interface DesignFactory {
    Design start(String url, Ledger ledger);
  }

  /**
   * @param batch scans per publish call: 1 for the classic design, 500 (as the HTTP API takes them)
   *     for Herald
   */
  private Result run(String name, DesignFactory factory, int batch) throws Exception {
    RedisClient client = RedisClient.create(url);
    try (StatefulRedisConnection<String, String> admin = client.connect()) {
      RedisCommands<String, String> redis = admin.sync();
      redis.flushdb();
      warmUp(factory, redis, batch);
      Ledger ledger = new Ledger(QUIET, "burst-");
      double[] ingest = new double[2];
      try (Design design = factory.start(url, ledger)) {
        ingestAndBurst(design, ledger, batch, scans, sellers, burstSellers, ingest);
      }
      System.out.printf(
          "  %s: ingest %,.0f scans/s; burst p99 %.1f ms%n",
          name, ingest[0], ledger.lateness.getValueAtPercentile(99) / 1000.0);
      redis.flushdb();
      Ledger steady = new Ledger(STEADY_QUIET, "m-");
      long openMin;
      long steadySellers;
      try (Design design = factory.start(url, steady)) {
        openMin = steady(design, steady, batch);
        steadySellers = STEADY_RATE * STEADY_MEASURED.toSeconds();
      }
      System.out.printf(
          "  %s: steady, at least %,d open: p99 %.1f ms%n",
          name, openMin, steady.lateness.getValueAtPercentile(99) / 1000.0);
      long total =
          (long) scans
              + burstSellers
              + STEADY_RATE * (STEADY_QUIET.toSeconds() + STEADY_MEASURED.toSeconds());
      long lost = total - ledger.notified.size() - steady.notified.size();
      return new Result(
          name,
          ingest[0],
          ingest[1],
          ledger.lateness,
          openMin,
          steadySellers,
          steady.lateness,
          lost,
          ledger.duplicated() + steady.duplicated());
    } finally {
      client.shutdown();
    }
  }

  /**
   * Unreported tenths of phases 1 and 2, repeated until the JIT compiler is done: after a single
   * one, the compiler still took half a core during Herald's measured ingest (2026-12-03,
   * per-thread CPU), a quarter of this machine, so that ingest measured the compiler as much as the
   * design.
   */
  private void warmUp(DesignFactory factory, RedisCommands<String, String> redis, int batch)
      throws Exception {
    CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
    for (int round = 1; round <= MAX_WARM_UP_ROUNDS; round++) {
      long compiledBefore = jit.getTotalCompilationTime();
      Ledger warmUp = new Ledger(QUIET, "");
      try (Design design = factory.start(url, warmUp)) {
        ingestAndBurst(design, warmUp, batch, scans / 10, sellers / 10, burstSellers / 10, null);
      }
      redis.flushdb();
      long compiled = jit.getTotalCompilationTime() - compiledBefore;
      System.out.printf("  warm-up round %d: JIT compiler busy %,d ms%n", round, compiled);
      if (compiled < WARM_UP_SETTLED_MS) {
        return;
      }
    }
  }

  /** Phases 1 and 2; {@code ingest} (when given) receives scans/s and Redis CPU µs per event. */
  private void ingestAndBurst(
      Design design, Ledger ledger, int batch, int scans, int sellers, int burst, double[] ingest)
      throws Exception {
    RedisClient client = RedisClient.create(url);
    try (StatefulRedisConnection<String, String> admin = client.connect()) {
      double cpuBefore = redisCpuSeconds(admin.sync());
      long start = System.nanoTime();
      publishFlatOut(design, ledger, batch, scans, i -> Integer.toString(i % sellers), "P");
      double published = (System.nanoTime() - start) / 1e9;
      EmbeddedDigestBenchmark.await(() -> design.caughtUp(scans), Duration.ofMinutes(10));
      double seconds = (System.nanoTime() - start) / 1e9;
      if (ingest != null) {
        System.out.printf(
            "  published %,d scans in %.2f s, all consumed at %.2f s%n", scans, published, seconds);
      }
      // Scans lost to the classic design's read-then-delete race never come out: wait for nothing
      // to be open instead.
      EmbeddedDigestBenchmark.await(
          Duration.ofMillis(50), () -> design.open() == 0, Duration.ofMinutes(5));
      publishFlatOut(design, ledger, batch, burst, i -> "burst-" + i, "Q");
      long total = (long) scans + burst;
      EmbeddedDigestBenchmark.await(() -> design.caughtUp(total), Duration.ofMinutes(10));
      long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
      while (ledger.notified.size() < total && design.open() > 0 && System.nanoTime() < deadline) {
        Thread.sleep(50);
      }
      if (ingest != null) {
        ingest[0] = scans / seconds;
        ingest[1] = (redisCpuSeconds(admin.sync()) - cpuBefore) * 1e6 / total;
      }
    } finally {
      client.shutdown();
    }
  }

  /** 4 publishers, each sending {@code batch} scans per call, as fast as the design takes them. */
  static void publishFlatOut(
      Design design, Ledger ledger, int batch, int count, IntFunction<String> seller, String prefix)
      throws InterruptedException {
    AtomicLong next = new AtomicLong();
    List<Thread> publishers = new ArrayList<>();
    for (int t = 0; t < 4; t++) {
      publishers.add(
          Thread.ofPlatform()
              .start(
                  () -> {
                    for (long b = next.getAndAdd(batch); b < count; b = next.getAndAdd(batch)) {
                      List<String[]> scans = new ArrayList<>(batch);
                      long now = System.currentTimeMillis();
                      for (int i = (int) b; i < Math.min(count, b + batch); i++) {
                        scans.add(new String[] {seller.apply(i), prefix + i});
                        ledger.lastScanMs.put(seller.apply(i), now);
                      }
                      design.publish(scans);
                    }
                  }));
    }
    for (Thread publisher : publishers) {
      publisher.join();
    }
  }

  /**
   * Phase 3: fresh sellers at {@link #STEADY_RATE}/s, one scan each, for the quiet period (filling
   * up to about 100,000 open) and then for {@link #STEADY_MEASURED} more, whose sellers ("m-") are
   * the ones measured. Returns the fewest open sellers seen while the measured ones arrived.
   */
  static long steady(Design design, Ledger ledger, int batch) throws InterruptedException {
    long fill = STEADY_RATE * STEADY_QUIET.toSeconds();
    long total = fill + STEADY_RATE * STEADY_MEASURED.toSeconds();
    int perTick = STEADY_RATE / 100; // a publish every 10 ms
    long start = System.nanoTime();
    long openMin = Long.MAX_VALUE;
    long nextSample = 0;
    for (long i = 0; i < total; i += perTick) {
      long due = start + i * 1_000_000_000L / STEADY_RATE;
      long wait = due - System.nanoTime();
      if (wait > 0) {
        Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
      }
      List<String[]> scans = new ArrayList<>(perTick);
      long now = System.currentTimeMillis();
      for (long s = i; s < Math.min(total, i + perTick); s++) {
        String seller = (s < fill ? "f-" : "m-") + s;
        scans.add(new String[] {seller, "S" + s});
        ledger.lastScanMs.put(seller, now);
      }
      for (int from = 0; from < scans.size(); from += batch) {
        design.publish(scans.subList(from, Math.min(scans.size(), from + batch)));
      }
      if (i >= fill && i >= nextSample) {
        openMin = Math.min(openMin, design.open());
        nextSample = i + STEADY_RATE; // about once a second
      }
    }
    long deadline = System.nanoTime() + STEADY_QUIET.plusMinutes(2).toNanos();
    while (ledger.notified.size() < total && System.nanoTime() < deadline) {
      Thread.sleep(100);
    }
    return openMin;
  }
}
