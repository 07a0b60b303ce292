package dev.herald.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.herald.server.TestHttp.Answer;
import dev.herald.testing.ManualClock;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** POSTs with an Idempotency-Key header: a retry stores nothing twice. */
class IdempotentAppendTest {

  @TempDir Path dir;
  private HeraldServer server;
  private TestHttp http;

  @BeforeEach
  void start() {
    server =
        ServerFixture.start(
            dir,
            ServerFixture.SELLER_SCANS.formatted("PT1H"),
            ManualClock.at("2022-06-28T12:00:00Z"));
    http = new TestHttp(server.port());
  }

  @AfterEach
  void stop() {
    server.close();
  }

  private Answer post(String key, String body) {
    return http.send(
        HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + server.port() + "/api/streams/scans/events"))
            .header("Content-Type", "application/json")
            .header("Idempotency-Key", key)
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build());
  }

  @Test
  void shouldStoreARetriedBatchOnceAndAnswerTheSameIds() {
    String batch =
        "[{\"seller_id\":10,\"package_id\":\"A\"},{\"seller_id\":10,\"package_id\":\"B\"}]";

    Answer first = post("batch-7f3c", batch);
    Answer retry =
        post(
            "batch-7f3c",
            "[ {\"seller_id\": 10, \"package_id\": \"A\"}, {\"seller_id\": 10, \"package_id\": \"B\"} ]");

    assertThat(first.status()).isEqualTo(201);
    assertThat(retry.status()).isEqualTo(201);
    assertThat(retry.json().path("ids")).isEqualTo(first.json().path("ids"));
    assertThat(http.get("/api/streams/scans/events").json().path("events")).hasSize(2);
    org.awaitility.Awaitility.await()
        .atMost(java.time.Duration.ofSeconds(10))
        .until(() -> http.get("/api/digests/seller-scans/pending/10").status() == 200);
    assertThat(http.get("/api/digests/seller-scans/pending/10").json().path("count").asInt())
        .isEqualTo(2);
    // the digest engine took each event once: the retry appended nothing
  }

  @Test
  void shouldRefuseAKeyReusedForADifferentRequestWith422() {
    post("k1", "{\"seller_id\":10,\"package_id\":\"A\"}");

    Answer reused = post("k1", "{\"seller_id\":10,\"package_id\":\"OTHER\"}");

    assertThat(reused.status()).isEqualTo(422);
    assertThat(reused.json().path("detail").asText())
        .contains("Idempotency-Key 'k1' was used for a different request to stream 'scans'");
    assertThat(http.get("/api/streams/scans/events").json().path("events")).hasSize(1);
  }

  @Test
  void shouldRefuseAMalformedKeyWith400() {
    Answer answer = post("x".repeat(256), "{\"seller_id\":10,\"package_id\":\"A\"}");

    assertThat(answer.status()).isEqualTo(400);
    assertThat(answer.json().path("detail").asText())
        .contains("Idempotency-Key must be 1 to 255 visible ASCII characters");
    assertThat(http.get("/api/streams/scans/events").json().path("events")).isEmpty();
  }
}
