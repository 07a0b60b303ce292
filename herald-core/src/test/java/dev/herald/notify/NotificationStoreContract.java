package dev.herald.notify;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.TextNode;
import dev.herald.digest.DigestItem;
import dev.herald.digest.DigestRule;
import dev.herald.digest.DigestStore;
import dev.herald.store.Backend;
import dev.herald.testing.BackendFixture;
import dev.herald.testing.ManualClock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The {@link NotificationStore} contract (the outbox), run once per backend: what a closed bucket
 * leaves, how deliveries are handed out, recorded, retried and given up, and how notifications are
 * listed. Notifications are made the only way there is, by closing buckets of the backend's digest
 * store.
 */
public abstract class NotificationStoreContract implements BackendFixture {

  protected final ManualClock clock = ManualClock.at("2022-06-28T12:00:00Z");
  private final List<Backend> opened = new ArrayList<>();
  protected DigestStore store;
  protected NotificationStore outbox;
  private final AtomicInteger eventIds = new AtomicInteger();

  private static final Duration LEASE = Duration.ofSeconds(60);

  protected final DigestRule rule =
      DigestRule.of("seller-scans", "scans", "seller_id", "package_id", Duration.ofHours(1))
          .withDeliver(List.of(new LogSink(), new StreamSink("notifications")));

  @BeforeEach
  void open() {
    Backend backend = openBackend(clock);
    opened.add(backend);
    store = backend.digests();
    outbox = backend.notifications();
  }

  @AfterEach
  void closeAll() {
    Collections.reverse(opened);
    opened.forEach(Backend::close);
  }

  /** Ids are opaque to state stores: these are not numbers. */
  private DigestItem item(String key, String packageId, Instant time) {
    int position = eventIds.incrementAndGet();
    return new DigestItem("event:" + position, position, key, time, TextNode.valueOf(packageId));
  }

  private Notification notify(String key, Instant at) {
    store.add(rule, List.of(item(key, "P", at)), at);
    return store.flush(rule, key, at).orElseThrow();
  }

  @Test
  void shouldWriteTheNotificationAndOnePendingDeliveryPerSinkWhenClosing() {
    Instant noon = clock.instant();
    store.add(rule, List.of(item("10", "AAAAAA", noon)), noon);
    Notification n = store.flush(rule, "10", noon).orElseThrow();

    assertThat(outbox.find(n.id())).contains(n);
    assertThat(outbox.deliveries(n.id()))
        .extracting(Delivery::sink, Delivery::state)
        .containsExactlyInAnyOrder(
            org.assertj.core.groups.Tuple.tuple("log", Delivery.State.PENDING),
            org.assertj.core.groups.Tuple.tuple("stream:notifications", Delivery.State.PENDING));
    assertThat(outbox.nextDeliveryDue()).contains(noon);
    assertThat(outbox.takeDue(noon, LEASE, 10))
        .extracting(DeliveryTask::sink)
        .containsExactlyInAnyOrder("log", "stream:notifications");
  }

  @Test
  void shouldRecordAttemptsRetryLaterAndStopOfferingDeliveredOnes() {
    Instant noon = clock.instant();
    store.add(rule, List.of(item("10", "AAAAAA", noon)), noon);
    Notification n = store.flush(rule, "10", noon).orElseThrow();
    List<DeliveryTask> due = outbox.takeDue(noon, LEASE, 10);
    DeliveryTask log = due.stream().filter(t -> t.sink().equals("log")).findFirst().orElseThrow();
    DeliveryTask stream =
        due.stream().filter(t -> t.sink().startsWith("stream")).findFirst().orElseThrow();

    outbox.record(
        List.of(
            new DeliveryOutcome(log, noon, true, "logged", Optional.empty()),
            new DeliveryOutcome(stream, noon, false, "boom", Optional.of(noon.plusSeconds(10)))));
    outbox.record(List.of(new DeliveryOutcome(log, noon, true, "logged", Optional.empty())));

    assertThat(outbox.takeDue(noon.plusSeconds(9), LEASE, 10)).isEmpty();
    List<Delivery> deliveries = outbox.deliveries(n.id());
    Delivery logged =
        deliveries.stream().filter(d -> d.sink().equals("log")).findFirst().orElseThrow();
    assertThat(logged.state()).isEqualTo(Delivery.State.DELIVERED);
    assertThat(logged.attempts()).hasSize(1);
    Delivery retried =
        deliveries.stream().filter(d -> d.sink().startsWith("stream")).findFirst().orElseThrow();
    assertThat(retried.state()).isEqualTo(Delivery.State.PENDING);
    assertThat(retried.nextAttemptAt()).contains(noon.plusSeconds(10));
    assertThat(retried.attempts())
        .singleElement()
        .satisfies(
            a -> {
              assertThat(a.succeeded()).isFalse();
              assertThat(a.detail()).isEqualTo("boom");
            });

    DeliveryTask second = outbox.takeDue(noon.plusSeconds(10), LEASE, 10).getFirst();
    assertThat(second.attempt()).isEqualTo(2);
    outbox.record(
        List.of(
            new DeliveryOutcome(
                second, noon.plusSeconds(10), false, "boom again", Optional.empty())));
    assertThat(outbox.deliveries(n.id()))
        .filteredOn(d -> d.sink().startsWith("stream"))
        .singleElement()
        .satisfies(
            d -> {
              assertThat(d.state()).isEqualTo(Delivery.State.FAILED);
              assertThat(d.attempts()).hasSize(2);
            });
    assertThat(outbox.nextDeliveryDue()).isEmpty();
  }

  @Test
  void shouldHoldATakenDeliveryForItsLeaseSoNoOtherDispatcherTakesIt() {
    Instant noon = clock.instant();
    store.add(rule, List.of(item("10", "AAAAAA", noon)), noon);
    store.flush(rule, "10", noon);

    List<DeliveryTask> first = outbox.takeDue(noon, LEASE, 10);

    assertThat(first).hasSize(2);
    assertThat(outbox.takeDue(noon.plusSeconds(1), LEASE, 10))
        .as("held by the first taker")
        .isEmpty();
    List<DeliveryTask> afterLease = outbox.takeDue(noon.plus(LEASE), LEASE, 10);
    assertThat(afterLease)
        .as("the first taker died: handed out again, same attempt")
        .hasSize(2)
        .allSatisfy(t -> assertThat(t.attempt()).isEqualTo(1));
  }

  @Test
  void shouldListNotificationsInCreationOrderByCursorAndFilter() {
    Instant noon = clock.instant();
    Instant at = noon;
    for (String seller : List.of("10", "20", "10", "30")) {
      at = at.plusMillis(1);
      store.add(rule, List.of(item(seller, "P", at)), at);
      store.flush(rule, seller, at);
    }

    NotificationPage first =
        outbox.list(new NotificationQuery(Optional.empty(), Optional.empty(), Optional.empty(), 3));
    NotificationPage second =
        outbox.list(new NotificationQuery(Optional.empty(), Optional.empty(), first.next(), 3));
    NotificationPage tenOnly =
        outbox.list(
            new NotificationQuery(
                Optional.of("seller-scans"), Optional.of("10"), Optional.empty(), 10));

    assertThat(first.notifications())
        .extracting(Notification::recipient)
        .containsExactly("10", "20", "10");
    assertThat(second.notifications()).extracting(Notification::recipient).containsExactly("30");
    assertThat(tenOnly.notifications()).hasSize(2);
    NotificationPage after =
        outbox.list(new NotificationQuery(Optional.empty(), Optional.empty(), second.next(), 3));
    assertThat(after.notifications()).isEmpty();
    assertThat(after.next()).as("a follower keeps its place").isEqualTo(second.next());
  }

  @Test
  void shouldShowAFollowerEveryNotificationClosedAfterItsCursorEvenInTheSameMillisecond() {
    Instant noon = clock.instant();
    // a key that a store sharding by String.hashCode() % 16 puts in its last shard, so that
    // notifications of the other shards closed in the same millisecond sort before it
    String first =
        java.util.stream.IntStream.range(0, 1000)
            .mapToObj(i -> "first-" + i)
            .filter(k -> Math.floorMod(k.hashCode(), 16) == 15)
            .findFirst()
            .orElseThrow();
    store.add(rule, List.of(item(first, "P", noon)), noon);
    store.flush(rule, first, noon);
    NotificationPage seen =
        outbox.list(
            new NotificationQuery(Optional.empty(), Optional.empty(), Optional.empty(), 10));
    assertThat(seen.notifications()).extracting(Notification::recipient).containsExactly(first);

    List<String> later = new ArrayList<>();
    for (int k = 0; k < 16; k++) {
      later.add("later-" + k);
      store.add(rule, List.of(item("later-" + k, "P", noon)), noon);
      store.flush(rule, "later-" + k, noon);
    }
    NotificationPage next =
        outbox.list(new NotificationQuery(Optional.empty(), Optional.empty(), seen.next(), 100));
    assertThat(next.notifications())
        .extracting(Notification::recipient)
        .containsExactlyInAnyOrderElementsOf(later);
  }

  @Test
  void shouldFindNothingForAnUnknownNotification() {
    assertThat(outbox.find("n-unknown")).isEmpty();
    assertThat(outbox.deliveries("n-unknown")).isEmpty();
    assertThat(outbox.nextDeliveryDue()).isEmpty();
    assertThat(outbox.takeDue(clock.instant(), LEASE, 10)).isEmpty();
  }

  @Test
  void shouldIgnoreAnOutcomeRecordedAgainForADeliveryNoLongerPending() {
    Instant noon = clock.instant();
    Notification n = notify("10", noon);
    List<DeliveryTask> due = outbox.takeDue(noon, LEASE, 10);
    List<DeliveryOutcome> failed =
        due.stream()
            .map(t -> new DeliveryOutcome(t, noon, false, "gave up", Optional.<Instant>empty()))
            .toList();

    outbox.record(failed);
    outbox.record(failed);
    outbox.record(
        due.stream()
            .map(t -> new DeliveryOutcome(t, noon, true, "late success", Optional.<Instant>empty()))
            .toList());

    assertThat(outbox.deliveries(n.id()))
        .hasSize(2)
        .allSatisfy(
            d -> {
              assertThat(d.state()).isEqualTo(Delivery.State.FAILED);
              assertThat(d.attempts()).hasSize(1);
            });
    assertThat(outbox.takeDue(noon.plus(LEASE), LEASE, 10))
        .as("a given-up delivery is not offered again")
        .isEmpty();
  }

  @Test
  void shouldHandOutAtMostTheLimitOfDueDeliveriesEarliestFirst() {
    Instant noon = clock.instant();
    notify("10", noon);
    notify("20", noon.plusSeconds(1));

    List<DeliveryTask> first = outbox.takeDue(noon.plusSeconds(5), LEASE, 3);
    List<DeliveryTask> rest = outbox.takeDue(noon.plusSeconds(5), LEASE, 3);

    assertThat(first).hasSize(3);
    assertThat(first.subList(0, 2))
        .allSatisfy(t -> assertThat(t.notification().recipient()).isEqualTo("10"));
    assertThat(rest)
        .singleElement()
        .satisfies(t -> assertThat(t.notification().recipient()).isEqualTo("20"));
  }
}
