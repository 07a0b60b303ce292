package dev.herald.jdbc;

/**
 * Event ids of the relational logs: a stream's sequence numbers from 1, as decimal text, "" before
 * the first.
 */
public final class SequenceIds {

  private SequenceIds() {}

  /**
   * The number {@code id} stands for; 0 for "".
   *
   * @throws IllegalArgumentException naming the id when it is not one
   */
  public static long parse(String id) {
    if (id.isEmpty()) {
      return 0;
    }
    try {
      long value = Long.parseLong(id);
      if (value >= 0) {
        return value;
      }
    } catch (NumberFormatException ignored) {
      // reported below
    }
    throw new IllegalArgumentException(
        "'" + id + "' is not an event id of this log (ids are like \"42\")");
  }
}
