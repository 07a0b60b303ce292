package dev.herald.server.listener;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.herald.server.HeraldServer;
import dev.herald.server.RawWebSocket;
import dev.herald.server.RawWebSocket.Frame;
import dev.herald.server.ServerFixture;
import dev.herald.server.TestHttp;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** WebSocket connections that misbehave: odd frames, silence, a foreign origin. */
class WebSocketHardeningTest {

  @TempDir Path dir;
  private HeraldServer server;
  private int port;

  @BeforeEach
  void start() {
    server =
        ServerFixture.start(
            dir,
            """
        server:
          idleTimeout: PT1.5S
          allowedOrigins: [https://ops.example.com]
        live:
          heartbeat: PT0.3S
        topics: [chat.general]
        """,
            InstantSource.system());
    port = server.port();
  }

  @AfterEach
  void stop() {
    server.close();
  }

  private RawWebSocket open() {
    RawWebSocket ws = RawWebSocket.open(port, "/ws/streams/chat.general", Optional.empty());
    assertThat(ws.handshake()).startsWith("HTTP/1.1 101");
    return ws;
  }

  private int subscribers() {
    String metrics = new TestHttp(port).get("/metrics").body();
    return metrics
        .lines()
        .filter(l -> l.startsWith("herald_live_subscribers "))
        .map(l -> Integer.parseInt(l.split(" ")[1]))
        .findFirst()
        .orElseThrow();
  }

  @Test
  void shouldCloseWith1002OnAFrameWithAReservedOpcode() {
    try (RawWebSocket ws = open()) {
      ws.send(0x3, new byte[] {1, 2, 3});

      Optional<Frame> close = ws.next(RawWebSocket.CLOSE, Duration.ofSeconds(5));
      assertThat(close).isPresent();
      assertThat(close.get().closeCode()).isEqualTo(1002);
      assertThat(close.get().closeReason()).contains("reserved opcode");
      assertThat(ws.closedWithin(Duration.ofSeconds(5))).isTrue();
    }
  }

  @Test
  void shouldCloseWith1003OnABinaryMessage() {
    try (RawWebSocket ws = open()) {
      ws.send(RawWebSocket.BINARY, new byte[] {1, 2, 3});

      Optional<Frame> close = ws.next(RawWebSocket.CLOSE, Duration.ofSeconds(5));
      assertThat(close).isPresent();
      assertThat(close.get().closeCode()).isEqualTo(1003);
      assertThat(close.get().closeReason()).contains("binary messages are not accepted");
    }
  }

  @Test
  void shouldAnswerAPingWithAPongOfTheSamePayload() {
    try (RawWebSocket ws = open()) {
      ws.send(RawWebSocket.PING, "are you there".getBytes(StandardCharsets.UTF_8));

      Optional<Frame> pong = ws.next(RawWebSocket.PONG, Duration.ofSeconds(5));
      assertThat(pong).isPresent();
      assertThat(pong.get().text()).isEqualTo("are you there");
    }
  }

  @Test
  void shouldKeepAClientThatAnswersPingsAndDropOneThatDoesNot() {
    try (RawWebSocket answering = open();
        RawWebSocket silent = open()) {
      await().atMost(Duration.ofSeconds(5)).until(() -> subscribers() == 2);
      long until = System.nanoTime() + Duration.ofSeconds(4).toNanos();
      while (System.nanoTime() < until) {
        Optional<Frame> ping = answering.next(RawWebSocket.PING, Duration.ofSeconds(2));
        assertThat(ping).as("the server pings an idle subscriber").isPresent();
        answering.send(RawWebSocket.PONG, ping.get().payload());
      }

      assertThat(silent.closedWithin(Duration.ofSeconds(5)))
          .as("the silent client is closed")
          .isTrue();
      await().atMost(Duration.ofSeconds(5)).until(() -> subscribers() == 1);
      answering.sendText("{\"publish\":{\"user\":\"ann\",\"text\":\"still here\"},\"ref\":1}");
      assertThat(answering.next(RawWebSocket.TEXT, Duration.ofSeconds(5))).isPresent();
    }
  }

  @Test
  void shouldRefuseAnUpgradeFromAForeignOriginWith403() {
    try (RawWebSocket foreign =
            RawWebSocket.open(
                port, "/ws/streams/chat.general", Optional.of("http://evil.example"));
        RawWebSocket own =
            RawWebSocket.open(
                port, "/ws/streams/chat.general", Optional.of("http://127.0.0.1:" + port));
        RawWebSocket allowed =
            RawWebSocket.open(
                port, "/ws/streams/chat.general", Optional.of("https://ops.example.com"))) {
      assertThat(foreign.handshake())
          .startsWith("HTTP/1.1 403")
          .contains("application/problem+json");
      assertThat(foreign.rest(400))
          .contains("origin 'http://evil.example' is refused")
          .contains("server.allowedOrigins");
      assertThat(own.handshake()).startsWith("HTTP/1.1 101");
      assertThat(allowed.handshake()).startsWith("HTTP/1.1 101");
    }
  }
}
