package dev.herald.jdbc;

import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Stream positions kept as runs of consecutive positions ({@code [first, last]} pairs that never
 * overlap), as the relational digest stores keep the events each rule took: a rule reading a stream
 * in order extends its newest run, so a redelivered event is found by a range lookup.
 */
public final class PositionRuns {

  private PositionRuns() {}

  /**
   * Which of {@code positions} (any order) fall in one of {@code runs} ({@code [first, last]}
   * pairs, any order, not overlapping).
   */
  public static Set<Long> covered(List<long[]> runs, long[] positions) {
    if (runs.isEmpty()) {
      return Set.of();
    }
    long[][] sorted = runs.toArray(long[][]::new);
    Arrays.sort(sorted, (a, b) -> Long.compare(a[0], b[0]));
    long[] firsts = Arrays.stream(sorted).mapToLong(run -> run[0]).toArray();
    Set<Long> covered = new HashSet<>();
    for (long position : positions) {
      int at = Arrays.binarySearch(firsts, position);
      int run = at >= 0 ? at : -at - 2; // the run starting at or before the position
      if (run >= 0 && position <= sorted[run][1]) {
        covered.add(position);
      }
    }
    return covered;
  }

  /** {@code positions} (any order) as runs of consecutive positions, ascending. */
  public static List<long[]> of(long[] positions) {
    long[] sorted = positions.clone();
    Arrays.sort(sorted);
    List<long[]> runs = new java.util.ArrayList<>();
    int start = 0;
    for (int i = 1; i <= sorted.length; i++) {
      if (i == sorted.length || sorted[i] != sorted[i - 1] + 1) {
        if (sorted.length > 0) {
          runs.add(new long[] {sorted[start], sorted[i - 1]});
        }
        start = i;
      }
    }
    return runs;
  }
}
