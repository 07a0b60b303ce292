package dev.herald.log;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.json.Json;
import dev.herald.testing.ManualClock;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The {@link EventLog} contract. A backend subclasses it once; it is done when all of it passes.
 */
public abstract class EventLogContract {

  protected final ManualClock clock = ManualClock.at("2022-06-28T12:00:00Z");
  private final List<EventLog> opened = new ArrayList<>();
  protected EventLog log;

  /**
   * Opens the log under test on this test's storage, which starts empty for each test; opening it
   * twice in one test gives two views of the same data. Closing the log releases what it opened.
   * Leases may be measured by the injected clock or by the backend's own clock (Redis): the tests
   * move both.
   */
  protected abstract EventLog openLog(InstantSource clock);

  @BeforeEach
  void openFirstLog() {
    log = open();
  }

  @AfterEach
  void closeLogs() {
    Collections.reverse(opened);
    opened.forEach(EventLog::close);
  }

  private EventLog open() {
    EventLog opened = openLog(clock);
    this.opened.add(opened);
    return opened;
  }

  /**
   * Claims until something is claimed: a log may measure idle time on the injected clock (moved on
   * by the caller) or on its own (Redis), so the lease may still have to pass for real.
   */
  private List<Event> claimOnceIdle(EventLog on, String consumer, Duration lease) {
    return claimOnceIdle(on, consumer, lease, 1);
  }

  /**
   * Claims until {@code count} events are claimed in all: events delivered by one read may have
   * delivery times a millisecond apart on a log with its own clock (Redis stamps each entry), so
   * one claim at the edge of the lease can take some and not the rest.
   */
  private List<Event> claimOnceIdle(EventLog on, String consumer, Duration lease, int count) {
    List<Event> claimed = new ArrayList<>();
    org.awaitility.Awaitility.await()
        .atMost(Duration.ofSeconds(10))
        .pollInterval(Duration.ofMillis(20))
        .until(
            () -> {
              claimed.addAll(on.claim("s", "g", consumer, lease, 10));
              return claimed.size() >= count;
            });
    return claimed;
  }

  protected static ObjectNode event(String field, Object value) {
    ObjectNode node = Json.object();
    node.set(field, Json.MAPPER.valueToTree(value));
    return node;
  }

  private List<String> appendN(String stream, int n) {
    List<NewEvent> events = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      events.add(NewEvent.of(event("n", i)));
    }
    return log.appendAll(stream, events);
  }

  @Test
  void shouldAssignIncreasingIdsAndReadBackWhatWasAppended() {
    String first = log.append("scans", NewEvent.of(event("package_id", "AAAAAA")));
    List<String> more =
        log.appendAll(
            "scans",
            List.of(
                NewEvent.of(event("package_id", "BBBBBB")),
                NewEvent.of(event("package_id", "CCCCCC"))));

    List<Event> all = log.read("scans", "", 10);

    assertThat(all).extracting(Event::id).containsExactly(first, more.get(0), more.get(1));
    assertThat(all)
        .extracting(e -> e.data().get("package_id").asText())
        .containsExactly("AAAAAA", "BBBBBB", "CCCCCC");
    assertThat(all).allSatisfy(e -> assertThat(e.stream()).isEqualTo("scans"));
  }

  @Test
  void shouldReadOnlyEventsAfterTheGivenIdUpToTheLimit() {
    List<String> ids = appendN("s", 5);

    assertThat(log.read("s", ids.get(1), 2))
        .extracting(Event::id)
        .containsExactly(ids.get(2), ids.get(3));
    assertThat(log.read("s", ids.get(4), 10)).isEmpty();
  }

  @Test
  void shouldAppendOnceWithAnIdempotencyKeyAndReturnTheFirstIdsToARetry() {
    IdempotencyKey key = new IdempotencyKey("client-42", "fingerprint-a", Duration.ofHours(24));
    List<NewEvent> batch = List.of(NewEvent.of(event("n", 1)), NewEvent.of(event("n", 2)));

    List<String> first = log.appendAll("keyed", batch, key);
    List<String> retry = log.appendAll("keyed", batch, key);
    List<String> otherStream = log.appendAll("other", batch, key);

    assertThat(retry).isEqualTo(first);
    assertThat(log.read("keyed", "", 10)).extracting(Event::id).containsExactlyElementsOf(first);
    assertThat(otherStream).as("a key belongs to its stream").hasSize(2);
    assertThat(log.read("other", "", 10)).hasSize(2);
    assertThatThrownBy(
            () ->
                log.appendAll(
                    "keyed",
                    List.of(NewEvent.of(event("n", 3))),
                    new IdempotencyKey("client-42", "fingerprint-b", Duration.ofHours(24))))
        .isInstanceOf(IdempotencyConflictException.class)
        .hasMessageContaining("'client-42'")
        .hasMessageContaining("stream 'keyed'");
    assertThat(log.read("keyed", "", 10)).hasSize(2);
  }

  @Test
  void shouldForgetAnIdempotencyKeyAfterItsKeep() {
    IdempotencyKey key = new IdempotencyKey("short", "f", Duration.ofMillis(200));
    List<String> first = log.appendAll("keyed", List.of(NewEvent.of(event("n", 1))), key);
    clock.advance(
        Duration.ofSeconds(1)); // a log may expire keys by the injected clock or the wall clock
    org.awaitility.Awaitility.await()
        .atMost(Duration.ofSeconds(10))
        .pollInterval(Duration.ofMillis(100))
        .until(
            () -> !log.appendAll("keyed", List.of(NewEvent.of(event("n", 1))), key).equals(first));
  }

  @Test
  void shouldEndAPageAtTheSizeBudgetWithAtLeastOneEvent() {
    String big = "x".repeat(1000);
    List<NewEvent> events = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      events.add(NewEvent.of(event("text", big + i)));
    }
    List<String> ids = log.appendAll("big", events);
    int size = log.read("big", "", 1).getFirst().json().length();

    List<Event> page = log.read("big", "", 1000, 10L * size);
    List<Event> tiny = log.read("big", "", 1000, 1);
    List<Event> afterPage = log.read("big", page.getLast().id(), 1000, Long.MAX_VALUE);
    List<Event> counted = log.read("big", "", 7, Long.MAX_VALUE);

    assertThat(page).extracting(Event::id).containsExactlyElementsOf(ids.subList(0, 10));
    assertThat(tiny).extracting(Event::id).containsExactly(ids.getFirst());
    assertThat(afterPage).extracting(Event::id).containsExactlyElementsOf(ids.subList(10, 200));
    assertThat(counted).hasSize(7);
    assertThat(log.read("none", "", 10, 100)).isEmpty();
  }

  @Test
  void shouldCompareIdsInAppendOrder() {
    List<String> ids = new ArrayList<>(appendN("s", 3));
    ids.addAll(appendN("s", 12));

    for (int i = 0; i < ids.size(); i++) {
      assertThat(log.compareIds(ids.get(i), ids.get(i))).isZero();
      assertThat(log.compareIds("", ids.get(i))).isNegative();
      for (int j = i + 1; j < ids.size(); j++) {
        assertThat(log.compareIds(ids.get(i), ids.get(j)))
            .as(ids.get(i) + " < " + ids.get(j))
            .isNegative();
        assertThat(log.compareIds(ids.get(j), ids.get(i))).isPositive();
      }
    }
    assertThat(log.compareIds("", "")).isZero();
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> log.compareIds("not-an-id", ids.getFirst()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("not-an-id");
  }

  @Test
  void shouldGiveTheEndsOfAStreamAsInfoDoes() {
    assertThat(log.ends("s"))
        .isEqualTo(new StreamEnds(java.util.Optional.empty(), java.util.Optional.empty()));
    List<String> ids = appendN("s", 10);
    assertThat(log.ends("s"))
        .isEqualTo(
            new StreamEnds(
                java.util.Optional.of(ids.getFirst()), java.util.Optional.of(ids.getLast())));
    log.trimToLength("s", 4);
    StreamInfo info = log.info("s");
    StreamEnds ends = log.ends("s");
    assertThat(ends.firstId()).isEqualTo(info.firstId());
    assertThat(ends.lastId()).isEqualTo(info.lastId());
    assertThat(info.lastId()).contains(ids.getLast());
    // what was trimmed ends right before the oldest retained event
    assertThat(ends.trimmedThrough())
        .contains(ids.get(ids.indexOf(info.firstId().orElseThrow()) - 1));
  }

  @Test
  void shouldKeepStreamsApart() {
    log.append("a", NewEvent.of(event("x", 1)));
    log.append("b", NewEvent.of(event("x", 2)));

    assertThat(log.read("a", "", 10)).hasSize(1);
    assertThat(log.read("b", "", 10))
        .singleElement()
        .satisfies(e -> assertThat(e.data().get("x").asInt()).isEqualTo(2));
  }

  @Test
  void shouldReturnNothingForAnUnknownStream() {
    assertThat(log.read("nope", "", 10)).isEmpty();
    assertThat(log.info("nope").length()).isZero();
  }

  @Test
  void shouldStampReceiveTimeUnlessTheProducerGivesOne() {
    Instant happened = Instant.parse("2022-06-28T11:00:00Z");
    log.appendAll(
        "s",
        List.of(NewEvent.of(event("x", 1)), new NewEvent(Optional.of(happened), event("x", 2))));

    assertThat(log.read("s", "", 10))
        .extracting(Event::time)
        .containsExactly(clock.instant(), happened);
  }

  @Test
  void shouldTellListenersOfEachAppendOnceItCanBeRead() {
    List<List<String>> seen = Collections.synchronizedList(new ArrayList<>());
    log.onAppended(() -> seen.add(log.read("s", "", 100).stream().map(Event::id).toList()));

    String first = log.append("s", NewEvent.of(event("x", 1)));
    assertThat(seen).as("heard by the time append returns").hasSize(1);
    assertThat(seen.getFirst()).containsExactly(first);

    List<String> more = appendN("s", 3);
    assertThat(seen).hasSize(2);
    assertThat(seen.getLast()).containsExactly(first, more.get(0), more.get(1), more.get(2));

    log.createGroup("s", "g", GroupStart.EARLIEST);
    log.ack("s", "g", log.readGroup("s", "g", "c", 10).stream().map(Event::id).toList());
    log.trimToLength("s", 1);
    assertThat(seen).as("only appends are reported").hasSize(2);
  }

  @Test
  void shouldNeverInterleaveConcurrentBatches() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(8);
    List<Future<?>> futures = new ArrayList<>();
    for (int t = 0; t < 8; t++) {
      int thread = t;
      futures.add(
          pool.submit(
              () -> {
                for (int b = 0; b < 20; b++) {
                  List<NewEvent> batch = new ArrayList<>();
                  for (int i = 0; i < 10; i++) {
                    ObjectNode data = event("batch", thread + "-" + b);
                    data.put("i", i);
                    batch.add(NewEvent.of(data));
                  }
                  log.appendAll("s", batch);
                }
              }));
    }
    for (Future<?> f : futures) {
      f.get();
    }
    pool.shutdown();

    List<Event> all = log.read("s", "", 10_000);
    assertThat(all).hasSize(8 * 20 * 10);
    for (int start = 0; start < all.size(); start += 10) {
      List<Event> run = all.subList(start, start + 10);
      assertThat(run)
          .extracting(e -> e.data().get("batch").asText())
          .containsOnly(run.getFirst().data().get("batch").asText());
      assertThat(run)
          .extracting(e -> e.data().get("i").asInt())
          .containsExactly(0, 1, 2, 3, 4, 5, 6, 7, 8, 9);
    }
  }

  @Test
  void shouldDeliverEachEventToOneConsumerOfAGroup() {
    List<String> ids = appendN("s", 6);
    log.createGroup("s", "g", GroupStart.EARLIEST);

    List<Event> toA = log.readGroup("s", "g", "a", 4);
    List<Event> toB = log.readGroup("s", "g", "b", 4);

    assertThat(toA).extracting(Event::id).containsExactlyElementsOf(ids.subList(0, 4));
    assertThat(toB).extracting(Event::id).containsExactlyElementsOf(ids.subList(4, 6));
    assertThat(log.readGroup("s", "g", "a", 4)).isEmpty();
  }

  /** Consumers of one group reading at once while events arrive: each event reaches exactly one. */
  @Test
  void shouldDeliverEachEventOnceToConsumersReadingConcurrently() throws Exception {
    log.createGroup("s", "g", GroupStart.EARLIEST);
    int events = 4_000;
    ExecutorService pool = Executors.newFixedThreadPool(5);
    try {
      Future<?> producer =
          pool.submit(
              () -> {
                for (int b = 0; b < events / 100; b++) {
                  List<NewEvent> batch = new ArrayList<>();
                  for (int i = 0; i < 100; i++) {
                    batch.add(NewEvent.of(event("n", Integer.toString(b * 100 + i))));
                  }
                  log.appendAll("s", batch);
                }
              });
      List<Future<List<String>>> consumers = new ArrayList<>();
      java.util.concurrent.atomic.AtomicInteger taken =
          new java.util.concurrent.atomic.AtomicInteger();
      for (int c = 0; c < 4; c++) {
        String consumer = "c" + c;
        consumers.add(
            pool.submit(
                () -> {
                  List<String> got = new ArrayList<>();
                  long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                  while (taken.get() < events && System.nanoTime() < deadline) {
                    List<Event> batch = log.readGroup("s", "g", consumer, 37);
                    batch.forEach(e -> got.add(e.data().get("n").asText()));
                    taken.addAndGet(batch.size());
                  }
                  return got;
                }));
      }
      producer.get();
      List<String> all = new ArrayList<>();
      for (Future<List<String>> consumer : consumers) {
        all.addAll(consumer.get());
      }
      assertThat(all).hasSize(events).doesNotHaveDuplicates();
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void shouldLetEachGroupSeeEveryEvent() {
    appendN("s", 3);
    log.createGroup("s", "g1", GroupStart.EARLIEST);
    log.createGroup("s", "g2", GroupStart.EARLIEST);

    assertThat(log.readGroup("s", "g1", "c", 10)).hasSize(3);
    assertThat(log.readGroup("s", "g2", "c", 10)).hasSize(3);
  }

  @Test
  void shouldStartAGroupAtTheEndWhenAskedForLatest() {
    appendN("s", 3);
    log.createGroup("s", "g", GroupStart.LATEST);
    String later = log.append("s", NewEvent.of(event("x", 1)));

    assertThat(log.readGroup("s", "g", "c", 10)).extracting(Event::id).containsExactly(later);
  }

  @Test
  void shouldLeaveAnExistingGroupAsItIsWhenCreatedAgain() {
    appendN("s", 3);
    log.createGroup("s", "g", GroupStart.EARLIEST);
    log.readGroup("s", "g", "c", 2);
    log.createGroup("s", "g", GroupStart.EARLIEST);

    assertThat(log.readGroup("s", "g", "c", 10)).hasSize(1);
  }

  @Test
  void shouldRedeliverWhatWasNotAcknowledgedWithinTheLease() {
    List<String> ids = appendN("s", 3);
    log.createGroup("s", "g", GroupStart.EARLIEST);
    log.readGroup("s", "g", "dead", 10);
    log.ack("s", "g", List.of(ids.get(1)));

    Duration lease = Duration.ofMillis(300);
    assertThat(log.claim("s", "g", "alive", lease, 10)).as("not idle long enough").isEmpty();
    clock.advance(lease.plusMillis(100));
    List<Event> claimed = claimOnceIdle(log, "alive", lease, 2);

    assertThat(claimed).extracting(Event::id).containsExactly(ids.get(0), ids.get(2));
    assertThat(log.claim("s", "g", "other", lease, 10))
        .as("claiming restarts the idle time")
        .isEmpty();
    log.ack("s", "g", List.of(ids.get(0), ids.get(2)));
    clock.advance(lease.plusMillis(100));
    assertThat(log.claim("s", "g", "other", Duration.ZERO, 10))
        .as("nothing is pending, however idle")
        .isEmpty();
  }

  @Test
  void shouldCountTheDeliveriesOfEachEventToItsGroup() {
    List<String> ids = appendN("s", 3);
    log.createGroup("s", "g", GroupStart.EARLIEST);
    assertThat(log.readGroup("s", "g", "first", 10))
        .extracting(Event::deliveries)
        .containsExactly(1, 1, 1);
    log.ack("s", "g", List.of(ids.get(1)));

    Duration lease = Duration.ofMillis(200);
    clock.advance(lease.plusMillis(100));
    assertThat(claimOnceIdle(log, "second", lease, 2))
        .extracting(Event::id, Event::deliveries)
        .containsExactly(tuple(ids.get(0), 2), tuple(ids.get(2), 2));
    clock.advance(lease.plusMillis(100));
    assertThat(claimOnceIdle(log, "third", lease, 2))
        .extracting(Event::id, Event::deliveries)
        .containsExactly(tuple(ids.get(0), 3), tuple(ids.get(2), 3));
    assertThat(log.read("s", "", 10))
        .as("a read outside a group is no delivery")
        .extracting(Event::deliveries)
        .containsExactly(0, 0, 0);
  }

  @Test
  void shouldReportLengthPendingAndLag() {
    List<String> ids = appendN("s", 5);
    log.createGroup("s", "g", GroupStart.EARLIEST);
    log.readGroup("s", "g", "c", 3);
    log.ack("s", "g", List.of(ids.get(0)));

    StreamInfo info = log.info("s");

    assertThat(info.length()).isEqualTo(5);
    assertThat(info.firstId()).contains(ids.get(0));
    assertThat(info.lastId()).contains(ids.get(4));
    assertThat(info.groups())
        .singleElement()
        .satisfies(
            g -> {
              assertThat(g.name()).isEqualTo("g");
              assertThat(g.pending()).isEqualTo(2);
              assertThat(g.lag()).isEqualTo(2);
              assertThat(g.lastDeliveredId()).contains(ids.get(2));
            });
  }

  @Test
  void shouldTrimToALengthKeepingTheNewestAndKeepIdsIncreasing() {
    List<String> ids = appendN("s", 10);

    assertThat(log.trimToLength("s", 4)).isEqualTo(6);
    assertThat(log.read("s", "", 100))
        .extracting(Event::id)
        .containsExactlyElementsOf(ids.subList(6, 10));
    String next = log.append("s", NewEvent.of(event("x", 1)));
    assertThat(log.read("s", ids.get(9), 10)).extracting(Event::id).containsExactly(next);
  }

  @Test
  void shouldTrimByAge() {
    log.append("s", NewEvent.of(event("x", "old")));
    clock.advance(Duration.ofHours(2));
    log.append("s", NewEvent.of(event("x", "new")));

    assertThat(log.trimBefore("s", clock.instant().minus(Duration.ofHours(1)))).isEqualTo(1);
    assertThat(log.read("s", "", 10))
        .extracting(e -> e.data().get("x").asText())
        .containsExactly("new");
  }

  @Test
  void shouldDropTrimmedEventsFromThePendingList() {
    appendN("s", 3);
    log.createGroup("s", "g", GroupStart.EARLIEST);
    log.readGroup("s", "g", "c", 10);
    log.trimToLength("s", 1);
    clock.advance(Duration.ofMillis(200));

    assertThat(claimOnceIdle(log, "c", Duration.ofMillis(100))).hasSize(1);
    assertThat(log.info("s").groups().getFirst().pending()).isEqualTo(1);
  }

  @Test
  void shouldKeepEventsGroupsAndPendingAcrossARestart() {
    List<String> ids = appendN("s", 3);
    log.createGroup("s", "g", GroupStart.EARLIEST);
    log.readGroup("s", "g", "c", 2);
    opened.getLast().close();
    opened.removeLast();

    EventLog reopened = open();
    clock.advance(Duration.ofMillis(300));

    assertThat(reopened.read("s", "", 10)).extracting(Event::id).containsExactlyElementsOf(ids);
    assertThat(claimOnceIdle(reopened, "c", Duration.ofMillis(250), 2))
        .extracting(Event::id)
        .containsExactly(ids.get(0), ids.get(1));
    assertThat(reopened.readGroup("s", "g", "c", 10))
        .extracting(Event::id)
        .containsExactly(ids.get(2));
    Set<String> distinct = new HashSet<>(ids);
    distinct.add(reopened.append("s", NewEvent.of(event("x", 1))));
    assertThat(distinct).hasSize(4);
  }
}
