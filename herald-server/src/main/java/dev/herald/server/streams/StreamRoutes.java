package dev.herald.server.streams;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.json.Json;
import dev.herald.log.Event;
import dev.herald.log.EventLog;
import dev.herald.log.IdempotencyKey;
import dev.herald.log.InvalidEventException;
import dev.herald.log.NewEvent;
import dev.herald.log.StreamInfo;
import dev.herald.server.config.HeraldConfig;
import dev.herald.server.config.JobConfig;
import dev.herald.server.config.StreamConfig;
import dev.herald.server.http.EventBodies;
import dev.herald.server.http.HttpJson;
import dev.herald.server.http.ProblemException;
import dev.herald.server.metrics.HeraldMetrics;
import dev.herald.topic.LiveEvent;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;

/** {@code /api/streams/{stream}/events}: append events, read them back. */
public final class StreamRoutes implements HttpService {

  private final HeraldConfig config;
  private final EventLog log;
  private final HeraldMetrics metrics;
  private final EventBodies bodies;

  /** What each consumer of a stream needs from its events, checked before anything is stored. */
  private final Map<String, List<Consumer<ObjectNode>>> checks = new HashMap<>();

  /** Streams Herald writes and clients may not, with who writes each. */
  private final Map<String, String> readOnly = new HashMap<>();

  public StreamRoutes(HeraldConfig config, EventLog log, HeraldMetrics metrics) {
    this.config = Objects.requireNonNull(config, "config");
    this.log = Objects.requireNonNull(log, "log");
    this.metrics = Objects.requireNonNull(metrics, "metrics");
    this.bodies = new EventBodies(config.server().maxBodyBytes());
    for (JobConfig job : config.jobs()) {
      for (JobConfig.EventCheck check : job.checks()) {
        checks.computeIfAbsent(check.stream(), s -> new ArrayList<>()).add(check.check());
      }
    }
    config
        .writtenByHerald()
        .forEach(
            (stream, writer) -> {
              StreamConfig declared = config.streams().get(stream);
              if (declared != null && !declared.external()) {
                readOnly.put(stream, writer);
              }
            });
  }

  @Override
  public void routing(HttpRules rules) {
    rules
        .get("/", this::list)
        .post("/{stream}/events", this::append)
        .get("/{stream}/events", this::read);
  }

  public static String knownStream(HeraldConfig config, ServerRequest req) {
    String stream = req.path().pathParameters().get("stream");
    if (!config.streams().containsKey(stream)) {
      throw unknownStream(config, stream);
    }
    return stream;
  }

  public static ProblemException unknownStream(HeraldConfig config, String stream) {
    return ProblemException.notFound(
        "unknown-stream",
        "stream '"
            + stream
            + "' is not declared in "
            + config.source().getFileName()
            + "; known streams: "
            + config.streams().keySet());
  }

  private String knownStream(ServerRequest req) {
    return knownStream(config, req);
  }

  /**
   * Checks the events against every consumer of the stream and appends them all, or none: the path
   * shared by POST and WebSocket publishers.
   *
   * @throws dev.herald.log.InvalidEventException naming the event and field when one is unusable
   */
  public List<String> publish(String stream, List<ObjectNode> events) {
    return publish(stream, events, Optional.empty());
  }

  /**
   * As {@link #publish(String, List)}; with a client's idempotency key, a retry of the same events
   * with the same key gets the ids of the first append and appends nothing.
   */
  public List<String> publish(
      String stream, List<ObjectNode> events, Optional<String> idempotencyKey) {
    String writer = readOnly.get(stream);
    if (writer != null) {
      // a forged event here would bypass the checks of whoever writes it (a route's directory
      // check), or could carry a source_event that makes a real event look like a duplicate
      throw new ProblemException(
          403,
          "read-only-stream",
          "stream '"
              + stream
              + "' is written by "
              + writer
              + "; clients may read it "
              + "but not append to it (mark it external: true under streams in "
              + config.source().getFileName()
              + " to allow both)");
    }
    List<Consumer<ObjectNode>> rules = checks.getOrDefault(stream, List.of());
    for (int i = 0; i < events.size(); i++) {
      for (Consumer<ObjectNode> rule : rules) {
        try {
          rule.accept(events.get(i));
        } catch (InvalidEventException e) {
          String where = events.size() == 1 ? "" : "event " + i + " of the batch: ";
          throw new InvalidEventException(
              where + e.getMessage() + (events.size() == 1 ? "" : "; nothing was stored"));
        }
      }
    }
    List<NewEvent> appended = events.stream().map(NewEvent::of).toList();
    List<String> ids =
        idempotencyKey.isEmpty()
            ? log.appendAll(stream, appended)
            : log.appendAll(
                stream,
                appended,
                new IdempotencyKey(idempotencyKey.get(), fingerprint(appended), IDEMPOTENCY_KEEP));
    metrics.onAppended(stream, ids.size());
    return ids;
  }

  /** How long an {@code Idempotency-Key} is remembered. */
  public static final Duration IDEMPOTENCY_KEEP = Duration.ofHours(24);

  /** What a key is checked against: the events as stored, so that whitespace does not matter. */
  private static String fingerprint(List<NewEvent> events) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      for (NewEvent event : events) {
        sha.update(event.json().getBytes(StandardCharsets.UTF_8));
        sha.update((byte) '\n');
      }
      return HexFormat.of().formatHex(sha.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }

  /** The {@code Idempotency-Key} header, checked: 1 to 255 visible ASCII characters. */
  static Optional<String> idempotencyKey(ServerRequest req) {
    Optional<String> key = req.headers().first(HeaderNames.create("Idempotency-Key"));
    if (key.isPresent() && !key.get().matches("[\\x21-\\x7e]{1,255}")) {
      throw ProblemException.badRequest(
          "header Idempotency-Key must be 1 to 255 visible ASCII characters (a UUID is a good key), but was '"
              + key.get()
              + "'");
    }
    return key;
  }

  private void list(ServerRequest req, ServerResponse res) {
    ObjectNode body = Json.object();
    ArrayNode array = body.putArray("streams");
    for (String name : config.streams().keySet()) {
      StreamInfo info = log.info(name);
      ObjectNode json = array.addObject();
      json.put("name", name);
      json.put("length", info.length());
      info.firstId().ifPresentOrElse(id -> json.put("firstId", id), () -> json.putNull("firstId"));
      info.lastId().ifPresentOrElse(id -> json.put("lastId", id), () -> json.putNull("lastId"));
      ArrayNode groups = json.putArray("groups");
      for (StreamInfo.GroupInfo group : info.groups()) {
        ObjectNode g = groups.addObject();
        g.put("name", group.name());
        g.put("pending", group.pending());
        g.put("lag", group.lag());
      }
    }
    HttpJson.send(res, 200, body);
  }

  private void append(ServerRequest req, ServerResponse res) {
    String stream = knownStream(req);
    Optional<String> key = idempotencyKey(req);
    List<ObjectNode> events = bodies.read(req);
    List<String> ids = publish(stream, events, key);
    ObjectNode body = Json.object();
    ArrayNode idArray = body.putArray("ids");
    ids.forEach(idArray::add);
    HttpJson.send(res, 201, body);
  }

  /**
   * A page of events, ended early once it holds {@code server.maxResponseSize} of JSON (a client
   * follows {@code next} as for any page). Each event goes out as the log stored its text, so its
   * numbers are exactly as the producer wrote them, and no tree is built.
   */
  private void read(ServerRequest req, ServerResponse res) {
    String stream = knownStream(req);
    String after = HttpJson.query(req, "after").orElse("");
    int limit = HttpJson.limit(req, 100, 1000);
    List<Event> events;
    try {
      events = log.read(stream, after, limit, config.server().http().maxResponseBytes());
    } catch (IllegalArgumentException e) {
      throw ProblemException.badRequest("query parameter 'after': " + e.getMessage());
    }
    StringBuilder body =
        new StringBuilder(256 + events.stream().mapToInt(e -> e.json().length() + 64).sum())
            .append("{\"events\":[");
    for (int i = 0; i < events.size(); i++) {
      body.append(i == 0 ? "" : ",").append(LiveEvent.json(events.get(i)));
    }
    body.append("],\"next\":")
        .append(Json.quote(events.isEmpty() ? after : events.getLast().id()))
        .append('}');
    res.header(HeaderNames.CONTENT_TYPE, "application/json");
    res.send(body.toString().getBytes(StandardCharsets.UTF_8));
  }
}
