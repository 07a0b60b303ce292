package dev.herald.server.http;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.digest.DigestItem;
import dev.herald.digest.DigestRule;
import dev.herald.inbox.InboxDelivery;
import dev.herald.inbox.InboxRule;
import dev.herald.json.Json;
import dev.herald.log.Event;
import dev.herald.log.EventLog;
import dev.herald.log.InvalidEventException;
import dev.herald.log.NewEvent;
import dev.herald.route.RouteRule;
import dev.herald.route.Routing;
import dev.herald.server.config.HeraldConfig;
import dev.herald.server.metrics.HeraldMetrics;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;

/** {@code /api/streams/{stream}/events}: append events, read them back. */
public final class StreamRoutes implements HttpService {

  private final HeraldConfig config;
  private final EventLog log;
  private final HeraldMetrics metrics;
  private final Runnable onAppend;
  private final EventBodies bodies;
  /** What each consumer of a stream needs from its events, checked before anything is stored. */
  private final Map<String, List<Consumer<ObjectNode>>> checks = new HashMap<>();

  public StreamRoutes(HeraldConfig config, EventLog log, HeraldMetrics metrics, Runnable onAppend) {
    this.config = Objects.requireNonNull(config, "config");
    this.log = Objects.requireNonNull(log, "log");
    this.metrics = Objects.requireNonNull(metrics, "metrics");
    this.onAppend = Objects.requireNonNull(onAppend, "onAppend");
    this.bodies = new EventBodies(config.server().maxBodyBytes());
    for (DigestRule rule : config.digests()) {
      checks.computeIfAbsent(rule.stream(), s -> new ArrayList<>()).add(data -> DigestItem.check(rule, data));
    }
    for (RouteRule rule : config.routes()) {
      checks.computeIfAbsent(rule.stream(), s -> new ArrayList<>()).add(data -> Routing.check(rule, data));
    }
    for (InboxRule rule : config.inboxes()) {
      checks.computeIfAbsent(rule.stream(), s -> new ArrayList<>()).add(data -> InboxDelivery.check(rule, data));
    }
  }

  @Override
  public void routing(HttpRules rules) {
    rules.post("/{stream}/events", this::append).get("/{stream}/events", this::read);
  }

  private String knownStream(ServerRequest req) {
    String stream = req.path().pathParameters().get("stream");
    if (!config.streams().containsKey(stream)) {
      throw ProblemException.notFound("unknown-stream", "stream '" + stream + "' is not declared in " + config.source().getFileName()
          + "; known streams: " + config.streams().keySet());
    }
    return stream;
  }

  private void append(ServerRequest req, ServerResponse res) {
    String stream = knownStream(req);
    List<ObjectNode> events = bodies.read(req);
    List<Consumer<ObjectNode>> rules = checks.getOrDefault(stream, List.of());
    for (int i = 0; i < events.size(); i++) {
      for (Consumer<ObjectNode> rule : rules) {
        try {
          rule.accept(events.get(i));
        } catch (InvalidEventException e) {
          String where = events.size() == 1 ? "" : "event " + i + " of the batch: ";
          throw new InvalidEventException(where + e.getMessage() + (events.size() == 1 ? "" : "; nothing was stored"));
        }
      }
    }
    List<String> ids = log.appendAll(stream, events.stream().map(NewEvent::of).toList());
    metrics.onAppended(stream, ids.size());
    onAppend.run();
    ObjectNode body = Json.object();
    ArrayNode idArray = body.putArray("ids");
    ids.forEach(idArray::add);
    HttpJson.send(res, 201, body);
  }

  private void read(ServerRequest req, ServerResponse res) {
    String stream = knownStream(req);
    String after = HttpJson.query(req, "after").orElse("");
    int limit = HttpJson.limit(req, 100, 1000);
    List<Event> events;
    try {
      events = log.read(stream, after, limit);
    } catch (IllegalArgumentException e) {
      throw ProblemException.badRequest("query parameter 'after': " + e.getMessage());
    }
    ObjectNode body = Json.object();
    ArrayNode array = body.putArray("events");
    for (Event event : events) {
      ObjectNode json = array.addObject();
      json.put("id", event.id());
      json.put("time", event.time().toString());
      json.set("data", event.data());
    }
    body.put("next", events.isEmpty() ? after : events.getLast().id());
    HttpJson.send(res, 200, body);
  }
}
