package dev.herald.log;

import java.util.Objects;
import java.util.Optional;

/**
 * The two ends of a stream, without the counting {@link StreamInfo} does.
 *
 * @param firstId oldest retained event id, if any
 * @param lastId newest event id ever appended, if any
 * @param trimmedThrough the newest event id trimmed away, if any was: a subscriber whose cursor is
 *     older missed events; one whose cursor is this id or newer missed none, even when its cursor
 *     is older than {@code firstId}
 */
public record StreamEnds(
    Optional<String> firstId, Optional<String> lastId, Optional<String> trimmedThrough) {
  public StreamEnds {
    Objects.requireNonNull(firstId, "firstId");
    Objects.requireNonNull(lastId, "lastId");
    Objects.requireNonNull(trimmedThrough, "trimmedThrough");
  }

  /** The ends of a stream nothing was trimmed from. */
  public StreamEnds(Optional<String> firstId, Optional<String> lastId) {
    this(firstId, lastId, Optional.empty());
  }
}
