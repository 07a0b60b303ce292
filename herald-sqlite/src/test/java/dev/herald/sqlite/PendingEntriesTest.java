package dev.herald.sqlite;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PendingEntriesTest {

  @Test
  void countsDistinctItemKeysPerRecipientAndInTotal() {
    PendingEntries pending = new PendingEntries();
    Random random = new Random(7);
    Set<String> one = new HashSet<>();
    Set<String> two = new HashSet<>();
    for (int i = 0; i < 50_000; i++) {
      String key = "r" + random.nextInt(20_000);
      boolean toOne = random.nextBoolean();
      (toOne ? one : two).add(key);
      pending.add("reviews", toOne ? "1" : "2", key, pending.takeSeq());
    }

    assertThat(pending.pendingItems("reviews", "1")).isEqualTo(one.size());
    assertThat(pending.pendingItems("reviews", "2")).isEqualTo(two.size());
    assertThat(pending.pendingItems("reviews")).isEqualTo(one.size() + two.size());
    assertThat(pending.inboxes("reviews")).isEqualTo(2);
    assertThat(pending.seqs("reviews", "1").length + pending.seqs("reviews", "2").length)
        .isEqualTo(50_000);
  }

  @Test
  void keepsEntriesInArrivalOrderAndForgetsThemWhenTaken() {
    PendingEntries pending = new PendingEntries();
    assertThat(pending.add("reviews", "1", "r7", 5)).as("the inbox was empty").isTrue();
    assertThat(pending.add("reviews", "1", "r7", 9)).isFalse();
    pending.add("reviews", "1", "r8", 12);
    pending.add("mentions", "1", "r7", 13);

    assertThat(pending.seqs("reviews", "1")).containsExactly(5, 9, 12);
    assertThat(pending.pendingItems("reviews", "1")).isEqualTo(2);
    assertThat(pending.nextSeq()).isEqualTo(14);

    assertThat(pending.remove("reviews", "1")).containsExactly(5, 9, 12);
    assertThat(pending.seqs("reviews", "1")).isEmpty();
    assertThat(pending.remove("reviews", "1")).isEmpty();
    assertThat(pending.pendingItems("reviews")).isZero();
    assertThat(pending.inboxes("reviews")).isZero();
    assertThat(pending.pendingItems("mentions", "1")).isEqualTo(1);
    assertThat(pending.add("reviews", "1", "r7", 14)).as("empty again after the pull").isTrue();
  }

  /**
   * Adds and removes at random against a plain map: removal must keep every other recipient
   * findable.
   */
  @Test
  void agreesWithAMapThroughManyAddsAndRemovals() {
    PendingEntries pending = new PendingEntries();
    Map<String, List<Long>> model = new HashMap<>();
    Map<String, Set<String>> keys = new HashMap<>();
    Random random = new Random(11);
    for (int step = 0; step < 300_000; step++) {
      String recipient = "u" + random.nextInt(5_000);
      if (random.nextInt(10) == 0) {
        List<Long> expected = model.remove(recipient);
        keys.remove(recipient);
        assertThat(pending.remove("reviews", recipient))
            .containsExactly(
                expected == null
                    ? new long[0]
                    : expected.stream().mapToLong(Long::longValue).toArray());
      } else {
        long seq = pending.takeSeq();
        String key = "r" + random.nextInt(50);
        boolean fresh = !model.containsKey(recipient);
        model.computeIfAbsent(recipient, r -> new ArrayList<>()).add(seq);
        keys.computeIfAbsent(recipient, r -> new HashSet<>()).add(key);
        assertThat(pending.add("reviews", recipient, key, seq)).isEqualTo(fresh);
      }
    }
    assertThat(pending.inboxes("reviews")).isEqualTo(model.size());
    assertThat(pending.pendingItems("reviews"))
        .isEqualTo(keys.values().stream().mapToLong(Set::size).sum());
    for (int u = 0; u < 5_000; u++) {
      String recipient = "u" + u;
      List<Long> expected = model.getOrDefault(recipient, List.of());
      assertThat(pending.seqs("reviews", recipient))
          .containsExactly(expected.stream().mapToLong(Long::longValue).toArray());
      assertThat(pending.pendingItems("reviews", recipient))
          .isEqualTo(keys.getOrDefault(recipient, Set.of()).size());
    }
  }

  @Test
  void fingerprintsDifferForSimilarKeys() {
    Set<Long> seen = new HashSet<>();
    for (int i = 0; i < 1_000_000; i++) {
      seen.add(PendingEntries.fingerprint("r" + i));
    }
    assertThat(seen).hasSize(1_000_000).doesNotContain(0L);
  }
}
