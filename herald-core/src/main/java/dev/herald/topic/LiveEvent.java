package dev.herald.topic;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.json.Json;
import dev.herald.log.Event;
import java.util.Objects;

/**
 * An event as live subscribers receive it, with its JSON text ({@code {"id","time","data"}})
 * rendered once: the feed renders each event when it reads it, so a thousand subscribers of a
 * stream send the same text instead of serializing the event a thousand times.
 */
public record LiveEvent(Event event, String json) {

  public LiveEvent {
    Objects.requireNonNull(event, "event");
    Objects.requireNonNull(json, "json");
  }

  public static LiveEvent of(Event event) {
    return new LiveEvent(event, Json.write(toJson(event)));
  }

  public String id() {
    return event.id();
  }

  /** The JSON form of an event on the wire, the same as the stream read API's. */
  public static ObjectNode toJson(Event event) {
    ObjectNode json = Json.object();
    json.put("id", event.id());
    json.put("time", event.time().toString());
    json.set("data", event.data());
    return json;
  }
}
