package dev.herald.server.listener;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.herald.server.RawSocket;
import dev.herald.server.ServerFixture;
import dev.herald.server.ServerProcess;
import dev.herald.server.TestHttp;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real server process whose listener is taken away: by file descriptors running out, by a taken
 * port.
 */
class ListenerRecoveryIT {

  @TempDir Path dir;

  private Path config(String server) throws IOException {
    Path file = dir.resolve("herald.yaml");
    Files.writeString(file, "server:\n" + server + ServerFixture.SELLER_SCANS.formatted("PT1H"));
    return file;
  }

  @Test
  void shouldListenAgainAfterAcceptingFailedForWantOfFileDescriptors() throws Exception {
    // a limit far above what 400 descriptors allow, so that connections do run the process out of
    // them
    Path config = config("  maxConnections: 100000\n  idleTimeout: PT5M\n");
    int port = ServerProcess.freePort();
    Path log = dir.resolve("server.log");
    Process process =
        ServerProcess.heraldWithFileLimit(
            400,
            log,
            "server",
            "--config",
            config.toString(),
            "--data",
            dir.resolve("data").toString(),
            "--port",
            Integer.toString(port));
    try (ServerProcess server = ServerProcess.awaitReady(process, port, log)) {
      TestHttp http = new TestHttp(port);
      assertThat(
              http.post("/api/streams/scans/events", "{\"seller_id\":1,\"package_id\":\"BEFORE\"}")
                  .status())
          .isEqualTo(201);

      List<RawSocket> flood = new ArrayList<>();
      try {
        for (int i = 0; i < 600; i++) {
          flood.add(new RawSocket(port));
        }
      } catch (UncheckedIOException refused) {
        // the listener is gone: expected at some point
      }
      await("accepting failed (log: " + log + ")")
          .atMost(Duration.ofSeconds(30))
          .until(() -> Files.readString(log).contains("stopped accepting connections"));
      flood.forEach(RawSocket::close);

      await("listening again")
          .atMost(Duration.ofSeconds(30))
          .pollInterval(Duration.ofMillis(200))
          .ignoreExceptions()
          .untilAsserted(() -> assertThat(http.get("/health/live").status()).isEqualTo(200));
      assertThat(server.alive()).isTrue();
      assertThat(
              http.post("/api/streams/scans/events", "{\"seller_id\":1,\"package_id\":\"AFTER\"}")
                  .status())
          .isEqualTo(201);
      assertThat(http.get("/api/streams/scans/events").json().path("events")).hasSize(2);
      assertThat(Files.readString(log)).contains("listens again");
      assertThat(http.get("/metrics").body()).contains("herald_http_listener_restarts_total 1");
    }
  }

  @Test
  void shouldExitWithStatus2AndOneLineWhenThePortIsTakenHavingStartedNothing() throws Exception {
    Path config = config("  idleTimeout: PT60S\n");
    try (ServerSocket taken = new ServerSocket(0)) {
      Path log = dir.resolve("taken.log");
      Path data = dir.resolve("data");
      Process process =
          ServerProcess.herald(
              log,
              java.util.Map.of(),
              "server",
              "--config",
              config.toString(),
              "--data",
              data.toString(),
              "--port",
              Integer.toString(taken.getLocalPort()));

      assertThat(process.waitFor(30, TimeUnit.SECONDS)).as("exited (log: %s)", log).isTrue();
      assertThat(process.exitValue()).isEqualTo(2);
      List<String> lines = Files.readAllLines(log);
      assertThat(lines).hasSize(1);
      assertThat(lines.getFirst())
          .isEqualTo(
              "herald: cannot listen on 0.0.0.0:"
                  + taken.getLocalPort()
                  + ": the address is already in use; "
                  + "no Herald process holds the data folder "
                  + data.toAbsolutePath()
                  + ", so another program has the port (choose another port "
                  + "with --port or HERALD_PORT)");
      assertThat(data.resolve("herald.db")).doesNotExist();
    }
  }

  @Test
  void shouldSayTheDataFolderIsLockedWhenAnotherHeraldHoldsThePort() throws Exception {
    Path config = config("  idleTimeout: PT60S\n");
    int port = ServerProcess.freePort();
    Path data = dir.resolve("data");
    try (ServerProcess first = ServerProcess.start(config, data, port, dir.resolve("first.log"))) {
      Path log = dir.resolve("second.log");
      Process second =
          ServerProcess.herald(
              log,
              java.util.Map.of(),
              "server",
              "--config",
              config.toString(),
              "--data",
              data.toString(),
              "--port",
              Integer.toString(port));

      assertThat(second.waitFor(30, TimeUnit.SECONDS)).isTrue();
      assertThat(second.exitValue()).isEqualTo(2);
      assertThat(Files.readAllLines(log))
          .singleElement()
          .asString()
          .contains(
              "the data folder "
                  + data.toAbsolutePath()
                  + " is locked by another Herald process, probably the one on this port");
      assertThat(first.alive()).isTrue();
    }
  }
}
