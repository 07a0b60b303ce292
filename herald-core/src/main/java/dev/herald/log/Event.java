package dev.herald.log;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.util.Objects;

/**
 * An event as stored in a stream.
 *
 * @param stream the stream it belongs to
 * @param id assigned by the log; ordered within the stream, opaque to clients
 * @param time when it happened: given by the producer, or the time the log received it
 * @param data the producer's JSON object, kept as sent; treat it as read-only
 * @param json {@code data} as the log stored it, so that a consumer that stores or sends the event
 *     on does not write the same JSON again
 */
public record Event(String stream, String id, Instant time, ObjectNode data, String json) {
  public Event {
    Objects.requireNonNull(stream, "stream");
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(time, "time");
    Objects.requireNonNull(data, "data");
    Objects.requireNonNull(json, "json");
  }
}
