package dev.herald.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Large reads against a server with a small heap (96 MiB), over 60 MiB of events: every page is
 * bounded by size, and live subscribers go on receiving events meanwhile.
 */
class BigReadIT {

  @TempDir Path dir;

  @Test
  void shouldBoundEveryPageBySizeAndKeepLiveDeliveryGoing() throws Exception {
    Path config = dir.resolve("herald.yaml");
    Files.writeString(config, "streams:\n  big: {}\ntopics: [chat.general]\n");
    int port = ServerProcess.freePort();
    try (ServerProcess server =
        ServerProcess.startWithHeap(
            "96m", config, dir.resolve("data"), port, dir.resolve("server.log"))) {
      TestHttp http = new TestHttp(port);
      String filler = "x".repeat(500 * 1024);
      for (int i = 0; i < 120; i++) {
        assertThat(
                http.post(
                        "/api/streams/big/events",
                        "{\"n\":" + i + ",\"filler\":\"" + filler + "\"}")
                    .status())
            .isEqualTo(201);
      }
      List<String> live = new CopyOnWriteArrayList<>();
      HttpClient client = HttpClient.newHttpClient();
      client
          .sendAsync(
              HttpRequest.newBuilder(
                      URI.create("http://127.0.0.1:" + port + "/api/streams/chat.general/live"))
                  .build(),
              HttpResponse.BodyHandlers.ofInputStream())
          .thenAccept(
              response -> {
                try (BufferedReader lines =
                    new BufferedReader(
                        new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
                  for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                    if (line.startsWith("data: ")) {
                      live.add(line);
                    }
                  }
                } catch (Exception ignored) {
                  // the test ended
                }
              });
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> http.get("/metrics").body().contains("herald_live_subscribers 1"));

      ExecutorService readers = Executors.newFixedThreadPool(4);
      List<Future<JsonNode>> pages = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        pages.add(readers.submit(() -> http.get("/api/streams/big/events?limit=1000").json()));
      }
      for (Future<JsonNode> page : pages) {
        JsonNode events = page.get().path("events");
        assertThat(events.size())
            .as("a page ends at server.maxResponseSize (4 MiB) of events")
            .isBetween(1, 9);
        assertThat(page.get().path("next").asText())
            .isEqualTo(events.path(events.size() - 1).path("id").asText());
      }
      readers.shutdown();
      int total = 0;
      String after = "";
      while (true) {
        JsonNode page = http.get("/api/streams/big/events?limit=1000&after=" + after).json();
        if (page.path("events").isEmpty()) {
          break;
        }
        total += page.path("events").size();
        after = page.path("next").asText();
      }
      assertThat(total).as("following next reads every event").isEqualTo(120);

      assertThat(
              http.post(
                      "/api/streams/chat.general/events",
                      "{\"user\":\"ann\",\"text\":\"still live\"}")
                  .status())
          .isEqualTo(201);
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> live.stream().anyMatch(l -> l.contains("still live")));
      assertThat(http.get("/health/ready").status()).isEqualTo(200);
    }
  }
}
