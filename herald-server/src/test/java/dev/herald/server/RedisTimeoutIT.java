package dev.herald.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.herald.server.TestHttp.Answer;
import dev.herald.server.config.HeraldConfig;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A Redis that runs a command but answers after the client gave up (CLIENT PAUSE longer than the
 * client's 5 s timeout, on a redis-server of the test's own): the 503 must not say nothing was
 * stored, and a retry with the same Idempotency-Key must not store the events twice.
 */
class RedisTimeoutIT {

  @TempDir Path dir;
  private final int redisPort = ServerProcess.freePort();
  private Process redis;

  @AfterEach
  void stop() throws Exception {
    if (redis != null) {
      redis.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
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
  void shouldSayMayHaveBeenStoredOnATimeoutAndStoreARetryWithTheSameKeyOnce() throws Exception {
    startRedis();
    HeraldConfig config = ServerFixture.config(dir, ServerFixture.SELLER_SCANS.formatted("PT1H"));
    config =
        config.withServer(
            config.server().withStore("redis://127.0.0.1:" + redisPort + "/0", "timeout:"));
    try (HeraldServer server = HeraldServer.start(config, InstantSource.system())) {
      TestHttp http = new TestHttp(server.port());
      HttpRequest post =
          HttpRequest.newBuilder(
                  URI.create("http://127.0.0.1:" + server.port() + "/api/streams/scans/events"))
              .header("Content-Type", "application/json")
              .header("Idempotency-Key", "scan-batch-1")
              .POST(
                  HttpRequest.BodyPublishers.ofString(
                      "[{\"seller_id\":10,\"package_id\":\"A\"},{\"seller_id\":10,\"package_id\":\"B\"}]"))
              .build();

      // loads the append script first: a pause that held SCRIPT LOAD would leave nothing to run
      // later
      HttpRequest warmUp =
          HttpRequest.newBuilder(post.uri())
              .header("Content-Type", "application/json")
              .header("Idempotency-Key", "warm-up")
              .POST(HttpRequest.BodyPublishers.ofString("{\"seller_id\":1,\"package_id\":\"W\"}"))
              .build();
      assertThat(http.send(warmUp).status()).isEqualTo(201);
      Process pause =
          new ProcessBuilder(
                  "redis-cli",
                  "-p",
                  Integer.toString(redisPort),
                  "CLIENT",
                  "PAUSE",
                  "7000",
                  "WRITE")
              .start();
      assertThat(pause.waitFor(10, TimeUnit.SECONDS)).isTrue();
      Answer timedOut = http.send(post);

      assertThat(timedOut.status()).isEqualTo(503);
      assertThat(timedOut.json().path("detail").asText())
          .contains("may have been stored")
          .contains("Idempotency-Key")
          .doesNotContain("nothing was stored");
      // the paused command runs once the pause ends: the events were stored after all
      await()
          .atMost(Duration.ofSeconds(20))
          .ignoreExceptions()
          .until(() -> http.get("/api/streams/scans/events").json().path("events").size() == 3);
      Answer retry = http.send(post);
      assertThat(retry.status()).isEqualTo(201);
      assertThat(http.get("/api/streams/scans/events").json().path("events"))
          .as("stored once")
          .hasSize(3);
      assertThat(retry.json().path("ids").size()).isEqualTo(2);
    }
  }
}
