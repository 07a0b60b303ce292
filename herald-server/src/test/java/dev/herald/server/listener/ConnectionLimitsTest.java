package dev.herald.server.listener;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.herald.server.HeraldServer;
import dev.herald.server.RawSocket;
import dev.herald.server.ServerFixture;
import dev.herald.server.TestHttp;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The listener's limits against clients that hold connections: how many, how idle, how slow. */
class ConnectionLimitsTest {

  @TempDir Path dir;
  private HeraldServer server;
  private final List<RawSocket> sockets = new ArrayList<>();

  private int start(String serverSettings) {
    server =
        ServerFixture.start(
            dir,
            "server:\n" + serverSettings + ServerFixture.SELLER_SCANS.formatted("PT1H"),
            InstantSource.system());
    return server.port();
  }

  private RawSocket connect(int port) {
    RawSocket socket = new RawSocket(port);
    sockets.add(socket);
    return socket;
  }

  @AfterEach
  void stop() {
    sockets.forEach(RawSocket::close);
    if (server != null) {
      server.close();
    }
  }

  private static final String GET_LIVE = "GET /health/live HTTP/1.1\r\nHost: localhost\r\n\r\n";

  @Test
  void shouldRefuseConnectionsPastTheLimitWithA503ThatSaysWhy() {
    int port = start("  maxConnections: 4\n  idleTimeout: PT30S\n");
    for (int i = 0; i < 4; i++) {
      connect(port);
    }

    await()
        .atMost(Duration.ofSeconds(5))
        .untilAsserted(
            () -> {
              try (RawSocket extra = new RawSocket(port)) {
                String answer = extra.send(GET_LIVE).readUntilClosed(Duration.ofSeconds(5));
                assertThat(answer)
                    .startsWith("HTTP/1.1 503")
                    .contains("application/problem+json")
                    .contains("Retry-After: 1")
                    .contains("at most 4 connections at once (server.maxConnections)");
              }
            });

    sockets.removeFirst().close();
    await()
        .atMost(Duration.ofSeconds(5))
        .ignoreExceptions()
        .untilAsserted(
            () -> assertThat(new TestHttp(port).get("/health/live").status()).isEqualTo(200));
  }

  @Test
  void shouldCloseAConnectionThatNeverSendsARequest() {
    // Helidon measures idle time on a clock that ticks once a second: 2 s means 1 to 2.25 s
    int port = start("  idleTimeout: PT2S\n");
    RawSocket silent = connect(port);

    long started = System.nanoTime();
    assertThat(silent.readUntilClosed(Duration.ofSeconds(10))).isEmpty();
    assertThat(Duration.ofNanos(System.nanoTime() - started))
        .isGreaterThanOrEqualTo(Duration.ofMillis(900));
  }

  @Test
  void shouldCloseAKeepAliveConnectionLeftIdle() {
    int port = start("  idleTimeout: PT1S\n");
    RawSocket client = connect(port);

    String answer = client.send(GET_LIVE).readUntilClosed(Duration.ofSeconds(10));

    assertThat(answer).startsWith("HTTP/1.1 200").contains("\"status\":\"UP\"");
  }

  @Test
  void shouldAnswer408WhenHeadersTrickleInSlowerThanTheHeaderTimeout() throws InterruptedException {
    int port = start("  headerTimeout: PT1S\n  idleTimeout: PT30S\n");
    RawSocket client = connect(port);
    client.send("GET /health/live HTTP/1.1\r\nHost: localhost\r\n");
    Thread trickle =
        Thread.ofVirtual()
            .start(
                () -> {
                  try {
                    for (int i = 0; i < 40; i++) {
                      Thread.sleep(100);
                      client.send("X-Slow-" + i + ": 1\r\n");
                    }
                  } catch (InterruptedException | RuntimeException e) {
                    // the server closed the connection: expected
                  }
                });

    String answer = client.readUntilClosed(Duration.ofSeconds(10));
    trickle.interrupt();
    trickle.join();

    assertThat(answer)
        .startsWith("HTTP/1.1 408")
        .contains("application/problem+json")
        .contains("server.headerTimeout");
  }

  @Test
  void shouldAnswerHttp10With505Problem() {
    int port = start("  idleTimeout: PT30S\n");

    String answer =
        connect(port)
            .send("GET /health/live HTTP/1.0\r\n\r\n")
            .readUntilClosed(Duration.ofSeconds(10));

    assertThat(answer)
        .contains(" 505 ")
        .contains("application/problem+json")
        .contains("HTTP/1.1 only");
  }

  @Test
  void shouldRejectConflictingContentLengthsAndStoreNothing() {
    int port = start("  idleTimeout: PT30S\n");
    String event = "{\"seller_id\":1,\"package_id\":\"A\"}";

    String conflicting =
        connect(port)
            .send(
                "POST /api/streams/scans/events HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                    + "Content-Length: "
                    + event.length()
                    + "\r\nContent-Length: 5\r\n\r\n"
                    + event)
            .readUntilClosed(Duration.ofSeconds(10));
    String both =
        connect(port)
            .send(
                "POST /api/streams/scans/events HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                    + "Content-Length: "
                    + event.length()
                    + "\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + event)
            .readUntilClosed(Duration.ofSeconds(10));

    assertThat(conflicting)
        .startsWith("HTTP/1.1 400")
        .contains("application/problem+json")
        .contains("conflicting Content-Length");
    assertThat(both)
        .startsWith("HTTP/1.1 400")
        .contains("both Content-Length and Transfer-Encoding");
    assertThat(new TestHttp(port).get("/api/streams/scans/events").json().path("events")).isEmpty();
  }
}
