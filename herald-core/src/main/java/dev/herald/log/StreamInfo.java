package dev.herald.log;

import java.util.List;
import java.util.Optional;

/**
 * What a stream holds now.
 *
 * @param name the stream
 * @param length number of retained events
 * @param firstId oldest retained event id, if any
 * @param lastId newest event id ever appended, if any
 * @param groups its consumer groups
 */
public record StreamInfo(
    String name,
    long length,
    Optional<String> firstId,
    Optional<String> lastId,
    List<GroupInfo> groups) {

  /**
   * A consumer group of a stream.
   *
   * @param name the group
   * @param lastDeliveredId the id of the newest event delivered to the group, if any
   * @param pending events delivered and not yet acknowledged
   * @param lag retained events not yet delivered to the group
   */
  public record GroupInfo(String name, Optional<String> lastDeliveredId, long pending, long lag) {}
}
