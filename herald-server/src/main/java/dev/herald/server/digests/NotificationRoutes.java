package dev.herald.server.digests;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.Redaction;
import dev.herald.json.Json;
import dev.herald.notify.Delivery;
import dev.herald.notify.Notification;
import dev.herald.notify.NotificationPage;
import dev.herald.notify.NotificationQuery;
import dev.herald.notify.NotificationStore;
import dev.herald.server.http.HttpJson;
import dev.herald.server.http.ProblemException;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.util.Objects;

/**
 * {@code /api/notifications}: the outbox, page by page, and one notification with its deliveries.
 */
public final class NotificationRoutes implements HttpService {

  private final NotificationStore store;

  public NotificationRoutes(NotificationStore store) {
    this.store = Objects.requireNonNull(store, "store");
  }

  @Override
  public void routing(HttpRules rules) {
    rules.get("/", this::list).get("/{id}", this::one);
  }

  private void list(ServerRequest req, ServerResponse res) {
    NotificationQuery query =
        new NotificationQuery(
            HttpJson.query(req, "rule"),
            HttpJson.query(req, "recipient"),
            HttpJson.query(req, "after"),
            HttpJson.limit(req, 100, 1000));
    NotificationPage page;
    try {
      page = store.list(query);
    } catch (IllegalArgumentException e) {
      throw ProblemException.badRequest("query parameter 'after': " + e.getMessage());
    }
    ObjectNode body = Json.object();
    ArrayNode array = body.putArray("notifications");
    page.notifications().forEach(n -> array.add(n.toJson()));
    if (page.next().isPresent()) {
      body.put("next", page.next().get());
    } else {
      body.putNull("next");
    }
    HttpJson.send(res, 200, body);
  }

  private void one(ServerRequest req, ServerResponse res) {
    String id = req.path().pathParameters().get("id");
    Notification notification =
        store
            .find(id)
            .orElseThrow(
                () ->
                    ProblemException.notFound(
                        "unknown-notification", "there is no notification with id '" + id + "'"));
    ObjectNode body = notification.toJson();
    ArrayNode deliveries = body.putArray("deliveries");
    for (Delivery d : store.deliveries(id)) {
      ObjectNode json = deliveries.addObject();
      json.put("sink", Redaction.redact(d.sink()));
      json.put("state", d.state().name());
      d.nextAttemptAt().ifPresent(t -> json.put("nextAttemptAt", t.toString()));
      ArrayNode attempts = json.putArray("attempts");
      for (Delivery.Attempt a : d.attempts()) {
        ObjectNode attempt = attempts.addObject();
        attempt.put("number", a.number());
        attempt.put("at", a.at().toString());
        attempt.put("succeeded", a.succeeded());
        attempt.put("detail", Redaction.redact(a.detail()));
      }
    }
    HttpJson.send(res, 200, body);
  }
}
