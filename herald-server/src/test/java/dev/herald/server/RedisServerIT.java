package dev.herald.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.redis.RedisTestSupport;
import dev.herald.server.config.HeraldConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The seller story through the HTTP API of a server whose store is Redis. */
class RedisServerIT {

  @TempDir Path dir;
  private final String prefix = RedisTestSupport.freshPrefix();

  @AfterEach
  void clean() {
    RedisTestSupport.clean(prefix);
  }

  @Test
  void shouldRunTheSellerDigestOnRedis() {
    HeraldConfig config = ServerFixture.config(dir, ServerFixture.SELLER_SCANS.formatted("PT0.5S"));
    config = config.withServer(config.server().withStore(RedisTestSupport.URL, prefix));
    try (HeraldServer server = HeraldServer.start(config, InstantSource.system())) {
      TestHttp http = new TestHttp(server.port());
      assertThat(http.get("/health/ready").json().path("store").asText())
          .isEqualTo(RedisTestSupport.URL);

      assertThat(
              http.post(
                      "/api/streams/scans/events",
                      "[{\"seller_id\":10,\"package_id\":\"AAAAAA\"},{\"seller_id\":10,\"package_id\":\"BBBBBB\"},{\"seller_id\":20,\"package_id\":\"XXXXXX\"}]")
                  .status())
          .isEqualTo(201);

      await()
          .atMost(Duration.ofSeconds(15))
          .until(() -> http.get("/api/notifications").json().path("notifications").size() == 2);
      List<String> lines = new ArrayList<>();
      for (JsonNode n : http.get("/api/notifications").json().path("notifications")) {
        lines.add(n.path("recipient").asText() + ":" + n.path("items"));
      }
      assertThat(lines).containsExactlyInAnyOrder("10:[\"AAAAAA\",\"BBBBBB\"]", "20:[\"XXXXXX\"]");
      String id =
          http.get("/api/notifications?recipient=10")
              .json()
              .path("notifications")
              .path(0)
              .path("id")
              .asText();
      await()
          .atMost(Duration.ofSeconds(10))
          .until(
              () ->
                  http.get("/api/notifications/" + id)
                      .json()
                      .path("deliveries")
                      .path(0)
                      .path("state")
                      .asText()
                      .equals("DELIVERED"));
      assertThat(http.get("/api/streams/notifications/events").json().path("events")).hasSize(2);
      assertThat(
              http.get("/api/digests").json().path("digests").path(0).path("openBuckets").asInt())
          .isZero();
    }
  }

  @Test
  void aSubscriberOfOneInstanceReceivesWhatAnotherPublishedInOrder() throws Exception {
    HeraldConfig a = ServerFixture.config(dir.resolve("a"), LiveApiTest.TOPICS);
    a = a.withServer(a.server().withStore(RedisTestSupport.URL, prefix));
    HeraldConfig b = ServerFixture.config(dir.resolve("b"), LiveApiTest.TOPICS);
    b = b.withServer(b.server().withStore(RedisTestSupport.URL, prefix));
    try (HeraldServer first = HeraldServer.start(a, InstantSource.system());
        HeraldServer second = HeraldServer.start(b, InstantSource.system())) {
      java.net.http.HttpClient client = java.net.http.HttpClient.newHttpClient();
      var response =
          client.send(
              java.net.http.HttpRequest.newBuilder(
                      java.net.URI.create(
                          "http://127.0.0.1:" + first.port() + "/api/streams/chat.general/live"))
                  .build(),
              java.net.http.HttpResponse.BodyHandlers.ofLines());
      java.util.concurrent.BlockingQueue<String> data =
          new java.util.concurrent.LinkedBlockingQueue<>();
      Thread reader =
          Thread.ofVirtual()
              .start(
                  () -> {
                    try {
                      response.body().filter(l -> l.startsWith("data: ")).forEach(data::add);
                    } catch (RuntimeException closed) {
                      // closed at the end of the test
                    }
                  });
      TestHttp viaB = new TestHttp(second.port());
      for (int i = 0; i < 50; i++) {
        assertThat(viaB.post("/api/streams/chat.general/events", "{\"n\":" + i + "}").status())
            .isEqualTo(201);
      }
      List<Integer> received = new ArrayList<>();
      while (received.size() < 50) {
        String line = data.poll(10, java.util.concurrent.TimeUnit.SECONDS);
        assertThat(line).as("event " + received.size() + " within 10 s").isNotNull();
        received.add(
            dev.herald.json.Json.parseTrusted(line.substring(6)).path("data").path("n").asInt());
      }
      assertThat(received).isEqualTo(java.util.stream.IntStream.range(0, 50).boxed().toList());
      response.body().close();
      reader.interrupt();
    }
  }

  /** {@code log:} takes the event log from another Redis database than the state's. */
  @Test
  void shouldRunTheSellerDigestWithTheLogInAnotherRedisDatabase() throws Exception {
    String logUrl = RedisTestSupport.URL.replaceAll("/\\d+$", "") + "/14";
    HeraldConfig config = ServerFixture.config(dir, ServerFixture.SELLER_SCANS.formatted("PT0.5S"));
    config =
        config.withServer(
            config
                .server()
                .withStore(RedisTestSupport.URL, prefix)
                .withLog(java.util.Optional.of(logUrl)));
    try (HeraldServer server = HeraldServer.start(config, InstantSource.system());
        dev.herald.redis.RedisDatabase state =
            dev.herald.redis.RedisDatabase.connect(RedisTestSupport.URL, prefix);
        dev.herald.redis.RedisDatabase log =
            dev.herald.redis.RedisDatabase.connect(logUrl, prefix)) {
      TestHttp http = new TestHttp(server.port());
      assertThat(http.get("/health/ready").json().path("store").asText())
          .isEqualTo(RedisTestSupport.URL + " (log " + logUrl + ")");

      http.post("/api/streams/scans/events", "{\"seller_id\":10,\"package_id\":\"AAAAAA\"}");

      await()
          .atMost(Duration.ofSeconds(15))
          .until(() -> http.get("/api/notifications").json().path("notifications").size() == 1);
      assertThat(log.<Long>call(redis -> redis.exists(prefix + "s:{scans}")).longValue())
          .as("the events are in the log's database")
          .isEqualTo(1);
      assertThat(state.<Long>call(redis -> redis.exists(prefix + "s:{scans}")).longValue())
          .as("not in the state's")
          .isZero();
    } finally {
      RedisTestSupport.clean(prefix);
      try (var client = io.lettuce.core.RedisClient.create(logUrl).connect()) {
        client.sync().keys(prefix + "*").forEach(k -> client.sync().del(k));
      }
    }
  }

  /** The embedded state fed by a Redis log: the SQLite stores keep positions, not Redis ids. */
  @Test
  void shouldRunTheSellerDigestWithEmbeddedStateAndTheLogInRedis() throws Exception {
    HeraldConfig config = ServerFixture.config(dir, ServerFixture.SELLER_SCANS.formatted("PT0.5S"));
    config =
        config.withServer(
            config
                .server()
                .withStore("sqlite", prefix)
                .withLog(java.util.Optional.of(RedisTestSupport.URL)));
    try (HeraldServer server = HeraldServer.start(config, InstantSource.system());
        dev.herald.redis.RedisDatabase log =
            dev.herald.redis.RedisDatabase.connect(RedisTestSupport.URL, prefix)) {
      TestHttp http = new TestHttp(server.port());

      http.post(
          "/api/streams/scans/events",
          "[{\"seller_id\":10,\"package_id\":\"AAAAAA\"},{\"seller_id\":10,\"package_id\":\"BBBBBB\"}]");

      await()
          .atMost(Duration.ofSeconds(15))
          .until(() -> http.get("/api/notifications").json().path("notifications").size() == 1);
      assertThat(
              http.get("/api/notifications")
                  .json()
                  .path("notifications")
                  .path(0)
                  .path("items")
                  .toString())
          .isEqualTo("[\"AAAAAA\",\"BBBBBB\"]");
      assertThat(log.<Long>call(redis -> redis.xlen(prefix + "s:{scans}")).longValue())
          .as("the events are in Redis")
          .isEqualTo(2);
      assertThat(dir.resolve("data/herald.db")).as("the state in the data folder").exists();
    }
  }
}
