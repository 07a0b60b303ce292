package dev.herald.log;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * An event a producer asks the log to append; the log assigns its id.
 *
 * @param time when it happened, or empty to use the time the log receives it
 * @param data the producer's JSON object
 */
public record NewEvent(Optional<Instant> time, ObjectNode data) {
  public NewEvent {
    Objects.requireNonNull(time, "time");
    Objects.requireNonNull(data, "data");
  }

  /** An event that happened when the log receives it. */
  public static NewEvent of(ObjectNode data) {
    return new NewEvent(Optional.empty(), data);
  }
}
