package dev.herald.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.herald.server.TestHttp.Answer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Streams Herald writes itself are not for clients to append to, unless declared external. */
class InternalStreamsTest {

  private static final String CONFIG =
      ReviewsApiTest.REVIEWS.replace("streams:\n", "streams:\n  scans: {}\n  notifications: {}\n")
          + """
      digests:
        seller-scans:
          stream: scans
          groupBy: seller_id
          quietPeriod: PT1H
          deliver:
            - stream: notifications
      topics: [chat.general]
      """;

  @TempDir Path dir;
  private HeraldServer server;

  private TestHttp start(String yaml) throws IOException {
    Files.writeString(dir.resolve("brand-users.json"), "{\"Brand1\": [1, 2]}");
    server = ServerFixture.start(dir, yaml, InstantSource.system());
    return new TestHttp(server.port());
  }

  @AfterEach
  void stop() {
    if (server != null) {
      server.close();
    }
  }

  private static void assertForbidden(Answer answer, String writer) {
    assertThat(answer.status()).isEqualTo(403);
    assertThat(answer.contentType()).isEqualTo("application/problem+json");
    assertThat(answer.json().path("detail").asText())
        .contains("is written by " + writer)
        .contains("external: true");
  }

  @Test
  void shouldRefuseAppendsToEveryStreamHeraldWritesWith403NamingTheWriter() throws IOException {
    TestHttp http = start(CONFIG);
    String forged = "{\"recipient\":\"1\",\"review_id\":\"r1\",\"source_event\":\"1\"}";

    assertForbidden(
        http.post("/api/streams/reviews.by-user/events", forged), "route 'review-recipients'");
    assertForbidden(
        http.post("/api/streams/reviews.invalid/events", forged),
        "route 'review-recipients' (events it cannot route)");
    assertForbidden(
        http.post("/api/streams/alerts/events", "{\"type\":\"stale-inbox\"}"), "the alert board");
    assertForbidden(
        http.post("/api/streams/notifications/events", "{}"),
        "digest rule 'seller-scans' (its notifications)");
    assertForbidden(http.post("/api/streams/notifications.failed/events", "{}"), "the dispatcher");
    for (String stream :
        new String[] {
          "reviews.by-user", "reviews.invalid", "alerts", "notifications", "notifications.failed"
        }) {
      assertThat(http.get("/api/streams/" + stream + "/events").json().path("events"))
          .as(stream)
          .isEmpty();
    }
    assertThat(
            http.post("/api/streams/reviews/events", "{\"brand\":\"Brand1\",\"review_id\":\"r1\"}")
                .status())
        .isEqualTo(201);
    assertThat(
            http.post("/api/streams/chat.general/events", "{\"user\":\"ann\",\"text\":\"hi\"}")
                .status())
        .isEqualTo(201);
  }

  @Test
  void shouldRefuseAWebSocketPublishToAStreamHeraldWrites() throws IOException {
    TestHttp http = start(CONFIG);
    try (RawWebSocket ws =
        RawWebSocket.open(server.port(), "/ws/streams/alerts", Optional.empty())) {
      ws.sendText("{\"publish\":{\"type\":\"stale-inbox\",\"subject\":\"reviews/1\"},\"ref\":7}");

      String answer = ws.next(RawWebSocket.TEXT, Duration.ofSeconds(5)).orElseThrow().text();

      assertThat(answer)
          .contains("\"error\"")
          .contains("is written by the alert board")
          .contains("\"ref\":7");
    }
    assertThat(http.get("/api/streams/alerts/events").json().path("events")).isEmpty();
  }

  @Test
  void shouldLetClientsAppendToAStreamDeclaredExternalWithItsChecks() throws IOException {
    TestHttp http =
        start(CONFIG.replace("  reviews.by-user: {}\n", "  reviews.by-user: {external: true}\n"));

    assertThat(
            http.post(
                    "/api/streams/reviews.by-user/events",
                    "{\"recipient\":\"9\",\"review_id\":\"r1\"}")
                .status())
        .isEqualTo(201);
    Answer unchecked = http.post("/api/streams/reviews.by-user/events", "{\"review_id\":\"r2\"}");
    assertThat(unchecked.status()).isEqualTo(422);
    assertThat(unchecked.json().path("detail").asText()).contains("\"recipient\"");
  }
}
