package dev.herald.inbox;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.json.Json;
import dev.herald.json.TopLevelFields;
import dev.herald.log.Event;
import dev.herald.log.InvalidEventException;
import dev.herald.route.RouteEngine;
import java.time.Instant;
import java.util.Objects;

/**
 * One event's change to one recipient's inbox.
 *
 * @param dedupeId what makes the delivery unique: the source event and recipient for a routed event
 *     (a re-routed copy has a new id but the same source), otherwise the event id
 * @param recipient whose inbox it goes to
 * @param itemKey the item it changes
 * @param time the event time; the item keeps the data of its latest change
 * @param json the event's JSON object, as text
 */
public record InboxDelivery(
    String dedupeId, String recipient, String itemKey, Instant time, String json) {

  public InboxDelivery {
    Objects.requireNonNull(dedupeId, "dedupeId");
    Objects.requireNonNull(recipient, "recipient");
    Objects.requireNonNull(itemKey, "itemKey");
    Objects.requireNonNull(time, "time");
    Objects.requireNonNull(json, "json");
  }

  /** A delivery of the event {@code data}, written as JSON here. */
  public InboxDelivery(
      String dedupeId, String recipient, String itemKey, Instant time, ObjectNode data) {
    this(dedupeId, recipient, itemKey, time, Json.write(Objects.requireNonNull(data, "data")));
  }

  /**
   * What {@code rule} takes from {@code event}. The three fields it needs are read from the event's
   * text when they are plain strings or integers, so that no tree is built per event; otherwise the
   * tree decides, with the same result.
   *
   * @throws InvalidEventException naming the field when the event lacks its recipient or item key
   */
  public static InboxDelivery of(InboxRule rule, Event event) {
    boolean[] strings = new boolean[3];
    String[] fields =
        TopLevelFields.read(
            event.json(),
            new String[] {rule.recipientField(), rule.itemKey(), RouteEngine.SOURCE_FIELD},
            strings);
    if (fields == null
        || fields[0] == null
        || fields[1] == null
        || (fields[2] != null && !strings[2])) {
      return ofTree(rule, event);
    }
    String dedupe =
        fields[2] != null ? fields[2] + "|" + fields[0] : event.stream() + "/" + event.id();
    return new InboxDelivery(dedupe, fields[0], fields[1], event.time(), event.json());
  }

  private static InboxDelivery ofTree(InboxRule rule, Event event) {
    ObjectNode data = event.data();
    String recipient = text(rule, data, rule.recipientField(), "the recipient");
    String key = text(rule, data, rule.itemKey(), "the item key");
    JsonNode source = data.get(RouteEngine.SOURCE_FIELD);
    String dedupe =
        source != null && source.isTextual()
            ? source.textValue() + "|" + recipient
            : event.stream() + "/" + event.id();
    return new InboxDelivery(dedupe, recipient, key, event.time(), event.json());
  }

  /** Checks that {@code data} has everything {@code rule} needs, before it is stored. */
  public static void check(InboxRule rule, ObjectNode data) {
    if (text(rule, data, rule.recipientField(), "the recipient").isEmpty()) {
      throw new InvalidEventException(
          "field \""
              + rule.recipientField()
              + "\" must not be empty: inbox '"
              + rule.name()
              + "' reads the recipient from it, and an inbox without a recipient could not be pulled");
    }
    text(rule, data, rule.itemKey(), "the item key");
  }

  private static String text(InboxRule rule, ObjectNode data, String field, String what) {
    JsonNode value = data.get(field);
    if (value == null || value.isNull() || value.isContainerNode()) {
      throw new InvalidEventException(
          "the event has no \""
              + field
              + "\" field (a string or a number), which inbox '"
              + rule.name()
              + "' reads "
              + what
              + " from");
    }
    return Json.keyText(value);
  }
}
