package dev.herald.route;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.json.Json;
import dev.herald.log.InvalidEventException;
import java.util.List;

/**
 * Where one event goes under a route: its recipients, or the reason it cannot be routed.
 *
 * @param recipients who receives the event; empty when it is invalid
 * @param reason why it cannot be routed; empty text when it can
 */
public record Routing(List<String> recipients, String reason) {

  public boolean valid() {
    return reason.isEmpty();
  }

  /**
   * Decides where {@code data} goes under {@code rule} with {@code directory}.
   *
   * @throws InvalidEventException when the event lacks the field the route looks up: that is the
   *     producer's error, refused before it is stored, not an event to keep aside
   */
  public static Routing of(RouteRule rule, Directory directory, ObjectNode data) {
    String key = key(rule, data);
    if (!directory.contains(key)) {
      return new Routing(
          List.of(),
          "unknown "
              + rule.by()
              + " '"
              + key
              + "': directory '"
              + directory.name()
              + "' does not list it");
    }
    List<String> recipients = directory.recipients(key);
    JsonNode named = data.get(rule.checkField());
    if (named == null || named.isNull()) {
      if (recipients.isEmpty()) {
        return new Routing(
            List.of(),
            rule.by() + " '" + key + "' has no recipients in directory '" + directory.name() + "'");
      }
      return new Routing(recipients, "");
    }
    String recipient = named.isValueNode() ? Json.keyText(named) : named.toString();
    if (!named.isValueNode() || !recipients.contains(recipient)) {
      return new Routing(
          List.of(),
          rule.checkField()
              + " "
              + recipient
              + " is not responsible for "
              + rule.by()
              + " '"
              + key
              + "' (directory '"
              + directory.name()
              + "' lists "
              + recipients
              + ")");
    }
    return new Routing(List.of(recipient), "");
  }

  /** Checks that {@code data} has the field {@code rule} routes by, before it is stored. */
  public static void check(RouteRule rule, ObjectNode data) {
    key(rule, data);
  }

  private static String key(RouteRule rule, ObjectNode data) {
    JsonNode value = data.get(rule.by());
    if (value == null || value.isNull()) {
      throw new InvalidEventException(
          "the event has no \""
              + rule.by()
              + "\" field, which route '"
              + rule.name()
              + "' routes by");
    }
    if (value.isContainerNode()) {
      throw new InvalidEventException(
          "field \""
              + rule.by()
              + "\" must be a string or a number (route '"
              + rule.name()
              + "' routes by it), but was "
              + value);
    }
    return Json.keyText(value);
  }
}
