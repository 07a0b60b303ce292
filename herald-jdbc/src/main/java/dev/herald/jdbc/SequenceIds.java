package dev.herald.jdbc;

import dev.herald.log.StreamEnds;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Optional;

/**
 * Event ids of the relational logs: a stream's sequence numbers from 1, as decimal text, "" before
 * the first.
 */
public final class SequenceIds {

  /** Selects the oldest retained id (NULL when none) and the newest appended of a stream. */
  public static final String ENDS =
      "SELECT (SELECT MIN(id) FROM herald_event WHERE stream_id = s.id), s.last_id FROM herald_stream s WHERE s.id = ?";

  private SequenceIds() {}

  /**
   * The ends of a stream from the row of {@link #ENDS}. Ids are consecutive from 1, so everything
   * before the oldest retained was trimmed.
   */
  public static StreamEnds ends(ResultSet rs) throws SQLException {
    rs.next();
    long min = rs.getLong(1);
    boolean empty = rs.wasNull();
    long last = rs.getLong(2);
    long trimmed = empty ? last : min - 1;
    return new StreamEnds(
        empty ? Optional.empty() : Optional.of(Long.toString(min)),
        last == 0 ? Optional.empty() : Optional.of(Long.toString(last)),
        trimmed <= 0 ? Optional.empty() : Optional.of(Long.toString(trimmed)));
  }

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
