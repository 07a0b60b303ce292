package dev.herald.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.server.TestHttp.Answer;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pulls that go wrong between the server taking the items and the client having them: a client that
 * hangs up before reading the answer, and a server killed with {@code kill -9} while clients pull
 * and acknowledge. Nothing a client did not acknowledge may be lost, and nothing it acknowledged
 * may come again.
 */
class InboxPullCrashIT {

  private static final int KILLS = 3;
  private static final int PULLERS = 4;
  private static final List<String> USERS =
      IntStream.rangeClosed(1, 20).mapToObj(Integer::toString).toList();
  private static final String CONFIG =
      ReviewsApiTest.REVIEWS.replace(
          "staleAfter: PT20S", "staleAfter: PT20S\n    ackTimeout: PT2S");

  @TempDir Path dir;

  private Path config() throws Exception {
    Path config = dir.resolve("herald.yaml");
    Files.writeString(config, CONFIG);
    Files.writeString(dir.resolve("brand-users.json"), "{\"Brand1\": " + USERS + "}");
    return config;
  }

  @Test
  void shouldGiveBackABatchWhoseClientHungUpBeforeReadingIt() throws Exception {
    int port = ServerProcess.freePort();
    try (ServerProcess server =
        ServerProcess.start(config(), dir.resolve("data"), port, dir.resolve("server.log"))) {
      TestHttp http = new TestHttp(port);
      StringBuilder batch = new StringBuilder("[");
      for (int i = 0; i < 500; i++) {
        batch
            .append(i == 0 ? "" : ",")
            .append("{\"brand\":\"Brand1\",\"review_id\":\"r")
            .append(i)
            .append("\",\"text\":\"")
            .append("x".repeat(200))
            .append("\"}");
      }
      assertThat(http.post("/api/streams/reviews/events", batch.append("]").toString()).status())
          .isEqualTo(201);
      await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> http.get("/api/inboxes/reviews/1").json().path("items").size() == 500);

      try (RawSocket client = new RawSocket(port)) {
        client.send(
            "POST /api/inboxes/reviews/1/pull HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\n\r\n");
        client
            .socket()
            .setSoLinger(true, 0); // hang up at once, with a reset, before reading anything
      }
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> http.get("/api/inboxes/reviews/1").json().path("items").isEmpty());

      await("the batch comes back after the 2 s ackTimeout")
          .atMost(Duration.ofSeconds(15))
          .until(() -> http.get("/api/inboxes/reviews/1").json().path("items").size() == 500);
      JsonNode pull = http.post("/api/inboxes/reviews/1/pull", "").json();
      assertThat(pull.path("items")).hasSize(500);
      assertThat(
              http.post("/api/inboxes/reviews/1/pull/" + pull.path("pullId").asText() + "/ack", "")
                  .status())
          .isEqualTo(204);
    }
  }

  @Test
  void shouldLoseNoUnacknowledgedItemAndRepeatNoAcknowledgedOneAcrossKill9sMidPull()
      throws Exception {
    Path config = config();
    Path data = dir.resolve("data");
    int port = ServerProcess.freePort();
    Map<String, Boolean> posted = new ConcurrentHashMap<>();
    Set<String> received = ConcurrentHashMap.newKeySet();
    Map<String, Integer> acknowledged = new ConcurrentHashMap<>();
    List<String> repeatedAfterAck = new ArrayList<>();

    AtomicBoolean stop = new AtomicBoolean();
    List<Thread> clients = new ArrayList<>();
    for (int kill = 1; kill <= KILLS; kill++) {
      ServerProcess server =
          ServerProcess.start(config, data, port, dir.resolve("server-" + kill + ".log"));
      if (clients.isEmpty()) {
        clients.add(Thread.ofVirtual().start(() -> post(port, posted, stop)));
        for (int p = 0; p < PULLERS; p++) {
          List<String> users =
              USERS.subList(p * USERS.size() / PULLERS, (p + 1) * USERS.size() / PULLERS);
          clients.add(
              Thread.ofVirtual()
                  .start(
                      () ->
                          pullUntilStopped(
                              port, users, received, acknowledged, repeatedAfterAck, stop)));
        }
      }
      int target = kill * 1_500;
      await().atMost(Duration.ofSeconds(60)).until(() -> acknowledged.size() >= target);
      server.kill();
    }
    try (ServerProcess last =
        ServerProcess.start(config, data, port, dir.resolve("server-last.log"))) {
      await()
          .atMost(Duration.ofSeconds(60))
          .until(() -> acknowledged.size() >= (KILLS + 1) * 1_500);
      stop.set(true);
      for (Thread client : clients) {
        client.join();
      }
      // drain: what was reserved when the first server died comes back after the 2 s ackTimeout
      TestHttp http = new TestHttp(port);
      long quietSince = System.nanoTime();
      while (System.nanoTime() - quietSince < Duration.ofSeconds(6).toNanos()) {
        if (pullAll(http, USERS, received, acknowledged, repeatedAfterAck) > 0) {
          quietSince = System.nanoTime();
        }
        Thread.sleep(200);
      }
    }

    Set<String> missing = new HashSet<>();
    posted
        .keySet()
        .forEach(
            review ->
                USERS.forEach(
                    user -> {
                      if (!received.contains(user + "/" + review)) {
                        missing.add(user + "/" + review);
                      }
                    }));
    assertThat(posted).hasSizeGreaterThan(100);
    assertThat(missing).as("posted reviews a user never received").isEmpty();
    assertThat(repeatedAfterAck)
        .as("items received again after their pull was acknowledged")
        .isEmpty();
    assertThat(acknowledged.values()).as("items acknowledged twice").allMatch(n -> n == 1);
  }

  /**
   * Posts reviews of Brand1 (one event each, so each reaches each user exactly once) until stopped.
   */
  private static void post(int port, Map<String, Boolean> posted, AtomicBoolean stop) {
    TestHttp http = new TestHttp(port);
    int n = 0;
    while (!stop.get()) {
      String review = "r" + n++;
      try {
        if (http.post(
                    "/api/streams/reviews/events",
                    "{\"brand\":\"Brand1\",\"review_id\":\"" + review + "\"}")
                .status()
            == 201) {
          posted.put(review, true);
        }
      } catch (UncheckedIOException down) {
        sleep(100); // the server is being killed or restarted
      }
    }
  }

  private static void pullUntilStopped(
      int port,
      List<String> users,
      Set<String> received,
      Map<String, Integer> acknowledged,
      List<String> repeated,
      AtomicBoolean stop) {
    TestHttp http = new TestHttp(port);
    while (!stop.get()) {
      try {
        pullAll(http, users, received, acknowledged, repeated);
      } catch (UncheckedIOException | IllegalStateException down) {
        sleep(100);
      }
    }
  }

  /** Pulls and acknowledges each user's inbox once; returns how many items came. */
  private static int pullAll(
      TestHttp http,
      List<String> users,
      Set<String> received,
      Map<String, Integer> acknowledged,
      List<String> repeated) {
    int items = 0;
    for (String user : users) {
      Answer pull = http.post("/api/inboxes/reviews/" + user + "/pull", "");
      if (pull.status() != 200) {
        continue;
      }
      List<String> batch = new ArrayList<>();
      for (JsonNode item : pull.json().path("items")) {
        String key = user + "/" + item.path("key").asText();
        batch.add(key);
        received.add(key);
        if (acknowledged.containsKey(key)) {
          synchronized (repeated) {
            repeated.add(key);
          }
        }
      }
      items += batch.size();
      if (pull.json().hasNonNull("pullId")
          && http.post(
                      "/api/inboxes/reviews/"
                          + user
                          + "/pull/"
                          + pull.json().path("pullId").asText()
                          + "/ack",
                      "")
                  .status()
              == 204) {
        batch.forEach(key -> acknowledged.merge(key, 1, Integer::sum));
      }
    }
    return items;
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
