package dev.herald.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.server.TestHttp.Answer;
import dev.herald.testing.ManualClock;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HttpApiTest {

  @TempDir Path dir;
  private final ManualClock clock = ManualClock.at("2022-06-28T12:00:00Z");
  private HeraldServer server;
  private TestHttp http;

  @BeforeEach
  void start() {
    server = ServerFixture.start(dir, ServerFixture.SELLER_SCANS.formatted("PT1H"), clock);
    http = new TestHttp(server.port());
  }

  @AfterEach
  void stop() {
    server.close();
  }

  private long storedScans() {
    return http.get("/api/streams/scans/events?limit=1000").json().path("events").size();
  }

  private static void assertProblem(Answer answer, int status, String detailPart) {
    assertThat(answer.status()).isEqualTo(status);
    assertThat(answer.contentType()).isEqualTo("application/problem+json");
    assertThat(answer.json().path("status").asInt()).isEqualTo(status);
    assertThat(answer.json().path("detail").asText()).contains(detailPart);
  }

  @Test
  void shouldAppendOneEventAndReadItBack() {
    Answer created =
        http.post("/api/streams/scans/events", "{\"seller_id\":10,\"package_id\":\"AAAAAA\"}");

    assertThat(created.status()).isEqualTo(201);
    String id = created.json().path("ids").path(0).asText();
    JsonNode page = http.get("/api/streams/scans/events?after=&limit=10").json();
    assertThat(page.path("events")).hasSize(1);
    assertThat(page.path("events").path(0).path("id").asText()).isEqualTo(id);
    assertThat(page.path("events").path(0).path("time").asText()).isEqualTo("2022-06-28T12:00:00Z");
    assertThat(page.path("events").path(0).path("data").path("package_id").asText())
        .isEqualTo("AAAAAA");
    assertThat(page.path("next").asText()).isEqualTo(id);
  }

  @Test
  void shouldAppendABatchAndNdjsonInOrder() {
    Answer batch =
        http.post(
            "/api/streams/scans/events",
            "[{\"seller_id\":10,\"package_id\":\"A\"},{\"seller_id\":\"10\",\"package_id\":\"B\"}]");
    Answer ndjson =
        http.post(
            "/api/streams/scans/events",
            "application/x-ndjson",
            "{\"seller_id\":20,\"package_id\":\"X\"}\n\n{\"seller_id\":20,\"package_id\":\"Y\"}\n");

    assertThat(batch.status()).isEqualTo(201);
    assertThat(batch.json().path("ids")).hasSize(2);
    assertThat(ndjson.status()).isEqualTo(201);
    assertThat(ndjson.json().path("ids")).hasSize(2);
    List<String> packages = new ArrayList<>();
    http.get("/api/streams/scans/events")
        .json()
        .path("events")
        .forEach(e -> packages.add(e.path("data").path("package_id").asText()));
    assertThat(packages).containsExactly("A", "B", "X", "Y");
  }

  @Test
  void shouldRejectMalformedJsonWith400() {
    assertProblem(
        http.post("/api/streams/scans/events", "{\"seller_id\": 10,"),
        400,
        "not valid JSON at line 1");
    assertThat(storedScans()).isZero();
  }

  @Test
  void shouldRejectAJsonValueThatIsNotAnObjectWith400() {
    assertProblem(http.post("/api/streams/scans/events", "42"), 400, "but was a number");
    assertProblem(
        http.post("/api/streams/scans/events", "[{\"seller_id\":1,\"package_id\":\"A\"}, \"x\"]"),
        400,
        "element 1 of the array");
    assertProblem(
        http.post(
            "/api/streams/scans/events",
            "application/x-ndjson",
            "{\"seller_id\":1,\"package_id\":\"A\"}\n[1]"),
        400,
        "line 2 of the NDJSON body");
    assertThat(storedScans()).isZero();
  }

  @Test
  void shouldRejectAnEventWithoutTheGroupByFieldWith422NamingTheField() {
    assertProblem(
        http.post("/api/streams/scans/events", "{\"package_id\":\"AAAAAA\"}"),
        422,
        "\"seller_id\"");
  }

  @Test
  void shouldRejectTheWholeBatchWhenOneEventLacksTheKey() {
    Answer answer =
        http.post(
            "/api/streams/scans/events",
            "[{\"seller_id\":10,\"package_id\":\"A\"},{\"seller_id\":10,\"package_id\":\"B\"},{\"package_id\":\"C\"}]");

    assertProblem(answer, 422, "event 2 of the batch");
    assertThat(answer.json().path("detail").asText()).contains("nothing was stored");
    assertThat(storedScans()).isZero();
  }

  @Test
  void shouldRejectABodyOverTheLimitWith413() {
    String big = "{\"seller_id\":1,\"package_id\":\"" + "x".repeat(1024 * 1024) + "\"}";

    assertProblem(http.post("/api/streams/scans/events", big), 413, "1048576 bytes");
    assertThat(storedScans()).isZero();
  }

  @Test
  void shouldAnswer404ListingTheKnownStreamsForAnUnknownStream() {
    assertProblem(
        http.post("/api/streams/nope/events", "{}"), 404, "known streams: [scans, notifications");
    assertProblem(http.get("/api/streams/nope/events"), 404, "stream 'nope'");
  }

  @Test
  void shouldRejectBadPaginationParameters() {
    assertProblem(http.get("/api/streams/scans/events?limit=0"), 400, "'limit'");
    assertProblem(http.get("/api/streams/scans/events?after=abc"), 400, "'after'");
    assertProblem(http.get("/api/notifications?limit=5000"), 400, "'limit'");
  }

  @Test
  void shouldAnswerProblemJsonForAnUnknownRoute() {
    assertProblem(http.get("/api/nothing-here"), 404, "no route for GET /api/nothing-here");
  }

  @Test
  void shouldShowPendingBucketsAndTheirItems() {
    http.post(
        "/api/streams/scans/events",
        "[{\"seller_id\":10,\"package_id\":\"A\"},{\"seller_id\":20,\"package_id\":\"X\"}]");
    await()
        .atMost(Duration.ofSeconds(5))
        .until(
            () -> http.get("/api/digests/seller-scans/pending").json().path("buckets").size() == 2);
    clock.advance(Duration.ofMinutes(10));
    http.post("/api/streams/scans/events", "{\"seller_id\":10,\"package_id\":\"B\"}");
    await()
        .atMost(Duration.ofSeconds(5))
        .until(
            () ->
                http.get("/api/digests/seller-scans/pending/10").json().path("count").asInt() == 2);

    JsonNode digests = http.get("/api/digests").json().path("digests");
    assertThat(digests.path(0).path("name").asText()).isEqualTo("seller-scans");
    assertThat(digests.path(0).path("openBuckets").asInt()).isEqualTo(2);
    assertThat(digests.path(0).path("nextDueAt").asText()).isEqualTo("2022-06-28T13:00:00Z");
    JsonNode bucket = http.get("/api/digests/seller-scans/pending/10").json();
    assertThat(bucket.path("dueAt").asText()).isEqualTo("2022-06-28T13:10:00Z");
    assertThat(bucket.path("firstAt").asText()).isEqualTo("2022-06-28T12:00:00Z");
    assertThat(bucket.path("items").toString()).isEqualTo("[\"A\",\"B\"]");
    JsonNode page = http.get("/api/digests/seller-scans/pending?limit=1").json();
    assertThat(page.path("buckets").path(0).path("key").asText()).isEqualTo("10");
    assertThat(
            http.get("/api/digests/seller-scans/pending?limit=1&after=10")
                .json()
                .path("buckets")
                .path(0)
                .path("key")
                .asText())
        .isEqualTo("20");
    assertProblem(
        http.get("/api/digests/seller-scans/pending/99"), 404, "no open bucket for key '99'");
    assertProblem(http.get("/api/digests/nope/pending"), 404, "rules: [seller-scans]");
  }

  @Test
  void shouldFlushABucketNowAndListTheNotificationWithItsDeliveries() {
    http.post(
        "/api/streams/scans/events",
        "[{\"seller_id\":10,\"package_id\":\"A\"},{\"seller_id\":10,\"package_id\":\"B\"}]");
    await()
        .atMost(Duration.ofSeconds(5))
        .until(
            () ->
                http.get("/api/digests/seller-scans/pending/10").status() == 200
                    && http.get("/api/digests/seller-scans/pending/10").json().path("count").asInt()
                        == 2);

    Answer flushed = http.post("/api/digests/seller-scans/pending/10/flush", "");

    assertThat(flushed.status()).isEqualTo(200);
    String id = flushed.json().path("id").asText();
    assertThat(flushed.json().path("items").toString()).isEqualTo("[\"A\",\"B\"]");
    assertProblem(
        http.post("/api/digests/seller-scans/pending/10/flush", ""), 404, "no open bucket");
    JsonNode list = http.get("/api/notifications?rule=seller-scans&recipient=10").json();
    assertThat(list.path("notifications")).hasSize(1);
    assertThat(list.path("notifications").path(0).path("id").asText()).isEqualTo(id);
    await()
        .atMost(Duration.ofSeconds(5))
        .until(
            () ->
                http.get("/api/notifications/" + id)
                    .json()
                    .path("deliveries")
                    .path(0)
                    .path("state")
                    .asText()
                    .equals("DELIVERED"));
    JsonNode one = http.get("/api/notifications/" + id).json();
    assertThat(one.path("deliveries").path(0).path("sink").asText())
        .isEqualTo("stream:notifications");
    assertThat(
            one.path("deliveries").path(0).path("attempts").path(0).path("succeeded").asBoolean())
        .isTrue();
    assertThat(
            http.get("/api/streams/notifications/events")
                .json()
                .path("events")
                .path(0)
                .path("data")
                .path("id")
                .asText())
        .isEqualTo(id);
    assertProblem(http.get("/api/notifications/n-missing"), 404, "n-missing");
  }

  @Test
  void shouldReportHealthAndMetrics() {
    http.post("/api/streams/scans/events", "{\"seller_id\":10,\"package_id\":\"A\"}");

    assertThat(http.get("/health/live").status()).isEqualTo(200);
    Answer ready = http.get("/health/ready");
    assertThat(ready.status()).isEqualTo(200);
    assertThat(ready.json().path("store").asText()).startsWith("sqlite:");
    await()
        .atMost(Duration.ofSeconds(5))
        .untilAsserted(
            () -> {
              String metrics = http.get("/metrics").body();
              assertThat(metrics).contains("herald_events_appended_total{stream=\"scans\"} 1");
              assertThat(metrics).contains("herald_buckets_open{rule=\"seller-scans\"} 1");
              assertThat(metrics).contains("# TYPE herald_notification_lateness_seconds histogram");
            });
  }

  @Test
  void shouldShowAndFlushTheBucketOfAKeyWithASlashPercentEncoded() {
    http.post("/api/streams/scans/events", "{\"seller_id\":\"shop/10\",\"package_id\":\"AAAAAA\"}");
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> http.get("/api/digests/seller-scans/pending/shop%2F10").status() == 200);

    Answer bucket = http.get("/api/digests/seller-scans/pending/shop%2F10");
    Answer flushed = http.post("/api/digests/seller-scans/pending/shop%2F10/flush", "");

    assertThat(bucket.status()).isEqualTo(200);
    assertThat(bucket.json().path("key").asText()).isEqualTo("shop/10");
    assertThat(flushed.status()).isEqualTo(200);
    assertThat(flushed.json().path("recipient").asText()).isEqualTo("shop/10");
  }

  @Test
  void shouldListTheBackgroundAgentsWithTheirErrorsOnApiAndInMetrics() {
    JsonNode agents = http.get("/api").json().path("agents");

    List<String> names = new ArrayList<>();
    agents.forEach(a -> names.add(a.path("agent").asText()));
    assertThat(names).contains("herald-dispatcher", "herald-topics", "herald-inbox-monitor");
    assertThat(agents)
        .allSatisfy(
            a -> {
              assertThat(a.path("errors").asLong()).isZero();
              assertThat(a.path("healthy").asBoolean()).isTrue();
            });
    assertThat(http.get("/metrics").body())
        .contains("herald_agent_errors_total{agent=\"herald-dispatcher\"} 0")
        .contains("herald_agent_up{agent=\"herald-topics\"} 1");
  }
}
