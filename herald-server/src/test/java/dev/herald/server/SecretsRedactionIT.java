package dev.herald.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import dev.herald.server.TestHttp.Answer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A Redis that requires a password and a webhook whose URL carries its secret in the path, as
 * Slack's do: neither secret may appear in any answer, in the metrics, in a stored delivery or the
 * failed-notifications stream, or in the server's log, while things work and while they fail.
 */
class SecretsRedactionIT {

  private static final String REDIS_PASSWORD = "s3cret-redis-pw";
  private static final String HOOK_SECRET = "SECRETHOOKPATH";

  @TempDir Path dir;
  private final int redisPort = ServerProcess.freePort();
  private Process redis;
  private HttpServer hook;

  @AfterEach
  void stop() throws Exception {
    if (redis != null && redis.isAlive()) {
      redis.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
    if (hook != null) {
      hook.stop(0);
    }
  }

  private void startRedis() throws IOException {
    redis =
        new ProcessBuilder(
                "redis-server",
                "--port",
                Integer.toString(redisPort),
                "--bind",
                "127.0.0.1",
                "--requirepass",
                REDIS_PASSWORD,
                "--save",
                "",
                "--appendonly",
                "no")
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

  @Test
  void shouldShowNeitherTheRedisPasswordNorTheWebhookSecretAnywhere() throws Exception {
    startRedis();
    hook = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    hook.createContext(
        "/",
        exchange -> {
          exchange.sendResponseHeaders(500, -1);
          exchange.close();
        });
    hook.start();
    String hookUrl =
        "http://127.0.0.1:" + hook.getAddress().getPort() + "/services/T000/B000/" + HOOK_SECRET;
    Path config = dir.resolve("herald.yaml");
    Files.writeString(
        config,
        """
        streams:
          scans: {}
        digests:
          seller-scans:
            stream: scans
            groupBy: seller_id
            collect: package_id
            quietPeriod: PT0.2S
            deliver:
              - webhook: %s
        delivery:
          maxAttempts: 2
          initialBackoff: PT0.1S
          maxBackoff: PT0.2S
        """
            .formatted(hookUrl));
    int port = ServerProcess.freePort();
    Path log = dir.resolve("server.log");
    Process process =
        ServerProcess.herald(
            log,
            Map.of(
                "HERALD_STORE",
                "redis://:" + REDIS_PASSWORD + "@127.0.0.1:" + redisPort + "/0",
                "HERALD_STORE_PREFIX",
                "secrets:"),
            "server",
            "--config",
            config.toString(),
            "--data",
            dir.resolve("data").toString(),
            "--port",
            Integer.toString(port));
    List<String> seen = new ArrayList<>();
    try (ServerProcess server = ServerProcess.awaitReady(process, port, log)) {
      TestHttp http = new TestHttp(port);
      assertThat(
              http.post("/api/streams/scans/events", "{\"seller_id\":10,\"package_id\":\"AAAAAA\"}")
                  .status())
          .isEqualTo(201);
      await()
          .atMost(Duration.ofSeconds(30))
          .until(
              () ->
                  http.get("/api/streams/notifications.failed/events").json().path("events").size()
                      == 1);
      JsonNode notification = http.get("/api/notifications").json().path("notifications").path(0);

      Answer about = http.get("/api");
      seen.add(about.body());
      seen.add(http.get("/health/ready").body());
      seen.add(http.get("/metrics").body());
      seen.add(http.get("/api/digests").body());
      seen.add(http.get("/api/notifications").body());
      seen.add(http.get("/api/notifications/" + notification.path("id").asText()).body());
      seen.add(http.get("/api/streams/notifications.failed/events").body());
      assertThat(about.json().path("store").asText())
          .isEqualTo("redis://:***@127.0.0.1:" + redisPort + "/0");
      assertThat(http.get("/metrics").body())
          .contains(
              "herald_delivery_failures_total{sink=\"webhook:127.0.0.1:"
                  + hook.getAddress().getPort()
                  + "#");

      redis.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      await().atMost(Duration.ofSeconds(10)).until(() -> http.get("/health/ready").status() == 503);
      Answer refused =
          http.post("/api/streams/scans/events", "{\"seller_id\":10,\"package_id\":\"BBBBBB\"}");
      assertThat(refused.status()).isEqualTo(503);
      seen.add(refused.body());
      seen.add(http.get("/health/ready").body());
      seen.add(http.get("/api").body());
    }
    seen.add(Files.readString(log));

    for (String output : seen) {
      assertThat(output).doesNotContain(REDIS_PASSWORD).doesNotContain(HOOK_SECRET);
    }
    assertThat(Files.readString(log)).contains("redis://:***@127.0.0.1:" + redisPort);
  }
}
