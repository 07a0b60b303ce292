package dev.herald.jdbc;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Consecutive ids of a stream that a consumer group handed out together and that are not
 * acknowledged yet: how a relational log keeps a group's pending events, one row per batch instead
 * of one per event. Ids trimmed from the stream meanwhile are simply absent from it.
 *
 * @param first the first id of the run
 * @param last the last id, at least {@code first}
 * @param consumer who holds it
 * @param deliveredMs when it was handed out (epoch ms); 0 makes it claimable at once
 * @param deliveries how many times its events were handed out
 */
public record PendingRun(long first, long last, String consumer, long deliveredMs, int deliveries) {

  /** The columns {@link #all} reads, in its order. */
  public static final String COLUMNS = "first_id, last_id, consumer, delivered_ms, deliveries";

  /** The runs of every row of {@code rs}, read from {@link #COLUMNS}. */
  public static List<PendingRun> all(ResultSet rs) throws SQLException {
    List<PendingRun> runs = new ArrayList<>();
    while (rs.next()) {
      runs.add(
          new PendingRun(
              rs.getLong(1), rs.getLong(2), rs.getString(3), rs.getLong(4), rs.getInt(5)));
    }
    return runs;
  }

  public PendingRun {
    Objects.requireNonNull(consumer, "consumer");
    if (last < first) {
      throw new IllegalArgumentException(
          "a run ends at or after its start: " + first + ".." + last);
    }
  }

  /** Whether any of {@code sortedIds} (ascending) falls in this run. */
  public boolean holdsAny(long[] sortedIds) {
    int i = lowerBound(sortedIds, first);
    return i < sortedIds.length && sortedIds[i] <= last;
  }

  /**
   * What stays pending of this run once {@code sortedAcked} (ascending, distinct) are acknowledged:
   * the pieces between them, each as held before.
   */
  public List<PendingRun> without(long[] sortedAcked) {
    List<PendingRun> left = new ArrayList<>();
    long next = first;
    for (int i = lowerBound(sortedAcked, first);
        i < sortedAcked.length && sortedAcked[i] <= last;
        i++) {
      if (sortedAcked[i] > next) {
        left.add(new PendingRun(next, sortedAcked[i] - 1, consumer, deliveredMs, deliveries));
      }
      next = sortedAcked[i] + 1;
    }
    if (next <= last) {
      left.add(new PendingRun(next, last, consumer, deliveredMs, deliveries));
    }
    return left;
  }

  /**
   * The run a claim makes of ids {@code from} to {@code through} of this one: held by {@code
   * claimer} from {@code nowMs}, one delivery more; the rest of this run stays as it was ({@link
   * #after}).
   */
  public PendingRun claimed(long from, long through, String claimer, long nowMs) {
    return new PendingRun(from, through, claimer, nowMs, deliveries + 1);
  }

  /** The part of this run after {@code id}, as held before; empty when {@code id} is its last. */
  public List<PendingRun> after(long id) {
    return id < last
        ? List.of(new PendingRun(id + 1, last, consumer, deliveredMs, deliveries))
        : List.of();
  }

  private static int lowerBound(long[] sorted, long value) {
    int index = Arrays.binarySearch(sorted, value);
    return index >= 0 ? index : -index - 1;
  }
}
