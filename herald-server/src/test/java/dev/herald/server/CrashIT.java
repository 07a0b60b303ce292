package dev.herald.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kills a real server process with {@code kill -9} while 20 threads post scans, restarts it, and
 * checks that every acknowledged scan is in exactly one notification.
 */
class CrashIT {

  @TempDir Path dir;

  @Test
  void shouldLoseNoAcknowledgedScanAndDuplicateNoneAcrossAKill9() throws Exception {
    Path config = dir.resolve("herald.yaml");
    Files.writeString(config, ServerFixture.SELLER_SCANS.formatted("PT1S"));
    Path data = dir.resolve("data");
    int port = ServerProcess.freePort();
    ServerProcess first = ServerProcess.start(config, data, port, dir.resolve("first.log"));

    PostingLoad load =
        new PostingLoad(
            port,
            "/api/streams/scans/events",
            20,
            numbers -> {
              StringBuilder batch = new StringBuilder("[");
              Map<String, String> packages = new HashMap<>();
              for (int i = 0; i < 5; i++) {
                int n = numbers.getAsInt();
                packages.put("P" + n, "");
                batch
                    .append(i == 0 ? "" : ",")
                    .append("{\"seller_id\":")
                    .append(n % 1000)
                    .append(",\"package_id\":\"P")
                    .append(n)
                    .append("\"}");
              }
              return new PostingLoad.Batch(batch.append("]").toString(), packages);
            });
    Set<String> acknowledged = load.acknowledged.keySet();
    Set<String> attempted = load.attempted.keySet();
    await().atMost(Duration.ofSeconds(60)).until(() -> acknowledged.size() >= 3_000);
    first.kill();
    load.stop();
    int acknowledgedBeforeKill = acknowledged.size();

    long restart = System.nanoTime();
    try (ServerProcess second =
        ServerProcess.start(config, data, port, dir.resolve("second.log"))) {
      TestHttp http = new TestHttp(port);
      assertThat(acknowledgedBeforeKill).isGreaterThanOrEqualTo(3_000);
      // Events the killed process had read from its group but not yet applied are still pending:
      // wait until the group has nothing pending and every bucket is closed, not for a count of
      // notified scans (scans committed by requests the kill cut off are notified too, so a count
      // can be reached while acknowledged scans are still pending).
      Map<String, Integer> seen = new HashMap<>();
      Set<String> missing = new java.util.HashSet<>();
      await()
          .atMost(Duration.ofSeconds(90))
          .pollInterval(Duration.ofMillis(500))
          .until(
              () -> {
                seen.clear();
                seen.putAll(notifiedItems(http));
                missing.clear();
                missing.addAll(acknowledged);
                missing.removeAll(seen.keySet());
                return missing.isEmpty() && settled(http);
              });
      assertThat(missing).as("acknowledged scans in no notification").isEmpty();
      assertThat(Duration.ofNanos(System.nanoTime() - restart))
          .as("what the killed process left pending is claimed at start, not after its 30 s lease")
          .isLessThan(Duration.ofSeconds(25));
      assertThat(seen.entrySet())
          .as("no scan is notified twice")
          .allSatisfy(e -> assertThat(e.getValue()).isEqualTo(1));
      Set<String> invented = new java.util.HashSet<>(seen.keySet());
      invented.removeAll(attempted);
      assertThat(invented).as("notified scans nobody sent").isEmpty();
    }
  }

  /** Every event of the scans stream is read and acknowledged, and every bucket is closed. */
  private static boolean settled(TestHttp http) {
    for (JsonNode stream : http.get("/api/streams").json().path("streams")) {
      if (stream.path("name").asText().equals("scans")) {
        for (JsonNode group : stream.path("groups")) {
          if (group.path("pending").asLong() != 0 || group.path("lag").asLong() != 0) {
            return false;
          }
        }
      }
    }
    return http.get("/api/digests").json().path("digests").path(0).path("openBuckets").asInt() == 0;
  }

  /** How many notifications list each scan. */
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
}
