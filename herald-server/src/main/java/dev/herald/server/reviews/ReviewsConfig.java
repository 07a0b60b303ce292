package dev.herald.server.reviews;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.inbox.InboxDelivery;
import dev.herald.inbox.InboxRule;
import dev.herald.route.Directory;
import dev.herald.route.InvalidDirectoryException;
import dev.herald.route.RouteRule;
import dev.herald.route.Routing;
import dev.herald.server.config.ConfigReader;
import dev.herald.server.config.JobConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The {@code directories}, {@code routes}, {@code inboxes} and {@code alerts} sections.
 *
 * @param directories declared directories by name
 * @param routes route rules
 * @param inboxes inbox rules
 * @param alerts the alerts stream and the monitor's period
 */
public record ReviewsConfig(
    Map<String, DirectoryConfig> directories,
    List<RouteRule> routes,
    List<InboxRule> inboxes,
    AlertSettings alerts)
    implements JobConfig {

  public ReviewsConfig {
    directories = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(directories));
    routes = List.copyOf(routes);
    inboxes = List.copyOf(inboxes);
  }

  @Override
  public Map<String, String> consumers() {
    Map<String, String> consumers = new LinkedHashMap<>();
    routes.forEach(rule -> consumers.put(rule.consumerGroup(), rule.stream()));
    inboxes.forEach(rule -> consumers.put(rule.consumerGroup(), rule.stream()));
    return consumers;
  }

  @Override
  public Map<String, String> writes() {
    Map<String, String> writers = new LinkedHashMap<>();
    for (RouteRule route : routes) {
      writers.putIfAbsent(route.to(), "route '" + route.name() + "'");
      writers.putIfAbsent(route.invalid(), "route '" + route.name() + "' (events it cannot route)");
    }
    writers.putIfAbsent(alerts.stream(), "the alert board");
    return writers;
  }

  @Override
  public List<EventCheck> checks() {
    List<EventCheck> checks = new ArrayList<>();
    routes.forEach(rule -> checks.add(new EventCheck(rule.stream(), d -> Routing.check(rule, d))));
    inboxes.forEach(
        rule -> checks.add(new EventCheck(rule.stream(), d -> InboxDelivery.check(rule, d))));
    return checks;
  }

  static ReviewsConfig read(ConfigReader in) {
    Map<String, DirectoryConfig> directories = directories(in, in.section("directories"));
    List<RouteRule> routes = routes(in, in.section("routes"), directories);
    List<InboxRule> inboxes = inboxes(in, in.section("inboxes"));
    return new ReviewsConfig(directories, routes, inboxes, alerts(in, in.section("alerts")));
  }

  private static Map<String, DirectoryConfig> directories(ConfigReader in, JsonNode node) {
    Map<String, DirectoryConfig> directories = new LinkedHashMap<>();
    if (node.isMissingNode() || node.isNull()) {
      return directories;
    }
    in.requireObject(node, "/directories");
    for (Iterator<Map.Entry<String, JsonNode>> it = node.properties().iterator(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> entry = it.next();
      String name = entry.getKey();
      String at = "/directories/" + name;
      in.requireObject(entry.getValue(), at);
      in.allowOnly(entry.getValue(), at, Set.of("file", "entries"));
      JsonNode inline = entry.getValue().get("entries");
      Optional<String> file = in.text(entry.getValue(), at, "file");
      if (file.isPresent() == (inline != null)) {
        throw in.error(
            at,
            "a directory needs either 'file' (a JSON file like {\"Brand1\": [1, 2]}) or 'entries', not both");
      }
      if (inline != null) {
        try {
          directories.put(
              name, new DirectoryConfig(Directory.parse(name, inline), Optional.empty()));
        } catch (InvalidDirectoryException e) {
          throw in.error(at + "/entries", "directory '" + name + "': " + e.getMessage());
        }
        continue;
      }
      Path path = in.file().toAbsolutePath().getParent().resolve(file.get()).normalize();
      directories.put(
          name, new DirectoryConfig(DirectoryFiles.read(name, path), Optional.of(path)));
    }
    return directories;
  }

  private static List<RouteRule> routes(
      ConfigReader in, JsonNode node, Map<String, DirectoryConfig> directories) {
    List<RouteRule> routes = new ArrayList<>();
    if (node.isMissingNode() || node.isNull()) {
      return routes;
    }
    in.requireObject(node, "/routes");
    for (Iterator<Map.Entry<String, JsonNode>> it = node.properties().iterator(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> entry = it.next();
      String name = entry.getKey();
      String at = "/routes/" + name;
      JsonNode body = entry.getValue();
      in.requireObject(body, at);
      in.allowOnly(
          body,
          at,
          Set.of("stream", "by", "directory", "to", "invalid", "recipientField", "checkField"));
      String stream = in.declaredStream(body, at, "stream", "the stream it reads");
      String by =
          in.text(body, at, "by")
              .orElseThrow(
                  () -> in.error(at, "a route needs 'by': the field looked up in the directory"));
      String directory =
          in.text(body, at, "directory")
              .orElseThrow(() -> in.error(at, "a route needs 'directory'"));
      if (!directories.containsKey(directory)) {
        throw in.error(
            at + "/directory",
            "directory '"
                + directory
                + "' is not declared under directories; declared: "
                + directories.keySet());
      }
      String to = in.declaredStream(body, at, "to", "the stream routed events are written to");
      String invalid =
          in.declaredStream(body, at, "invalid", "the stream unroutable events are written to");
      try {
        routes.add(
            new RouteRule(
                name,
                stream,
                by,
                directory,
                to,
                invalid,
                in.text(body, at, "recipientField").orElse(RouteRule.DEFAULT_RECIPIENT_FIELD),
                in.text(body, at, "checkField").orElse(RouteRule.DEFAULT_CHECK_FIELD)));
      } catch (IllegalArgumentException e) {
        throw in.error(at, e.getMessage());
      }
    }
    return routes;
  }

  private static List<InboxRule> inboxes(ConfigReader in, JsonNode node) {
    List<InboxRule> inboxes = new ArrayList<>();
    if (node.isMissingNode() || node.isNull()) {
      return inboxes;
    }
    in.requireObject(node, "/inboxes");
    for (Iterator<Map.Entry<String, JsonNode>> it = node.properties().iterator(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> entry = it.next();
      String name = entry.getKey();
      String at = "/inboxes/" + name;
      JsonNode body = entry.getValue();
      in.requireObject(body, at);
      in.allowOnly(
          body,
          at,
          Set.of("stream", "recipient", "itemKey", "staleAfter", "dedupeWindow", "ackTimeout"));
      if (!name.matches("[A-Za-z0-9._-]{1,200}")) {
        throw in.error(
            at, "an inbox name may hold letters, digits, '.', '_' and '-', but was '" + name + "'");
      }
      String stream = in.declaredStream(body, at, "stream", "the stream it reads");
      String recipient = in.text(body, at, "recipient").orElse(RouteRule.DEFAULT_RECIPIENT_FIELD);
      String itemKey =
          in.text(body, at, "itemKey")
              .orElseThrow(
                  () -> in.error(at, "an inbox needs 'itemKey': the field identifying an item"));
      Duration staleAfter = in.optionalDuration(body, at, "staleAfter").orElse(Duration.ofHours(1));
      Duration dedupe =
          in.optionalDuration(body, at, "dedupeWindow").orElse(InboxRule.DEFAULT_DEDUPE_WINDOW);
      Duration ackTimeout =
          in.optionalDuration(body, at, "ackTimeout").orElse(InboxRule.DEFAULT_ACK_TIMEOUT);
      inboxes.add(new InboxRule(name, stream, recipient, itemKey, staleAfter, dedupe, ackTimeout));
    }
    return inboxes;
  }

  private static AlertSettings alerts(ConfigReader in, JsonNode node) {
    AlertSettings settings = AlertSettings.DEFAULT;
    if (!node.isMissingNode() && !node.isNull()) {
      in.requireObject(node, "/alerts");
      in.allowOnly(node, "/alerts", Set.of("stream", "checkEvery"));
      settings =
          new AlertSettings(
              node.has("stream") ? alertsStream(in, node.get("stream")) : settings.stream(),
              in.optionalDuration(node, "/alerts", "checkEvery").orElse(settings.checkEvery()));
    }
    in.declareWrittenByHerald(settings.stream());
    return settings;
  }

  /** The alerts stream is declared for the board, as the default one is, when it is not yet. */
  private static String alertsStream(ConfigReader in, JsonNode value) {
    if (!value.isTextual() || !value.asText().matches("[A-Za-z0-9._-]{1,200}")) {
      throw in.error(
          "/alerts/stream",
          "the alerts stream is a stream name of 1 to 200 letters, digits, '.', '_' or '-', but"
              + " was "
              + value);
    }
    return value.asText();
  }
}
