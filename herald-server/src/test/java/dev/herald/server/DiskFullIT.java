package dev.herald.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.herald.server.TestHttp.Answer;
import dev.herald.server.config.HeraldConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The embedded store on a filesystem that fills up: an 8 MiB tmpfs the test mounts (it needs root,
 * as on CI; elsewhere the test is skipped, and with {@code CI=true} it fails instead). Writes fail
 * with 503 and store nothing partially, readiness goes down, and when space returns everything
 * works again without a restart.
 */
class DiskFullIT {

  @TempDir Path dir;
  private Path disk;
  private boolean mounted;
  private HeraldServer server;

  @BeforeEach
  void mount() throws Exception {
    disk = dir.resolve("disk");
    Files.createDirectories(disk);
    Process mount =
        new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", disk.toString())
            .redirectErrorStream(true)
            .start();
    mounted = mount.waitFor(10, TimeUnit.SECONDS) && mount.exitValue() == 0;
    if (!mounted && "true".equals(System.getenv("CI"))) {
      throw new IllegalStateException(
          "CI=true but a tmpfs cannot be mounted here (needs root): "
              + new String(mount.getInputStream().readAllBytes()));
    }
    assumeTrue(mounted, "mounting a tmpfs needs root");
  }

  @AfterEach
  void unmount() throws Exception {
    if (server != null) {
      server.close();
    }
    if (mounted) {
      new ProcessBuilder("umount", "-l", disk.toString()).start().waitFor(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void shouldRefuseWritesWhileTheDiskIsFullAndRecoverByItselfWhenSpaceReturns() throws IOException {
    Path ballast = disk.resolve("ballast");
    Files.write(ballast, new byte[3 << 20]);
    HeraldConfig config =
        ServerFixture.config(dir.resolve("config"), ServerFixture.SELLER_SCANS.formatted("PT1H"));
    server =
        HeraldServer.start(
            config.withServer(config.server().withData(disk.resolve("data"))),
            InstantSource.system());
    TestHttp http = new TestHttp(server.port());
    String filler = "x".repeat(50_000);
    int stored = 0;
    Answer refused = null;
    for (int i = 0; i < 1000 && refused == null; i++) {
      Answer answer =
          http.post(
              "/api/streams/scans/events",
              "{\"seller_id\":" + (i % 5) + ",\"package_id\":\"" + filler + "\"}");
      if (answer.status() == 201) {
        stored++;
      } else {
        refused = answer;
      }
    }

    assertThat(refused).as("the disk filled up").isNotNull();
    assertThat(refused.status()).isEqualTo(503);
    assertThat(refused.json().path("detail").asText()).contains("nothing was stored");
    assertThat(http.get("/health/ready").status()).as("not ready while writes fail").isEqualTo(503);
    assertThat(http.get("/health/live").status()).isEqualTo(200);
    int acknowledged = stored;

    Files.delete(ballast);

    await("writes work again")
        .atMost(Duration.ofSeconds(30))
        .until(
            () ->
                http.post("/api/streams/scans/events", "{\"seller_id\":9,\"package_id\":\"AFTER\"}")
                        .status()
                    == 201);
    await("ready again")
        .atMost(Duration.ofSeconds(30))
        .until(() -> http.get("/health/ready").status() == 200);
    assertThat(http.post("/api/digests/seller-scans/pending/9/flush", "").status())
        .as("a digest closes")
        .isEqualTo(200);
    int read = 0;
    String after = "";
    while (true) {
      var page = http.get("/api/streams/scans/events?limit=1000&after=" + after).json();
      if (page.path("events").isEmpty()) {
        break;
      }
      read += page.path("events").size();
      after = page.path("next").asText();
    }
    assertThat(read)
        .as("every acknowledged event and the one after recovery, nothing partial")
        .isEqualTo(acknowledged + 1);
  }
}
