package dev.herald.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.server.TestHttp.Answer;
import dev.herald.server.config.HeraldConfig;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real redis-server, launched on a spare port with an append-only file, stopped and started
 * again.
 */
class RedisOutageIT {

  @TempDir Path dir;
  private final int redisPort = ServerProcess.freePort();
  private Process redis;

  private void startRedis() throws IOException {
    redis =
        new ProcessBuilder(
                "redis-server",
                "--port",
                Integer.toString(redisPort),
                "--bind",
                "127.0.0.1",
                "--dir",
                dir.toString(),
                "--appendonly",
                "yes",
                "--appendfsync",
                "always",
                "--save",
                "")
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("redis.log").toFile())
            .start();
    await()
        .atMost(Duration.ofSeconds(10))
        .ignoreExceptions()
        .until(
            () -> {
              try (java.net.Socket socket = new java.net.Socket("127.0.0.1", redisPort)) {
                return true;
              }
            });
  }

  private void stopRedis() throws Exception {
    new ProcessBuilder("redis-cli", "-p", Integer.toString(redisPort), "shutdown")
        .start()
        .waitFor(10, TimeUnit.SECONDS);
    redis.waitFor(10, TimeUnit.SECONDS);
  }

  @AfterEach
  void stop() throws Exception {
    if (redis != null && redis.isAlive()) {
      redis.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
  }

  private static List<String> notifiedItems(TestHttp http) {
    List<String> items = new ArrayList<>();
    for (JsonNode n : http.get("/api/notifications").json().path("notifications")) {
      n.path("items").forEach(i -> items.add(i.asText()));
    }
    return items;
  }

  private static String scans(String... packages) {
    List<String> events = new ArrayList<>();
    for (String p : packages) {
      events.add("{\"seller_id\":10,\"package_id\":\"" + p + "\"}");
    }
    return "[" + String.join(",", events) + "]";
  }

  @Test
  void shouldAnswer503WhileRedisIsDownAndResumeWithNothingLost() throws Exception {
    startRedis();
    HeraldConfig config = ServerFixture.config(dir, ServerFixture.SELLER_SCANS.formatted("PT2S"));
    config =
        config.withServer(
            config.server().withStore("redis://127.0.0.1:" + redisPort + "/0", "outage:"));
    try (HeraldServer server = HeraldServer.start(config, InstantSource.system())) {
      TestHttp http = new TestHttp(server.port());
      assertThat(http.post("/api/streams/scans/events", scans("AAAAAA", "BBBBBB")).status())
          .isEqualTo(201);

      stopRedis();

      await().atMost(Duration.ofSeconds(10)).until(() -> http.get("/health/ready").status() == 503);
      Answer refused = http.post("/api/streams/scans/events", scans("LOST-1", "LOST-2"));
      assertThat(refused.status()).isEqualTo(503);
      assertThat(refused.contentType()).isEqualTo("application/problem+json");
      assertThat(refused.headers().firstValue("Retry-After")).contains("1");
      assertThat(refused.json().path("detail").asText()).contains("nothing was stored");
      assertThat(http.get("/health/live").status()).as("the process stays up").isEqualTo(200);
      // agents that cannot reach Redis fail on every round: past 10 s readiness names them
      await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> http.get("/health/ready").json().path("unhealthyAgents").size() > 0);
      JsonNode failing = http.get("/health/ready").json().path("unhealthyAgents").path(0);
      assertThat(failing.path("lastFailure").asText()).contains("Redis");
      assertThat(http.get("/api").json().path("agents").findValues("lastError")).isNotEmpty();

      startRedis();

      await().atMost(Duration.ofSeconds(30)).until(() -> http.get("/health/ready").status() == 200);
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> http.post("/api/streams/scans/events", scans("CCCCCC")).status() == 201);
      // Events read but not stored when Redis went away are claimed after the engine's 30 s lease.
      await()
          .atMost(Duration.ofSeconds(60))
          .until(
              () ->
                  notifiedItems(http).size() >= 3
                      && http.get("/api/digests")
                              .json()
                              .path("digests")
                              .path(0)
                              .path("openBuckets")
                              .asInt()
                          == 0);
      // A and B may close before C arrives or together with it: each is notified once either way.
      assertThat(notifiedItems(http)).containsExactlyInAnyOrder("AAAAAA", "BBBBBB", "CCCCCC");
    }
  }
}
