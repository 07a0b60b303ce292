package dev.herald.server.reviews;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.alert.Alert;
import dev.herald.alert.AlertBoard;
import dev.herald.json.Json;
import dev.herald.log.Event;
import dev.herald.log.EventLog;
import dev.herald.server.http.HttpJson;
import dev.herald.server.http.ProblemException;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.util.List;
import java.util.Objects;

/**
 * {@code /api/alerts}: the active alerts ({@code ?active=true}), or the history on the alerts
 * stream, raisings and resolutions alike, paged by {@code after}.
 */
public final class AlertRoutes implements HttpService {

  private final AlertBoard board;
  private final EventLog log;

  public AlertRoutes(AlertBoard board, EventLog log) {
    this.board = Objects.requireNonNull(board, "board");
    this.log = Objects.requireNonNull(log, "log");
  }

  @Override
  public void routing(HttpRules rules) {
    rules.get("/", this::list);
  }

  private void list(ServerRequest req, ServerResponse res) {
    String active = HttpJson.query(req, "active").orElse("false");
    if (!active.equals("true") && !active.equals("false")) {
      throw ProblemException.badRequest(
          "query parameter 'active' must be true or false, but was '" + active + "'");
    }
    ObjectNode body = Json.object();
    ArrayNode array = body.putArray("alerts");
    if (active.equals("true")) {
      board.active().forEach(a -> array.add(a.toJson()));
      HttpJson.send(res, 200, body);
      return;
    }
    String after = HttpJson.query(req, "after").orElse("");
    List<Event> events;
    try {
      events = log.read(board.stream(), after, HttpJson.limit(req, 100, 1000));
    } catch (IllegalArgumentException e) {
      throw ProblemException.badRequest("query parameter 'after': " + e.getMessage());
    }
    for (Event event : events) {
      Alert.fromJson(event.data())
          .ifPresent(
              alert -> {
                ObjectNode json = alert.toJson();
                json.put("id", event.id());
                array.add(json);
              });
    }
    body.put("next", events.isEmpty() ? after : events.getLast().id());
    HttpJson.send(res, 200, body);
  }
}
