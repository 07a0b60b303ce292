package dev.herald.log;

import java.util.Objects;
import java.util.Optional;

/**
 * The two ends of a stream, without the counting {@link StreamInfo} does.
 *
 * @param firstId oldest retained event id, if any
 * @param lastId newest event id ever appended, if any
 */
public record StreamEnds(Optional<String> firstId, Optional<String> lastId) {
  public StreamEnds {
    Objects.requireNonNull(firstId, "firstId");
    Objects.requireNonNull(lastId, "lastId");
  }
}
