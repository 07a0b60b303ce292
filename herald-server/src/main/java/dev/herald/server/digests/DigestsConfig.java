package dev.herald.server.digests;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.Redaction;
import dev.herald.digest.DigestItem;
import dev.herald.digest.DigestRule;
import dev.herald.notify.LogSink;
import dev.herald.notify.Sink;
import dev.herald.notify.StreamSink;
import dev.herald.notify.WebhookSink;
import dev.herald.retry.RetryPolicy;
import dev.herald.server.config.ConfigReader;
import dev.herald.server.config.JobConfig;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;

/**
 * The {@code digests} and {@code delivery} sections.
 *
 * @param rules the digest rules
 * @param delivery how failed deliveries are retried
 */
public record DigestsConfig(List<DigestRule> rules, RetryPolicy delivery) implements JobConfig {

  /** The stream that receives notifications whose delivery was given up. */
  public static final String FAILED_STREAM = "notifications.failed";

  public DigestsConfig {
    rules = List.copyOf(rules);
  }

  public Optional<DigestRule> rule(String name) {
    return rules.stream().filter(d -> d.name().equals(name)).findFirst();
  }

  @Override
  public Map<String, String> consumers() {
    Map<String, String> consumers = new LinkedHashMap<>();
    rules.forEach(rule -> consumers.put(rule.consumerGroup(), rule.stream()));
    return consumers;
  }

  @Override
  public Map<String, String> writes() {
    Map<String, String> writers = new LinkedHashMap<>();
    for (DigestRule rule : rules) {
      for (Sink sink : rule.deliver()) {
        if (sink instanceof StreamSink stream) {
          writers.putIfAbsent(
              stream.stream(), "digest rule '" + rule.name() + "' (its notifications)");
        }
      }
    }
    writers.putIfAbsent(
        FAILED_STREAM, "the dispatcher (notifications whose delivery was given up)");
    return writers;
  }

  @Override
  public List<EventCheck> checks() {
    return rules.stream()
        .map(rule -> new EventCheck(rule.stream(), data -> DigestItem.check(rule, data)))
        .toList();
  }

  static DigestsConfig read(ConfigReader in) {
    in.declareWrittenByHerald(FAILED_STREAM);
    List<DigestRule> rules = digests(in, in.section("digests"));
    return new DigestsConfig(
        rules, in.retry(in.section("delivery"), "/delivery", RetryPolicy.DELIVERY));
  }

  private static List<DigestRule> digests(ConfigReader in, JsonNode node) {
    List<DigestRule> rules = new ArrayList<>();
    if (node.isMissingNode() || node.isNull()) {
      return rules;
    }
    in.requireObject(node, "/digests");
    for (Iterator<Map.Entry<String, JsonNode>> it = node.properties().iterator(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> entry = it.next();
      rules.add(digest(in, entry.getKey(), entry.getValue()));
    }
    return rules;
  }

  private static DigestRule digest(ConfigReader in, String name, JsonNode node) {
    String at = "/digests/" + name;
    in.requireObject(node, at);
    in.allowOnly(
        node,
        at,
        Set.of(
            "stream",
            "groupBy",
            "collect",
            "quietPeriod",
            "maxWait",
            "maxItems",
            "timeField",
            "deliver"));
    String stream =
        in.text(node, at, "stream")
            .orElseThrow(() -> in.error(at, "a digest rule needs 'stream': the stream it reads"));
    in.requireStream(stream, at + "/stream");
    String groupBy =
        in.text(node, at, "groupBy")
            .orElseThrow(
                () ->
                    in.error(
                        at, "a digest rule needs 'groupBy': the field holding the recipient key"));
    List<String> collect = collect(in, node.get("collect"), at + "/collect");
    Duration quiet =
        in.optionalDuration(node, at, "quietPeriod")
            .orElseThrow(
                () ->
                    in.error(
                        at,
                        "a digest rule needs 'quietPeriod', an ISO-8601 duration such as PT1H"));
    Optional<Duration> maxWait = in.optionalDuration(node, at, "maxWait");
    OptionalInt maxItems =
        node.has("maxItems")
            ? OptionalInt.of(
                in.integer(node.get("maxItems"), at + "/maxItems", 1, Integer.MAX_VALUE))
            : OptionalInt.empty();
    Optional<String> timeField = in.text(node, at, "timeField");
    List<Sink> deliver = deliver(in, node.get("deliver"), at + "/deliver");
    return new DigestRule(
        name, stream, groupBy, collect, quiet, maxWait, maxItems, timeField, deliver);
  }

  private static List<String> collect(ConfigReader in, JsonNode node, String at) {
    if (node == null || node.isNull()) {
      return List.of();
    }
    if (node.isTextual()) {
      return List.of(node.textValue());
    }
    if (node.isArray() && !node.isEmpty()) {
      List<String> fields = new ArrayList<>();
      for (JsonNode field : node) {
        if (!field.isTextual()) {
          throw in.error(at, "collect lists field names, but holds " + field);
        }
        fields.add(field.textValue());
      }
      return fields;
    }
    throw in.error(
        at,
        "collect must be a field name, a list of field names, or omitted for the whole event, but was "
            + node);
  }

  private static List<Sink> deliver(ConfigReader in, JsonNode node, String at) {
    if (node == null || node.isNull()) {
      return List.of(new LogSink());
    }
    if (!node.isArray()) {
      throw in.error(
          at, "deliver must be a list of sinks (log, stream: NAME, webhook: URL), but was " + node);
    }
    List<Sink> sinks = new ArrayList<>();
    for (int i = 0; i < node.size(); i++) {
      Sink sink = sink(in, node.get(i), at + "/" + i);
      if (sinks.stream().anyMatch(s -> s.name().equals(sink.name()))) {
        throw in.error(
            at + "/" + i,
            "sink " + sink.name() + " is listed twice; give each webhook its own 'name'");
      }
      sinks.add(sink);
    }
    return sinks;
  }

  private static Sink sink(ConfigReader in, JsonNode node, String at) {
    if (node.isTextual() && node.textValue().equals("log")) {
      return new LogSink();
    }
    if (node.isObject() && node.has("stream")) {
      in.allowOnly(node, at, Set.of("stream"));
      String stream = node.get("stream").asText();
      in.requireStream(stream, at);
      return new StreamSink(stream);
    }
    if (node.isObject() && node.has("webhook")) {
      in.allowOnly(node, at, Set.of("webhook", "secret", "name"));
      String url = node.get("webhook").asText();
      Optional<String> name = in.text(node, at, "name");
      if (name.isPresent() && !name.get().matches("[A-Za-z0-9._-]{1,100}")) {
        throw in.error(
            at + "/name",
            "a webhook's name may hold letters, digits, '.', '_' and '-', but was '"
                + name.get()
                + "'");
      }
      try {
        URI uri = new URI(url);
        WebhookSink sink = WebhookSink.of(uri, in.text(node, at, "secret"));
        return name.map(n -> new WebhookSink(n, uri, sink.secret())).orElse(sink);
      } catch (URISyntaxException | IllegalArgumentException e) {
        throw in.error(
            at + "/webhook",
            "webhook must be an http or https URL, but was " + Redaction.redact(url));
      }
    }
    throw in.error(
        at,
        "a sink is 'log', 'stream: NAME' or 'webhook: URL' (with an optional 'secret'), but was "
            + node);
  }
}
