package dev.herald.bench;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * One topic, many subscribers: Herald (a server process; half the subscribers on SSE, half on
 * WebSocket) beside Redis Pub/Sub (one connection per subscriber), with the same messages
 * published by 4 threads. Each message carries its send time (this JVM's nanoTime), so every
 * delivery's latency is measured where it is received.
 */
final class LiveBenchmark {

  record Result(String design, int subscribers, int messages, long deliveries, double seconds, Histogram latencyMicros) {
    double deliveriesPerSecond() {
      return deliveries / seconds;
    }
  }

  private static final int PUBLISHERS = 4;

  private final int subscribers;
  private final int messages;
  /** Messages per second over all publishers; 0 publishes as fast as they can. */
  private final double rate;

  LiveBenchmark(int subscribers, int messages, double rate) {
    this.subscribers = subscribers;
    this.messages = messages;
    this.rate = rate;
  }

  /** Starts {@code bin/herald server} with one topic on a fresh data folder. */
  static Process startServer(Path work, int port) throws IOException {
    Path config = work.resolve("live.yaml");
    Files.writeString(config, """
        streams:
          bench.live: {}
        live:
          maxLag: 100000
          ringCapacity: 100000
        """);
    String java = ProcessHandle.current().info().command().orElse("java");
    String jar = Path.of(LiveBenchmark.class.getProtectionDomain().getCodeSource().getLocation().getPath()).toString();
    Process server = new ProcessBuilder(java, "-Xmx2g", "--enable-native-access=ALL-UNNAMED", "-cp", jar, "dev.herald.server.Main", "server",
        "--config", config.toString(), "--port", Integer.toString(port), "--data", work.resolve("data").toString())
        .redirectErrorStream(true).redirectOutput(work.resolve("server.log").toFile()).start();
    HttpClient http = HttpClient.newHttpClient();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline) {
      try {
        if (http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health/ready")).build(),
            HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
          return server;
        }
      } catch (IOException | InterruptedException notYet) {
        // starting
      }
      sleep(200);
    }
    server.destroyForcibly();
    throw new IllegalStateException("the Herald server did not start; see " + work.resolve("server.log"));
  }

  static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  Result herald(int port) throws Exception {
    String base = "127.0.0.1:" + port;
    Recorder latency = new Recorder(3);
    AtomicLong delivered = new AtomicLong();
    CountDownLatch connected = new CountDownLatch(subscribers);
    List<AutoCloseable> connections = new ArrayList<>();
    HttpClient http = HttpClient.newBuilder().executor(Executors.newVirtualThreadPerTaskExecutor()).build();
    for (int i = 0; i < subscribers; i++) {
      if (i % 2 == 0) {
        HttpResponse<Stream<String>> response = http.send(
            HttpRequest.newBuilder(URI.create("http://" + base + "/api/streams/bench.live/live")).build(), HttpResponse.BodyHandlers.ofLines());
        connected.countDown();
        Thread reader = Thread.ofVirtual().start(() -> {
          try {
            response.body().forEach(line -> {
              if (line.startsWith("data: ")) {
                record(line, latency, delivered);
              }
            });
          } catch (RuntimeException closed) {
            // end of the run
          }
        });
        connections.add(() -> {
          response.body().close();
          reader.interrupt();
        });
      } else {
        WebSocket socket = http.newWebSocketBuilder().buildAsync(URI.create("ws://" + base + "/ws/streams/bench.live"), new WebSocket.Listener() {
          private final StringBuilder partial = new StringBuilder();

          @Override
          public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
              record(partial.toString(), latency, delivered);
              partial.setLength(0);
            }
            webSocket.request(1);
            return null;
          }
        }).join();
        connected.countDown();
        connections.add(socket::abort);
      }
    }
    connected.await();
    sleep(2000); // every subscription joined the live feed
    latency.reset();
    HttpClient publisher = HttpClient.newHttpClient();
    long start = System.nanoTime();
    publish(i -> {
      String body = "{\"sent\":" + System.nanoTime() + ",\"n\":" + i + "}";
      HttpResponse<Void> answer = publisher.send(HttpRequest.newBuilder(URI.create("http://" + base + "/api/streams/bench.live/events"))
          .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.discarding());
      if (answer.statusCode() != 201) {
        throw new IllegalStateException("publish answered " + answer.statusCode());
      }
    });
    long expected = (long) subscribers * messages;
    double seconds = waitFor(delivered, expected, start);
    Histogram histogram = latency.getIntervalHistogram();
    for (AutoCloseable c : connections) {
      c.close();
    }
    return new Result("Herald (SSE + WebSocket, persisted, resumable)", subscribers, messages, delivered.get(), seconds, histogram);
  }

  Result redisPubSub(String url) throws Exception {
    Recorder latency = new Recorder(3);
    AtomicLong delivered = new AtomicLong();
    RedisClient client = RedisClient.create(url);
    List<StatefulRedisPubSubConnection<String, String>> connections = new ArrayList<>();
    try {
      for (int i = 0; i < subscribers; i++) {
        StatefulRedisPubSubConnection<String, String> connection = client.connectPubSub();
        connection.addListener(new RedisPubSubAdapter<>() {
          @Override
          public void message(String channel, String message) {
            record(message, latency, delivered);
          }
        });
        connection.sync().subscribe("bench.live");
        connections.add(connection);
      }
      sleep(1000);
      latency.reset();
      List<StatefulRedisConnection<String, String>> publishers = new ArrayList<>();
      for (int p = 0; p < PUBLISHERS; p++) {
        publishers.add(client.connect());
      }
      long start = System.nanoTime();
      publish(i -> publishers.get(i % PUBLISHERS).sync().publish("bench.live", "{\"sent\":" + System.nanoTime() + ",\"n\":" + i + "}"));
      double seconds = waitFor(delivered, (long) subscribers * messages, start);
      publishers.forEach(StatefulRedisConnection::close);
      return new Result("Redis Pub/Sub (nothing kept)", subscribers, messages, delivered.get(), seconds, latency.getIntervalHistogram());
    } finally {
      connections.forEach(StatefulRedisPubSubConnection::close);
      client.shutdown();
    }
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
        futures.add(pool.submit(() -> {
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

  private static void record(String text, Recorder latency, AtomicLong delivered) {
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
    latency.recordValue(Math.max(1, (System.nanoTime() - sent) / 1000));
    delivered.incrementAndGet();
  }

  /** Opens {@code idle} SSE subscribers and returns the server's heap growth per subscriber. */
  static double idleHeapBytesPerSubscriber(int port, long serverPid, int idle) throws Exception {
    HttpClient http = HttpClient.newBuilder().executor(Executors.newVirtualThreadPerTaskExecutor()).build();
    long before = serverHeapAfterGc(http, port, serverPid);
    List<HttpResponse<Stream<String>>> open = new ArrayList<>();
    for (int i = 0; i < idle; i++) {
      open.add(http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/streams/bench.live/live")).build(),
          HttpResponse.BodyHandlers.ofLines()));
    }
    sleep(2000);
    long after = serverHeapAfterGc(http, port, serverPid);
    String subscribed = metric(http, port, "herald_live_subscribers");
    open.forEach(r -> r.body().close());
    if (Long.parseLong(subscribed) < idle) {
      throw new IllegalStateException("only " + subscribed + " of " + idle + " subscribers were open");
    }
    return (after - before) / (double) idle;
  }

  private static long serverHeapAfterGc(HttpClient http, int port, long pid) throws Exception {
    Path jcmd = Path.of(ProcessHandle.current().info().command().orElse("java")).resolveSibling("jcmd");
    new ProcessBuilder(jcmd.toString(), Long.toString(pid), "GC.run").redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
        .start().waitFor(30, TimeUnit.SECONDS);
    sleep(500);
    return Long.parseLong(metric(http, port, "herald_jvm_heap_used_bytes"));
  }

  private static String metric(HttpClient http, int port, String name) throws Exception {
    String text = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).build(),
        HttpResponse.BodyHandlers.ofString()).body();
    return text.lines().filter(l -> l.startsWith(name + " ")).findFirst().orElseThrow().split(" ")[1];
  }
}
