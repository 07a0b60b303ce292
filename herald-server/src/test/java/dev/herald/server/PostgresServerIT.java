package dev.herald.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.postgres.PostgresTestSupport;
import dev.herald.server.config.HeraldConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The seller story through the HTTP API of a server whose store (log and state) is PostgreSQL. */
class PostgresServerIT {

  @TempDir Path dir;
  private final String schema = PostgresTestSupport.freshSchema();

  @AfterEach
  void drop() {
    PostgresTestSupport.drop(schema);
  }

  @Test
  void shouldRunTheSellerDigestOnPostgres() {
    HeraldConfig config = ServerFixture.config(dir, ServerFixture.SELLER_SCANS.formatted("PT0.5S"));
    config =
        config.withServer(
            config.server().withStore(PostgresTestSupport.URL, "unused:").withStoreSchema(schema));
    try (HeraldServer server = HeraldServer.start(config, InstantSource.system())) {
      TestHttp http = new TestHttp(server.port());
      assertThat(http.get("/health/ready").status()).isEqualTo(200);
      assertThat(http.get("/health/ready").json().path("store").asText())
          .contains("127.0.0.1:5432/test")
          .contains("schema " + schema);

      assertThat(
              http.post(
                      "/api/streams/scans/events",
                      "[{\"seller_id\":10,\"package_id\":\"AAAAAA\"},{\"seller_id\":10,\"package_id\":\"BBBBBB\"},{\"seller_id\":20,\"package_id\":\"XXXXXX\"}]")
                  .status())
          .isEqualTo(201);

      await()
          .atMost(Duration.ofSeconds(15))
          .until(() -> http.get("/api/notifications").json().path("notifications").size() == 2);
      List<String> lines = new ArrayList<>();
      for (JsonNode n : http.get("/api/notifications").json().path("notifications")) {
        lines.add(n.path("recipient").asText() + ":" + n.path("items"));
      }
      assertThat(lines).containsExactlyInAnyOrder("10:[\"AAAAAA\",\"BBBBBB\"]", "20:[\"XXXXXX\"]");
      await()
          .atMost(Duration.ofSeconds(10))
          .until(
              () ->
                  http.get("/api/streams/notifications/events").json().path("events").size() == 2);
      assertThat(
              http.get("/api/digests").json().path("digests").path(0).path("openBuckets").asInt())
          .isZero();
    }
  }
}
