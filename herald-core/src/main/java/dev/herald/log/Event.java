package dev.herald.log;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.json.Json;
import java.time.Instant;
import java.util.Objects;

/**
 * An event as stored in a stream: its stream, its id (assigned by the log; ordered within the
 * stream, opaque to clients), when it happened (given by the producer, or the time the log received
 * it) and the producer's JSON object.
 *
 * <p>An event read from a log carries the JSON text the log stored and builds the tree from it on
 * the first call of {@link #data()}: a consumer that only stores or sends the text on, or reads a
 * few fields of it ({@link dev.herald.json.TopLevelFields}), builds none (reading 10,000,000 routed
 * reviews, the trees were most of the benchmark's garbage).
 *
 * <p>Thread-safety: immutable as seen from outside; the tree may be built twice by racing threads,
 * each getting an equal tree. Treat the tree as read-only.
 */
public final class Event {

  private final String stream;
  private final String id;
  private final long position;
  private final Instant time;
  private final String json;
  private final int deliveries;
  private volatile ObjectNode data;

  private Event(
      String stream,
      String id,
      long position,
      Instant time,
      String json,
      ObjectNode data,
      int deliveries) {
    this.stream = Objects.requireNonNull(stream, "stream");
    this.id = Objects.requireNonNull(id, "id");
    this.position = position;
    this.time = Objects.requireNonNull(time, "time");
    this.json = Objects.requireNonNull(json, "json");
    this.data = data;
    if (deliveries < 0) {
      throw new IllegalArgumentException("deliveries must not be negative, but was " + deliveries);
    }
    this.deliveries = deliveries;
  }

  /** An event as a log stored it: its JSON text, trusted to be an object, parsed when needed. */
  public static Event stored(String stream, String id, long position, Instant time, String json) {
    return new Event(stream, id, position, time, json, null, 0);
  }

  /**
   * An event as a log stored it, handed out by a consumer group for the {@code deliveries}-th time
   * (1 for the first delivery).
   */
  public static Event stored(
      String stream, String id, long position, Instant time, String json, int deliveries) {
    if (deliveries < 1) {
      throw new IllegalArgumentException("deliveries must be at least 1, but was " + deliveries);
    }
    return new Event(stream, id, position, time, json, null, deliveries);
  }

  /** An event whose tree is at hand; its text is written from it. */
  public static Event of(String stream, String id, long position, Instant time, ObjectNode data) {
    return new Event(
        stream, id, position, time, Json.write(Objects.requireNonNull(data, "data")), data, 0);
  }

  /**
   * The event's place in its stream as a number, given by the log with the id: unique within the
   * stream, and increasing with the id order (within a partition, for a log that has them); events
   * appended one after another have consecutive positions where the log numbers them so. State
   * stores that keep the events they took compactly (as runs of positions) use it, so that no store
   * parses a log's ids, which stay opaque.
   */
  public long position() {
    return position;
  }

  /**
   * How many times the consumer group delivered this event, counting this delivery: 1 from {@link
   * EventLog#readGroup}, more from {@link EventLog#claim}; 0 for an event read outside a group.
   */
  public int deliveries() {
    return deliveries;
  }

  public String stream() {
    return stream;
  }

  public String id() {
    return id;
  }

  public Instant time() {
    return time;
  }

  /** The producer's JSON object; treat it as read-only. */
  public ObjectNode data() {
    ObjectNode tree = data;
    if (tree == null) {
      tree = Json.parseTrustedObject(json);
      data = tree;
    }
    return tree;
  }

  /** {@link #data()} as the log stored it. */
  public String json() {
    return json;
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof Event e
        && stream.equals(e.stream)
        && id.equals(e.id)
        && time.equals(e.time)
        && json.equals(e.json);
  }

  @Override
  public int hashCode() {
    return Objects.hash(stream, id, time, json);
  }

  @Override
  public String toString() {
    return "Event[stream=" + stream + ", id=" + id + ", time=" + time + ", data=" + json + "]";
  }
}
