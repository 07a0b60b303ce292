package dev.herald.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import dev.herald.notify.WebhookSignature;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A real local HTTP receiver that fails twice, then accepts. */
class WebhookDeliveryIT {

  record Received(String idempotencyKey, String signature, byte[] body, int answered) {}

  @TempDir Path dir;
  private HttpServer receiver;
  private HeraldServer herald;

  @AfterEach
  void stop() {
    if (herald != null) {
      herald.close();
    }
    if (receiver != null) {
      receiver.stop(0);
    }
  }

  @Test
  void shouldDeliverOnTheThirdAttemptWithTheSameIdempotencyKeyAndAValidSignature()
      throws IOException {
    List<Received> received = new CopyOnWriteArrayList<>();
    receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    receiver.createContext(
        "/hook",
        exchange -> {
          byte[] body = exchange.getRequestBody().readAllBytes();
          int status = received.size() < 2 ? 503 : 204;
          received.add(
              new Received(
                  exchange.getRequestHeaders().getFirst("Idempotency-Key"),
                  exchange.getRequestHeaders().getFirst(WebhookSignature.HEADER),
                  body,
                  status));
          exchange.sendResponseHeaders(status, -1);
          exchange.close();
        });
    receiver.start();
    String yaml =
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
              - webhook: http://127.0.0.1:%d/hook
                secret: change-me
        delivery:
          maxAttempts: 5
          initialBackoff: PT0.1S
          maxBackoff: PT1S
        """
            .formatted(receiver.getAddress().getPort());
    herald = ServerFixture.start(dir, yaml, InstantSource.system());
    TestHttp http = new TestHttp(herald.port());

    http.post(
        "/api/streams/scans/events",
        "[{\"seller_id\":10,\"package_id\":\"AAAAAA\"},{\"seller_id\":10,\"package_id\":\"BBBBBB\"}]");

    await().atMost(Duration.ofSeconds(15)).until(() -> received.size() >= 3);
    assertThat(received).extracting(Received::answered).containsExactly(503, 503, 204);
    String id = received.getFirst().idempotencyKey();
    assertThat(id).startsWith("n-");
    assertThat(received).extracting(Received::idempotencyKey).containsOnly(id);
    for (Received r : received) {
      assertThat(r.signature()).isEqualTo(WebhookSignature.sign("change-me", r.body()));
      assertThat(new String(r.body())).contains("\"items\":[\"AAAAAA\",\"BBBBBB\"]");
    }
    await()
        .atMost(Duration.ofSeconds(5))
        .untilAsserted(
            () -> {
              var delivery = http.get("/api/notifications/" + id).json().path("deliveries").path(0);
              assertThat(delivery.path("state").asText()).isEqualTo("DELIVERED");
              assertThat(delivery.path("attempts")).hasSize(3);
              assertThat(delivery.path("attempts").path(0).path("detail").asText())
                  .isEqualTo("HTTP 503");
            });
    await()
        .during(Duration.ofMillis(300))
        .atMost(Duration.ofSeconds(2))
        .until(() -> received.size() == 3);
  }

  @Test
  void shouldGiveUpAfterTheLastAttemptAndRecordItOnTheFailedStream() {
    String yaml =
        """
        streams:
          scans: {}
        digests:
          seller-scans:
            stream: scans
            groupBy: seller_id
            collect: package_id
            quietPeriod: PT0.1S
            deliver:
              - webhook: http://127.0.0.1:1/unreachable
        delivery:
          maxAttempts: 2
          initialBackoff: PT0.05S
        """;
    herald = ServerFixture.start(dir, yaml, InstantSource.system());
    TestHttp http = new TestHttp(herald.port());

    http.post("/api/streams/scans/events", "{\"seller_id\":10,\"package_id\":\"AAAAAA\"}");

    await()
        .atMost(Duration.ofSeconds(15))
        .until(
            () ->
                http.get("/api/streams/notifications.failed/events").json().path("events").size()
                    == 1);
    var failed =
        http.get("/api/streams/notifications.failed/events")
            .json()
            .path("events")
            .path(0)
            .path("data");
    assertThat(failed.path("attempts").asInt()).isEqualTo(2);
    assertThat(failed.path("sink").asText())
        .startsWith("webhook:127.0.0.1:1#")
        .doesNotContain("unreachable");
    assertThat(failed.path("notification").path("items").toString()).isEqualTo("[\"AAAAAA\"]");
    String id = failed.path("notification").path("id").asText();
    assertThat(
            http.get("/api/notifications/" + id)
                .json()
                .path("deliveries")
                .path(0)
                .path("state")
                .asText())
        .isEqualTo("FAILED");
  }
}
