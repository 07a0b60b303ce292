package dev.herald.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.testing.ManualClock;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RestartTest {

  @TempDir Path dir;

  @Test
  void shouldFireAtTheOriginalDueTimesWithEveryItemAfterARestart() {
    ManualClock clock = ManualClock.at("2022-06-28T12:00:00Z");
    String yaml = ServerFixture.SELLER_SCANS.formatted("PT1H");
    try (HeraldServer first = ServerFixture.start(dir, yaml, clock)) {
      TestHttp http = new TestHttp(first.port());
      http.post(
          "/api/streams/scans/events",
          "[{\"seller_id\":10,\"package_id\":\"AAAAAA\"},{\"seller_id\":10,\"package_id\":\"BBBBBB\"}]");
      clock.advance(Duration.ofMinutes(30));
      http.post(
          "/api/streams/scans/events",
          "[{\"seller_id\":20,\"package_id\":\"XXXXXX\"},{\"seller_id\":10,\"package_id\":\"CCCCCC\"}]");
      await()
          .atMost(Duration.ofSeconds(5))
          .until(
              () ->
                  http.get("/api/digests")
                              .json()
                              .path("digests")
                              .path(0)
                              .path("openBuckets")
                              .asInt()
                          == 2
                      && http.get("/api/digests/seller-scans/pending/10")
                              .json()
                              .path("count")
                              .asInt()
                          == 3);
    }

    clock.set(Instant.parse("2022-06-28T13:30:00Z"));
    try (HeraldServer second = ServerFixture.start(dir, yaml, clock)) {
      TestHttp http = new TestHttp(second.port());
      await()
          .atMost(Duration.ofSeconds(5))
          .until(() -> http.get("/api/notifications").json().path("notifications").size() == 2);
      JsonNode notifications = http.get("/api/notifications").json().path("notifications");
      for (JsonNode n : notifications) {
        assertThat(n.path("dueAt").asText()).isEqualTo("2022-06-28T13:30:00Z");
        if (n.path("recipient").asText().equals("10")) {
          assertThat(n.path("items").toString()).isEqualTo("[\"AAAAAA\",\"BBBBBB\",\"CCCCCC\"]");
        } else {
          assertThat(n.path("items").toString()).isEqualTo("[\"XXXXXX\"]");
        }
      }
    }
  }
}
