package dev.herald.server.listener;

import static org.assertj.core.api.Assertions.assertThat;

import dev.herald.server.HeraldServer;
import dev.herald.server.ServerFixture;
import dev.herald.server.TestHttp;
import dev.herald.server.TestHttp.Answer;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.file.Path;
import java.time.InstantSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** State-changing requests in the forms a page of another origin could send, sent by hand. */
class CrossSiteRequestTest {

  @TempDir Path dir;
  private HeraldServer server;
  private TestHttp http;
  private String base;

  @BeforeEach
  void start() {
    server =
        ServerFixture.start(
            dir,
            "server:\n  allowedOrigins: [https://ops.example.com]\n"
                + ServerFixture.SELLER_SCANS.formatted("PT1H"),
            InstantSource.system());
    http = new TestHttp(server.port());
    base = "http://127.0.0.1:" + server.port();
  }

  @AfterEach
  void stop() {
    server.close();
  }

  private Answer post(String path, String contentType, String origin, String body) {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create(base + path))
            .POST(HttpRequest.BodyPublishers.ofString(body));
    if (contentType != null) {
      request.header("Content-Type", contentType);
    }
    if (origin != null) {
      request.header("Origin", origin);
    }
    return http.send(request.build());
  }

  private int stored() {
    return http.get("/api/streams/scans/events").json().path("events").size();
  }

  private static final String SCAN = "{\"seller_id\":1,\"package_id\":\"A\"}";

  @Test
  void shouldRefuseABodyThatIsNotDeclaredJsonWith415() {
    for (String type :
        new String[] {
          "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"
        }) {
      Answer answer = post("/api/streams/scans/events", type, null, SCAN);
      assertThat(answer.status()).as(type).isEqualTo(415);
      assertThat(answer.contentType()).isEqualTo("application/problem+json");
      assertThat(answer.json().path("detail").asText())
          .contains("Content-Type: application/json")
          .contains(type.split(";")[0]);
    }
    assertThat(post("/api/streams/scans/events", null, null, SCAN).status()).isEqualTo(415);
    assertThat(stored()).isZero();
  }

  @Test
  void shouldRefuseAChangeFromAPageOfAForeignOriginWith403() {
    Answer foreign =
        post("/api/streams/scans/events", "application/json", "http://evil.example", SCAN);
    Answer foreignNoBody =
        post("/api/digests/seller-scans/pending/1/flush", null, "http://evil.example", "");

    assertThat(foreign.status()).isEqualTo(403);
    assertThat(foreign.json().path("detail").asText())
        .contains("origin 'http://evil.example' is refused");
    assertThat(foreignNoBody.status()).isEqualTo(403);
    assertThat(stored()).isZero();
  }

  @Test
  void shouldAcceptJsonFromTheServersOwnOriginAnAllowedOneAndFromClientsWithoutAnOrigin() {
    assertThat(post("/api/streams/scans/events", "application/json", base, SCAN).status())
        .isEqualTo(201);
    assertThat(
            post(
                    "/api/streams/scans/events",
                    "application/json; charset=utf-8",
                    "https://ops.example.com",
                    SCAN)
                .status())
        .isEqualTo(201);
    assertThat(
            post("/api/streams/scans/events", "application/x-ndjson", null, SCAN + "\n").status())
        .isEqualTo(201);
    assertThat(stored()).isEqualTo(3);
  }
}
