package dev.herald.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class PendingRunTest {

  private final PendingRun run = new PendingRun(10, 20, "a", 500, 1);

  @Test
  void anAcknowledgementLeavesThePiecesBetweenTheAcknowledgedIds() {
    long[] acked = {3, 10, 14, 15, 20, 40};

    assertThat(run.holdsAny(acked)).isTrue();
    assertThat(run.without(acked))
        .containsExactly(new PendingRun(11, 13, "a", 500, 1), new PendingRun(16, 19, "a", 500, 1));
    assertThat(run.holdsAny(new long[] {1, 9, 21})).isFalse();
    assertThat(run.without(new long[] {1, 9, 21})).containsExactly(run);
    assertThat(new PendingRun(5, 5, "a", 0, 2).without(new long[] {5})).isEmpty();
  }

  @Test
  void aClaimTakesTheHeadForAnotherDeliveryAndLeavesTheRestAsItWas() {
    assertThat(run.claimed(10, 14, "b", 900)).isEqualTo(new PendingRun(10, 14, "b", 900, 2));
    assertThat(run.after(14)).containsExactly(new PendingRun(15, 20, "a", 500, 1));
    assertThat(run.after(20)).isEmpty();
  }

  @Test
  void positionsBecomeRunsAndRunsSayWhichPositionsTheyCover() {
    List<long[]> runs = PositionRuns.of(new long[] {7, 3, 4, 5, 9, 8, 12});

    assertThat(runs).containsExactly(new long[] {3, 5}, new long[] {7, 9}, new long[] {12, 12});
    assertThat(PositionRuns.covered(runs, new long[] {2, 3, 6, 9, 11, 12, 13}))
        .containsExactlyInAnyOrder(3L, 9L, 12L);
    assertThat(PositionRuns.of(new long[0])).isEmpty();
    assertThat(PositionRuns.covered(List.of(), new long[] {1})).isEmpty();
  }
}
