package dev.herald.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.server.TestHttp.Answer;
import dev.herald.server.config.ConfigException;
import dev.herald.testing.ManualClock;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The reviews scenario over HTTP: directories, routing, inboxes, pulls, cleans and alerts. */
class ReviewsApiTest {

  static final String REVIEWS =
      """
      streams:
        reviews: {}
        reviews.by-user: {}
        reviews.invalid: {}
        alerts: {}
      directories:
        brand-users:
          file: brand-users.json
      routes:
        review-recipients:
          stream: reviews
          by: brand
          directory: brand-users
          to: reviews.by-user
          invalid: reviews.invalid
      inboxes:
        reviews:
          stream: reviews.by-user
          recipient: recipient
          itemKey: review_id
          staleAfter: PT20S
      """;

  @TempDir Path dir;
  private final ManualClock clock = ManualClock.at("2022-06-28T12:00:00Z");
  private HeraldServer server;
  private TestHttp http;

  @BeforeEach
  void start() throws IOException {
    Files.writeString(dir.resolve("brand-users.json"), "{\"Brand1\": [1, 2], \"Brand2\": [4]}");
    server = ServerFixture.start(dir, REVIEWS, clock);
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

  private void review(String json) {
    assertThat(http.post("/api/streams/reviews/events", json).status()).isEqualTo(201);
  }

  private List<String> keys(String recipient) {
    List<String> keys = new ArrayList<>();
    http.get("/api/inboxes/reviews/" + recipient)
        .json()
        .path("items")
        .forEach(i -> keys.add(i.path("key").asText()));
    return keys;
  }

  private JsonNode activeAlerts() {
    return http.get("/api/alerts?active=true").json().path("alerts");
  }

  @Test
  void reviewsFanOutCoalesceAndArePulledAsOneBatch() {
    review("{\"brand\":\"Brand1\",\"review_id\":\"r7\",\"action\":\"created\"}");
    review(
        "[{\"brand\":\"Brand1\",\"review_id\":\"r7\",\"action\":\"updated\",\"stars\":4},"
            + "{\"brand\":\"Brand2\",\"review_id\":\"r8\",\"action\":\"created\"}]");

    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> keys("1").size() == 1 && keys("2").size() == 1 && keys("4").size() == 1);
    clock.advance(Duration.ofSeconds(3));
    Answer pull = http.post("/api/inboxes/reviews/1/pull", "");

    assertThat(pull.status()).isEqualTo(200);
    JsonNode body = pull.json();
    assertThat(body.path("recipient").asText()).isEqualTo("1");
    assertThat(body.path("pulledAt").asText()).isEqualTo("2022-06-28T12:00:03Z");
    assertThat(body.path("items")).hasSize(1);
    JsonNode r7 = body.path("items").path(0);
    assertThat(r7.path("key").asText()).isEqualTo("r7");
    assertThat(r7.path("changes").asInt()).isEqualTo(2);
    assertThat(r7.path("data").path("action").asText()).isEqualTo("updated");
    assertThat(r7.path("data").path("stars").asInt()).isEqualTo(4);
    assertThat(r7.path("firstAt").asText()).isEqualTo("2022-06-28T12:00:00Z");
    assertThat(keys("1")).isEmpty();
    assertThat(keys("2")).containsExactly("r7");
    assertThat(http.get("/api/inboxes/reviews/1").json().path("lastPulledAt").asText())
        .isEqualTo("2022-06-28T12:00:03Z");

    JsonNode list = http.get("/api/inboxes/reviews").json().path("inboxes");
    assertThat(list).hasSize(3);
    assertThat(list.path(0).path("recipient").asText()).isEqualTo("1");
    assertThat(list.path(0).path("pending").asInt()).isZero();
  }

  @Test
  void invalidReviewsAreKeptAsideAndAlerted() {
    review("{\"brand\":\"Brand9\",\"review_id\":\"r1\"}");
    review("{\"brand\":\"Brand1\",\"review_id\":\"r2\",\"user_id\":9}");

    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> http.get("/api/alerts").json().path("alerts").size() == 2);
    JsonNode invalid = http.get("/api/streams/reviews.invalid/events").json().path("events");
    assertThat(invalid).hasSize(2);
    assertThat(invalid.path(0).path("data").path("reason").asText())
        .contains("unknown brand 'Brand9'");
    assertThat(invalid.path(1).path("data").path("reason").asText())
        .contains("user_id 9 is not responsible for brand 'Brand1'");
    JsonNode alert = http.get("/api/alerts").json().path("alerts").path(0);
    assertThat(alert.path("type").asText()).isEqualTo("invalid-event");
    assertThat(alert.path("subject").asText())
        .isEqualTo("reviews.invalid/" + invalid.path(0).path("id").asText());
    assertThat(alert.path("detail").asText()).contains("Brand9");
    assertThat(alert.path("raisedAt").asText()).isEqualTo("2022-06-28T12:00:00Z");
    assertThat(activeAlerts()).isEmpty();
  }

  @Test
  void aStaleInboxRaisesAnAlertThatAPullResolves() {
    review("{\"brand\":\"Brand2\",\"review_id\":\"r1\"}");
    await().atMost(Duration.ofSeconds(10)).until(() -> keys("4").size() == 1);
    clock.advance(Duration.ofSeconds(10));
    assertThat(http.get("/api/inboxes/reviews?stale=true").json().path("inboxes")).isEmpty();

    clock.advance(Duration.ofSeconds(11));
    await().atMost(Duration.ofSeconds(10)).until(() -> activeAlerts().size() == 1);
    JsonNode alert = activeAlerts().path(0);
    assertThat(alert.path("type").asText()).isEqualTo("stale-inbox");
    assertThat(alert.path("subject").asText()).isEqualTo("reviews/4");
    JsonNode stale = http.get("/api/inboxes/reviews?stale=true").json().path("inboxes");
    assertThat(stale).hasSize(1);
    assertThat(stale.path(0).path("recipient").asText()).isEqualTo("4");
    assertThat(stale.path(0).path("stale").asBoolean()).isTrue();
    assertThat(http.get("/metrics").body())
        .contains(
            "herald_inboxes{inbox=\"reviews\"} 1",
            "herald_inbox_pending_items{inbox=\"reviews\"} 1",
            "herald_inbox_oldest_pending_seconds{inbox=\"reviews\"}",
            "herald_alerts_active 1");

    http.post("/api/inboxes/reviews/4/pull", "");

    await().atMost(Duration.ofSeconds(10)).until(() -> activeAlerts().isEmpty());
    JsonNode history = http.get("/api/alerts").json().path("alerts");
    assertThat(history).hasSize(2);
    assertThat(history.path(1).path("resolvedAt").asText()).isEqualTo("2022-06-28T12:00:21Z");
    assertThat(history.path(1).path("detail").asText())
        .isEqualTo("inbox reviews/4 was pulled at 2022-06-28T12:00:21Z");
  }

  @Test
  void cleanRemovesAnInboxAndAnswers404ForAnUnknownRecipient() {
    review("{\"brand\":\"Brand2\",\"review_id\":\"r1\"}");
    await().atMost(Duration.ofSeconds(10)).until(() -> keys("4").size() == 1);

    assertThat(http.delete("/api/inboxes/reviews/4").status()).isEqualTo(204);
    assertThat(keys("4")).isEmpty();
    assertThat(http.get("/api/inboxes/reviews").json().path("inboxes")).isEmpty();
    assertProblem(http.delete("/api/inboxes/reviews/4"), 404, "recipient '4'");
  }

  @Test
  void aPullReservesItsItemsUntilAcknowledgedAndAnAckIsAnsweredOnce() {
    review("{\"brand\":\"Brand2\",\"review_id\":\"r1\"}");
    await().atMost(Duration.ofSeconds(10)).until(() -> keys("4").size() == 1);

    JsonNode pull = http.post("/api/inboxes/reviews/4/pull", "").json();
    String pullId = pull.path("pullId").asText();

    assertThat(pullId).isNotEmpty();
    assertThat(pull.path("reservedUntil").asText()).isEqualTo("2022-06-28T12:01:00Z");
    assertThat(pull.path("items")).hasSize(1);
    assertThat(keys("4")).isEmpty();
    assertThat(http.post("/api/inboxes/reviews/4/pull", "").json().path("pullId").isNull())
        .as("nothing left to reserve")
        .isTrue();
    assertThat(http.post("/api/inboxes/reviews/4/pull/" + pullId + "/ack", "").status())
        .isEqualTo(204);
    assertProblem(
        http.post("/api/inboxes/reviews/4/pull/" + pullId + "/ack", ""),
        404,
        "has no pull '" + pullId + "'");
    clock.advance(Duration.ofMinutes(5));
    assertThat(http.post("/api/inboxes/reviews/4/pull", "").json().path("items")).isEmpty();
  }

  @Test
  void anUnacknowledgedPullComesBackAfterTheAckTimeoutAndALateAckIs409() {
    review("{\"brand\":\"Brand2\",\"review_id\":\"r1\"}");
    await().atMost(Duration.ofSeconds(10)).until(() -> keys("4").size() == 1);
    String lost = http.post("/api/inboxes/reviews/4/pull", "").json().path("pullId").asText();

    clock.advance(Duration.ofSeconds(61));

    await().atMost(Duration.ofSeconds(10)).until(() -> keys("4").size() == 1);
    assertProblem(
        http.post("/api/inboxes/reviews/4/pull/" + lost + "/ack", ""), 404, "has no pull");
    JsonNode again = http.post("/api/inboxes/reviews/4/pull", "").json();
    assertThat(again.path("items").path(0).path("key").asText()).isEqualTo("r1");
    clock.advance(Duration.ofSeconds(61));
    assertProblem(
        http.post("/api/inboxes/reviews/4/pull/" + again.path("pullId").asText() + "/ack", ""),
        409,
        "was not acknowledged within PT1M (ackTimeout): its items are pending again");
    assertThat(keys("4")).containsExactly("r1");
  }

  @Test
  void anAutoAckPullTakesItsItemsForGood() {
    review("{\"brand\":\"Brand2\",\"review_id\":\"r1\"}");
    await().atMost(Duration.ofSeconds(10)).until(() -> keys("4").size() == 1);

    JsonNode pull = http.post("/api/inboxes/reviews/4/pull?autoAck=true", "").json();

    assertThat(pull.path("items")).hasSize(1);
    assertThat(pull.path("pullId").isNull()).isTrue();
    clock.advance(Duration.ofMinutes(5));
    assertThat(http.post("/api/inboxes/reviews/4/pull", "").json().path("items")).isEmpty();
    assertProblem(
        http.post("/api/inboxes/reviews/4/pull?autoAck=maybe", ""),
        400,
        "'autoAck' must be true or false");
  }

  @Test
  void pullingAnUnknownRecipientIsNotAnError() {
    Answer pull = http.post("/api/inboxes/reviews/77/pull", "");
    assertThat(pull.status()).isEqualTo(200);
    assertThat(pull.json().path("items")).isEmpty();
    assertThat(pull.json().path("recipient").asText()).isEqualTo("77");
  }

  @Test
  void rejectsAReviewWithoutTheRoutingFieldWith422AndStoresNothing() {
    assertProblem(
        http.post(
            "/api/streams/reviews/events",
            "[{\"brand\":\"Brand1\",\"review_id\":\"r1\"},{\"review_id\":\"r2\"}]"),
        422,
        "event 1 of the batch: the event has no \"brand\" field, which route 'review-recipients' routes by");
    assertThat(http.get("/api/streams/reviews/events").json().path("events")).isEmpty();
    assertProblem(
        http.post("/api/streams/reviews.by-user/events", "{\"review_id\":\"r2\"}"),
        403,
        "written by route 'review-recipients'");
  }

  @Test
  void aDirectoryReplacementDoesNotFollowALinkPlantedBesideItsFile() throws IOException {
    Path victim = dir.resolve("victim.txt");
    Files.writeString(victim, "untouched");
    Files.createSymbolicLink(dir.resolve("brand-users.json.tmp"), victim);

    Answer replaced = http.put("/api/directories/brand-users", "{\"Brand1\":[1,2,3]}");

    assertThat(replaced.status()).isEqualTo(200);
    assertThat(Files.readString(victim)).isEqualTo("untouched");
    assertThat(Files.readString(dir.resolve("brand-users.json")))
        .contains("\"Brand1\"")
        .contains("3");
    try (var left = Files.list(dir)) {
      assertThat(
              left.map(p -> p.getFileName().toString())
                  .filter(n -> n.startsWith(".brand-users.json.")))
          .as("no temporary file left")
          .isEmpty();
    }
  }

  @Test
  void aDirectoryWhoseFileCannotBeWrittenIsNotChangedAndTheAnswerSaysSo() throws IOException {
    // the file's place taken by a folder with something in it: the new file cannot be moved there
    Files.delete(dir.resolve("brand-users.json"));
    Files.createDirectories(dir.resolve("brand-users.json"));
    Files.writeString(dir.resolve("brand-users.json").resolve("keep"), "x");

    Answer failed = http.put("/api/directories/brand-users", "{\"Brand1\":[9]}");

    assertProblem(
        failed, 500, "directory 'brand-users' could not be written to its file brand-users.json");
    assertThat(failed.json().path("detail").asText())
        .contains("it was not changed")
        .doesNotContain(dir.toString());
    assertThat(http.get("/api/directories/brand-users").json().toString())
        .isEqualTo("{\"Brand1\":[1,2],\"Brand2\":[4]}");
  }

  @Test
  void aRecipientWithASlashIsPeekedPulledAcknowledgedAndCleanedPercentEncoded() throws IOException {
    http.put("/api/directories/brand-users", "{\"Brand1\":[\"team/ann\"]}");
    review("{\"brand\":\"Brand1\",\"review_id\":\"r1\"}");
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> http.get("/api/inboxes/reviews/team%2Fann").json().path("items").size() == 1);

    JsonNode pull = http.post("/api/inboxes/reviews/team%2Fann/pull", "").json();

    assertThat(pull.path("recipient").asText()).isEqualTo("team/ann");
    assertThat(pull.path("items")).hasSize(1);
    assertThat(
            http.post(
                    "/api/inboxes/reviews/team%2Fann/pull/" + pull.path("pullId").asText() + "/ack",
                    "")
                .status())
        .isEqualTo(204);
    assertThat(http.delete("/api/inboxes/reviews/team%2Fann").status()).isEqualTo(204);
  }

  @Test
  void anUnknownInboxIs404() {
    assertProblem(
        http.get("/api/inboxes/nope/1"), 404, "inbox 'nope' is not declared; inboxes: [reviews]");
    assertProblem(
        http.get("/api/inboxes/reviews?stale=maybe"), 400, "'stale' must be true or false");
  }

  @Test
  void aDirectoryIsReadAndReplacedAtRuntimeAndWrittenBackToItsFile() throws IOException {
    assertThat(http.get("/api/directories/brand-users").json().toString())
        .isEqualTo("{\"Brand1\":[1,2],\"Brand2\":[4]}");

    Answer replaced =
        http.put("/api/directories/brand-users", "{\"Brand1\": [1], \"Brand2\": [5, \"6\"]}");
    assertThat(replaced.status()).isEqualTo(200);
    review("{\"brand\":\"Brand2\",\"review_id\":\"r1\"}");

    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> keys("5").size() == 1 && keys("6").size() == 1);
    assertThat(keys("4")).isEmpty();
    assertThat(Files.readString(dir.resolve("brand-users.json"))).contains("\"Brand2\" : [ 5, 6 ]");
    assertThat(http.get("/api/directories").json().path("directories").path(0).path("keys").asInt())
        .isEqualTo(2);
  }

  @Test
  void aBadDirectoryReplacementIs400AndKeepsTheOldOne() {
    assertProblem(
        http.put("/api/directories/brand-users", "{\"Brand1\": 1}"),
        400,
        "directory 'brand-users': entry \"Brand1\" must be an array of recipients, but was 1; the directory was not changed");
    assertProblem(
        http.put("/api/directories/brand-users", "[1, 2]"), 400, "must be a JSON object of arrays");
    assertProblem(
        http.put("/api/directories/brand-users", "{\"Brand1\": [[1]]}"),
        400,
        "entry \"Brand1\", recipient 1");
    assertProblem(http.put("/api/directories/brand-users", "{nope"), 400, "not valid JSON");
    assertProblem(http.put("/api/directories/nope", "{}"), 404, "directory 'nope' is not declared");
    assertThat(http.get("/api/directories/brand-users").json().toString())
        .isEqualTo("{\"Brand1\":[1,2],\"Brand2\":[4]}");
  }

  @Test
  void aBadDirectoryFileStopsTheServerNamingTheFileAndEntry(@TempDir Path other)
      throws IOException {
    Files.writeString(
        other.resolve("brand-users.json"), "{\"Brand1\": [1, 2],\n \"Brand2\": \"4\"}");
    assertThatThrownBy(() -> ServerFixture.config(other, REVIEWS))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining(other.resolve("brand-users.json").toString())
        .hasMessageContaining("entry \"Brand2\" must be an array of recipients");

    Files.writeString(other.resolve("brand-users.json"), "{\"Brand1\": [1, 2],\n \"Brand2\": [4}");
    assertThatThrownBy(() -> ServerFixture.config(other, REVIEWS))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("brand-users.json:2: directory 'brand-users' is not valid JSON");

    Files.delete(other.resolve("brand-users.json"));
    assertThatThrownBy(() -> ServerFixture.config(other, REVIEWS))
        .hasMessageContaining("the file does not exist");
  }
}
