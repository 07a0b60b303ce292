package dev.herald.digest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.json.Json;
import dev.herald.log.Event;
import dev.herald.log.InvalidEventException;
import java.time.Instant;
import java.util.Objects;

/**
 * One event's contribution to a digest bucket.
 *
 * @param eventId the id, in the log, of the event it came from; opaque to the store
 * @param position the event's {@link Event#position() position} in its stream: a rule takes each
 *     event at most once, and a store may keep the positions it took instead of the ids
 * @param key the recipient key (the text of the rule's groupBy field)
 * @param time the event time that moves the bucket's deadline
 * @param item what the notification lists for this event
 */
public record DigestItem(String eventId, long position, String key, Instant time, JsonNode item) {

  public DigestItem {
    Objects.requireNonNull(eventId, "eventId");
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(time, "time");
    Objects.requireNonNull(item, "item");
  }

  /**
   * What {@code rule} takes from {@code event}.
   *
   * @throws InvalidEventException naming the field when the event lacks the key, an item field, or
   *     has an unreadable time
   */
  public static DigestItem of(DigestRule rule, Event event) {
    ObjectNode data = event.data();
    return new DigestItem(
        event.id(),
        event.position(),
        key(rule, data),
        time(rule, data, event.time()),
        item(rule, data));
  }

  /** Checks that {@code data} has everything {@code rule} needs, before it is stored. */
  public static void check(DigestRule rule, ObjectNode data) {
    key(rule, data);
    time(rule, data, Instant.EPOCH);
    item(rule, data);
  }

  private static String key(DigestRule rule, ObjectNode data) {
    JsonNode value = data.get(rule.groupBy());
    if (value == null || value.isNull()) {
      throw new InvalidEventException(
          "the event has no \""
              + rule.groupBy()
              + "\" field, which digest rule '"
              + rule.name()
              + "' groups by");
    }
    if (value.isContainerNode()) {
      throw new InvalidEventException(
          "field \""
              + rule.groupBy()
              + "\" must be a string or a number (digest rule '"
              + rule.name()
              + "' groups by it), but was "
              + value);
    }
    String key = Json.keyText(value);
    if (key.isEmpty()) {
      throw new InvalidEventException(
          "field \""
              + rule.groupBy()
              + "\" must not be empty: digest rule '"
              + rule.name()
              + "' groups by it, and a bucket without a key could not be named");
    }
    return key;
  }

  private static JsonNode item(DigestRule rule, ObjectNode data) {
    if (rule.collect().isEmpty()) {
      return data;
    }
    if (rule.collect().size() == 1) {
      return field(rule, data, rule.collect().getFirst());
    }
    ObjectNode item = Json.object();
    for (String name : rule.collect()) {
      item.set(name, field(rule, data, name));
    }
    return item;
  }

  private static JsonNode field(DigestRule rule, ObjectNode data, String name) {
    JsonNode value = data.get(name);
    if (value == null) {
      throw new InvalidEventException(
          "the event has no \""
              + name
              + "\" field, which digest rule '"
              + rule.name()
              + "' collects");
    }
    return value;
  }

  private static Instant time(DigestRule rule, ObjectNode data, Instant logTime) {
    if (rule.timeField().isEmpty()) {
      return logTime;
    }
    String name = rule.timeField().get();
    JsonNode value = data.get(name);
    if (value == null || !value.isTextual()) {
      throw new InvalidEventException(
          "the event has no text field \""
              + name
              + "\", which digest rule '"
              + rule.name()
              + "' reads its time from (ISO-8601 or yyyy-MM-dd HH:mm:ss)");
    }
    Instant time =
        EventTimeText.parse(value.textValue())
            .orElseThrow(
                () ->
                    new InvalidEventException(
                        "field \""
                            + name
                            + "\" must be a time as ISO-8601 (2022-06-28T19:35:00Z) or"
                            + " yyyy-MM-dd HH:mm:ss (UTC), but was \""
                            + value.textValue()
                            + "\""));
    if (time.isBefore(EARLIEST) || time.isAfter(LATEST)) {
      throw new InvalidEventException(
          "field \""
              + name
              + "\" must be a time from "
              + EARLIEST
              + " to "
              + LATEST
              + " (digest rule '"
              + rule.name()
              + "' reads its time from it), but was \""
              + value.textValue()
              + "\"");
    }
    return time;
  }

  /** Event times a bucket can be due at: beyond these, deadlines overflow epoch milliseconds. */
  private static final Instant EARLIEST = Instant.parse("0001-01-01T00:00:00Z");

  private static final Instant LATEST = Instant.parse("9999-12-31T23:59:59.999Z");
}
