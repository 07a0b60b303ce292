package dev.herald.bench;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * One topic, many subscribers: Herald (a server process; half the subscribers on SSE, half on
 * WebSocket) beside Redis Pub/Sub (one connection per subscriber), with the same messages published
 * by 4 threads, each on its own {@link LeanPublisher} connection. Each message carries its send
 * time (this JVM's nanoTime), so every delivery's latency is measured where it is received.
 */
final class LiveBenchmark {

  /**
   * @param serverCpuSeconds CPU time the server (the Herald process, or redis-server) spent while
   *     the messages were published and delivered
   */
  record Result(
      String design,
      int subscribers,
      int messages,
      long deliveries,
      double seconds,
      Histogram latencyMicros,
      double serverCpuSeconds) {
    double deliveriesPerSecond() {
      return deliveries / seconds;
    }

    double serverCpuMicrosPerDelivery() {
      return serverCpuSeconds * 1e6 / deliveries;
    }
  }

  private static final int PUBLISHERS = 4;

  /**
   * A warm-up round ends the warm-up when the server's JIT compiler used less CPU than this in it.
   */
  private static final long WARM_UP_SETTLED_MS = 300;

  private static final int MAX_WARM_UP_ROUNDS = 6;

  private final int subscribers;
  private final int messages;

  /** Messages per second over all publishers; 0 publishes as fast as they can. */
  private final double rate;

  LiveBenchmark(int subscribers, int messages, double rate) {
    this.subscribers = subscribers;
    this.messages = messages;
    this.rate = rate;
  }

  /**
   * Rounds of 10 s at 100 messages/s, unreported, until the server's JIT compiler is done (a round
   * in which its compiler threads used less than {@link #WARM_UP_SETTLED_MS} of CPU): after one
   * round, C2 still used 12% of a core during the measured paced run (2026-12-03). Where the
   * compiler threads cannot be read (no /proc), one round.
   */
  static void warmUpServer(int subscribers, int port, ProcessHandle server) throws Exception {
    for (int round = 1; round <= MAX_WARM_UP_ROUNDS; round++) {
      long before = compilerCpuMillis(server.pid());
      new LiveBenchmark(subscribers, 1000, 100).herald(port, server);
      long compiled = compilerCpuMillis(server.pid()) - before;
      System.out.printf(
          "live, warm-up round %d (10 s at 100 messages/s, not reported): server JIT compiler %s%n",
          round,
          before < 0 ? "not readable" : String.format(Locale.ROOT, "%,d ms of CPU", compiled));
      if (before < 0 || compiled < WARM_UP_SETTLED_MS) {
        return;
      }
    }
  }

  /**
   * CPU time of the JIT compiler threads of a process, from /proc; -1 where that is not readable.
   */
  static long compilerCpuMillis(long pid) {
    Path tasks = Path.of("/proc", Long.toString(pid), "task");
    long ticks = 0;
    try (var threads = Files.list(tasks)) {
      for (Path thread : threads.toList()) {
        String stat;
        try {
          stat = Files.readString(thread.resolve("stat"));
        } catch (IOException ended) {
          continue;
        }
        String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
        if (name.startsWith("C1 Compiler") || name.startsWith("C2 Compiler")) {
          String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
          ticks += Long.parseLong(fields[11]) + Long.parseLong(fields[12]); // utime, stime
        }
      }
    } catch (IOException | RuntimeException unreadable) {
      return -1;
    }
    return ticks * 10; // USER_HZ is 100 on Linux
  }

  /**
   * Starts {@code bin/herald server} with one topic on a fresh data folder, with the default live
   * settings (a subscriber may fall 1,024 events behind; the ring keeps 4,096).
   */
  static Process startServer(Path work, int port) throws IOException {
    Path config = work.resolve("live.yaml");
    Files.writeString(
        config,
        """
        streams:
          bench.live: {}
        """);
    String java = ProcessHandle.current().info().command().orElse("java");
    String jar =
        Path.of(LiveBenchmark.class.getProtectionDomain().getCodeSource().getLocation().getPath())
            .toString();
    List<String> command =
        new ArrayList<>(List.of(java, "-Xmx2g", "--enable-native-access=ALL-UNNAMED"));
    // e.g. HERALD_BENCH_SERVER_OPTS=-XX:StartFlightRecording=filename=/tmp/live.jfr to profile the
    // server
    String extra = System.getenv().getOrDefault("HERALD_BENCH_SERVER_OPTS", "").strip();
    if (!extra.isEmpty()) {
      command.addAll(List.of(extra.split("\\s+")));
    }
    command.addAll(
        List.of(
            "-cp",
            jar,
            "dev.herald.server.Main",
            "server",
            "--config",
            config.toString(),
            "--port",
            Integer.toString(port),
            "--data",
            work.resolve("data").toString()));
    Process server =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(work.resolve("server.log").toFile())
            .start();
    HttpClient http = HttpClient.newHttpClient();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline) {
      try {
        if (http.send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health/ready"))
                        .build(),
                    HttpResponse.BodyHandlers.discarding())
                .statusCode()
            == 200) {
          return server;
        }
      } catch (IOException | InterruptedException notYet) {
        // starting
      }
      sleep(200);
    }
    server.destroyForcibly();
    throw new IllegalStateException(
        "the Herald server did not start; see " + work.resolve("server.log"));
  }

  static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  Result herald(int port, ProcessHandle server) throws Exception {
    Recorder latency = new Recorder(3);
    Recorder sseLatency = new Recorder(3);
    Recorder webSocketLatency = new Recorder(3);
    AtomicLong delivered = new AtomicLong();
    List<LeanSubscribers.Connection> connections = new ArrayList<>();
    for (int i = 0; i < subscribers; i++) {
      connections.add(
          i % 2 == 0
              ? LeanSubscribers.sse(
                  "127.0.0.1",
                  port,
                  "/api/streams/bench.live/live",
                  line -> record(line, latency, sseLatency, delivered))
              : LeanSubscribers.webSocket(
                  "127.0.0.1",
                  port,
                  "/ws/streams/bench.live",
                  text -> record(text, latency, webSocketLatency, delivered)));
    }
    sleep(2000); // every subscription joined the live feed
    latency.reset();
    sseLatency.reset();
    webSocketLatency.reset();
    List<LeanPublisher> publishers = new ArrayList<>();
    for (int p = 0; p < PUBLISHERS; p++) {
      publishers.add(LeanPublisher.http("127.0.0.1", port, "/api/streams/bench.live/events"));
    }
    Recorder posts = new Recorder(3);
    double cpuBefore = cpuSeconds(server);
    long start = System.nanoTime();
    publish(
        i -> {
          long sent = System.nanoTime();
          String body = "{\"sent\":" + sent + ",\"n\":" + i + "}";
          publishers
              .get(i % PUBLISHERS)
              .publish(body); // each publisher thread has its own connection
          posts.recordValue(Math.max(1, (System.nanoTime() - sent) / 1000));
        });
    publishers.forEach(LeanPublisher::close);
    printRoundTrips("POST", posts.getIntervalHistogram());
    long expected = (long) subscribers * messages;
    double seconds = waitFor(delivered, expected, start);
    double cpu = cpuSeconds(server) - cpuBefore;
    Histogram histogram = latency.getIntervalHistogram();
    Histogram sse = sseLatency.getIntervalHistogram();
    Histogram webSocket = webSocketLatency.getIntervalHistogram();
    System.out.printf(
        "  latency by protocol: SSE p50 %.1f ms, p99 %.1f ms; WebSocket p50 %.1f ms, p99 %.1f ms%n",
        sse.getValueAtPercentile(50) / 1000.0,
        sse.getValueAtPercentile(99) / 1000.0,
        webSocket.getValueAtPercentile(50) / 1000.0,
        webSocket.getValueAtPercentile(99) / 1000.0);
    connections.forEach(LeanSubscribers.Connection::close);
    return new Result(
        "Herald (SSE + WebSocket, persisted, resumable)",
        subscribers,
        messages,
        delivered.get(),
        seconds,
        histogram,
        cpu);
  }

  Result redisPubSub(String url) throws Exception {
    Recorder latency = new Recorder(3);
    AtomicLong delivered = new AtomicLong();
    URI redis = URI.create(url);
    int db = redis.getPath().length() > 1 ? Integer.parseInt(redis.getPath().substring(1)) : 0;
    List<LeanSubscribers.Connection> connections = new ArrayList<>();
    RedisClient client = RedisClient.create(url);
    try {
      for (int i = 0; i < subscribers; i++) {
        connections.add(
            LeanSubscribers.redisSubscriber(
                redis.getHost(),
                redis.getPort(),
                db,
                "bench.live",
                m -> record(m, latency, delivered)));
      }
      sleep(1000);
      latency.reset();
      StatefulRedisConnection<String, String> stats = client.connect(); // redis-server's CPU time
      List<LeanPublisher> publishers = new ArrayList<>();
      for (int p = 0; p < PUBLISHERS; p++) {
        publishers.add(LeanPublisher.redis(redis.getHost(), redis.getPort(), db, "bench.live"));
      }
      Recorder round = new Recorder(3);
      double cpuBefore = redisCpuSeconds(stats);
      long start = System.nanoTime();
      publish(
          i -> {
            long sent = System.nanoTime();
            publishers.get(i % PUBLISHERS).publish("{\"sent\":" + sent + ",\"n\":" + i + "}");
            round.recordValue(Math.max(1, (System.nanoTime() - sent) / 1000));
          });
      publishers.forEach(LeanPublisher::close);
      printRoundTrips("PUBLISH", round.getIntervalHistogram());
      double seconds = waitFor(delivered, (long) subscribers * messages, start);
      double cpu = redisCpuSeconds(stats) - cpuBefore;
      stats.close();
      return new Result(
          "Redis Pub/Sub (nothing kept)",
          subscribers,
          messages,
          delivered.get(),
          seconds,
          latency.getIntervalHistogram(),
          cpu);
    } finally {
      connections.forEach(LeanSubscribers.Connection::close);
      client.shutdown();
    }
  }

  private static double cpuSeconds(ProcessHandle process) {
    return process
            .info()
            .totalCpuDuration()
            .orElseThrow(() -> new IllegalStateException("the server's CPU time is not readable"))
            .toNanos()
        / 1e9;
  }

  /** redis-server's CPU time (user + system) as it reports it in INFO. */
  private static double redisCpuSeconds(StatefulRedisConnection<String, String> connection) {
    double seconds = 0;
    for (String line : connection.sync().info("cpu").lines().toList()) {
      if (line.startsWith("used_cpu_user:") || line.startsWith("used_cpu_sys:")) {
        seconds += Double.parseDouble(line.substring(line.indexOf(':') + 1).strip());
      }
    }
    return seconds;
  }

  @FunctionalInterface
  interface Publish {
    void message(int i) throws Exception;
  }

  private void publish(Publish publish) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(PUBLISHERS);
    long begin = System.nanoTime();
    try {
      List<Future<?>> futures = new ArrayList<>();
      for (int p = 0; p < PUBLISHERS; p++) {
        int first = p;
        futures.add(
            pool.submit(
                () -> {
                  for (int i = first; i < messages; i += PUBLISHERS) {
                    if (rate > 0) {
                      long due = begin + (long) (i / rate * 1e9);
                      while (System.nanoTime() < due) {
                        java.util.concurrent.locks.LockSupport.parkNanos(due - System.nanoTime());
                      }
                    }
                    publish.message(i);
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

  private static double waitFor(AtomicLong delivered, long expected, long start) {
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
    while (delivered.get() < expected && System.nanoTime() < deadline) {
      sleep(5);
    }
    return (System.nanoTime() - start) / 1e9;
  }

  /** Publish round trips alone: part of every delivery's latency, and the server's to answer. */
  private static void printRoundTrips(String command, Histogram micros) {
    System.out.printf(
        "  %s round trips: p50 %.1f ms, p99 %.1f ms, max %.1f ms%n",
        command,
        micros.getValueAtPercentile(50) / 1000.0,
        micros.getValueAtPercentile(99) / 1000.0,
        micros.getMaxValue() / 1000.0);
  }

  private static void record(String text, Recorder latency, AtomicLong delivered) {
    record(text, latency, null, delivered);
  }

  /** Records one delivery's latency in {@code latency} and, when given, in {@code alsoIn}. */
  private static void record(String text, Recorder latency, Recorder alsoIn, AtomicLong delivered) {
    int at = text.indexOf("\"sent\":");
    if (at < 0) {
      return;
    }
    int from = at + 7;
    int to = from;
    while (to < text.length() && Character.isDigit(text.charAt(to))) {
      to++;
    }
    long sent = Long.parseLong(text, from, to, 10);
    long micros = Math.max(1, (System.nanoTime() - sent) / 1000);
    latency.recordValue(micros);
    if (alsoIn != null) {
      alsoIn.recordValue(micros);
    }
    delivered.incrementAndGet();
  }

  /** Opens {@code idle} SSE subscribers and returns the server's heap growth per subscriber. */
  static double idleHeapBytesPerSubscriber(int port, long serverPid, int idle) throws Exception {
    HttpClient http =
        HttpClient.newBuilder().executor(Executors.newVirtualThreadPerTaskExecutor()).build();
    long before = serverHeapAfterGc(http, port, serverPid);
    List<LeanSubscribers.Connection> open = new ArrayList<>();
    for (int i = 0; i < idle; i++) {
      open.add(LeanSubscribers.sse("127.0.0.1", port, "/api/streams/bench.live/live", line -> {}));
    }
    sleep(2000);
    long after = serverHeapAfterGc(http, port, serverPid);
    String subscribed = metric(http, port, "herald_live_subscribers");
    open.forEach(LeanSubscribers.Connection::close);
    if (Long.parseLong(subscribed) < idle) {
      throw new IllegalStateException(
          "only " + subscribed + " of " + idle + " subscribers were open");
    }
    return (after - before) / (double) idle;
  }

  private static long serverHeapAfterGc(HttpClient http, int port, long pid) throws Exception {
    Path jcmd =
        Path.of(ProcessHandle.current().info().command().orElse("java")).resolveSibling("jcmd");
    new ProcessBuilder(jcmd.toString(), Long.toString(pid), "GC.run")
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.DISCARD)
        .start()
        .waitFor(30, TimeUnit.SECONDS);
    sleep(500);
    return Long.parseLong(metric(http, port, "herald_jvm_heap_used_bytes"));
  }

  private static String metric(HttpClient http, int port, String name) throws Exception {
    String text =
        http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString())
            .body();
    return text.lines()
        .filter(l -> l.startsWith(name + " "))
        .findFirst()
        .orElseThrow()
        .split(" ")[1];
  }
}
