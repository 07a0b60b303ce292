package dev.herald.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import org.HdrHistogram.Histogram;

/**
 * {@code bin/herald-bench digest [--events N] [--sellers N] [--out DIR]}: runs the digest
 * benchmarks and writes a Markdown report to {@code bench/results/}.
 */
public final class BenchMain {

  private BenchMain() {}

  public static void main(String[] args) throws Exception {
    int events = 1_000_000;
    int sellers = 100_000;
    Path out = Path.of("bench/results");
    if (args.length > 0 && List.of("--help", "-h", "help").contains(args[0])) {
      System.out.print(USAGE);
      return;
    }
    String which = args.length > 0 && !args[0].startsWith("--") ? args[0] : "digest";
    for (int i = which.equals(args.length > 0 ? args[0] : "") ? 1 : 0; i < args.length; i += 2) {
      if (!KNOWN_OPTIONS.contains(args[i]) || i + 1 == args.length) {
        System.err.print(
            "herald-bench: "
                + (KNOWN_OPTIONS.contains(args[i])
                    ? args[i] + " needs a value"
                    : "unknown option '" + args[i] + "'")
                + "\n"
                + USAGE);
        System.exit(2);
      }
    }
    for (int i = 0; i < args.length - 1; i++) {
      switch (args[i]) {
        case "--events" -> events = Integer.parseInt(args[i + 1]);
        case "--sellers" -> sellers = Integer.parseInt(args[i + 1]);
        case "--out" -> out = Path.of(args[i + 1]);
        default -> {}
      }
    }
    switch (which) {
      case "digest" -> digest(events, sellers, out);
      case "redis" ->
          redis(
              option(args, "--url", "redis://127.0.0.1:6379/13"),
              Integer.parseInt(option(args, "--scans", "200000")),
              Integer.parseInt(option(args, "--sellers", "20000")),
              Integer.parseInt(option(args, "--open", "100000")),
              List.of(option(args, "--designs", "classic,herald").split(",")),
              out);
      case "postgres" ->
          PostgresDigestBenchmark.runAndReport(
              option(args, "--url", "postgresql://postgres@127.0.0.1:5432/test"),
              Integer.parseInt(option(args, "--scans", "200000")),
              Integer.parseInt(option(args, "--sellers", "20000")),
              List.of(option(args, "--designs", "jobqueue,herald").split(",")),
              out);
      case "live" ->
          live(
              option(args, "--url", "redis://127.0.0.1:6379/13"),
              Integer.parseInt(option(args, "--subscribers", "1000")),
              Integer.parseInt(option(args, "--messages", "10000")),
              Integer.parseInt(option(args, "--idle", "10000")),
              List.of(option(args, "--parts", "full,paced,idle").split(",")),
              java.util.Arrays.stream(option(args, "--rates", PACED_RATES).split(","))
                  .mapToInt(Integer::parseInt)
                  .toArray(),
              out);
      case "reviews" ->
          reviews(
              option(args, "--url", "redis://127.0.0.1:6379/13"),
              Integer.parseInt(option(args, "--reviews", "1000000")),
              Integer.parseInt(option(args, "--inboxes", "1000000")),
              option(args, "--backends", "sqlite,redis"),
              out);
      default -> {
        System.err.println(
            "herald-bench: unknown benchmark '"
                + which
                + "'; available: digest, redis, postgres, reviews, live");
        System.exit(2);
      }
    }
  }

  private static final String USAGE =
      """
      usage: bin/herald-bench [BENCHMARK] [OPTIONS]
        digest   (default) [--events N] [--sellers N]
        redis    [--url URL] [--scans N] [--sellers N] [--open N] [--designs classic,herald]
        postgres [--url URL] [--scans N] [--sellers N] [--designs jobqueue,herald]
        reviews  [--url URL] [--reviews N] [--inboxes N] [--backends sqlite,redis]
        live     [--url URL] [--subscribers N] [--messages N] [--idle N] [--parts full,paced,idle] [--rates 25,50,100]
      every benchmark: --out DIR (default bench/results; a report there is overwritten)
      """;

  private static final java.util.Set<String> KNOWN_OPTIONS =
      java.util.Set.of(
          "--events",
          "--sellers",
          "--out",
          "--url",
          "--scans",
          "--open",
          "--designs",
          "--reviews",
          "--inboxes",
          "--backends",
          "--subscribers",
          "--messages",
          "--idle",
          "--parts",
          "--rates");

  private static String option(String[] args, String name, String fallback) {
    for (int i = 0; i < args.length - 1; i++) {
      if (args[i].equals(name)) {
        return args[i + 1];
      }
    }
    return fallback;
  }

  /**
   * Messages published flat out, unreported, before the flat-out run of each design: the server
   * process starts with the run, and its JIT compiler would otherwise take a share of the measured
   * seconds (6.6% of the server's CPU samples in one profiled run).
   */
  private static final int WARM_UP_MESSAGES = 1000;

  /**
   * Steady publishing rates (messages/s) at which the live benchmark measures latency, unless
   * --rates says otherwise.
   */
  private static final String PACED_RATES = "25,50,100";

  private static final int PACED_SECONDS = 20;

  /**
   * Live topics: Herald's SSE and WebSocket subscribers beside Redis Pub/Sub, and idle subscribers'
   * heap.
   */
  private static void live(
      String url,
      int subscribers,
      int messages,
      int idle,
      List<String> parts,
      int[] rates,
      Path out)
      throws Exception {
    String machine = Machine.describe();
    Path work = Files.createTempDirectory("herald-bench-live");
    int port;
    try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
      port = socket.getLocalPort();
    }
    Process server = LiveBenchmark.startServer(work, port);
    LiveBenchmark bench = new LiveBenchmark(subscribers, messages, 0);
    List<LiveBenchmark.Result> results = new ArrayList<>();
    List<LiveBenchmark.Result> pacedResults = new ArrayList<>();
    double heapPerIdle = Double.NaN;
    try {
      if (parts.contains("full") || parts.contains("paced")) {
        LiveBenchmark.warmUpServer(subscribers, port, server.toHandle());
      }
      if (parts.contains("full")) {
        System.out.printf(
            "live: %,d subscribers, %,d messages as fast as they go (after %,d unreported)%n",
            subscribers, messages, WARM_UP_MESSAGES);
        new LiveBenchmark(subscribers, WARM_UP_MESSAGES, 0).herald(port, server.toHandle());
        results.add(bench.herald(port, server.toHandle()));
      }
      if (parts.contains("paced")) {
        for (int rate : rates) {
          System.out.printf("live, paced at %d messages/s for %d s%n", rate, PACED_SECONDS);
          pacedResults.add(
              new LiveBenchmark(subscribers, rate * PACED_SECONDS, rate)
                  .herald(port, server.toHandle()));
        }
      }
      if (parts.contains("idle")) {
        heapPerIdle = LiveBenchmark.idleHeapBytesPerSubscriber(port, server.pid(), idle);
        System.out.printf("  %,d idle subscribers: %,.0f bytes of heap each%n", idle, heapPerIdle);
      }
    } finally {
      server.destroy();
      server.waitFor();
      deleteTree(work);
    }
    if (parts.contains("full")) {
      new LiveBenchmark(subscribers, WARM_UP_MESSAGES, 0).redisPubSub(url); // the same warm-up
      results.add(bench.redisPubSub(url));
    }
    if (parts.contains("paced")) {
      new LiveBenchmark(subscribers, 1000, 100).redisPubSub(url); // the same warm-up
      for (int rate : rates) {
        pacedResults.add(
            new LiveBenchmark(subscribers, rate * PACED_SECONDS, rate).redisPubSub(url));
      }
    }
    StringBuilder rows = new StringBuilder();
    for (LiveBenchmark.Result r : results) {
      Histogram l = r.latencyMicros();
      String row =
          String.format(
              Locale.ROOT,
              "| %s | %,d of %,d | %.2f s | **%,.0f deliveries/s** | %.1f ms | %.1f ms | %.1f ms | %.1f µs |%n",
              r.design(),
              r.deliveries(),
              (long) r.subscribers() * r.messages(),
              r.seconds(),
              r.deliveriesPerSecond(),
              ms(l.getValueAtPercentile(50)),
              ms(l.getValueAtPercentile(99)),
              ms(l.getMaxValue()),
              r.serverCpuMicrosPerDelivery());
      System.out.print(row);
      rows.append(row);
    }
    // side by side per rate: Herald's row, then Redis's
    StringBuilder pacedRows = new StringBuilder();
    for (int i = 0; i < rates.length && !pacedResults.isEmpty(); i++) {
      for (LiveBenchmark.Result r :
          List.of(pacedResults.get(i), pacedResults.get(i + rates.length))) {
        Histogram l = r.latencyMicros();
        String row =
            String.format(
                Locale.ROOT,
                "| %d msg/s (%,d deliveries/s) | %s | %,d of %,d | %.1f ms | **%.1f ms** | %.1f ms | %.1f µs |%n",
                rates[i],
                rates[i] * r.subscribers(),
                r.design(),
                r.deliveries(),
                (long) r.subscribers() * r.messages(),
                ms(l.getValueAtPercentile(50)),
                ms(l.getValueAtPercentile(99)),
                ms(l.getMaxValue()),
                r.serverCpuMicrosPerDelivery());
        System.out.print(row);
        pacedRows.append(row);
      }
    }
    if (!parts.containsAll(List.of("full", "paced", "idle"))) {
      System.out.println(
          "only "
              + parts
              + " ran: "
              + out.resolve("live.md")
              + " is written by a run of every part");
      return;
    }
    LiveBenchmark.Result h = results.get(0);
    LiveBenchmark.Result r = results.get(1);
    String report =
        String.format(
            Locale.ROOT,
            """
        # Live topics benchmark: Herald beside Redis Pub/Sub

        Run: `bin/herald-bench live` on %s, %s; Redis 7.0 on the same machine.

        One topic, %,d subscribers (Herald: half server-sent events, half WebSocket, against a
        `herald server` process on the embedded store with the default live settings; Redis: one
        Pub/Sub connection each). All
        subscribers live in the benchmark's JVM, each a blocking socket read by a virtual thread with
        just enough protocol to take the message out, the same for both designs (on 2 cores the
        subscribers share the CPU with the server they measure). Each message carries its send time;
        latency is receive time minus send time, per delivery. Publishers: 4 threads, each with its own
        keep-alive socket and just enough protocol too (Herald: one `POST` per message, answered once
        the message is stored; Redis: one `PUBLISH`). Server CPU is
        the Herald process's (or redis-server's) CPU time over the run, per delivery.

        Herald's server process starts with the run, so it is warmed up first, unreported: rounds of
        10 s at 100 messages/s until its JIT compiler threads use less than 300 ms of CPU in one (at
        most 6 rounds; a single round left C2 using 12%% of a core during the measured runs). Redis
        Pub/Sub has no compiler to wait for; the benchmark's own JVM is warm by then.

        %,d messages as fast as the publishers go, after 1,000 unreported ones for each design:

        | design | deliveries | time | throughput | latency p50 | p99 | max | server CPU per delivery |
        |---|---|---|---|---|---|---|---|
        %s
        Herald / Redis Pub/Sub deliveries/s: **%.2f×** (target ≥ 0.5× while persisting every message
        and letting any subscriber resume after its last id). Latency in this table is queueing: the
        publishers go as fast as the slower side lets them.

        Publish-to-receive latency at steady rates, %d s each, after the warm-up (Redis Pub/Sub: an
        unreported 10 s at 100 messages/s) (target p99 ≤ 50 ms):

        | rate | design | deliveries | latency p50 | p99 | max | server CPU per delivery |
        |---|---|---|---|---|---|---|
        %s
        Idle subscribers: %,d SSE connections held open cost **%,.0f bytes of server heap each**
        (%,.1f MiB for all of them; target ≤ 200 MiB), measured from the server's heap after a full GC
        before and after opening them.
        """,
            machine,
            Instant.now(),
            subscribers,
            messages,
            rows,
            h.deliveriesPerSecond() / r.deliveriesPerSecond(),
            PACED_SECONDS,
            pacedRows,
            idle,
            heapPerIdle,
            heapPerIdle * idle / (1024 * 1024));
    Files.createDirectories(out);
    Files.writeString(out.resolve("live.md"), report);
    System.out.println("report written to " + out.resolve("live.md"));
  }

  /** The reviews path on the embedded backend and on Redis (flushing the given database). */
  private static void reviews(String url, int reviews, int inboxes, String backends, Path out)
      throws Exception {
    String machine = Machine.describe();
    ReviewsBenchmark bench =
        new ReviewsBenchmark(1000, 10, reviews, 0.2, 100, 10_000, inboxes, 1000);
    List<ReviewsBenchmark.Result> results = new java.util.ArrayList<>();
    if (backends.contains("sqlite")) {
      Path work = Files.createTempDirectory("herald-bench-reviews");
      try {
        results.add(
            bench.run(
                "embedded (SQLite)",
                () ->
                    new dev.herald.sqlite.SqliteBackend(
                        work,
                        dev.herald.sqlite.SqliteDatabase.Sync.NORMAL,
                        java.time.InstantSource.system())));
      } finally {
        deleteTree(work);
      }
    }
    if (backends.contains("redis")) {
      try (io.lettuce.core.RedisClient client = io.lettuce.core.RedisClient.create(url);
          var admin = client.connect()) {
        admin.sync().flushdb();
        results.add(
            bench.run(
                "Redis",
                () ->
                    new dev.herald.redis.RedisBackend(
                        url, "bench:", java.time.InstantSource.system(), List.of(), Map.of())));
        admin.sync().flushdb();
      }
    }
    StringBuilder rows = new StringBuilder();
    StringBuilder pullRows = new StringBuilder();
    StringBuilder monitorRows = new StringBuilder();
    for (ReviewsBenchmark.Result r : results) {
      rows.append(
          String.format(
              Locale.ROOT,
              "| %s | %,d | %,d | %.1f s | **%,.0f deliveries/s** | %.1f s | %s |%n",
              r.backend(),
              r.reviews(),
              r.deliveries(),
              r.seconds(),
              r.deliveriesPerSecond(),
              r.appendSeconds(),
              Double.isNaN(r.writerMicrosPerDelivery())
                  ? "n/a"
                  : String.format(Locale.ROOT, "%.1f µs", r.writerMicrosPerDelivery())));
      Histogram p = r.pullMicros();
      pullRows.append(
          String.format(
              Locale.ROOT,
              "| %s | %,d | %,d | %.1f ms | **%.1f ms** | %.1f ms |%n",
              r.backend(),
              r.pulls(),
              r.itemsPerPull(),
              p.getValueAtPercentile(50) / 1e3,
              p.getValueAtPercentile(99) / 1e3,
              p.getMaxValue() / 1e3));
      Histogram c = r.checkMicros();
      monitorRows.append(
          String.format(
              Locale.ROOT,
              "| %s | %,d | %,d | %.1f ms | %.2f ms | **%.2f ms** | %.2f ms |%n",
              r.backend(),
              r.monitorInboxes(),
              r.staleInboxes(),
              r.firstCheckMillis(),
              c.getValueAtPercentile(50) / 1e3,
              c.getValueAtPercentile(99) / 1e3,
              c.getMaxValue() / 1e3));
    }
    String report =
        String.format(
            Locale.ROOT,
            """
        # Reviews benchmark: routing to inboxes, pulls, and the stale-inbox monitor

        Run: `bin/herald-bench reviews` on %s, %s; Redis 7.0 on the same machine.

        ## Routed deliveries

        1,000 brands × 10 users; %,d review events (20%% updates of earlier reviews), appended by 4
        producers in batches of 1,000 while the route engine expands each into one event per user
        (written to `reviews.by-user`) and the inbox engine coalesces them into the users' inboxes.
        A delivery counts once it is in an inbox and acknowledged. Target: ≥ 100,000 deliveries/s
        embedded, in-process. The last column is the CPU time of SQLite's single writer thread (every
        write waits for it) over the delivery phase, per delivery.

        | backend | reviews | deliveries | time | routed deliveries | of which appending | SQLite writer CPU per delivery |
        |---|---|---|---|---|---|---|
        %s
        ## Pull latency

        Inboxes of 10,000 pending items, each pulled once (all items returned and removed, one
        transaction or one Lua script).

        | backend | pulls | items per pull | p50 | p99 | max |
        |---|---|---|---|---|---|
        %s
        ## Monitor cost per check

        Inboxes with one pending item each, of which 1,000 waited longer than `staleAfter`. The first
        check raises their 1,000 alerts; the 200 checks after it (timed) find them all active. Each
        check asks the oldest-pending index, never every inbox. Target: ≤ 10 ms at 1,000,000 inboxes.

        | backend | inboxes | stale | first check | p50 | p99 | max |
        |---|---|---|---|---|---|---|
        %s""",
            machine,
            java.time.Instant.now(),
            reviews,
            rows,
            pullRows,
            monitorRows);
    Files.createDirectories(out);
    Files.writeString(out.resolve("reviews.md"), report);
    System.out.println("report written to " + out.resolve("reviews.md"));
  }

  /** Herald on Redis beside the classic design, on one Redis (flushing the given database). */
  private static void redis(
      String url, int scans, int sellers, int burst, List<String> designs, Path out)
      throws Exception {
    String machine = Machine.describe();
    System.out.println(
        "Herald vs the classic design on " + url + " (database flushed), " + machine);
    RedisDigestBenchmark bench = new RedisDigestBenchmark(url, scans, sellers, burst);
    List<RedisDigestBenchmark.Result> results = new ArrayList<>();
    if (designs.contains("classic")) {
      results.add(bench.classic());
    }
    if (designs.contains("herald")) {
      results.add(bench.herald());
    }
    StringBuilder ingestRows = new StringBuilder();
    StringBuilder latenessRows = new StringBuilder();
    for (RedisDigestBenchmark.Result r : results) {
      Histogram b = r.burstLateness();
      Histogram st = r.steadyLateness();
      ingestRows.append(
          String.format(
              Locale.ROOT,
              "| %s | %,.0f scans/s | %.1f µs | %,d | %,d |%n",
              r.design(),
              r.ingestPerSecond(),
              r.redisCpuMicrosPerEvent(),
              r.lost(),
              r.duplicated()));
      latenessRows.append(
          String.format(
              Locale.ROOT,
              "| %s | %.1f / %.1f / %.1f ms | %,d | %.1f / %.1f / %.1f ms |%n",
              r.design(),
              ms(b.getValueAtPercentile(50)),
              ms(b.getValueAtPercentile(99)),
              ms(b.getMaxValue()),
              r.steadyOpenMin(),
              ms(st.getValueAtPercentile(50)),
              ms(st.getValueAtPercentile(99)),
              ms(st.getMaxValue())));
    }
    System.out.print(ingestRows);
    System.out.print(latenessRows);
    if (results.size() < 2) {
      System.out.println("one design only: no report written (it compares both, side by side)");
      return;
    }
    RedisDigestBenchmark.Result c = results.get(0);
    RedisDigestBenchmark.Result h = results.get(1);
    String report =
        String.format(
            Locale.ROOT,
            """
        # Digest benchmark: Herald on Redis beside the classic design

        Run: `bin/herald-bench redis` on %s, %s, Redis at %s (7.0, same machine).

        Each design first runs unreported tenths of phases 1 and 2 until the JIT compiler is done (a round
        in which it was busy less than 300 ms, at most 8 rounds), then:

        1. **Ingest**: %,d scans for %,d sellers as fast as the design takes them (quiet period %s);
           counted until the design has consumed them all.
        2. **Burst**: one scan each for %,d fresh sellers, published flat out; they all fall due within
           seconds, so lateness here is bounded by how fast the design works through them.
        3. **Steady**: fresh sellers arriving at %,d/s, one scan each, quiet period %s, so that about
           %,d sellers are open at any moment; lateness is measured on the %,d sellers arriving after
           the first %s (the open count is sampled every second while they arrive; the fewest is shown).

        Lateness is emission time minus (last scan + quiet period).

        | design | ingest | Redis CPU per event (phases 1–2) | scans lost | scans duplicated |
        |---|---|---|---|---|
        %s
        | design | burst lateness p50 / p99 / max | open sellers (steady, fewest) | steady lateness p50 / p99 / max |
        |---|---|---|---|
        %s
        Ratios, Herald / classic: ingest **%.1f×**, burst p99 **%.3f×**, steady p99 **%.3f×**, Redis CPU per event **%.2f×**.
        Targets: ingest ≥ 10×, p99 ≤ 100 ms at 100,000 open sellers, zero lost, zero duplicated.

        The classic design publishes one XADD per scan (4 publisher threads in phases 1 and 2, one in
        phase 3) and consumes one entry per XREAD, as it is written; Herald appends batches of 500
        from the same publishers (as its HTTP API takes them), its engine reads batches through a
        consumer group, and ingests and closes on a thread each (as the server runs it). Its
        notifications go to the outbox only (no sink), as the classic checker only "emits" in-process.
        """,
            machine,
            Instant.now(),
            url,
            scans,
            sellers,
            RedisDigestBenchmark.QUIET,
            burst,
            RedisDigestBenchmark.STEADY_RATE,
            RedisDigestBenchmark.STEADY_QUIET,
            RedisDigestBenchmark.STEADY_RATE * RedisDigestBenchmark.STEADY_QUIET.toSeconds(),
            h.steadySellers(),
            RedisDigestBenchmark.STEADY_QUIET,
            ingestRows,
            latenessRows,
            h.ingestPerSecond() / c.ingestPerSecond(),
            (double) h.burstLateness().getValueAtPercentile(99)
                / Math.max(1, c.burstLateness().getValueAtPercentile(99)),
            (double) h.steadyLateness().getValueAtPercentile(99)
                / Math.max(1, c.steadyLateness().getValueAtPercentile(99)),
            h.redisCpuMicrosPerEvent() / c.redisCpuMicrosPerEvent());
    Files.createDirectories(out);
    Path file = out.resolve("digest-redis.md");
    Files.writeString(file, report);
    System.out.println("report written to " + file);
  }

  private static void digest(int events, int sellers, Path out) throws Exception {
    String machine = Machine.describe();
    System.out.println("Herald digest benchmark on " + machine);
    Path work = Files.createTempDirectory("herald-bench");
    try {
      // the JIT compiles the hot paths during the first seconds of a run (measured: the C2
      // compiler took 17% of the machine during an unwarmed first ingest); measure steady state
      System.out.println("warming up: 200,000 scans in-process, not reported");
      new EmbeddedDigestBenchmark(
              EmbeddedDigestBenchmark.Pattern.BURSTS,
              200_000,
              20_000,
              2_000,
              2_000,
              work.resolve("warm-up"))
          .run();
      List<EmbeddedDigestBenchmark.Result> embedded = new ArrayList<>();
      for (EmbeddedDigestBenchmark.Pattern pattern : EmbeddedDigestBenchmark.Pattern.values()) {
        System.out.printf(
            "embedded, in-process, %s: %,d scans for %,d sellers%n", pattern, events, sellers);
        EmbeddedDigestBenchmark.Result result =
            new EmbeddedDigestBenchmark(
                    pattern, events, sellers, 20_000, 2_000, work.resolve("embedded-" + pattern))
                .run();
        Histogram l = result.latenessMicros();
        System.out.printf(
            "  lateness of %,d probe notifications at %,d/s with %,d buckets open: p50 %.1f ms, p99 %.1f ms, max %.1f ms%n",
            result.probes(),
            result.probeRate(),
            result.openBuckets(),
            ms(l.getValueAtPercentile(50)),
            ms(l.getValueAtPercentile(99)),
            ms(l.getMaxValue()));
        embedded.add(result);
      }

      System.out.printf(
          "HTTP, batches of 1000 from 4 clients: %,d scans for %,d sellers%n", events, sellers);
      HttpDigestBenchmark.Result http =
          new HttpDigestBenchmark(events, sellers, 1000, 4, work.resolve("http")).run();
      System.out.printf(
          "  %,.0f events/s acknowledged (%.2f s); engine caught up after %.2f s%n",
          http.eventsPerSecond(), http.seconds(), http.caughtUpSeconds());

      Files.createDirectories(out);
      Path report = out.resolve("digest-embedded.md");
      Files.writeString(report, report(machine, embedded, http));
      System.out.println("report written to " + report);
    } finally {
      deleteTree(work);
    }
  }

  private static void deleteTree(Path dir) {
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException ignored) {
      // temp files
    }
  }

  static double ms(long micros) {
    return micros / 1000.0;
  }

  private static String report(
      String machine, List<EmbeddedDigestBenchmark.Result> embedded, HttpDigestBenchmark.Result h) {
    StringBuilder rows = new StringBuilder();
    for (EmbeddedDigestBenchmark.Result e : embedded) {
      Histogram l = e.latenessMicros();
      rows.append(
          String.format(
              Locale.ROOT,
              "| ingest in-process, %s (%,d scans, %,d sellers) | **%,.0f events/s** (%.2f s) | ≥ 100,000 events/s |%n",
              e.pattern().name().toLowerCase(Locale.ROOT),
              e.events(),
              e.sellers(),
              e.eventsPerSecond(),
              e.ingestSeconds()));
      rows.append(
          String.format(
              Locale.ROOT,
              "| lateness, %s: %,d probe buckets falling due at %,d/s while %,d buckets are open | p50 **%.1f ms**, p99 **%.1f ms**, max **%.1f ms** | p99 ≤ 100 ms |%n",
              e.pattern().name().toLowerCase(Locale.ROOT),
              e.probes(),
              e.probeRate(),
              e.openBuckets(),
              ms(l.getValueAtPercentile(50)),
              ms(l.getValueAtPercentile(99)),
              ms(l.getMaxValue())));
      rows.append(
          String.format(
              Locale.ROOT,
              "| heap per open bucket, %s | %.0f bytes (bucket state lives in SQLite) | reported |%n",
              e.pattern().name().toLowerCase(Locale.ROOT),
              e.heapBytesPerOpenBucket()));
      rows.append(
          String.format(
              Locale.ROOT,
              "| SQLite writer thread's CPU per event, %s ingest | %.1f µs | reported |%n",
              e.pattern().name().toLowerCase(Locale.ROOT),
              e.writerMicrosPerEvent()));
    }
    return String.format(
        Locale.ROOT,
        """
        # Digest benchmark: embedded backend (SQLite)

        Run: `bin/herald-bench digest` on %s, %s.

        | figure | measured | target |
        |---|---|---|
        %s| ingest over HTTP (JSON arrays of %d, %d clients, loopback, same JVM, round-robin sellers) | **%,.0f events/s** acknowledged (%.2f s; engine caught up at %.2f s) | ≥ 30,000 events/s |

        Workloads: **bursts** has 1,000 sellers at a time scanning 10 packages each, interleaved (a busy
        drop-off); **random** draws every scan's seller at random among all of them, the worst case
        for grouping by key, since every batch then touches most buckets.

        Ingest counts an event once it is in the log (appended by %d threads in batches of 1000),
        applied to its bucket and acknowledged; those scans are dated one hour ahead (`timeField`) so
        their buckets stay open. Lateness is the time a notification was durably written to the outbox
        minus its due time, for probe scans of fresh sellers (quiet period %s) sent at a steady rate
        after the ingest, in the same rule, while the dispatcher delivers every notification to the
        `notifications` stream. The in-process runs follow an unreported warm-up of 200,000 scans,
        so that they measure compiled code rather than the JIT compiling it.

        The SQLite writer thread's CPU per event is read from the JVM's clock of that thread over
        the ingest. Every write waits for that one thread, so the figure tells how close a run came
        to its limit (a million microseconds per second).
        """,
        machine,
        Instant.now(),
        rows,
        h.batch(),
        h.clients(),
        h.eventsPerSecond(),
        h.seconds(),
        h.caughtUpSeconds(),
        EmbeddedDigestBenchmark.PRODUCERS,
        EmbeddedDigestBenchmark.QUIET);
  }
}
