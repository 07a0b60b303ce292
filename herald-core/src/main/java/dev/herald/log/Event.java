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
 */
public record Event(String stream, String id, Instant time, ObjectNode data) {
  public Event {
    Objects.requireNonNull(stream, "stream");
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(time, "time");
    Objects.requireNonNull(data, "data");
  }
}
