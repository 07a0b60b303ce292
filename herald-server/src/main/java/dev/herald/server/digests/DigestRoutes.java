package dev.herald.server.digests;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.digest.Bucket;
import dev.herald.digest.DigestEngine;
import dev.herald.digest.DigestRule;
import dev.herald.digest.DigestStore;
import dev.herald.json.Json;
import dev.herald.server.http.HttpJson;
import dev.herald.server.http.ProblemException;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.util.List;
import java.util.Objects;

/** {@code /api/digests}: rules, their open buckets and items, and flushing a bucket now. */
public final class DigestRoutes implements HttpService {

  private final DigestEngine engine;
  private final DigestStore store;
  private final Runnable onNotification;

  public DigestRoutes(DigestEngine engine, DigestStore store, Runnable onNotification) {
    this.engine = Objects.requireNonNull(engine, "engine");
    this.store = Objects.requireNonNull(store, "store");
    this.onNotification = Objects.requireNonNull(onNotification, "onNotification");
  }

  @Override
  public void routing(HttpRules rules) {
    rules
        .get("/", this::list)
        .get("/{rule}/pending", this::pending)
        // a key may hold '/' (sent as %2F, which Helidon decodes before matching): the rest of the
        // path
        .post("/{rule}/pending/{+key}/flush", this::flush)
        .get("/{rule}/pending/{+key}", this::bucket);
  }

  private DigestRule rule(ServerRequest req) {
    String name = req.path().pathParameters().get("rule");
    return engine
        .rule(name)
        .orElseThrow(
            () ->
                ProblemException.notFound(
                    "unknown-digest",
                    "digest rule '"
                        + name
                        + "' does not exist; rules: "
                        + engine.rules().stream().map(DigestRule::name).toList()));
  }

  private void list(ServerRequest req, ServerResponse res) {
    ObjectNode body = Json.object();
    ArrayNode array = body.putArray("digests");
    for (DigestRule rule : engine.rules()) {
      ObjectNode json = array.addObject();
      json.put("name", rule.name());
      json.put("stream", rule.stream());
      json.put("groupBy", rule.groupBy());
      json.set("collect", Json.MAPPER.valueToTree(rule.collect()));
      json.put("quietPeriod", rule.quietPeriod().toString());
      rule.maxWait().ifPresent(w -> json.put("maxWait", w.toString()));
      rule.maxItems().ifPresent(m -> json.put("maxItems", m));
      rule.timeField().ifPresent(f -> json.put("timeField", f));
      json.set(
          "deliver", Json.MAPPER.valueToTree(rule.deliver().stream().map(s -> s.name()).toList()));
      json.put("openBuckets", store.openBucketCount(rule.name()));
      store.nextDue(rule.name()).ifPresent(d -> json.put("nextDueAt", d.toString()));
    }
    HttpJson.send(res, 200, body);
  }

  private void pending(ServerRequest req, ServerResponse res) {
    DigestRule rule = rule(req);
    int limit = HttpJson.limit(req, 100, 1000);
    List<Bucket> buckets =
        store.openBuckets(rule.name(), HttpJson.query(req, "after").orElse(""), limit);
    ObjectNode body = Json.object();
    ArrayNode array = body.putArray("buckets");
    buckets.forEach(b -> array.add(bucketJson(b)));
    if (buckets.size() == limit) {
      body.put("next", buckets.getLast().key());
    } else {
      body.putNull("next");
    }
    HttpJson.send(res, 200, body);
  }

  private static ObjectNode bucketJson(Bucket b) {
    ObjectNode json = Json.object();
    json.put("key", b.key());
    json.put("count", b.count());
    json.put("firstAt", b.firstAt().toString());
    json.put("lastAt", b.lastAt().toString());
    json.put("dueAt", b.dueAt().toString());
    return json;
  }

  private void bucket(ServerRequest req, ServerResponse res) {
    DigestRule rule = rule(req);
    String key = req.path().pathParameters().get("key");
    Bucket bucket = store.openBucket(rule.name(), key).orElseThrow(() -> noBucket(rule, key));
    List<JsonNode> items = store.openItems(rule.name(), key);
    ObjectNode body = bucketJson(bucket);
    body.set("items", Json.MAPPER.valueToTree(items));
    HttpJson.send(res, 200, body);
  }

  private void flush(ServerRequest req, ServerResponse res) {
    DigestRule rule = rule(req);
    String key = req.path().pathParameters().get("key");
    var notification = engine.flush(rule, key).orElseThrow(() -> noBucket(rule, key));
    onNotification.run();
    HttpJson.send(res, 200, notification.toJson());
  }

  private static ProblemException noBucket(DigestRule rule, String key) {
    return ProblemException.notFound(
        "no-open-bucket",
        "digest rule '" + rule.name() + "' has no open bucket for key '" + key + "'");
  }
}
