package dev.herald.log;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.json.Json;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * An event a producer asks the log to append; the log assigns its id.
 *
 * @param time when it happened, or empty to use the time the log receives it
 * @param json the producer's JSON object as text on one line, as {@link Json#write} gives it: the
 *     log stores it as it is, and live subscribers receive it as it is
 */
public record NewEvent(Optional<Instant> time, String json) {
  public NewEvent {
    Objects.requireNonNull(time, "time");
    Objects.requireNonNull(json, "json");
  }

  /** An event of the object {@code data}, written as JSON here. */
  public NewEvent(Optional<Instant> time, ObjectNode data) {
    this(time, Json.write(Objects.requireNonNull(data, "data")));
  }

  /** An event that happened when the log receives it. */
  public static NewEvent of(ObjectNode data) {
    return new NewEvent(Optional.empty(), data);
  }
}
