package dev.herald.server.reviews;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.inbox.InboxItem;
import dev.herald.inbox.InboxPull;
import dev.herald.inbox.InboxRule;
import dev.herald.inbox.InboxStats;
import dev.herald.inbox.InboxStore;
import dev.herald.inbox.InboxSummary;
import dev.herald.json.Json;
import dev.herald.server.http.HttpJson;
import dev.herald.server.http.ProblemException;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.Objects;

/**
 * {@code /api/inboxes}: peek, pull and clean per-recipient inboxes, and list the stale ones. A pull
 * reserves what it takes until {@code POST …/pull/{pullId}/ack} (or the inbox's {@code ackTimeout},
 * after which the items are pending again), so a batch lost on its way to the client comes back;
 * {@code ?autoAck=true} takes it for good at once (at most once).
 */
public final class InboxRoutes implements HttpService {

  private final List<InboxRule> rules;
  private final InboxStore store;
  private final InstantSource clock;
  private final Runnable onPulledOrCleaned;

  public InboxRoutes(
      List<InboxRule> rules, InboxStore store, InstantSource clock, Runnable onPulledOrCleaned) {
    this.rules = List.copyOf(rules);
    this.store = Objects.requireNonNull(store, "store");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.onPulledOrCleaned = Objects.requireNonNull(onPulledOrCleaned, "onPulledOrCleaned");
  }

  @Override
  public void routing(HttpRules rules) {
    // a recipient may hold '/' (sent as %2F, which Helidon decodes before matching): the rest of
    // the path
    rules
        .get("/", this::sets)
        .get("/{inbox}", this::list)
        .post("/{inbox}/{+recipient}/pull/{pullId}/ack", this::ack)
        .post("/{inbox}/{+recipient}/pull", this::pull)
        .get("/{inbox}/{+recipient}", this::peek)
        .delete("/{inbox}/{+recipient}", this::clean);
  }

  private InboxRule rule(ServerRequest req) {
    String name = req.path().pathParameters().get("inbox");
    return rules.stream()
        .filter(r -> r.name().equals(name))
        .findFirst()
        .orElseThrow(
            () ->
                ProblemException.notFound(
                    "unknown-inbox",
                    "inbox '"
                        + name
                        + "' is not declared; inboxes: "
                        + rules.stream().map(InboxRule::name).toList()));
  }

  private void sets(ServerRequest req, ServerResponse res) {
    ObjectNode body = Json.object();
    ArrayNode array = body.putArray("inboxes");
    Instant now = clock.instant();
    for (InboxRule rule : rules) {
      InboxStats stats = store.stats(rule.name());
      ObjectNode json = array.addObject();
      json.put("name", rule.name());
      json.put("stream", rule.stream());
      json.put("recipient", rule.recipientField());
      json.put("itemKey", rule.itemKey());
      json.put("staleAfter", rule.staleAfter().toString());
      json.put("withPending", stats.inboxes());
      json.put("pendingItems", stats.pendingItems());
      stats.oldestPendingAt().ifPresent(at -> json.put("oldestPendingAt", at.toString()));
      json.put(
          "stale",
          stats
              .oldestPendingAt()
              .map(at -> !at.isAfter(now.minus(rule.staleAfter())))
              .orElse(false));
    }
    HttpJson.send(res, 200, body);
  }

  private void list(ServerRequest req, ServerResponse res) {
    InboxRule rule = rule(req);
    int limit = HttpJson.limit(req, 100, 1000);
    String staleParam = HttpJson.query(req, "stale").orElse("false");
    if (!staleParam.equals("true") && !staleParam.equals("false")) {
      throw ProblemException.badRequest(
          "query parameter 'stale' must be true or false, but was '" + staleParam + "'");
    }
    Instant now = clock.instant();
    Instant cutoff = now.minus(rule.staleAfter());
    ObjectNode body = Json.object();
    body.put("inbox", rule.name());
    ArrayNode array = body.putArray("inboxes");
    if (staleParam.equals("true")) {
      // oldest first, straight from the stale index; no paging past the limit
      for (InboxSummary summary : store.stale(rule.name(), cutoff, limit)) {
        array.add(summaryJson(summary, cutoff));
      }
    } else {
      List<InboxSummary> page =
          store.list(rule.name(), HttpJson.query(req, "after").orElse(""), limit);
      page.forEach(s -> array.add(summaryJson(s, cutoff)));
      if (page.size() == limit) {
        body.put("next", page.getLast().recipient());
      } else {
        body.putNull("next");
      }
    }
    HttpJson.send(res, 200, body);
  }

  private static ObjectNode summaryJson(InboxSummary summary, Instant cutoff) {
    ObjectNode json = Json.object();
    json.put("recipient", summary.recipient());
    json.put("pending", summary.pending());
    summary
        .oldestPendingAt()
        .ifPresentOrElse(
            at -> json.put("oldestPendingAt", at.toString()),
            () -> json.putNull("oldestPendingAt"));
    summary
        .lastPulledAt()
        .ifPresentOrElse(
            at -> json.put("lastPulledAt", at.toString()), () -> json.putNull("lastPulledAt"));
    json.put("stale", summary.oldestPendingAt().map(at -> !at.isAfter(cutoff)).orElse(false));
    return json;
  }

  private static ArrayNode itemsJson(List<InboxItem> items) {
    ArrayNode array = Json.array();
    for (InboxItem item : items) {
      ObjectNode json = array.addObject();
      json.put("key", item.key());
      json.set("data", item.data());
      json.put("changes", item.changes());
      json.put("firstAt", item.firstAt().toString());
      json.put("lastAt", item.lastAt().toString());
    }
    return array;
  }

  private void peek(ServerRequest req, ServerResponse res) {
    InboxRule rule = rule(req);
    String recipient = req.path().pathParameters().get("recipient");
    ObjectNode body = Json.object();
    body.put("recipient", recipient);
    body.set("items", itemsJson(store.peek(rule.name(), recipient)));
    store
        .summary(rule.name(), recipient)
        .flatMap(InboxSummary::lastPulledAt)
        .ifPresentOrElse(
            at -> body.put("lastPulledAt", at.toString()), () -> body.putNull("lastPulledAt"));
    HttpJson.send(res, 200, body);
  }

  private void pull(ServerRequest req, ServerResponse res) {
    InboxRule rule = rule(req);
    String recipient = req.path().pathParameters().get("recipient");
    String autoAck = HttpJson.query(req, "autoAck").orElse("false");
    if (!autoAck.equals("true") && !autoAck.equals("false")) {
      throw ProblemException.badRequest(
          "query parameter 'autoAck' must be true or false, but was '" + autoAck + "'");
    }
    Instant now = clock.instant();
    InboxPull pull =
        autoAck.equals("true")
            ? store.pull(rule.name(), recipient, now)
            : store.reserve(rule.name(), recipient, now, now.plus(rule.ackTimeout()));
    onPulledOrCleaned.run();
    ObjectNode body = Json.object();
    body.put("recipient", pull.recipient());
    pull.pullId().ifPresentOrElse(id -> body.put("pullId", id), () -> body.putNull("pullId"));
    pull.reservedUntil()
        .ifPresentOrElse(
            at -> body.put("reservedUntil", at.toString()), () -> body.putNull("reservedUntil"));
    body.set("items", itemsJson(pull.items()));
    body.put("pulledAt", pull.pulledAt().toString());
    HttpJson.send(res, 200, body);
  }

  private void ack(ServerRequest req, ServerResponse res) {
    InboxRule rule = rule(req);
    String recipient = req.path().pathParameters().get("recipient");
    String pullId = req.path().pathParameters().get("pullId");
    switch (store.acknowledge(rule.name(), recipient, pullId, clock.instant())) {
      case ACKNOWLEDGED -> res.status(204).send();
      case UNKNOWN ->
          throw ProblemException.notFound(
              "unknown-pull",
              "inbox '"
                  + rule.name()
                  + "' of recipient '"
                  + recipient
                  + "' has no pull '"
                  + pullId
                  + "' waiting for its acknowledgement: it was acknowledged already, given back, cleaned, or never made");
      case EXPIRED -> {
        onPulledOrCleaned.run();
        throw new ProblemException(
            409,
            "pull-expired",
            "pull '"
                + pullId
                + "' of inbox '"
                + rule.name()
                + "' was not acknowledged within "
                + rule.ackTimeout()
                + " (ackTimeout): its items are pending again and come with the next pull");
      }
    }
  }

  private void clean(ServerRequest req, ServerResponse res) {
    InboxRule rule = rule(req);
    String recipient = req.path().pathParameters().get("recipient");
    if (!store.clean(rule.name(), recipient)) {
      throw ProblemException.notFound(
          "unknown-recipient",
          "inbox '"
              + rule.name()
              + "' has nothing for recipient '"
              + recipient
              + "': no pending items and no pull recorded");
    }
    onPulledOrCleaned.run();
    res.status(204).send();
  }
}
