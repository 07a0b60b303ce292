package dev.herald.topic;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.json.Json;
import dev.herald.log.Event;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * An event as live subscribers receive it, rendered once: the feed renders each event when it reads
 * it, so a thousand subscribers of a stream send the same text instead of serializing the event a
 * thousand times.
 *
 * @param json the JSON text {@code {"id","time","data"}}, as WebSocket messages carry it
 * @param sseFrame the server-sent event, UTF-8: {@code id: ID}, {@code data: JSON} and the blank
 *     line that ends it; shared, never to be modified
 */
public record LiveEvent(Event event, String json, byte[] sseFrame) {

  public LiveEvent {
    Objects.requireNonNull(event, "event");
    Objects.requireNonNull(json, "json");
    Objects.requireNonNull(sseFrame, "sseFrame");
  }

  public static LiveEvent of(Event event) {
    String json = json(event);
    // ids and JSON text hold no line breaks, so each is one SSE field line
    byte[] frame =
        ("id: " + event.id() + "\ndata: " + json + "\n\n").getBytes(StandardCharsets.UTF_8);
    return new LiveEvent(event, json, frame);
  }

  public String id() {
    return event.id();
  }

  /**
   * The event on the wire, {@code {"id","time","data"}}: the stored text goes in as it is, without
   * a tree.
   */
  public static String json(Event event) {
    return "{\"id\":"
        + Json.quote(event.id())
        + ",\"time\":"
        + Json.quote(event.time().toString())
        + ",\"data\":"
        + event.json()
        + "}";
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
