package dev.herald.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kills a real server process with {@code kill -9} while 20 threads post reviews, restarts it, and
 * checks that every acknowledged review reached each responsible user's inbox exactly once.
 */
class ReviewsCrashIT {

  private static final Map<String, List<String>> USERS =
      Map.of("Brand1", List.of("1", "2"), "Brand2", List.of("4"));

  @TempDir Path dir;

  @Test
  void shouldLoseNoAcknowledgedReviewAndCountNoneTwiceAcrossAKill9() throws Exception {
    Path config = dir.resolve("herald.yaml");
    Files.writeString(config, ReviewsApiTest.REVIEWS);
    Files.writeString(dir.resolve("brand-users.json"), "{\"Brand1\": [1, 2], \"Brand2\": [4]}");
    Path data = dir.resolve("data");
    int port = ServerProcess.freePort();
    ServerProcess first = ServerProcess.start(config, data, port, dir.resolve("first.log"));

    PostingLoad load =
        new PostingLoad(
            port,
            "/api/streams/reviews/events",
            20,
            numbers -> {
              StringBuilder batch = new StringBuilder("[");
              Map<String, String> reviews = new HashMap<>();
              for (int i = 0; i < 5; i++) {
                int n = numbers.getAsInt();
                String brand = n % 2 == 0 ? "Brand1" : "Brand2";
                reviews.put("r" + n, brand);
                batch
                    .append(i == 0 ? "" : ",")
                    .append("{\"brand\":\"")
                    .append(brand)
                    .append("\",\"review_id\":\"r")
                    .append(n)
                    .append("\"}");
              }
              return new PostingLoad.Batch(batch.append("]").toString(), reviews);
            });
    Map<String, String> acknowledged = load.acknowledged;
    Map<String, String> attempted = load.attempted;
    await().atMost(Duration.ofSeconds(60)).until(() -> acknowledged.size() >= 3_000);
    first.kill();
    load.stop();
    long expectedDeliveries =
        acknowledged.values().stream().mapToLong(brand -> USERS.get(brand).size()).sum();

    try (ServerProcess second =
        ServerProcess.start(config, data, port, dir.resolve("second.log"))) {
      TestHttp http = new TestHttp(port);
      AtomicLong last = new AtomicLong(-1);
      await()
          .atMost(Duration.ofSeconds(60))
          .pollInterval(Duration.ofSeconds(1))
          .until(
              () -> {
                long pending =
                    http.get("/api/inboxes")
                        .json()
                        .path("inboxes")
                        .path(0)
                        .path("pendingItems")
                        .asLong();
                boolean settled = pending >= expectedDeliveries && pending == last.get();
                last.set(pending);
                return settled;
              });

      Map<String, Integer> changes = new HashMap<>();
      for (String user : List.of("1", "2", "4")) {
        for (JsonNode item :
            http.post("/api/inboxes/reviews/" + user + "/pull", "").json().path("items")) {
          changes.merge(
              user + "/" + item.path("key").asText(), item.path("changes").asInt(), Integer::sum);
        }
      }
      assertThat(acknowledged).hasSizeGreaterThanOrEqualTo(3_000);
      Set<String> missing = new HashSet<>();
      acknowledged.forEach(
          (review, brand) ->
              USERS
                  .get(brand)
                  .forEach(
                      user -> {
                        if (!changes.containsKey(user + "/" + review)) {
                          missing.add(user + "/" + review);
                        }
                      }));
      assertThat(missing)
          .as("acknowledged reviews missing from a responsible user's inbox")
          .isEmpty();
      assertThat(
              changes.entrySet().stream()
                  .filter(e -> e.getValue() != 1)
                  .map(Map.Entry::getKey)
                  .toList())
          .as("reviews counted more than once")
          .isEmpty();
      List<String> invented =
          changes.keySet().stream()
              .filter(
                  k -> {
                    String[] parts = k.split("/");
                    String brand = attempted.get(parts[1]);
                    return brand == null || !USERS.get(brand).contains(parts[0]);
                  })
              .toList();
      assertThat(invented).as("inbox items nobody sent, or sent to the wrong user").isEmpty();
    }
  }
}
