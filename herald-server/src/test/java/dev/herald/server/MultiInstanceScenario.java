package dev.herald.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two server processes and a worker on one shared store share the work and emit each scan once; run
 * once per shared store ({@code RedisMultiInstanceIT}, {@code PostgresMultiInstanceIT}).
 */
abstract class MultiInstanceScenario {

  private static final int SCANS = 100_000;
  private static final int SELLERS = 10_000;

  @TempDir Path dir;
  private final List<AutoCloseable> processes = new ArrayList<>();
  private Path config;

  /** The {@code store:} section of the configuration, on storage of this test's own. */
  protected abstract String storeSection();

  /** Removes what the test stored. */
  protected abstract void cleanStore();

  @BeforeEach
  void writeConfig() throws Exception {
    config = dir.resolve("herald.yaml");
    Files.writeString(
        config,
        storeSection()
            + """
        server:
          maxBodySize: 4MiB
        streams:
          scans: {}
          notifications: {}
        digests:
          seller-scans:
            stream: scans
            groupBy: seller_id
            collect: package_id
            quietPeriod: PT1S
            deliver:
              - stream: notifications
        """);
  }

  @AfterEach
  void stopAll() throws Exception {
    for (AutoCloseable process : processes) {
      process.close();
    }
    cleanStore();
  }

  protected ServerProcess server(String name) {
    ServerProcess server =
        ServerProcess.start(
            config, dir.resolve(name), ServerProcess.freePort(), dir.resolve(name + ".log"));
    processes.add(server);
    return server;
  }

  private void worker() {
    Process worker =
        ServerProcess.herald(
            dir.resolve("worker.log"), Map.of(), "worker", "--config", config.toString());
    processes.add(
        () -> {
          worker.destroy();
          worker.waitFor(30, TimeUnit.SECONDS);
        });
  }

  /**
   * Posts the scans round-robin to the servers; {@code atStop} runs in a posting thread once {@code
   * stopAfter} are acknowledged (and again for later batches: it must act once).
   */
  private Set<String> post(List<ServerProcess> servers, int stopAfter, Runnable atStop)
      throws Exception {
    return post(servers, SCANS, stopAfter, atStop);
  }

  protected Set<String> post(List<ServerProcess> servers, int scans, int stopAfter, Runnable atStop)
      throws Exception {
    Set<String> acknowledged = ConcurrentHashMap.newKeySet();
    AtomicInteger next = new AtomicInteger();
    ExecutorService pool = Executors.newFixedThreadPool(4);
    List<Future<?>> futures = new ArrayList<>();
    for (int t = 0; t < 4; t++) {
      futures.add(
          pool.submit(
              () -> {
                for (int from = next.getAndAdd(500); from < scans; from = next.getAndAdd(500)) {
                  StringBuilder body = new StringBuilder("[");
                  List<String> packages = new ArrayList<>();
                  for (int i = from; i < from + 500; i++) {
                    packages.add("P" + i);
                    body.append(i == from ? "" : ",")
                        .append("{\"seller_id\":")
                        .append(i % SELLERS)
                        .append(",\"package_id\":\"P")
                        .append(i)
                        .append("\"}");
                  }
                  body.append(']');
                  // Round-robin over the servers. A refused connection was never received, so it
                  // goes to the
                  // next server; a request cut off mid-way may have been stored, so it is not sent
                  // again
                  // (that would be the producer duplicating it) and counts as unacknowledged.
                  for (int attempt = 0; attempt < servers.size(); attempt++) {
                    ServerProcess target = servers.get((from / 500 + attempt) % servers.size());
                    try {
                      if (new TestHttp(target.port())
                              .post("/api/streams/scans/events", body.toString())
                              .status()
                          == 201) {
                        acknowledged.addAll(packages);
                      }
                      break;
                    } catch (UncheckedIOException down) {
                      if (!(down.getCause() instanceof java.net.ConnectException)) {
                        break;
                      }
                    }
                  }
                  if (acknowledged.size() >= stopAfter) {
                    atStop.run();
                  }
                }
                return null;
              }));
    }
    for (Future<?> f : futures) {
      f.get();
    }
    pool.shutdown();
    return acknowledged;
  }

  private static Map<String, Integer> notifiedItems(TestHttp http) {
    Map<String, Integer> seen = new HashMap<>();
    String after = "";
    while (true) {
      JsonNode page =
          http.get("/api/notifications?limit=1000" + (after.isEmpty() ? "" : "&after=" + after))
              .json();
      for (JsonNode n : page.path("notifications")) {
        n.path("items").forEach(item -> seen.merge(item.asText(), 1, Integer::sum));
      }
      if (page.path("notifications").size() < 1000) {
        return seen;
      }
      after = page.path("next").asText();
    }
  }

  /** What {@code expected} holds that {@code actual} lacks (AssertJ's containsAll is quadratic). */
  private static Set<String> missing(Set<String> expected, Set<String> actual) {
    Set<String> missing = new java.util.HashSet<>(expected);
    missing.removeAll(actual);
    return missing;
  }

  protected static void assertEachOnce(TestHttp http, Set<String> acknowledged, int atLeast) {
    assertEachOnce(http, acknowledged, atLeast, Duration.ofMinutes(2));
  }

  protected static void assertEachOnce(
      TestHttp http, Set<String> acknowledged, int atLeast, Duration within) {
    await()
        .atMost(within)
        .pollInterval(Duration.ofSeconds(1))
        .until(
            () ->
                http.get("/api/digests").json().path("digests").path(0).path("openBuckets").asInt()
                        == 0
                    && missing(acknowledged, notifiedItems(http).keySet()).isEmpty());
    Map<String, Integer> seen = notifiedItems(http);
    assertThat(acknowledged).hasSizeGreaterThanOrEqualTo(atLeast);
    assertThat(missing(acknowledged, seen.keySet()))
        .as("acknowledged scans in no notification")
        .isEmpty();
    assertThat(seen.entrySet())
        .as("no scan is notified twice")
        .allSatisfy(e -> assertThat(e.getValue()).isEqualTo(1));
  }

  @Test
  void shouldPutEveryScanPostedAcrossTwoServersInExactlyOneNotification() throws Exception {
    ServerProcess a = server("a");
    ServerProcess b = server("b");
    worker();

    Set<String> acknowledged = post(List.of(a, b), Integer.MAX_VALUE, () -> {});

    assertThat(acknowledged).hasSize(SCANS);
    assertEachOnce(new TestHttp(a.port()), acknowledged, SCANS);
  }

  @Test
  void shouldLoseAndDuplicateNothingWhenOneServerIsKilledMidRun() throws Exception {
    ServerProcess a = server("a");
    ServerProcess b = server("b");
    worker();
    AtomicInteger kills = new AtomicInteger();

    Set<String> acknowledged =
        post(
            List.of(a, b),
            30_000,
            () -> {
              if (kills.getAndIncrement() == 0) {
                try {
                  b.kill();
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                }
              }
            });

    // What b had read but not acknowledged is claimed by a or the worker after the 30 s lease.
    assertEachOnce(new TestHttp(a.port()), acknowledged, 30_000);
  }
}
