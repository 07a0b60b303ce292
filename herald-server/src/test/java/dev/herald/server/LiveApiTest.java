package dev.herald.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.json.Json;
import dev.herald.server.TestHttp.Answer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Live topics over SSE and WebSocket: history, resume, reset, heartbeats, publishing, bad input.
 */
class LiveApiTest {

  static final String TOPICS =
      """
      streams:
        scans: {}
      topics: [chat.general, chat.random]
      live:
        heartbeat: PT0.3S
      """;

  @TempDir Path dir;
  private HeraldServer server;
  private TestHttp http;
  private final HttpClient client = HttpClient.newHttpClient();
  private final List<AutoCloseable> open = new ArrayList<>();

  @BeforeEach
  void start() {
    server = ServerFixture.start(dir, TOPICS, InstantSource.system());
    http = new TestHttp(server.port());
  }

  @AfterEach
  void stop() throws Exception {
    for (AutoCloseable c : open) {
      c.close();
    }
    server.close();
  }

  private String say(String topic, String text) {
    Answer answer =
        http.post(
            "/api/streams/" + topic + "/events", "{\"user\":\"ann\",\"text\":\"" + text + "\"}");
    assertThat(answer.status()).isEqualTo(201);
    return answer.json().path("ids").path(0).asText();
  }

  /** An SSE connection whose lines are queued as they arrive. */
  private final class Sse implements AutoCloseable {
    final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    final HttpResponse<Stream<String>> response;
    final Thread reader;

    Sse(String pathAndQuery, String lastEventId) throws Exception {
      HttpRequest.Builder request =
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + pathAndQuery));
      if (lastEventId != null) {
        request.header("Last-Event-ID", lastEventId);
      }
      response = client.send(request.build(), HttpResponse.BodyHandlers.ofLines());
      reader =
          Thread.ofVirtual()
              .start(
                  () -> {
                    try {
                      response.body().forEach(lines::add);
                    } catch (RuntimeException closed) {
                      // the connection was closed
                    }
                  });
      open.add(this);
    }

    /** The data of the next {@code n} events (skipping comments), with their ids. */
    List<String[]> events(int n) throws InterruptedException {
      List<String[]> events = new ArrayList<>();
      String id = null;
      String type = "message";
      while (events.size() < n) {
        String line = lines.poll(10, TimeUnit.SECONDS);
        assertThat(line).as("an SSE line within 10 s").isNotNull();
        if (line.startsWith("id: ")) {
          id = line.substring(4);
        } else if (line.startsWith("event: ")) {
          type = line.substring(7);
        } else if (line.startsWith("data: ")) {
          events.add(new String[] {type, id, line.substring(6)});
          id = null;
          type = "message";
        }
      }
      return events;
    }

    List<String> texts(int n) throws InterruptedException {
      return events(n).stream()
          .map(e -> Json.parseTrusted(e[2]).path("data").path("text").asText())
          .toList();
    }

    @Override
    public void close() {
      response.body().close();
      reader.interrupt();
    }
  }

  @Test
  void sseReplaysHistoryThenStreamsLiveEventsWithTheirIds() throws Exception {
    String first = say("chat.general", "one");
    say("chat.general", "two");
    Sse sse = new Sse("/api/streams/chat.general/live?after=earliest", null);

    assertThat(sse.response.statusCode()).isEqualTo(200);
    assertThat(sse.response.headers().firstValue("Content-Type").orElse(""))
        .startsWith("text/event-stream");
    List<String[]> history = sse.events(2);
    assertThat(history.get(0)[1]).isEqualTo(first);
    assertThat(Json.parseTrusted(history.get(0)[2]).path("id").asText()).isEqualTo(first);
    assertThat(Json.parseTrusted(history.get(1)[2]).path("data").path("text").asText())
        .isEqualTo("two");

    say("chat.general", "three");
    say("chat.random", "elsewhere");
    assertThat(sse.texts(1)).containsExactly("three");
  }

  @Test
  void aReconnectWithLastEventIdResumesExactlyAfterIt() throws Exception {
    say("chat.general", "one");
    String second = say("chat.general", "two");
    say("chat.general", "three");

    Sse byHeader =
        new Sse(
            "/api/streams/chat.general/live?lastEventId=nonsense-ignored-when-header-is-set",
            second);
    assertThat(byHeader.texts(1)).containsExactly("three");
    Sse byQuery = new Sse("/api/streams/chat.general/live?lastEventId=" + second, null);
    assertThat(byQuery.texts(1)).containsExactly("three");
    say("chat.general", "four");
    assertThat(byHeader.texts(1)).containsExactly("four");
    assertThat(byQuery.texts(1)).containsExactly("four");
  }

  @Test
  void onlyNewEventsByDefaultAndHeartbeatsWhileIdle() throws Exception {
    say("chat.general", "old");
    Sse sse = new Sse("/api/streams/chat.general/live", null);
    await()
        .atMost(Duration.ofSeconds(5))
        .until(() -> sse.lines.stream().anyMatch(l -> l.equals(": heartbeat")));
    say("chat.general", "new");
    assertThat(sse.texts(1)).containsExactly("new");
  }

  @Test
  void aTrimmedLastEventIdGetsAResetEventNamingTheOldestRetainedId() throws Exception {
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      ids.add(say("chat.general", "m" + i));
    }
    server.backend().log().trimToLength("chat.general", 3);
    String oldest = server.backend().log().info("chat.general").firstId().orElseThrow();

    Sse sse = new Sse("/api/streams/chat.general/live", ids.get(1));
    List<String[]> events = sse.events(4);
    assertThat(events.get(0)[0]).isEqualTo("reset");
    JsonNode reset = Json.parseTrusted(events.get(0)[2]);
    assertThat(reset.path("oldestId").asText()).isEqualTo(oldest);
    assertThat(reset.path("requested").asText()).isEqualTo(ids.get(1));
    assertThat(events.subList(1, 4))
        .extracting(e -> e[1])
        .containsExactly(ids.get(7), ids.get(8), ids.get(9));
  }

  @Test
  void badCursorsAndUnknownStreamsAreRefused() {
    Answer malformed =
        http.send(
            HttpRequest.newBuilder(
                    URI.create(
                        "http://127.0.0.1:" + server.port() + "/api/streams/chat.general/live"))
                .header("Last-Event-ID", "not-an-id")
                .build());
    assertThat(malformed.status()).isEqualTo(400);
    assertThat(malformed.contentType()).isEqualTo("application/problem+json");
    assertThat(malformed.json().path("detail").asText())
        .contains("Last-Event-ID")
        .contains("not-an-id");
    String id = say("chat.general", "x");
    Answer future = http.get("/api/streams/chat.general/live?after=" + (Long.parseLong(id) + 100));
    assertThat(future.status()).isEqualTo(400);
    assertThat(future.json().path("detail").asText()).contains("newer than the newest event");
    Answer unknown = http.get("/api/streams/nope/live");
    assertThat(unknown.status()).isEqualTo(404);
    assertThat(unknown.json().path("detail").asText()).contains("known streams");
  }

  /** A WebSocket client whose text messages are queued. */
  private final class Ws implements WebSocket.Listener, AutoCloseable {
    final BlockingQueue<String> messages = new LinkedBlockingQueue<>();
    final CompletableFuture<String> closed = new CompletableFuture<>();
    final StringBuilder partial = new StringBuilder();
    final WebSocket socket;

    Ws(String pathAndQuery) {
      socket =
          client
              .newWebSocketBuilder()
              .buildAsync(URI.create("ws://127.0.0.1:" + server.port() + pathAndQuery), this)
              .join();
      open.add(this);
    }

    @Override
    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
      partial.append(data);
      if (last) {
        messages.add(partial.toString());
        partial.setLength(0);
      }
      webSocket.request(1);
      return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
      closed.complete(statusCode + " " + reason);
      return null;
    }

    JsonNode next() throws InterruptedException {
      String message = messages.poll(10, TimeUnit.SECONDS);
      assertThat(message).as("a WebSocket message within 10 s").isNotNull();
      return Json.parseTrusted(message);
    }

    void send(String text) {
      socket.sendText(text, true).join();
    }

    @Override
    public void close() {
      socket.abort();
    }
  }

  @Test
  void webSocketStreamsEventsAndPublishesWithAnAnswer() throws Exception {
    String first = say("chat.general", "history");
    Ws ws = new Ws("/ws/streams/chat.general?after=earliest");
    JsonNode replay = ws.next();
    assertThat(replay.path("id").asText()).isEqualTo(first);
    assertThat(replay.path("data").path("text").asText()).isEqualTo("history");

    ws.send("{\"publish\": {\"user\": \"bob\", \"text\": \"hi\"}, \"ref\": 7}");
    JsonNode first1 = ws.next();
    JsonNode second1 = ws.next();
    JsonNode answer = first1.has("published") ? first1 : second1;
    JsonNode event = first1.has("published") ? second1 : first1;
    assertThat(answer.path("ref").asInt()).isEqualTo(7);
    assertThat(event.path("id").asText()).isEqualTo(answer.path("published").asText());
    assertThat(event.path("data").path("user").asText()).isEqualTo("bob");
    assertThat(http.get("/api/streams/chat.general/events").json().path("events")).hasSize(2);

    Sse sse = new Sse("/api/streams/chat.general/live?after=" + first, null);
    assertThat(sse.texts(1)).containsExactly("hi");
  }

  @Test
  void aWebSocketGetsEveryEventOfALargeBatchAsAMessageOfItsOwnInOrder() throws Exception {
    // 3,000 events of ~100 bytes reach the subscriber in batches of many frames, each batch
    // written at once (past the 64 KiB flush threshold and the batch buffer's first growth)
    StringBuilder batch = new StringBuilder("[");
    for (int i = 0; i < 3000; i++) {
      batch
          .append(i == 0 ? "" : ",")
          .append("{\"user\":\"ann\",\"n\":")
          .append(i)
          .append(",\"text\":\"")
          .append("x".repeat(40))
          .append("\"}");
    }
    assertThat(http.post("/api/streams/chat.general/events", batch.append("]").toString()).status())
        .isEqualTo(201);
    Ws ws = new Ws("/ws/streams/chat.general?after=earliest");
    String previous = "";
    for (int i = 0; i < 3000; i++) {
      JsonNode event = ws.next();
      assertThat(event.path("data").path("n").asInt()).isEqualTo(i);
      assertThat(event.path("id").asText()).isNotEqualTo(previous);
      previous = event.path("id").asText();
    }
    String live = say("chat.general", "after the batch");
    JsonNode next = ws.next();
    assertThat(next.path("id").asText()).isEqualTo(live);
    assertThat(ws.messages).isEmpty();
  }

  @Test
  void aBadWebSocketMessageGetsAnErrorAndTheConnectionGoesOn() throws Exception {
    Ws ws = new Ws("/ws/streams/chat.general");
    ws.send("not json");
    assertThat(ws.next().path("error").asText()).contains("not valid JSON");
    ws.send("{\"publish\": [1, 2]}");
    assertThat(ws.next().path("error").asText())
        .contains("\"publish\" must be a JSON object, but was array");
    ws.send("[1]");
    assertThat(ws.next().path("error").asText()).contains("send {\"publish\": {...}}");
    ws.send("{\"publish\": {\"text\": \"" + "x".repeat(1024 * 1024) + "\"}}");
    assertThat(ws.next().path("error").asText()).contains("larger than the limit");
    assertThat(http.get("/api/streams/chat.general/events").json().path("events")).isEmpty();

    ws.send("{\"publish\": {\"text\": \"still here\"}}");
    JsonNode a = ws.next();
    JsonNode b = ws.next();
    assertThat(List.of(a, b)).anySatisfy(m -> assertThat(m.has("published")).isTrue());
    assertThat(ws.closed).isNotDone();
  }

  @Test
  void anUnknownStreamClosesTheWebSocketWith1008AndTheReason() throws Exception {
    Ws ws = new Ws("/ws/streams/nope");
    assertThat(ws.closed.get(10, TimeUnit.SECONDS)).startsWith("1008 unknown stream 'nope'");
    Ws bad = new Ws("/ws/streams/chat.general?after=zzz");
    assertThat(bad.closed.get(10, TimeUnit.SECONDS))
        .startsWith("1008 after: 'zzz' is not an event id");
  }

  @Test
  void listsStreamsWithTheirLengthAndGroups() {
    say("chat.general", "x");
    JsonNode streams = http.get("/api/streams").json().path("streams");
    List<String> names = new ArrayList<>();
    streams.forEach(s -> names.add(s.path("name").asText()));
    assertThat(names).contains("scans", "chat.general", "chat.random", "alerts");
    streams.forEach(
        s -> {
          if (s.path("name").asText().equals("chat.general")) {
            assertThat(s.path("length").asLong()).isEqualTo(1);
          }
        });
  }
}
