package dev.herald.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.server.TestHttp.Answer;
import dev.herald.testing.ManualClock;
import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Events a producer should not send, refused at the door with a sentence, and numbers kept as sent.
 */
class RequestHygieneTest {

  private static final String CONFIG =
      ServerFixture.SELLER_SCANS
          .formatted("PT1H")
          .replace("quietPeriod: PT1H", "quietPeriod: PT1H\n    timeField: date_time");

  @TempDir Path dir;
  private HeraldServer server;
  private TestHttp http;

  @BeforeEach
  void start() {
    server = ServerFixture.start(dir, CONFIG, ManualClock.at("2022-06-28T12:00:00Z"));
    http = new TestHttp(server.port());
  }

  @AfterEach
  void stop() {
    server.close();
  }

  private static void assertProblem(Answer answer, int status, String detailPart) {
    assertThat(answer.status()).isEqualTo(status);
    assertThat(answer.contentType()).isEqualTo("application/problem+json");
    assertThat(answer.json().path("detail").asText()).contains(detailPart);
  }

  private int stored() {
    return http.get("/api/streams/scans/events").json().path("events").size();
  }

  private static String nested(int depth) {
    return "{\"seller_id\":1,\"package_id\":\"A\",\"date_time\":\"2022-06-28T12:00:00Z\",\"n\":"
        + "[".repeat(depth - 1)
        + "]".repeat(depth - 1)
        + "}";
  }

  @Test
  void shouldAcceptAnEventNested64LevelsAndRefuseOneNested65With400() {
    assertThat(http.post("/api/streams/scans/events", nested(64)).status()).isEqualTo(201);
    assertProblem(
        http.post("/api/streams/scans/events", nested(65)),
        400,
        "nests objects and arrays 65 levels deep; at most 64");
    assertProblem(
        http.post("/api/streams/scans/events", "[" + nested(65) + "]"),
        400,
        "element 0 of the array nests objects and arrays 65");
    assertProblem(
        http.post("/api/streams/scans/events", nested(1000)), 400, "deeper than 64 levels");

    assertThat(stored()).isEqualTo(1);
    assertThat(http.get("/api/streams/scans/events?limit=1000").status())
        .as("the page holding it reads fine")
        .isEqualTo(200);
  }

  @Test
  void shouldRefuseBytesThatAreNotUtf8NamingTheOffset() {
    byte[] prefix = "{\"seller_id\":1,\"package_id\":\"".getBytes(StandardCharsets.UTF_8);
    byte[] body = new byte[prefix.length + 3];
    System.arraycopy(prefix, 0, body, 0, prefix.length);
    body[prefix.length] = (byte) 0xC3; // starts a two-byte character that never comes
    body[prefix.length + 1] = '"';
    body[prefix.length + 2] = '}';

    Answer answer =
        http.send(
            HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + server.port() + "/api/streams/scans/events"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                .build());

    assertProblem(answer, 400, "not valid UTF-8: byte " + prefix.length + " (0xc3)");
    assertThat(stored()).isZero();
    String replacement =
        "{\"seller_id\":1,\"package_id\":\"\uFFFD is a character too\",\"date_time\":\"2022-06-28T12:00:00Z\"}";
    assertThat(http.post("/api/streams/scans/events", replacement).status())
        .as("U+FFFD itself, sent as UTF-8")
        .isEqualTo(201);
  }

  @Test
  void shouldKeepNumbersExactlyAsSent() {
    String event =
        "{\"seller_id\":12345678901234567890123,\"package_id\":\"A\",\"date_time\":\"2022-06-28T12:00:00Z\","
            + "\"precise\":0.1000000000000000000001,\"scale\":1.50,\"huge\":1e999999999}";
    assertThat(http.post("/api/streams/scans/events", event).status()).isEqualTo(201);

    String page = http.get("/api/streams/scans/events").body();
    JsonNode data =
        http.get("/api/streams/scans/events").json().path("events").path(0).path("data");

    assertThat(page)
        .contains("\"seller_id\":12345678901234567890123")
        .contains("\"precise\":0.1000000000000000000001")
        .contains("\"scale\":1.50")
        .doesNotContain("Infinity");
    assertThat(new BigDecimal(data.path("huge").asText()))
        .isEqualByComparingTo(new BigDecimal("1e999999999"));
    org.awaitility.Awaitility.await()
        .atMost(java.time.Duration.ofSeconds(10))
        .until(
            () -> http.get("/api/digests/seller-scans/pending").json().path("buckets").size() == 1);
    assertThat(
            http.get("/api/digests/seller-scans/pending")
                .json()
                .path("buckets")
                .path(0)
                .path("key")
                .asText())
        .isEqualTo("12345678901234567890123");
  }

  @Test
  void shouldRefuseAnEventTimeOutsideYears1To9999With422() {
    assertProblem(
        http.post(
            "/api/streams/scans/events",
            "{\"seller_id\":1,\"package_id\":\"A\",\"date_time\":\"+999999999-12-31T23:59:59Z\"}"),
        422,
        "field \"date_time\" must be a time from 0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999Z");
    assertThat(stored()).isZero();
  }

  @Test
  void shouldRefuseAnEmptyGroupByValueWith422() {
    assertProblem(
        http.post(
            "/api/streams/scans/events",
            "{\"seller_id\":\"\",\"package_id\":\"A\",\"date_time\":\"2022-06-28T12:00:00Z\"}"),
        422,
        "field \"seller_id\" must not be empty");
    assertThat(stored()).isZero();
  }
}
