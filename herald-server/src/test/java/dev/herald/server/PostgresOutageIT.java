package dev.herald.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.postgres.PrivatePostgres;
import dev.herald.server.TestHttp.Answer;
import dev.herald.server.config.HeraldConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A PostgreSQL cluster of the test's own (initdb, pg_ctl), stopped at once under a running server
 * and started again.
 */
class PostgresOutageIT {

  @TempDir Path dir;
  private PrivatePostgres pg;

  @AfterEach
  void stop() throws Exception {
    if (pg != null) {
      pg.close();
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
  void shouldAnswer503WhilePostgresIsDownAndResumeWithNothingLost() throws Exception {
    boolean ci = "true".equals(System.getenv("CI"));
    if (!ci) {
      assumeTrue(PrivatePostgres.binaries().isPresent(), "no initdb under /usr/lib/postgresql");
    }
    pg = PrivatePostgres.create(ServerProcess.freePort());
    pg.start();
    HeraldConfig config = ServerFixture.config(dir, ServerFixture.SELLER_SCANS.formatted("PT2S"));
    config = config.withServer(config.server().withStore(pg.url(), "unused:"));
    try (HeraldServer server = HeraldServer.start(config, InstantSource.system())) {
      TestHttp http = new TestHttp(server.port());
      assertThat(http.post("/api/streams/scans/events", scans("AAAAAA", "BBBBBB")).status())
          .isEqualTo(201);

      pg.stop();

      await().atMost(Duration.ofSeconds(10)).until(() -> http.get("/health/ready").status() == 503);
      Answer refused = http.post("/api/streams/scans/events", scans("LOST-1", "LOST-2"));
      assertThat(refused.status()).isEqualTo(503);
      assertThat(refused.contentType()).isEqualTo("application/problem+json");
      assertThat(refused.headers().firstValue("Retry-After")).contains("1");
      assertThat(refused.json().path("detail").asText()).contains("nothing was stored");
      assertThat(http.get("/health/live").status()).as("the process stays up").isEqualTo(200);
      await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> http.get("/health/ready").json().path("unhealthyAgents").size() > 0);
      JsonNode failing = http.get("/health/ready").json().path("unhealthyAgents").path(0);
      assertThat(failing.path("lastFailure").asText()).contains("PostgreSQL");

      pg.start();

      await().atMost(Duration.ofSeconds(30)).until(() -> http.get("/health/ready").status() == 200);
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> http.post("/api/streams/scans/events", scans("CCCCCC")).status() == 201);
      // what an engine had read but not stored when the database went away comes back after the
      // 30 s lease
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
      // the refused batch left nothing behind, and each acknowledged scan is notified once
      assertThat(notifiedItems(http)).containsExactlyInAnyOrder("AAAAAA", "BBBBBB", "CCCCCC");
      assertThat(http.get("/api/streams/scans/events").json().path("events")).hasSize(3);
    }
  }
}
