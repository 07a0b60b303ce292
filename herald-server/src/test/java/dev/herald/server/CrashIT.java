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

    PostingLoad load = new PostingLoad(port, "/api/streams/scans/events", 20, numbers -> {
      StringBuilder batch = new StringBuilder("[");
      Map<String, String> packages = new HashMap<>();
      for (int i = 0; i < 5; i++) {
        int n = numbers.getAsInt();
        packages.put("P" + n, "");
        batch.append(i == 0 ? "" : ",").append("{\"seller_id\":").append(n % 1000).append(",\"package_id\":\"P").append(n).append("\"}");
      }
      return new PostingLoad.Batch(batch.append("]").toString(), packages);
    });
    Set<String> acknowledged = load.acknowledged.keySet();
    Set<String> attempted = load.attempted.keySet();
    await().atMost(Duration.ofSeconds(60)).until(() -> acknowledged.size() >= 3_000);
    first.kill();
    load.stop();
    int acknowledgedBeforeKill = acknowledged.size();

    try (ServerProcess second = ServerProcess.start(config, data, port, dir.resolve("second.log"))) {
      TestHttp http = new TestHttp(port);
      await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500)).until(() ->
          http.get("/api/digests").json().path("digests").path(0).path("openBuckets").asInt() == 0
              && countNotifiedItems(http) >= acknowledgedBeforeKill);
      Map<String, Integer> seen = new HashMap<>();
      String after = "";
      while (true) {
        JsonNode page = http.get("/api/notifications?limit=1000" + (after.isEmpty() ? "" : "&after=" + after)).json();
        for (JsonNode n : page.path("notifications")) {
          n.path("items").forEach(item -> seen.merge(item.asText(), 1, Integer::sum));
        }
        if (page.path("notifications").size() < 1000) {
          break;
        }
        after = page.path("next").asText();
      }
      assertThat(acknowledgedBeforeKill).isGreaterThanOrEqualTo(3_000);
      Set<String> missing = new java.util.HashSet<>(acknowledged);
      missing.removeAll(seen.keySet());
      assertThat(missing).as("acknowledged scans in no notification").isEmpty();
      assertThat(seen.entrySet()).as("no scan is notified twice").allSatisfy(e -> assertThat(e.getValue()).isEqualTo(1));
      Set<String> invented = new java.util.HashSet<>(seen.keySet());
      invented.removeAll(attempted);
      assertThat(invented).as("notified scans nobody sent").isEmpty();
    }
  }

  private static int countNotifiedItems(TestHttp http) {
    int count = 0;
    String after = "";
    while (true) {
      JsonNode page = http.get("/api/notifications?limit=1000" + (after.isEmpty() ? "" : "&after=" + after)).json();
      for (JsonNode n : page.path("notifications")) {
        count += n.path("items").size();
      }
      if (page.path("notifications").size() < 1000) {
        return count;
      }
      after = page.path("next").asText();
    }
  }
}
