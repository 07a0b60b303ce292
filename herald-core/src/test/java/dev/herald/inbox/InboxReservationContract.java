package dev.herald.inbox;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.inbox.InboxStore.Acknowledgement;
import dev.herald.json.Json;
import dev.herald.store.Backend;
import dev.herald.testing.BackendFixture;
import dev.herald.testing.ManualClock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The reservation half of the {@link InboxStore} contract, run once per backend: a reserving pull
 * keeps what it took until acknowledged, and gives it back when the reservation ends.
 */
public abstract class InboxReservationContract implements BackendFixture {

  protected final ManualClock clock = ManualClock.at("2022-06-28T12:00:00Z");
  private final List<Backend> opened = new ArrayList<>();
  private final AtomicInteger ids = new AtomicInteger();
  protected InboxStore store;
  private final InboxRule rule =
      InboxRule.of("reviews", "reviews.by-user", "recipient", "review_id", Duration.ofSeconds(20));
  private final Duration minute = Duration.ofMinutes(1);

  @BeforeEach
  void open() {
    store = reopen();
  }

  /** A new backend on the same data (for backends that keep it across instances). */
  protected InboxStore reopen() {
    Backend backend = openBackend(clock);
    opened.add(backend);
    return backend.inboxes();
  }

  @AfterEach
  void closeAll() {
    opened.forEach(Backend::close);
  }

  private void add(String recipient, String review, String action, Instant time) {
    ObjectNode data = Json.object();
    data.put("review_id", review);
    data.put("action", action);
    store.add(
        rule,
        List.of(new InboxDelivery("e" + ids.incrementAndGet(), recipient, review, time, data)),
        clock.instant());
  }

  private static List<String> keys(List<InboxItem> items) {
    return items.stream().map(InboxItem::key).toList();
  }

  @Test
  void shouldKeepReservedItemsOutOfLaterPullsUntilAcknowledged() {
    Instant t0 = clock.instant();
    add("1", "r1", "created", t0);
    add("1", "r2", "created", t0);

    InboxPull pull = store.reserve("reviews", "1", t0, t0.plus(minute));

    assertThat(keys(pull.items())).containsExactly("r1", "r2");
    assertThat(pull.pullId()).isPresent();
    assertThat(pull.reservedUntil()).contains(t0.plus(minute));
    assertThat(store.peek("reviews", "1")).isEmpty();
    assertThat(store.reserve("reviews", "1", t0.plusSeconds(1), t0.plus(minute)).items()).isEmpty();
    assertThat(store.summary("reviews", "1").orElseThrow().pending()).isZero();
    assertThat(store.summary("reviews", "1").orElseThrow().lastPulledAt())
        .contains(t0.plusSeconds(1));
    assertThat(store.stats("reviews").pendingItems()).isZero();
    assertThat(store.stats("reviews").reservedItems()).isEqualTo(2);

    assertThat(store.acknowledge("reviews", "1", pull.pullId().get(), t0.plusSeconds(2)))
        .isEqualTo(Acknowledgement.ACKNOWLEDGED);
    clock.advance(Duration.ofHours(1));
    assertThat(store.releaseExpired("reviews", clock.instant(), 100)).isZero();
    assertThat(store.peek("reviews", "1")).isEmpty();
    assertThat(store.stats("reviews").reservedItems()).isZero();
    assertThat(store.acknowledge("reviews", "1", pull.pullId().get(), clock.instant()))
        .isEqualTo(Acknowledgement.UNKNOWN);
  }

  @Test
  void shouldMakeUnacknowledgedItemsPendingAgainWhenTheReservationEnds() {
    Instant t0 = clock.instant();
    add("1", "r1", "created", t0);
    InboxPull pull = store.reserve("reviews", "1", t0, t0.plus(minute));

    assertThat(store.releaseExpired("reviews", t0.plusSeconds(59), 100)).isZero();
    assertThat(store.peek("reviews", "1")).isEmpty();
    assertThat(store.releaseExpired("reviews", t0.plus(minute), 100)).isEqualTo(1);

    List<InboxItem> back = store.peek("reviews", "1");
    assertThat(keys(back)).containsExactly("r1");
    assertThat(back.getFirst().changes()).isEqualTo(1);
    assertThat(store.summary("reviews", "1").orElseThrow().pending()).isEqualTo(1);
    assertThat(store.summary("reviews", "1").orElseThrow().oldestPendingAt())
        .contains(t0.plus(minute));
    assertThat(store.staleRecipients("reviews", t0.plus(minute), 10)).containsExactly("1");
    assertThat(store.acknowledge("reviews", "1", pull.pullId().get(), t0.plus(minute)))
        .isEqualTo(Acknowledgement.UNKNOWN);
    InboxPull again = store.reserve("reviews", "1", t0.plus(minute), t0.plus(minute).plus(minute));
    assertThat(keys(again.items())).containsExactly("r1");
    assertThat(again.pullId()).isPresent().isNotEqualTo(pull.pullId());
  }

  @Test
  void shouldCoalesceReturnedItemsWithChangesThatArrivedMeanwhile() {
    Instant t0 = clock.instant();
    add("1", "r1", "v1", t0);
    store.reserve("reviews", "1", t0, t0.plus(minute));
    add("1", "r1", "v2", t0.plusSeconds(10));
    add("1", "r2", "created", t0.plusSeconds(11));

    store.releaseExpired("reviews", t0.plus(minute), 100);

    List<InboxItem> items = store.peek("reviews", "1");
    assertThat(keys(items)).containsExactly("r1", "r2");
    assertThat(items.getFirst().changes()).isEqualTo(2);
    assertThat(items.getFirst().data().get("action").asText()).isEqualTo("v2");
    assertThat(items.getFirst().firstAt()).isEqualTo(t0);
    assertThat(items.getFirst().lastAt()).isEqualTo(t0.plusSeconds(10));
    assertThat(store.stats("reviews").pendingItems()).isEqualTo(2);
    assertThat(store.stats("reviews").inboxes()).isEqualTo(1);
  }

  @Test
  void shouldReleaseTheRecipientsEndedReservationsOnItsNextPull() {
    Instant t0 = clock.instant();
    add("1", "r1", "created", t0);
    store.reserve("reviews", "1", t0, t0.plus(minute));
    add("1", "r2", "created", t0.plusSeconds(5));

    InboxPull next = store.reserve("reviews", "1", t0.plus(minute), t0.plus(minute).plus(minute));

    assertThat(keys(next.items())).containsExactly("r1", "r2");
  }

  @Test
  void shouldRefuseAnAcknowledgementAfterTheReservationEndedAndGiveTheItemsBack() {
    Instant t0 = clock.instant();
    add("1", "r1", "created", t0);
    InboxPull pull = store.reserve("reviews", "1", t0, t0.plus(minute));

    assertThat(store.acknowledge("reviews", "1", pull.pullId().get(), t0.plus(minute)))
        .isEqualTo(Acknowledgement.EXPIRED);
    assertThat(keys(store.peek("reviews", "1"))).containsExactly("r1");
  }

  @Test
  void shouldAcknowledgeOnlyThePullOfTheRecipientThatMadeIt() {
    Instant t0 = clock.instant();
    add("1", "r1", "created", t0);
    add("2", "r1", "created", t0);
    InboxPull one = store.reserve("reviews", "1", t0, t0.plus(minute));

    assertThat(store.acknowledge("reviews", "2", one.pullId().get(), t0))
        .isEqualTo(Acknowledgement.UNKNOWN);
    assertThat(store.acknowledge("reviews", "1", "no-such-pull", t0))
        .isEqualTo(Acknowledgement.UNKNOWN);
    assertThat(store.acknowledge("reviews", "1", one.pullId().get(), t0))
        .isEqualTo(Acknowledgement.ACKNOWLEDGED);
    assertThat(keys(store.peek("reviews", "2"))).containsExactly("r1");
  }

  @Test
  void shouldMakeNoReservationWhenNothingIsPending() {
    Instant t0 = clock.instant();
    add("1", "r1", "created", t0);
    store.pull("reviews", "1", t0);

    InboxPull empty = store.reserve("reviews", "1", t0, t0.plus(minute));
    InboxPull unknown = store.reserve("reviews", "nobody", t0, t0.plus(minute));

    assertThat(empty.items()).isEmpty();
    assertThat(empty.pullId()).isEmpty();
    assertThat(unknown.pullId()).isEmpty();
    assertThat(store.summary("reviews", "nobody")).isEmpty();
  }

  @Test
  void shouldCleanReservedItemsWithTheInbox() {
    Instant t0 = clock.instant();
    add("1", "r1", "created", t0);
    InboxPull pull = store.reserve("reviews", "1", t0, t0.plus(minute));

    assertThat(store.clean("reviews", "1")).isTrue();
    assertThat(store.releaseExpired("reviews", t0.plus(minute), 100)).isZero();
    assertThat(store.peek("reviews", "1")).isEmpty();
    assertThat(store.summary("reviews", "1")).isEmpty();
    assertThat(store.stats("reviews").reservedItems()).isZero();
    assertThat(store.acknowledge("reviews", "1", pull.pullId().get(), t0))
        .isEqualTo(Acknowledgement.UNKNOWN);
  }

  @Test
  void shouldKeepAReservationAcrossAReopenOfTheStore() {
    Instant t0 = clock.instant();
    add("1", "r1", "created", t0);
    InboxPull pull = store.reserve("reviews", "1", t0, t0.plus(minute));

    opened.removeLast().close();
    store = reopen();

    assertThat(store.peek("reviews", "1")).isEmpty();
    assertThat(store.stats("reviews").reservedItems()).isEqualTo(1);
    assertThat(store.releaseExpired("reviews", t0.plus(minute), 100)).isEqualTo(1);
    assertThat(keys(store.peek("reviews", "1"))).containsExactly("r1");
    assertThat(store.acknowledge("reviews", "1", pull.pullId().get(), t0.plus(minute)))
        .isEqualTo(Acknowledgement.UNKNOWN);
  }

  @Test
  void shouldReleaseAtMostTheLimitOfEndedReservations() {
    Instant t0 = clock.instant();
    for (int user = 0; user < 5; user++) {
      add("u" + user, "r1", "created", t0);
      store.reserve("reviews", "u" + user, t0, t0.plus(minute));
    }

    assertThat(store.releaseExpired("reviews", t0.plus(minute), 3)).isEqualTo(3);
    assertThat(store.releaseExpired("reviews", t0.plus(minute), 3)).isEqualTo(2);
    assertThat(store.stats("reviews").pendingItems()).isEqualTo(5);
  }
}
