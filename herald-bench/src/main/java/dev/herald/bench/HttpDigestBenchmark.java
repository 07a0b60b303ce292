package dev.herald.bench;

import dev.herald.server.HeraldServer;
import dev.herald.server.Jobs;
import dev.herald.server.config.HeraldConfig;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Seller scans posted over HTTP as JSON-array batches by several client threads to a Herald server
 * on the embedded backend, or a given shared store (same JVM, loopback). Throughput is events
 * acknowledged (201) per second; the time for the engine to finish applying them is reported beside
 * it.
 */
final class HttpDigestBenchmark {

  record Result(
      long events,
      int batch,
      int clients,
      double seconds,
      double eventsPerSecond,
      double caughtUpSeconds) {}

  private final int events;
  private final int sellers;
  private final int batch;
  private final int clients;
  private final Path dir;
  private final Optional<String[]> store;

  HttpDigestBenchmark(int events, int sellers, int batch, int clients, Path dir) {
    this(events, sellers, batch, clients, dir, Optional.empty());
  }

  /**
   * @param store the store's URL and schema, when the server is to run on a shared store rather
   *     than the embedded one
   */
  HttpDigestBenchmark(
      int events, int sellers, int batch, int clients, Path dir, Optional<String[]> store) {
    this.events = events;
    this.sellers = sellers;
    this.batch = batch;
    this.clients = clients;
    this.dir = dir;
    this.store = store;
  }

  Result run() throws Exception {
    Path config = dir.resolve("herald.yaml");
    Files.createDirectories(dir);
    Files.writeString(
        config,
        """
        server:
          port: 0
          maxBodySize: 8MiB
        streams:
          scans: {}
          notifications: {}
        digests:
          seller-scans:
            stream: scans
            groupBy: seller_id
            collect: package_id
            quietPeriod: PT10M
            deliver:
              - stream: notifications
        """);
    HeraldConfig loaded = Jobs.configLoader(Map.of()).load(config);
    loaded = loaded.withServer(loaded.server().withData(dir.resolve("data")));
    if (store.isPresent()) {
      loaded =
          loaded.withServer(
              loaded
                  .server()
                  .withStore(store.get()[0], loaded.server().storePrefix())
                  .withStoreSchema(store.get()[1]));
    }
    try (HeraldServer server = HeraldServer.start(loaded, InstantSource.system())) {
      URI uri = URI.create("http://127.0.0.1:" + server.port() + "/api/streams/scans/events");
      AtomicInteger next = new AtomicInteger();
      ExecutorService pool = Executors.newFixedThreadPool(clients);
      long start = System.nanoTime();
      List<Future<Integer>> futures = new ArrayList<>();
      for (int c = 0; c < clients; c++) {
        futures.add(pool.submit(() -> post(uri, next)));
      }
      long acked = 0;
      for (Future<Integer> f : futures) {
        acked += f.get();
      }
      double seconds = (System.nanoTime() - start) / 1e9;
      pool.shutdown();
      if (acked != events) {
        throw new IllegalStateException(
            "only " + acked + " of " + events + " events were acknowledged");
      }
      EmbeddedDigestBenchmark.await(
          Duration.ofMillis(100),
          () ->
              server.backend().log().info("scans").groups().getFirst().lag() == 0
                  && server.backend().log().info("scans").groups().getFirst().pending() == 0,
          Duration.ofMinutes(10));
      double caughtUp = (System.nanoTime() - start) / 1e9;
      return new Result(events, batch, clients, seconds, events / seconds, caughtUp);
    }
  }

  private int post(URI uri, AtomicInteger next) throws IOException, InterruptedException {
    HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    int acked = 0;
    while (true) {
      int from = next.getAndAdd(batch);
      if (from >= events) {
        return acked;
      }
      int to = Math.min(events, from + batch);
      StringBuilder body = new StringBuilder(batch * 48).append('[');
      for (int i = from; i < to; i++) {
        body.append(i == from ? "" : ",")
            .append("{\"seller_id\":")
            .append(i % sellers)
            .append(",\"package_id\":\"P")
            .append(i)
            .append("\"}");
      }
      body.append(']');
      HttpResponse<String> response =
          http.send(
              HttpRequest.newBuilder(uri)
                  .header("Content-Type", "application/json")
                  .POST(HttpRequest.BodyPublishers.ofString(body.toString()))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      if (response.statusCode() != 201) {
        throw new IllegalStateException("HTTP " + response.statusCode() + ": " + response.body());
      }
      acked += to - from;
    }
  }
}
